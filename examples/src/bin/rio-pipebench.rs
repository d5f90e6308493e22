//! Pipelined network benchmark: many reliable broadcasts in flight
//! (`protocols/broadcasts.rio`, Bracha per instance) on 4 nodes over
//! authenticated loopback TCP, with and without durable state. The sender
//! keeps `WINDOW` broadcasts outstanding (a new one as soon as every node
//! delivered an earlier one). Reports broadcasts per second, messages handled per second per
//! node, latency percentiles, and the cost of durability as a ratio, from
//! one run.
//!
//! First, the practical limit: a minimal hand-written tokio program that
//! runs the same Bracha message pattern (SEND, n ECHOs, n READYs per
//! broadcast, READY on n − f ECHOs or f + 1 READYs, delivery on n − f
//! READYs) over plain TCP with frames of the same size, batched per peer,
//! with no encryption, no serialisation and no generated node.
//!
//! `cargo run --release -p rio-examples --bin rio-pipebench [BROADCASTS] [WINDOW]`
//! (defaults 4000 and 32; the window must stay below the nodes' instance
//! window, `rio_runtime::DEFAULT_WINDOW` = 1024).

use rio_examples::bench::{free_ports, loopback_cluster, percentile};
use rio_examples::generated::broadcasts::{Input, Node, Output, Params};
use rio_net::start;
use rio_runtime::NodeId;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const N: usize = 4;
const F: usize = 1;
/// Bytes per frame in the baseline: about one encrypted Rio message of this
/// protocol (postcard envelope with key, value and send time ~20 B, 16 B
/// tag, length prefix).
const FRAME: usize = 40;

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
    let (done_tx, done_rx) = mpsc::channel::<(usize, u64, Instant)>(4096);
    let (submit_tx, submit_rx) = mpsc::channel::<u64>(4096);
    let mut submit_rx = Some(submit_rx);
    let mut tasks = Vec::new();
    for (k, mut h) in handles.into_iter().enumerate() {
        if let (0, Some(mut submit_rx)) = (k, submit_rx.take()) {
            let inputs = h.inputs.clone();
            tokio::spawn(async move {
                while let Some(b) = submit_rx.recv().await {
                    if inputs.send(Input::Bc { key: [b], value: b }).await.is_err() {
                        break;
                    }
                }
            });
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
    let (elapsed, lat) = drive(total, window, submit_tx, done_rx).await;
    for t in tasks {
        if let Ok(h) = t.await {
            h.shutdown().await;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    (elapsed, lat)
}

/// The practical limit: the same broadcasts, same window, same message
/// pattern and frame size, over plain TCP with a minimal hand-written node.
async fn baseline(total: u64, window: u64) -> (Duration, Vec<Duration>) {
    let ports = free_ports(N);
    let mut listeners = Vec::new();
    for p in &ports {
        listeners.push(
            TcpListener::bind(("127.0.0.1", *p))
                .await
                .unwrap_or_else(|e| panic!("bind: {e}")),
        );
    }
    let (done_tx, done_rx) = mpsc::channel::<(usize, u64, Instant)>(4096);
    let (submit_tx, submit_rx) = mpsc::channel::<u64>(4096);
    let mut submit_rx = Some(submit_rx);
    let mut nodes = Vec::new();
    for (k, listener) in listeners.into_iter().enumerate() {
        let submits = if k == 0 { submit_rx.take() } else { None };
        nodes.push(tokio::spawn(baseline_node(
            k,
            listener,
            ports.clone(),
            submits,
            done_tx.clone(),
        )));
    }
    drop(done_tx);
    // Let the nodes connect before timing, as for Rio.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let result = drive(total, window, submit_tx, done_rx).await;
    for n in nodes {
        n.abort();
    }
    result
}

/// One node of the baseline: frames `[len][kind][broadcast]` (SEND 0, ECHO
/// 1, READY 2), Bracha's counting, one writer per peer that writes every
/// frame already queued with one `write_all`, buffered reads.
async fn baseline_node(
    k: usize,
    listener: TcpListener,
    ports: Vec<u16>,
    mut submits: Option<mpsc::Receiver<u64>>,
    done: mpsc::Sender<(usize, u64, Instant)>,
) {
    let (in_tx, mut in_rx) = mpsc::channel::<(u8, u64)>(4096);
    tokio::spawn(async move {
        for _ in 0..N - 1 {
            let Ok((s, _)) = listener.accept().await else {
                return;
            };
            let _ = s.set_nodelay(true);
            let tx = in_tx.clone();
            tokio::spawn(async move {
                let mut r = tokio::io::BufReader::with_capacity(1 << 16, s);
                let mut buf = [0u8; FRAME];
                while r.read_exact(&mut buf).await.is_ok() {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&buf[5..13]);
                    if tx.send((buf[4], u64::from_le_bytes(b))).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let mut peers: Vec<mpsc::UnboundedSender<[u8; FRAME]>> = Vec::new();
    for (j, p) in ports.iter().enumerate() {
        if j == k {
            continue;
        }
        let mut s = loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", *p)).await {
                break s;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let _ = s.set_nodelay(true);
        let (tx, mut rx) = mpsc::unbounded_channel::<[u8; FRAME]>();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(1 << 16);
            while let Some(f) = rx.recv().await {
                batch.clear();
                batch.extend_from_slice(&f);
                while batch.len() < 1 << 16 {
                    let Ok(f) = rx.try_recv() else { break };
                    batch.extend_from_slice(&f);
                }
                if s.write_all(&batch).await.is_err() {
                    return;
                }
            }
        });
        peers.push(tx);
    }
    let frame = |kind: u8, b: u64| {
        let mut f = [0u8; FRAME];
        f[..4].copy_from_slice(&((FRAME - 4) as u32).to_be_bytes());
        f[4] = kind;
        f[5..13].copy_from_slice(&b.to_le_bytes());
        f
    };
    let mut echoes: BTreeMap<u64, usize> = BTreeMap::new();
    let mut readies: BTreeMap<u64, usize> = BTreeMap::new();
    let mut echoed = std::collections::BTreeSet::new();
    let mut readied = std::collections::BTreeSet::new();
    let mut delivered = std::collections::BTreeSet::new();
    let mut local: std::collections::VecDeque<(u8, u64)> = Default::default();
    loop {
        let next = tokio::select! {
            Some(b) = async {
                match submits.as_mut() {
                    Some(r) => r.recv().await,
                    None => std::future::pending().await,
                }
            } => (0u8, b, true),
            Some((kind, b)) = in_rx.recv() => (kind, b, false),
            else => return,
        };
        // A SEND to broadcast goes to every peer and to this node.
        if next.2 {
            let f = frame(0, next.1);
            for p in &peers {
                let _ = p.send(f);
            }
        }
        local.push_back((next.0, next.1));
        while let Some((kind, b)) = local.pop_front() {
            let mut out = None;
            match kind {
                0 if echoed.insert(b) => out = Some(1),
                1 => {
                    let c = echoes.entry(b).or_default();
                    *c += 1;
                    if *c == N - F && readied.insert(b) {
                        out = Some(2);
                    }
                }
                2 => {
                    let c = readies.entry(b).or_default();
                    *c += 1;
                    let c = *c;
                    if c > F && readied.insert(b) {
                        out = Some(2);
                    }
                    if c == N - F && delivered.insert(b) {
                        let _ = done.send((k, b, Instant::now())).await;
                    }
                }
                _ => {}
            }
            if let Some(kind) = out {
                let f = frame(kind, b);
                for p in &peers {
                    let _ = p.send(f);
                }
                local.push_back((kind, b));
            }
        }
    }
}

/// Submits `total` broadcasts through `submit_tx`, keeping `window` in
/// flight (a new one once every node delivered an earlier one), until
/// `done_rx` reported every node's delivery of each; returns the elapsed
/// time and the latencies (submit to the sender's delivery).
async fn drive(
    total: u64,
    window: u64,
    submit_tx: mpsc::Sender<u64>,
    mut done_rx: mpsc::Receiver<(usize, u64, Instant)>,
) -> (Duration, Vec<Duration>) {
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
        submit_tx.send(b)
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
    (start_at.elapsed(), lat)
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
    let rt = rio_examples::bench::runtime();
    rt.block_on(async {
        let (e, lat) = baseline(total, window).await;
        let limit = report("plain TCP", total, e, lat);
        let (e, lat) = run(total, window, false).await;
        let memory = report("rio", total, e, lat);
        let (e, lat) = run(total, window, true).await;
        let durable = report("rio+state", total, e, lat);
        rio_examples::say!(
            "window {window}: the plain-TCP limit is {:.2}x Rio's throughput (goal: within 1.5x)",
            limit / memory
        );
        rio_examples::say!(
            "window {window}: durable state costs {:.2}x in throughput (goal: within 1.5x)",
            memory / durable
        );
    });
}
