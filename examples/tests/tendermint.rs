//! The Tendermint structure of the language reference, compiled and run:
//! in the good case every node decides the first leader's block at height 0.

use rio_examples::generated::tendermint::tendermint::{Input, Node, Output, Params};
use rio_runtime::driver::Cluster;
use rio_runtime::NodeId;

fn cluster(n: usize) -> Cluster<Node> {
    let params = Params { n, f: (n - 1) / 3 };
    Cluster::new(
        (0..n)
            .map(|k| Node::new(NodeId(k as u32), params.clone()).expect("params"))
            .collect(),
    )
}

#[test]
fn good_case_decides_the_first_leaders_block() {
    let n = 4;
    let mut c = cluster(n);
    let mut honest = Cluster::<Node>::honest();
    for k in 0..n {
        c.input(
            NodeId(k as u32),
            Input::Block {
                key: [0],
                value: 100 + k as u64,
            },
            &mut honest,
        );
    }
    // Rounds go on by timeouts forever; a bounded run covers the decision.
    c.run(2_000, &mut honest);
    let decisions: Vec<&(NodeId, Output)> = c
        .outputs
        .iter()
        .filter(|(_, o)| matches!(o, Output::Decide { .. }))
        .collect();
    assert_eq!(decisions.len(), n, "{decisions:?}");
    assert!(
        decisions.iter().all(|(_, o)| *o
            == Output::Decide {
                key: [0],
                value: 100
            }),
        "{decisions:?}"
    );
}

/// Regression (timer keys): timeouts at height ≥ 1 reach their own
/// instance. The leader of round 0 at height 1 (`leader(1 + 0)`, node 1) is
/// crashed from the start, so height 1 decides only through the round-0
/// timeouts moving everybody to round 1, whose leader (node 2) proposes.
#[test]
fn timeouts_at_later_heights_reach_their_instance() {
    let n = 4;
    let mut c = cluster(n);
    c.crash(NodeId(1));
    let mut honest = Cluster::<Node>::honest();
    for h in 0..3u64 {
        for k in 0..n {
            c.input(
                NodeId(k as u32),
                Input::Block {
                    key: [h],
                    value: 100 * (h + 1) + k as u64,
                },
                &mut honest,
            );
        }
    }
    c.run(20_000, &mut honest);
    for h in 0..3u64 {
        let decided: Vec<(NodeId, u64)> = c
            .outputs
            .iter()
            .filter_map(|(id, o)| match o {
                Output::Decide { key, value } if key[0] == h => Some((*id, *value)),
                _ => None,
            })
            .collect();
        assert_eq!(
            decided.len(),
            3,
            "height {h}: the three correct nodes decide: {decided:?}"
        );
        let first = decided.first().map(|d| d.1);
        assert!(
            decided.iter().all(|d| Some(d.1) == first),
            "agreement at height {h}: {decided:?}"
        );
    }
    // Height 1's round-0 leader is down: its decision comes from round 1.
    assert!(
        c.outputs.iter().any(|(_, o)| *o
            == Output::Decide {
                key: [1],
                value: 202
            }),
        "{:?}",
        c.outputs
    );
    assert!(c.fired > 0, "timeouts fired");
}

/// Regression (overflow on peer-controlled keys): a key near `u64::MAX` in
/// a message makes no node panic (`leader(h + r)` and `r + 1` are computed
/// exactly and range-checked), with the instance window opened all the way;
/// with the default window such keys are refused as evidence.
#[test]
fn extreme_keys_from_a_peer_do_not_panic() {
    use rio_examples::generated::tendermint::tendermint::Message;
    use rio_runtime::{Effects, Node as _};
    let keys = [
        [u64::MAX, u64::MAX],
        [u64::MAX, 0],
        [0, u64::MAX],
        [u64::MAX - 1, 3],
    ];
    let flood = |node: &mut Node, fx: &mut Effects<Message, Output>| {
        node.on_start(fx);
        for key in keys {
            for from in 0..4u32 {
                node.on_message(NodeId(from), Message::Proposal { key, value: 7 }, fx);
                node.on_message(
                    NodeId(from),
                    Message::Prevote {
                        key,
                        value: Some(7),
                    },
                    fx,
                );
                node.on_message(
                    NodeId(from),
                    Message::Precommit {
                        key,
                        value: Some(7),
                    },
                    fx,
                );
            }
        }
    };
    let params = Params { n: 4, f: 1 };
    // Unbounded window: every key is processed, none overflows; exactly one
    // of the four senders is each key's leader, the others' proposals are
    // evidence.
    let mut node = Node::new(NodeId(0), params.clone())
        .expect("params")
        .with_window(u64::MAX);
    let mut fx: Effects<Message, Output> = Effects::default();
    flood(&mut node, &mut fx);
    let proposals = fx.evidence.iter().filter(|e| e.line == "proposal").count();
    assert_eq!(proposals, 4 * 3, "{:?}", fx.evidence);
    // Default window: every one of these keys is refused as evidence and
    // opens nothing.
    let mut node = Node::new(NodeId(0), params).expect("params");
    let mut fx: Effects<Message, Output> = Effects::default();
    flood(&mut node, &mut fx);
    assert_eq!(fx.evidence.len(), 4 * 4 * 3);
    assert_eq!(node.live_instances(), 0);
}
