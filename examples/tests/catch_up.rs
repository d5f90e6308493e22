//! Catch-up over the network runtime (in-process nodes on loopback TCP):
//! a node that was down, or restarted, receives the messages its peers
//! retained for it (`rio_net::outbox`) and finishes every instance it
//! missed; with durable state it delivers each instance exactly once across
//! the restart. Every wait is on a condition with a generous deadline.

use rio_examples::bench::loopback_cluster;
use rio_examples::generated::broadcasts::{Input, Node, Output, Params};
use rio_net::{start, Handle, NetConfig};
use rio_runtime::NodeId;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::mpsc;

const N: usize = 4;
const DEADLINE: Duration = Duration::from_secs(120);

async fn node(cfg: NetConfig) -> Handle<Node> {
    let params = Params {
        n: N,
        f: 1,
        sender: NodeId(0),
    };
    let node = Node::new(NodeId(cfg.id), params).expect("params");
    start(cfg, node).await.expect("start")
}

/// Forwards a node's deliveries, tagged with the node, to `tx`; returns its
/// input sender and a stop switch (dropping the handle's outputs would
/// stall it).
fn watch(k: u32, mut h: Handle<Node>, tx: mpsc::UnboundedSender<(u32, u64)>) -> Running {
    let inputs = h.inputs.clone();
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stop_rx => break,
                o = h.outputs.recv() => match o {
                    Some(Output::Dlvr { key: [b], .. }) => {
                        let _ = tx.send((k, b));
                    }
                    None => break,
                },
            }
        }
        h.shutdown().await;
    });
    Running {
        inputs,
        stop: stop_tx,
        task,
    }
}

struct Running {
    inputs: mpsc::Sender<Input>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// An empty directory for this test process's durable state.
fn fresh_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rio-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("state dir");
    dir
}

/// Starts every node of `cfgs`, watched into `tx`.
async fn start_all(cfgs: &[NetConfig], tx: &mpsc::UnboundedSender<(u32, u64)>) -> Vec<Running> {
    let mut running = Vec::new();
    for cfg in cfgs {
        running.push(watch(cfg.id, node(cfg.clone()).await, tx.clone()));
    }
    running
}

/// Receives deliveries into `got` until `done` holds.
async fn until(
    rx: &mut mpsc::UnboundedReceiver<(u32, u64)>,
    got: &mut [BTreeSet<u64>],
    twice: &mut Vec<(u32, u64)>,
    what: &str,
    done: impl Fn(&[BTreeSet<u64>]) -> bool,
) {
    let wait = async {
        while !done(got) {
            let Some((k, b)) = rx.recv().await else { break };
            if let Some(set) = got.get_mut(k as usize) {
                if !set.insert(b) {
                    twice.push((k, b));
                }
            }
        }
    };
    if tokio::time::timeout(DEADLINE, wait).await.is_err() {
        let counts: Vec<usize> = got.iter().map(BTreeSet::len).collect();
        panic!("timed out waiting until {what}: deliveries per node {counts:?}");
    }
}

fn all(got: &[BTreeSet<u64>], nodes: &[usize], upto: u64) -> bool {
    nodes.iter().all(|k| {
        got.get(*k)
            .is_some_and(|s| (0..upto).all(|b| s.contains(&b)))
    })
}

async fn submit(inputs: &mpsc::Sender<Input>, range: std::ops::Range<u64>) {
    for b in range {
        inputs
            .send(Input::Bc { key: [b], value: b })
            .await
            .expect("sender running");
    }
}

/// Node 3 is down while 600 broadcasts run (more messages than a peer
/// connection's old 1,024-message queue held), then starts: it delivers
/// all 600 from what its peers retained.
#[test]
fn a_node_that_was_down_catches_up() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let cfgs = loopback_cluster(N, None);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut running = Vec::new();
        for cfg in cfgs.iter().take(3) {
            let k = cfg.id;
            running.push(watch(k, node(cfg.clone()).await, tx.clone()));
        }
        let inputs = running.first().expect("sender").inputs.clone();
        let mut got = vec![BTreeSet::new(); N];
        let mut twice = Vec::new();
        submit(&inputs, 0..600).await;
        until(
            &mut rx,
            &mut got,
            &mut twice,
            "nodes 0-2 deliver 600",
            |g| all(g, &[0, 1, 2], 600),
        )
        .await;
        let late = cfgs.get(3).expect("node 3").clone();
        running.push(watch(3, node(late).await, tx.clone()));
        until(&mut rx, &mut got, &mut twice, "node 3 catches up", |g| {
            all(g, &[3], 600)
        })
        .await;
        assert!(twice.is_empty(), "delivered twice: {twice:?}");
        for r in running {
            r.shutdown().await;
        }
    });
}

/// Node 3 (with durable state) delivers 100 broadcasts, stops, misses 400
/// more, and restarts on the same state: it catches up on the 400 and
/// delivers none of the first 100 again.
#[test]
fn a_restarted_node_catches_up_and_delivers_once() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = fresh_dir("catch-up");
        let cfgs = loopback_cluster(N, Some(dir.as_path()));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut running = start_all(&cfgs, &tx).await;
        let inputs = running.first().expect("sender").inputs.clone();
        let mut got = vec![BTreeSet::new(); N];
        let mut twice = Vec::new();
        submit(&inputs, 0..100).await;
        until(&mut rx, &mut got, &mut twice, "all deliver 100", |g| {
            all(g, &[0, 1, 2, 3], 100)
        })
        .await;
        running.pop().expect("node 3").shutdown().await;
        submit(&inputs, 100..500).await;
        until(
            &mut rx,
            &mut got,
            &mut twice,
            "nodes 0-2 deliver 500",
            |g| all(g, &[0, 1, 2], 500),
        )
        .await;
        let again = cfgs.get(3).expect("node 3").clone();
        running.push(watch(3, node(again).await, tx.clone()));
        until(&mut rx, &mut got, &mut twice, "node 3 catches up", |g| {
            all(g, &[3], 500)
        })
        .await;
        assert!(twice.is_empty(), "delivered twice: {twice:?}");
        for r in running {
            r.shutdown().await;
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// Durable state is compacted as instances finish: with `state_keep = 16`,
/// 1,500 broadcasts leave every node's log at a few kilobytes (about 110 KB
/// uncompacted), and node 3, restarted on its compacted log, delivers none
/// of them again and goes on delivering new ones.
#[test]
fn compacted_durable_state_stays_bounded_across_a_restart() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = fresh_dir("compact-net");
        let mut cfgs = loopback_cluster(N, Some(dir.as_path()));
        for c in &mut cfgs {
            c.state_keep = Some(16);
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut running = start_all(&cfgs, &tx).await;
        let inputs = running.first().expect("sender").inputs.clone();
        let mut got = vec![BTreeSet::new(); N];
        let mut twice = Vec::new();
        // In rounds smaller than the instance window (1,024), which refuses
        // keys far beyond a node's progress.
        for round in 0..3u64 {
            submit(&inputs, round * 500..(round + 1) * 500).await;
            until(
                &mut rx,
                &mut got,
                &mut twice,
                "all deliver the round",
                |g| all(g, &[0, 1, 2, 3], (round + 1) * 500),
            )
            .await;
        }
        running.pop().expect("node 3").shutdown().await;
        let state = |k: usize| {
            let path = cfgs
                .get(k)
                .and_then(|c| c.state.clone())
                .expect("state path");
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
        };
        // Nodes 0–2 are still running: their logs are bounded too.
        let sizes: Vec<u64> = (0..N).map(state).collect();
        assert!(
            sizes.iter().all(|s| *s > 0 && *s < 16 * 1024),
            "durable state sizes after 1,500 broadcasts: {sizes:?} bytes"
        );
        let again = cfgs.get(3).expect("node 3").clone();
        running.push(watch(3, node(again).await, tx.clone()));
        submit(&inputs, 1500..1600).await;
        until(&mut rx, &mut got, &mut twice, "all deliver 1,600", |g| {
            all(g, &[0, 1, 2, 3], 1600)
        })
        .await;
        assert!(twice.is_empty(), "delivered twice: {twice:?}");
        for r in running {
            r.shutdown().await;
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
