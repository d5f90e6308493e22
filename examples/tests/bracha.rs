//! Generated Bracha nodes (flat, and composed from consistent broadcast)
//! run to delivery in the in-memory driver for n = 4, 7, 10; a Byzantine
//! sender that equivocates cannot make correct nodes deliver different
//! values; both forms behave like the hand-written baseline.

use rio_examples::generated as gen;
use rio_runtime::driver::Cluster;
use rio_runtime::NodeId;

macro_rules! suite {
    ($m:ident) => {
        mod $m {
            use super::*;
            use rio_examples::generated::$m::{Input, Message, Node, Output, Params};

            fn cluster(n: usize) -> Cluster<Node<u64>> {
                let f = (n - 1) / 3;
                let params = Params {
                    n,
                    f,
                    sender: NodeId(0),
                };
                Cluster::new(
                    (0..n)
                        .map(|k| Node::new(NodeId(k as u32), params.clone()).expect("valid params"))
                        .collect(),
                )
            }

            #[test]
            fn all_correct_nodes_deliver_the_senders_value() {
                for n in [4, 7, 10] {
                    let mut c = cluster(n);
                    let mut honest = Cluster::<Node<u64>>::honest();
                    c.input(NodeId(0), Input::Bc(42), &mut honest);
                    c.run(u64::MAX, &mut honest);
                    assert_eq!(c.outputs.len(), n, "n = {n}");
                    assert!(c.outputs.iter().all(|(_, o)| *o == Output::Dlvr(42)));
                    assert_eq!(
                        c.delivered,
                        (n + 2 * n * n) as u64,
                        "SEND n + ECHO n^2 + READY n^2"
                    );
                }
            }

            /// Runs with a sender that tells the nodes in `told_two` the value
            /// 2 and the others 1; returns the correct nodes' outputs.
            fn equivocation(
                n: usize,
                told_two: &dyn Fn(usize) -> bool,
            ) -> Vec<(NodeId, Output<u64>)> {
                let mut c = cluster(n);
                let mut equivocate = |from: NodeId, to: NodeId, m: &Message<u64>| {
                    let v = if told_two(to.index()) { 2 } else { 1 };
                    Some(if from == NodeId(0) {
                        m.with_send_value(v)
                    } else {
                        m.clone()
                    })
                };
                c.input(NodeId(0), Input::Bc(0), &mut equivocate);
                c.run(u64::MAX, &mut equivocate);
                c.outputs.into_iter().filter(|(id, _)| id.0 != 0).collect()
            }

            #[test]
            fn equivocating_sender_cannot_split_correct_nodes() {
                for n in [4, 7, 10] {
                    // Half and half: no value gathers n - f echoes, so nobody delivers.
                    let split = equivocation(n, &|k| k % 2 == 1);
                    assert!(split.is_empty(), "n = {n}: {split:?}");
                    // One node told otherwise: every correct node delivers the majority value.
                    let skewed = equivocation(n, &|k| k == 1);
                    assert_eq!(skewed.len(), n - 1, "n = {n}: totality");
                    assert!(
                        skewed.iter().all(|(_, o)| *o == Output::Dlvr(1)),
                        "n = {n}: agreement {skewed:?}"
                    );
                }
            }

            #[test]
            fn replayed_messages_change_nothing() {
                let n = 4;
                let mut c = cluster(n);
                let mut log = Vec::new();
                let mut record = |from: NodeId, to: NodeId, m: &Message<u64>| {
                    log.push((from, to, m.clone()));
                    Some(m.clone())
                };
                c.input(NodeId(0), Input::Bc(7), &mut record);
                c.run(u64::MAX, &mut record);
                assert_eq!(c.outputs.len(), n);
                let before = c.nodes.clone();
                let mut fx = rio_runtime::Effects::default();
                for (from, to, m) in log {
                    if let Some(node) = c.nodes.get_mut(to.index()) {
                        rio_runtime::Node::on_message(node, from, m, &mut fx);
                    }
                }
                assert!(fx.is_empty(), "a replay produced effects: {fx:?}");
                assert_eq!(c.nodes, before, "a replay changed node state");
            }

            #[test]
            fn parameters_are_validated() {
                let bad = Params {
                    n: 3,
                    f: 1,
                    sender: NodeId(0),
                };
                assert!(
                    Node::<u64>::new(NodeId(0), bad).is_err(),
                    "n > 3f must hold"
                );
                let out_of_range = Params {
                    n: 4,
                    f: 1,
                    sender: NodeId(9),
                };
                assert!(Node::<u64>::new(NodeId(0), out_of_range).is_err());
            }
        }
    };
}

/// Rewrites the SEND message's value (the equivocating sender's forgery).
trait Equivocate {
    fn with_send_value(&self, v: u64) -> Self;
}

impl Equivocate for gen::bracha::Message<u64> {
    fn with_send_value(&self, v: u64) -> Self {
        match self {
            gen::bracha::Message::Send(_) => gen::bracha::Message::Send(v),
            other => other.clone(),
        }
    }
}

impl Equivocate for gen::reliable_broadcast::Message<u64> {
    fn with_send_value(&self, v: u64) -> Self {
        match self {
            gen::reliable_broadcast::Message::CbSend(_) => {
                gen::reliable_broadcast::Message::CbSend(v)
            }
            other => other.clone(),
        }
    }
}

suite!(bracha);
suite!(reliable_broadcast);
