//! Pipelined network benchmark: many reliable broadcasts in flight
//! (`protocols/broadcasts.rio`, Bracha per instance) on 4 nodes over
//! authenticated loopback TCP, with and without durable state. The sender
//! keeps `WINDOW` broadcasts outstanding (a new one as soon as every node
//! delivered an earlier one). Reports broadcasts per second, messages handled per second per
//! node, latency percentiles, and the cost of durability as a ratio, from
//! one run.
//!
//! `cargo run --release -p rio-examples --bin rio-pipebench [BROADCASTS] [WINDOW]`
//! (defaults 4000 and 32; the window must stay below the nodes' instance
//! window, `rio_runtime::DEFAULT_WINDOW` = 1024).

use rio_examples::bench::{loopback_cluster, percentile};
use rio_examples::generated::broadcasts::{Input, Node, Output, Params};
use rio_net::start;
use rio_runtime::NodeId;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const N: usize = 4;

/// Runs `total` broadcasts with `window` in flight; returns the elapsed
/// time and per-broadcast latencies (submit to the sender's delivery).
async fn run(total: u64, window: u64, durable: bool) -> (Duration, Vec<Duration>) {
    let dir = std::env::temp_dir().join(format!("rio-pipebench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let mut handles = Vec::new();
    for (k, cfg) in loopback_cluster(N, durable.then_some(dir.as_path()))
        .into_iter()
        .enumerate()
    {
        let params = Params {
            n: N,
            f: 1,
            sender: NodeId(0),
        };
        let node = Node::new(NodeId(k as u32), params).unwrap_or_else(|e| panic!("{e}"));
        handles.push(start(cfg, node).await.unwrap_or_else(|e| panic!("{e}")));
    }
    // Let the dialers connect before timing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (done_tx, mut done_rx) = mpsc::channel::<(usize, u64, Instant)>(4096);
    let mut inputs = None;
    let mut tasks = Vec::new();
    for (k, mut h) in handles.into_iter().enumerate() {
        if k == 0 {
            inputs = Some(h.inputs.clone());
        }
        let done = done_tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = 0;
            while let Some(Output::Dlvr { key: [b], .. }) = h.outputs.recv().await {
                let _ = done.send((k, b, Instant::now())).await;
                got += 1;
                if got >= total {
                    break;
                }
            }
            // Shut down only once every node is done: a node that stops
            // early takes the messages the slowest node still needs.
            h
        }));
    }
    drop(done_tx);
    let inputs = inputs.unwrap_or_else(|| panic!("no sender"));
    let start_at = Instant::now();
    let mut submitted = vec![start_at; total as usize];
    let mut next = 0u64;
    // Submits broadcast `next` and notes when.
    let submit = |next: &mut u64, submitted: &mut Vec<Instant>| {
        if let Some(t) = submitted.get_mut(*next as usize) {
            *t = Instant::now();
        }
        let b = *next;
        *next += 1;
        inputs.send(Input::Bc { key: [b], value: b })
    };
    while next < window.min(total) {
        let _ = submit(&mut next, &mut submitted).await;
    }
    // A broadcast leaves the window once every node delivered it (the
    // window bounds what is in flight at the slowest node, so no queue
    // overflows; latency is submit to the sender's own delivery).
    let mut lat = Vec::new();
    let mut finished = 0;
    let mut count = vec![0usize; total as usize];
    let mut per_node: Vec<std::collections::BTreeSet<u64>> = vec![Default::default(); N];
    loop {
        // A run that makes no progress for 10 s is a stall: say where.
        let Ok(got) = tokio::time::timeout(Duration::from_secs(10), done_rx.recv()).await else {
            for (k, s) in per_node.iter().enumerate() {
                let missing: Vec<u64> = (0..next).filter(|b| !s.contains(b)).take(8).collect();
                eprintln!("stalled: node {k} delivered {}, missing (first 8 of those submitted) {missing:?}", s.len());
            }
            std::process::exit(2);
        };
        let Some((k, b, t)) = got else { break };
        if let Some(s) = per_node.get_mut(k) {
            s.insert(b);
        }
        if k == 0 {
            if let Some(s) = submitted.get(b as usize) {
                lat.push(t.saturating_duration_since(*s));
            }
        }
        let c = count.get_mut(b as usize).map_or(0, |c| {
            *c += 1;
            *c
        });
        if c == N && next < total {
            let _ = submit(&mut next, &mut submitted).await;
        }
        finished += 1;
        if finished == total as usize * N {
            break;
        }
    }
    let elapsed = start_at.elapsed();
    for t in tasks {
        if let Ok(h) = t.await {
            h.shutdown().await;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    (elapsed, lat)
}

fn report(name: &str, total: u64, elapsed: Duration, mut lat: Vec<Duration>) -> f64 {
    lat.sort();
    let rate = total as f64 / elapsed.as_secs_f64();
    // Each node handles one SEND, n ECHOs and n READYs per broadcast.
    let msgs = rate * (1 + 2 * N) as f64;
    rio_examples::say!(
        "{name:<10} {total} broadcasts in {elapsed:.2?}: {rate:>8.0}/s, {msgs:>8.0} messages/s per node; latency p50 {:?}, p99 {:?}",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
    );
    rate
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let mut args = std::env::args().skip(1);
    let total: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(4000);
    let window: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(32);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let (e, lat) = run(total, window, false).await;
        let memory = report("rio", total, e, lat);
        let (e, lat) = run(total, window, true).await;
        let durable = report("rio+state", total, e, lat);
        rio_examples::say!(
            "window {window}: durable state costs {:.2}x in throughput (goal: within 1.5x)",
            memory / durable
        );
    });
}
