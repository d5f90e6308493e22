//! Multi-Paxos with leader change (`spec/examples/multi_paxos.rio`) over
//! real TCP: three generated nodes in one process, each with its own
//! Noise-authenticated listener on loopback. Node 0, the leader of every
//! chunk's ballot 0, is never started, so each chunk's ballot 1 (led by
//! node 1, 300 ms after its first command) runs one phase 1 for the
//! chunk's 8 slots and fills them with node 1's commands. The faults are
//! otherwise the simulator's job (`multi_paxos.rs`).

use rio_examples::bench::loopback_cluster;
use rio_examples::generated::paxos::ballots::multi::multi_paxos::{Input, Node, Output, Params};
use rio_net::start;
use rio_runtime::NodeId;
use std::collections::BTreeMap;
use std::time::Duration;

#[test]
fn two_nodes_fill_two_chunks_past_a_dead_leader_over_tcp() {
    let rt = rio_examples::bench::runtime();
    rt.block_on(async {
        let (n, chunks) = (3usize, 2u64);
        let mut handles = Vec::new();
        // Node 0 never runs.
        for (k, cfg) in loopback_cluster(n, None).into_iter().enumerate().skip(1) {
            let node = Node::new(NodeId(k as u32), Params { n, f: 1 }).expect("params");
            handles.push((k as u64, start(cfg, node).await.expect("start")));
        }
        for (k, h) in &handles {
            for c in 0..chunks {
                for s in 0..8 {
                    h.inputs
                        .send(Input::Command {
                            key: [c, s],
                            value: 1000 * (8 * c + s) + k,
                        })
                        .await
                        .expect("input");
                }
            }
        }
        // A generous deadline on a busy machine; the condition is every
        // slot at every live node.
        for (_, h) in &mut handles {
            let mut log = BTreeMap::new();
            while log.len() < (8 * chunks) as usize {
                let o = tokio::time::timeout(Duration::from_secs(120), h.outputs.recv())
                    .await
                    .expect("every slot filled within the deadline")
                    .expect("the node is running");
                let Output::Entry { key, value } = o;
                assert!(log.insert(key, value).is_none(), "slot {key:?} twice");
            }
            // Nothing was accepted in ballot 0: ballot 1's leader, node 1,
            // proposes its own command in every slot.
            for ([c, s], value) in log {
                assert_eq!(value, 1000 * (8 * c + s) + 1, "chunk {c} slot {s}");
            }
        }
        for (_, h) in handles {
            h.shutdown().await;
        }
    });
}
