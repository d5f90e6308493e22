//! PBFT with view change (`spec/examples/pbft.rio`) over real TCP: four
//! generated nodes in one process, each with its own Noise-authenticated
//! listener on loopback. The primary of view 0 (node 0) is never started,
//! so the three others time out of view 0 (after 2 s), reliably broadcast
//! their view-change reports and decide in view 1, on node 1's request.
//! The faults are otherwise the simulator's job (`pbft.rs`).

use rio_examples::bench::loopback_cluster;
use rio_examples::generated::pbft::pbft::{Input, Node, Output, Params};
use rio_net::start;
use rio_runtime::NodeId;
use std::time::Duration;

#[test]
fn three_nodes_change_view_past_a_dead_primary_over_tcp() {
    let rt = rio_examples::bench::runtime();
    rt.block_on(async {
        let n = 4usize;
        let mut handles = Vec::new();
        // Node 0, the primary of view 0, never runs.
        for (k, cfg) in loopback_cluster(n, None).into_iter().enumerate().skip(1) {
            let node = Node::new(NodeId(k as u32), Params { n, f: 1 }).expect("params");
            handles.push(start(cfg, node).await.expect("start"));
        }
        for (k, h) in handles.iter().enumerate() {
            h.inputs
                .send(Input::Request(10 + k as u64 + 1))
                .await
                .expect("input");
        }
        // A generous deadline on a busy machine; the condition is every
        // live node's decision.
        for h in &mut handles {
            let o = tokio::time::timeout(Duration::from_secs(120), h.outputs.recv())
                .await
                .expect("a node decided within the deadline")
                .expect("the node is running");
            // View 1 is led by node 1, which proposes its own request: no
            // value was prepared in view 0.
            assert_eq!(
                o,
                Output::Decided {
                    key: [1],
                    value: 11
                }
            );
        }
        for h in handles {
            h.shutdown().await;
        }
    });
}
