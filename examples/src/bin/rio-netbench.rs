//! Network benchmark: the slot-sequence protocol (`protocols/slots.rio`) on 4
//! nodes over authenticated loopback TCP, against a minimal hand-written
//! tokio program that moves the same number of frames of the same size over
//! the same kind of links (plain TCP, no protocol logic, no encryption):
//! the practical limit. Both run closed-loop: slot s + 1 starts when slot s
//! is decided. Reports decided slots per second and per-slot latency
//! percentiles, and the ratio, from one run.
//!
//! `cargo run --release -p rio-examples --bin rio-netbench [SLOTS]` (default 5000).

use rio_examples::bench::{free_ports, loopback_cluster, percentile};
use rio_examples::generated::slots::slots::{Input, Node, Output, Params};
use rio_net::start;
use rio_runtime::NodeId;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const N: usize = 4;
/// Bytes per frame in the baseline: about one encrypted Rio message
/// (postcard envelope ~20 B + 16 B tag + 4 B length prefix).
const FRAME: usize = 40;

/// Time between consecutive decisions: the per-slot latency.
fn gaps(at: &[Instant]) -> Vec<Duration> {
    at.windows(2)
        .map(|w| w[1].saturating_duration_since(w[0]))
        .collect()
}

fn report(name: &str, slots: u64, elapsed: Duration, mut lat: Vec<Duration>) -> f64 {
    lat.sort();
    let rate = slots as f64 / elapsed.as_secs_f64();
    rio_examples::say!(
        "{name:<10} {slots} slots in {elapsed:.2?}: {rate:>9.0} slots/s; latency p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or_default()
    );
    rate
}

async fn rio(slots: u64, durable: bool) -> (Duration, Vec<Duration>) {
    let dir = std::env::temp_dir().join(format!("rio-netbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let mut handles = Vec::new();
    for (k, cfg) in loopback_cluster(N, durable.then_some(dir.as_path()))
        .into_iter()
        .enumerate()
    {
        let node = Node::new(NodeId(k as u32), Params { n: N, f: 1 }).expect("params");
        handles.push(start(cfg, node).await.expect("start"));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start_at = Instant::now();
    for (k, h) in handles.iter().enumerate() {
        h.inputs
            .send(Input::Value {
                key: [0],
                value: k as u64,
            })
            .await
            .expect("input");
    }
    // Each node's application: on decision of s, submit its value for s + 1.
    let (done_tx, mut done_rx) = mpsc::channel::<(usize, u64, Instant)>(1024);
    let mut tasks = Vec::new();
    for (k, mut h) in handles.into_iter().enumerate() {
        let done = done_tx.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(Output::Decided { key: [s], .. }) = h.outputs.recv().await {
                let _ = done.send((k, s, Instant::now())).await;
                if s + 1 >= slots {
                    break;
                }
                if h.inputs
                    .send(Input::Value {
                        key: [s + 1],
                        value: s + 1,
                    })
                    .await
                    .is_err()
                {
                    break;
                }
            }
            // Shut down only once every node is done: a node that stops
            // early takes the messages the slowest node still needs.
            h
        }));
    }
    drop(done_tx);
    let mut at = vec![start_at; slots as usize + 1];
    let mut finished = 0;
    while let Some((k, s, t)) = done_rx.recv().await {
        if k == 0 {
            if let Some(x) = at.get_mut(s as usize + 1) {
                *x = t;
            }
        }
        if s + 1 >= slots {
            finished += 1;
            if finished == N {
                break;
            }
        }
    }
    let elapsed = start_at.elapsed();
    for t in tasks {
        if let Ok(h) = t.await {
            h.shutdown().await;
        }
    }
    (elapsed, gaps(&at))
}

/// The baseline: per slot, the leader sends one frame to every other node;
/// on it, every node sends one frame to every other; a node moves to the
/// next slot after n - f frames of the current slot.
async fn baseline(slots: u64) -> (Duration, Vec<Duration>) {
    let ports = free_ports(N);
    let (dec_tx, mut dec_rx) = mpsc::channel::<(usize, u64, Instant)>(1024);
    let mut listeners = Vec::new();
    for p in &ports {
        listeners.push(TcpListener::bind(("127.0.0.1", *p)).await.expect("bind"));
    }
    let mut nodes = Vec::new();
    for (k, listener) in listeners.into_iter().enumerate() {
        let ports = ports.clone();
        let dec = dec_tx.clone();
        nodes.push(tokio::spawn(async move {
            let (in_tx, mut in_rx) = mpsc::channel::<(u8, u64)>(1024);
            let accept = tokio::spawn(async move {
                for _ in 0..N - 1 {
                    let Ok((mut s, _)) = listener.accept().await else {
                        return;
                    };
                    let tx = in_tx.clone();
                    let _ = s.set_nodelay(true);
                    tokio::spawn(async move {
                        let mut buf = [0u8; FRAME];
                        while s.read_exact(&mut buf).await.is_ok() {
                            let slot =
                                u64::from_le_bytes(buf[5..13].try_into().unwrap_or_default());
                            if tx.send((buf[4], slot)).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            });
            let mut out = Vec::new();
            for (j, p) in ports.iter().enumerate() {
                if j == k {
                    continue;
                }
                let s = loop {
                    if let Ok(s) = TcpStream::connect(("127.0.0.1", *p)).await {
                        break s;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                };
                let _ = s.set_nodelay(true);
                out.push(s);
            }
            let frame = |kind: u8, slot: u64| {
                let mut f = [0u8; FRAME];
                f[..4].copy_from_slice(&((FRAME - 4) as u32).to_be_bytes());
                f[4] = kind;
                f[5..13].copy_from_slice(&slot.to_le_bytes());
                f
            };
            let mut votes = std::collections::BTreeMap::<u64, usize>::new();
            let mut voted = std::collections::BTreeSet::<u64>::new();
            let mut slot = 0u64;
            let mut pending: Vec<(u8, u64)> = Vec::new();
            if k == 0 {
                for o in &mut out {
                    let _ = o.write_all(&frame(0, 0)).await;
                }
                pending.push((0, 0));
            }
            loop {
                let (kind, s) = match pending.pop() {
                    Some(m) => m,
                    None => match in_rx.recv().await {
                        Some(m) => m,
                        None => break,
                    },
                };
                if kind == 0 && voted.insert(s) {
                    for o in &mut out {
                        let _ = o.write_all(&frame(1, s)).await;
                    }
                    *votes.entry(s).or_default() += 1;
                }
                if kind == 1 {
                    *votes.entry(s).or_default() += 1;
                }
                while votes.get(&slot).copied().unwrap_or(0) >= N - 1 {
                    votes.remove(&slot);
                    let _ = dec.send((k, slot, Instant::now())).await;
                    slot += 1;
                    if slot >= slots {
                        accept.abort();
                        return;
                    }
                    if slot as usize % N == k {
                        for o in &mut out {
                            let _ = o.write_all(&frame(0, slot)).await;
                        }
                        pending.push((0, slot));
                    }
                }
            }
        }));
    }
    drop(dec_tx);
    let start_at = Instant::now();
    let mut at = vec![start_at; slots as usize + 1];
    while let Some((k, s, t)) = dec_rx.recv().await {
        if k == 0 {
            if let Some(x) = at.get_mut(s as usize + 1) {
                *x = t;
            }
        }
    }
    let elapsed = start_at.elapsed();
    for t in nodes {
        let _ = t.await;
    }
    (elapsed, gaps(&at))
}

fn main() {
    let slots: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (e, lat) = baseline(slots).await;
        let base = report("baseline", slots, e, lat);
        let (e, lat) = rio(slots, false).await;
        let ours = report("rio", slots, e, lat);
        let (e, lat) = rio(slots, true).await;
        let durable = report("rio+state", slots, e, lat);
        rio_examples::say!(
            "ratio: the limit is {:.2}x faster than Rio (goal: within 2x); durable state costs {:.2}x (goal: within 1.5x)",
            base / ours,
            ours / durable
        );
    });
}
