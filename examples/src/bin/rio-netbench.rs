//! Network benchmark: the slot-sequence protocol (`protocols/slots.rio`) on 4
//! nodes over authenticated loopback TCP, against a minimal hand-written
//! tokio program that moves the same number of frames of the same size over
//! the same kind of links (plain TCP, no protocol logic, no encryption):
//! the practical limit. Both run closed-loop: slot s + 1 starts when slot s
//! is decided. Reports decided slots per second and per-slot latency
//! percentiles, and the ratio, from one run.
//!
//! Then the same with durable state, and the slot sequence with signed
//! votes decided by certificates (`protocols/signed_slots.rio`, Ed25519),
//! beside the raw throughput of the signature crate on this machine.
//!
//! `cargo run --release -p rio-examples --bin rio-netbench [SLOTS]` (default 5000).

use rio_examples::bench::{free_ports, loopback_cluster, percentile};
use rio_examples::generated::slots::{signed_slots, slots};
use rio_net::start;
use rio_runtime::{Node, NodeId, Slotted};
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

/// A slot protocol as the benchmark drives it: how to make node `k`, the
/// input "value v for slot s", and the slot an output decides.
struct Proto<N: Node> {
    make: fn(usize) -> N,
    input: fn(u64, u64) -> N::Input,
    decided: fn(&N::Output) -> Option<u64>,
}

fn unsigned() -> Proto<slots::Node> {
    Proto {
        make: |k| slots::Node::new(NodeId(k as u32), slots::Params { n: N, f: 1 }).expect("params"),
        input: |s, v| slots::Input::Value { key: [s], value: v },
        decided: |o| match o {
            slots::Output::Decided { key: [s], .. } => Some(*s),
        },
    }
}

fn signed() -> Proto<signed_slots::Node> {
    Proto {
        make: |k| {
            signed_slots::Node::new(NodeId(k as u32), signed_slots::Params { n: N, f: 1 })
                .expect("params")
        },
        input: |s, v| signed_slots::Input::Value { key: [s], value: v },
        decided: |o| match o {
            signed_slots::Output::Decided { key: [s], .. } => Some(*s),
        },
    }
}

async fn rio<N>(slots: u64, durable: bool, proto: Proto<N>) -> (Duration, Vec<Duration>)
where
    N: Node + Send + 'static,
    N::Message: Slotted + Send + Sync + 'static,
    N::Input: Send + 'static,
    N::Output: Slotted + Send + 'static,
{
    let dir = std::env::temp_dir().join(format!("rio-netbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let mut handles = Vec::new();
    for (k, cfg) in loopback_cluster(N, durable.then_some(dir.as_path()))
        .into_iter()
        .enumerate()
    {
        handles.push(start(cfg, (proto.make)(k)).await.expect("start"));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start_at = Instant::now();
    for (k, h) in handles.iter().enumerate() {
        h.inputs
            .send((proto.input)(0, k as u64))
            .await
            .expect("input");
    }
    // Each node's application: on decision of s, submit its value for s + 1.
    let (done_tx, mut done_rx) = mpsc::channel::<(usize, u64, Instant)>(1024);
    let mut tasks = Vec::new();
    for (k, mut h) in handles.into_iter().enumerate() {
        let done = done_tx.clone();
        tasks.push(tokio::spawn(async move {
            let (input, decided) = (proto.input, proto.decided);
            while let Some(s) = h.outputs.recv().await.as_ref().and_then(decided) {
                let _ = done.send((k, s, Instant::now())).await;
                if s + 1 >= slots {
                    break;
                }
                if h.inputs.send(input(s + 1, s + 1)).await.is_err() {
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

/// The signature crate's raw throughput on this machine, on the bytes the
/// signed slot protocol signs, and the slot rate its signatures alone
/// would allow: per slot each of the 4 nodes signs one vote and verifies
/// the 3 of its peers (its own is not re-verified), on 2 cores.
fn crypto_limit(measured: f64) {
    use rio_runtime::crypto::{signing_bytes, Crypto};
    let keys: Vec<[u8; 32]> = (0..N as u8).map(|k| [k + 1; 32]).collect();
    let peers: Vec<_> = keys
        .iter()
        .map(|k| Some(rio_net::signing::derive_signing_key(k).verifying_key()))
        .collect();
    let p = rio_net::signing::Ed25519::new(NodeId(0), &keys[0], peers);
    let msg = signing_bytes("SignedSlots", 0, &[7], NodeId(0), &Some(7u64)).expect("bytes");
    let rounds = 20_000u32;
    let t = Instant::now();
    let mut sig = None;
    for _ in 0..rounds {
        sig = p.sign(NodeId(0), std::hint::black_box(&msg));
    }
    let sign = t.elapsed() / rounds;
    let sig = sig.expect("signs");
    let t = Instant::now();
    for _ in 0..rounds {
        assert!(p.verify(NodeId(0), std::hint::black_box(&msg), &sig));
    }
    let verify = t.elapsed() / rounds;
    let batch: Vec<_> = (0..3u32).map(|_| (NodeId(0), msg.clone(), sig)).collect();
    let t = Instant::now();
    for _ in 0..rounds / 4 {
        assert!(p.verify_all(std::hint::black_box(&batch)));
    }
    let batch3 = t.elapsed() / (rounds / 4);
    let per_slot = (sign + verify * 3) * N as u32;
    let limit = 2.0 / per_slot.as_secs_f64();
    rio_examples::say!(
        "ed25519-dalek, one core: sign {sign:?}, verify {verify:?}, batch of 3 {batch3:?} ({:.0} signs/s, {:.0} verifies/s); per slot {per_slot:?} of signatures on 4 nodes: at most {limit:.0} slots/s on 2 cores; rio+sign reaches {:.0}% of that",
        1.0 / sign.as_secs_f64(),
        1.0 / verify.as_secs_f64(),
        100.0 * measured / limit
    );
}

fn main() {
    let slots: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    let rt = rio_examples::bench::runtime();
    rt.block_on(async {
        let (e, lat) = baseline(slots).await;
        let base = report("baseline", slots, e, lat);
        let (e, lat) = rio(slots, false, unsigned()).await;
        let ours = report("rio", slots, e, lat);
        let (e, lat) = rio(slots, true, unsigned()).await;
        let durable = report("rio+state", slots, e, lat);
        let (e, lat) = rio(slots, false, signed()).await;
        let sig = report("rio+sign", slots, e, lat);
        rio_examples::say!(
            "ratio: the limit is {:.2}x faster than Rio (goal: within 2x); durable state costs {:.2}x (goal: within 1.5x); signed votes cost {:.2}x",
            base / ours,
            ours / durable,
            ours / sig
        );
        crypto_limit(sig);
    });
}
