//! The slot-sequence protocol (`examples/protocols/slots.rio`): an
//! unbounded family of broadcasts with a rotating leader and a timeout.
//! Every slot decides its leader's value; a crashed leader's slots are
//! skipped by the timeout; node memory stays flat over 100,000 slots.

use rio_examples::generated::slots::slots::{Input, Node, Output, Params};
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

/// Node `i`'s value for slot `s`.
fn value(s: u64, i: NodeId) -> u64 {
    s * 100 + u64::from(i.0)
}

/// Runs `slots` slots: every node submits its value for slot 0, and for slot
/// `s + 1` as soon as it decided slot `s`; stops once every live node decided
/// the last slot (the protocol itself runs forever: later slots would be
/// skipped by timeouts). Calls `sample` every `every` events.
fn run(c: &mut Cluster<Node>, slots: u64, every: u64, sample: &mut dyn FnMut(&Cluster<Node>)) {
    let n = c.nodes.len();
    let live = (0..n).filter(|k| !c.is_crashed(NodeId(*k as u32))).count();
    let last = std::cell::Cell::new(0);
    let mut honest = Cluster::<Node>::honest();
    let mut react = |i: NodeId, o: &Output| match o {
        Output::Decided { key: [s], .. } if s + 1 < slots => Some(Input::Value {
            key: [s + 1],
            value: value(s + 1, i),
        }),
        Output::Decided { .. } => {
            last.set(last.get() + 1);
            None
        }
    };
    for k in 0..n {
        let i = NodeId(k as u32);
        c.input_reactive(
            i,
            Input::Value {
                key: [0],
                value: value(0, i),
            },
            &mut honest,
            &mut react,
        );
    }
    while last.get() < live {
        let events = c.run_reactive(every, &mut honest, &mut react);
        sample(c);
        assert!(events > 0, "the run stopped before slot {slots}");
    }
}

/// Every node's decision for slot `s`.
fn decisions(c: &Cluster<Node>, s: u64) -> Vec<&Output> {
    c.outputs
        .iter()
        .filter(|(_, o)| matches!(o, Output::Decided { key: [k], .. } if *k == s))
        .map(|(_, o)| o)
        .collect()
}

#[test]
fn every_slot_decides_its_leaders_value() {
    let n = 4;
    let mut c = cluster(n);
    run(&mut c, 50, 1_000, &mut |_| {});
    for s in 0..50u64 {
        let leader = NodeId((s % n as u64) as u32);
        let decided = decisions(&c, s);
        assert_eq!(
            decided.len(),
            n,
            "slot {s}: every node decides once: {decided:?}"
        );
        assert!(
            decided.iter().all(|o| **o
                == Output::Decided {
                    key: [s],
                    value: Some(value(s, leader))
                }),
            "slot {s}: {decided:?}"
        );
    }
}

#[test]
fn a_crashed_leaders_slots_are_skipped_by_the_timeout() {
    let n = 4;
    let mut c = cluster(n);
    c.crash(NodeId(1));
    run(&mut c, 20, 1_000, &mut |_| {});
    for s in 0..20u64 {
        let leader = NodeId((s % n as u64) as u32);
        let want = if leader == NodeId(1) {
            None
        } else {
            Some(value(s, leader))
        };
        let decided = decisions(&c, s);
        assert_eq!(decided.len(), n - 1, "slot {s}: every live node decides");
        assert!(
            decided.iter().all(|o| **o
                == Output::Decided {
                    key: [s],
                    value: want
                }),
            "slot {s}: {decided:?}"
        );
    }
    assert!(
        c.now >= 100 * 5,
        "the skipped slots waited for their timeouts"
    );
}

#[test]
fn node_memory_stays_flat_over_100k_slots() {
    let n = 4;
    let slots = 100_000;
    let mut c = cluster(n);
    c.keep_outputs = false;
    let mut samples = Vec::new();
    run(&mut c, slots, 100_000, &mut |c| {
        samples.push(c.nodes.iter().map(Node::retained).max().unwrap_or(0));
    });
    let decided_last = c.nodes.iter().all(|node| node.retained() <= 2);
    assert!(samples.len() >= 10, "sampled {} times", samples.len());
    let max = samples.iter().copied().max().unwrap_or(0);
    assert!(max <= 4, "retained instances grew to {max}: {samples:?}");
    assert!(decided_last, "instances left behind at the end");
    assert!(
        c.delivered >= slots * (n as u64 + (n * n) as u64),
        "all slots ran: {} deliveries",
        c.delivered
    );
}

/// Regression (start semantics): with no input at all and the first
/// leader dead from the start, the timers started by the start event
/// (`start[0][i]` is a constant) still fire, and every live node decides
/// to skip slot 0.
#[test]
fn a_dead_first_leader_is_skipped_without_any_event() {
    let mut c = cluster(4);
    c.crash(NodeId(0));
    let mut honest = Cluster::<Node>::honest();
    c.run(10_000, &mut honest);
    let skipped: Vec<NodeId> = c
        .outputs
        .iter()
        .filter(|(_, o)| {
            *o == Output::Decided {
                key: [0],
                value: None,
            }
        })
        .map(|(i, _)| *i)
        .collect();
    let mut sorted = skipped.clone();
    sorted.sort();
    assert_eq!(sorted, [NodeId(1), NodeId(2), NodeId(3)], "{:?}", c.outputs);
}

/// Regression (overflow on peer-controlled keys): a vote for slot
/// `u64::MAX` cannot make `start[s + 1]` overflow (window opened all the
/// way); with the default window it is refused as evidence.
#[test]
fn a_vote_for_the_last_slot_does_not_overflow() {
    use rio_examples::generated::slots::slots::Message;
    use rio_runtime::{Effects, Node as _};
    let flood = |mut node: Node| {
        let mut fx: Effects<Message, Output> = Effects::default();
        node.on_start(&mut fx);
        for from in 0..4u32 {
            node.on_message(
                NodeId(from),
                Message::Vote {
                    key: [u64::MAX],
                    value: Some(9),
                },
                &mut fx,
            );
            node.on_message(
                NodeId(from),
                Message::Proposal {
                    key: [u64::MAX],
                    value: 9,
                },
                &mut fx,
            );
        }
        (node, fx)
    };
    let params = Params { n: 4, f: 1 };
    let (_, fx) = flood(
        Node::new(NodeId(1), params.clone())
            .expect("params")
            .with_window(u64::MAX),
    );
    assert!(fx.outputs.contains(&Output::Decided {
        key: [u64::MAX],
        value: Some(9)
    }));
    let (node, fx) = flood(Node::new(NodeId(1), params).expect("params"));
    assert!(fx.outputs.is_empty());
    assert_eq!(fx.evidence.len(), 8);
    assert_eq!(
        node.live_instances(),
        1,
        "only slot 0, opened by the start event"
    );
}

/// Issue "one insider stalls the cluster": a Byzantine peer sends votes
/// for 20,000 far-future slots to every node. They are refused as evidence
/// (the window), so memory stays bounded and the cluster keeps deciding,
/// with per-message work independent of what the attacker sent.
#[test]
fn far_future_keys_are_refused_and_the_cluster_keeps_deciding() {
    use rio_examples::generated::slots::slots::Message;
    use rio_runtime::{Effects, Node as _};
    let mut c = cluster(4);
    let mut fx: Effects<Message, Output> = Effects::default();
    for node in &mut c.nodes {
        for s in 0..20_000u64 {
            node.on_message(
                NodeId(3),
                Message::Vote {
                    key: [10_000 + s * 7],
                    value: Some(666),
                },
                &mut fx,
            );
        }
        assert!(node.retained() <= 1, "retained {}", node.retained());
    }
    assert_eq!(fx.evidence.len(), 4 * 20_000);
    assert!(fx.sends.is_empty() && fx.outputs.is_empty());
    let mut max_retained = 0;
    run(&mut c, 200, 1_000, &mut |c| {
        max_retained = max_retained.max(c.nodes.iter().map(Node::retained).max().unwrap_or(0));
    });
    let decided = c
        .outputs
        .iter()
        .filter(|(_, o)| matches!(o, Output::Decided { key: [199], .. }))
        .count();
    assert_eq!(decided, 4, "every node decided the last slot");
    assert!(max_retained <= 8, "retained {max_retained}");
}
