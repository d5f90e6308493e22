//! HoneyBadgerBFT's asynchronous common subset (`spec/examples/acs.rio`)
//! over real TCP: six generated nodes in one process, each with its own
//! Noise-authenticated listener on loopback, keys of two indices (an
//! agreement's round), collections as message values. Every node outputs
//! the same subset, with every proposer's own value (no faults here: the
//! faults are the simulator's job, `acs.rs`).

use rio_examples::bench::loopback_cluster;
use rio_examples::generated::acs::acs::{Input, Node, Output, Params};
use rio_net::start;
use rio_runtime::NodeId;
use std::time::Duration;

#[test]
fn six_nodes_agree_on_a_common_subset_over_tcp() {
    let rt = rio_examples::bench::runtime();
    rt.block_on(async {
        let n = 6usize;
        let mut handles = Vec::new();
        for (k, cfg) in loopback_cluster(n, None).into_iter().enumerate() {
            let node = Node::new(NodeId(k as u32), Params { n, f: 1 }).expect("params");
            handles.push(start(cfg, node).await.expect("start"));
        }
        for (k, h) in handles.iter().enumerate() {
            h.inputs
                .send(Input::Value {
                    key: [k as u64],
                    value: 100 + k as u64,
                })
                .await
                .expect("input");
        }
        // A generous deadline on a busy machine; the condition is every
        // node's output.
        let mut outputs = Vec::new();
        for h in &mut handles {
            let o = tokio::time::timeout(Duration::from_secs(120), h.outputs.recv())
                .await
                .expect("a node output within the deadline")
                .expect("the node is running");
            outputs.push(o);
        }
        let want: Vec<(u64, u64)> = (0..n as u64).map(|j| (j, 100 + j)).collect();
        for o in &outputs {
            let Output::Common(set) = o;
            // Without faults every broadcast is delivered, but a slow one
            // may still be voted out: at least n - f proposers, each with
            // its own value, and the same set everywhere.
            assert!(set.len() >= n - 1, "{set:?}");
            assert!(set.iter().all(|e| want.contains(e)), "{set:?}");
            assert_eq!(o, &outputs[0]);
        }
        for h in handles {
            h.shutdown().await;
        }
    });
}
