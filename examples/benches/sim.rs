//! Simulated message deliveries per second: generated Bracha in Rio's
//! simulator, and side by side the same protocol written by hand as async
//! tasks on turmoil (a peer deterministic simulator, over its simulated UDP),
//! under the same workload: one broadcast among n nodes, latency uniform in
//! 1–10 ms, n + 2n^2 deliveries. Run: `cargo bench -p rio-examples --bench sim`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rio_examples::generated::bracha::{Input, Node, Params};
use rio_runtime::NodeId;
use rio_sim::{Config, Sim};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn rio(n: usize, seed: u64) -> u64 {
    let params = Params {
        n,
        f: (n - 1) / 3,
        sender: NodeId(0),
    };
    let mut sim = Sim::new(n, Config::new(seed).no_trace().latency(1, 10), move |id| {
        Node::<u64>::new(id, params.clone()).expect("params")
    });
    sim.input_at(0, NodeId(0), Input::Bc(42));
    let report = sim.run();
    assert_eq!(report.outputs, n as u64);
    report.delivered
}

/// Hand-written Bracha state, as an async task would keep it.
struct State {
    n: usize,
    f: usize,
    sent_echo: bool,
    sent_ready: bool,
    delivered: bool,
    echo: Vec<Option<u64>>,
    ready: Vec<Option<u64>>,
}

impl State {
    fn count(votes: &[Option<u64>], k: usize) -> Option<u64> {
        let mut counts: Vec<(u64, usize)> = Vec::new();
        for v in votes.iter().flatten() {
            match counts.iter_mut().find(|(x, _)| x == v) {
                Some((_, c)) => *c += 1,
                None => counts.push((*v, 1)),
            }
        }
        counts.into_iter().find(|(_, c)| *c >= k).map(|(v, _)| v)
    }

    /// Handles one message; returns what to broadcast and whether it delivered.
    fn on(&mut self, from: usize, tag: u8, v: u64) -> (Vec<(u8, u64)>, bool) {
        let mut out = Vec::new();
        match tag {
            0 if from == 0 && !self.sent_echo => {
                self.sent_echo = true;
                out.push((1, v));
            }
            1 => {
                if let Some(slot @ None) = self.echo.get_mut(from) {
                    *slot = Some(v);
                }
            }
            2 => {
                if let Some(slot @ None) = self.ready.get_mut(from) {
                    *slot = Some(v);
                }
            }
            _ => {}
        }
        if !self.sent_ready {
            if let Some(v) = Self::count(&self.echo, self.n - self.f)
                .or_else(|| Self::count(&self.ready, self.f + 1))
            {
                self.sent_ready = true;
                out.push((2, v));
            }
        }
        let mut delivered = false;
        if !self.delivered && Self::count(&self.ready, self.n - self.f).is_some() {
            self.delivered = true;
            delivered = true;
        }
        (out, delivered)
    }
}

async fn turmoil_node(
    k: usize,
    n: usize,
    delivered: Arc<AtomicUsize>,
    received: Arc<AtomicU64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let sock = turmoil::net::UdpSocket::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), 9000)).await?;
    let peers: Vec<SocketAddr> = (0..n)
        .map(|j| SocketAddr::new(turmoil::lookup(format!("n{j}")), 9000))
        .collect();
    let mut st = State {
        n,
        f: (n - 1) / 3,
        sent_echo: false,
        sent_ready: false,
        delivered: false,
        echo: vec![None; n],
        ready: vec![None; n],
    };
    let mut local: Vec<(usize, u8, u64)> = Vec::new();
    let mut outbox: Vec<(u8, u64)> = if k == 0 { vec![(0, 42)] } else { Vec::new() };
    let mut buf = [0u8; 9];
    loop {
        for (tag, v) in outbox.drain(..) {
            let mut msg = [0u8; 9];
            msg[0] = tag;
            msg[1..].copy_from_slice(&v.to_le_bytes());
            for (j, p) in peers.iter().enumerate() {
                if j == k {
                    local.push((k, tag, v));
                } else {
                    sock.send_to(&msg, p).await?;
                }
            }
        }
        let (from, tag, v) = match local.pop() {
            Some(m) => m,
            None => {
                let (_, addr) = sock.recv_from(&mut buf).await?;
                let from = peers
                    .iter()
                    .position(|p| p.ip() == addr.ip())
                    .unwrap_or(usize::MAX);
                let mut vb = [0u8; 8];
                vb.copy_from_slice(&buf[1..]);
                (from, buf[0], u64::from_le_bytes(vb))
            }
        };
        received.fetch_add(1, Ordering::Relaxed);
        let (out, done) = st.on(from, tag, v);
        outbox.extend(out);
        if done {
            delivered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn turmoil(n: usize, seed: u64) -> u64 {
    let delivered = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let mut sim = turmoil::Builder::new()
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(10))
        .rng_seed(seed)
        .simulation_duration(Duration::from_secs(600))
        .build();
    for k in 0..n {
        let (d, r) = (delivered.clone(), received.clone());
        sim.host(format!("n{k}"), move || {
            turmoil_node(k, n, d.clone(), r.clone())
        });
    }
    let (d, r) = (delivered.clone(), received.clone());
    let want = (n + 2 * n * n) as u64;
    sim.client("check", async move {
        while d.load(Ordering::Relaxed) < n || r.load(Ordering::Relaxed) < want {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    });
    sim.run().expect("turmoil run");
    received.load(Ordering::Relaxed)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulated_deliveries");
    for n in [4usize, 16, 64] {
        let deliveries = (n + 2 * n * n) as u64;
        group.throughput(Throughput::Elements(deliveries));
        let mut seed = 0;
        group.bench_with_input(BenchmarkId::new("rio", n), &n, |b, &n| {
            b.iter(|| {
                seed += 1;
                assert_eq!(rio(n, seed), deliveries);
            })
        });
        if n <= 16 {
            group.bench_with_input(BenchmarkId::new("turmoil", n), &n, |b, &n| {
                b.iter(|| {
                    seed += 1;
                    assert_eq!(turmoil(n, seed), deliveries);
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
