//! n reliable broadcasts, one per sender, written as a component instance
//! inside a loop over senders (`protocols/all_broadcast.rio`). In the
//! simulator with one Byzantine node (every strategy the simulator has),
//! crashes, duplication, loss and a partition: for every sender, correct
//! nodes never deliver two values (agreement); a correct sender's value is
//! delivered by every correct node (validity); and if one correct node
//! delivers the faulty sender's broadcast, all do (totality).

use rio_examples::generated::all_broadcast::all_broadcast::{Input, Node, Output, Params};
use rio_runtime::NodeId;
use rio_sim::{Byzantine, Config, Fault, Sim, View};
use std::collections::BTreeMap;

type N = Node<u64>;

fn value(j: u64) -> u64 {
    100 + j
}

/// Every node broadcasts `value(j)`; agreement is checked after every step.
fn base(n: usize, cfg: Config) -> Sim<N> {
    let params = Params { n, f: (n - 1) / 3 };
    let mut s = Sim::new(n, cfg, move |id| {
        Node::new(id, params.clone()).expect("valid params")
    });
    for j in 0..n as u64 {
        let id = NodeId(u32::try_from(j).expect("small"));
        s.input_at(
            j,
            id,
            Input::Value {
                key: [j],
                value: value(j),
            },
        );
    }
    s.safety("agreement", agreement);
    s
}

/// With validity and totality at the end too.
fn sim(n: usize, cfg: Config) -> Sim<N> {
    let mut s = base(n, cfg);
    s.eventually("validity", validity);
    s.eventually("totality", totality);
    s
}

/// What each correct node delivered, per sender.
fn delivered(v: &View<'_, N>) -> BTreeMap<u64, Vec<(NodeId, u64)>> {
    let mut out: BTreeMap<u64, Vec<(NodeId, u64)>> = BTreeMap::new();
    for (id, o) in v.correct_outputs() {
        let Output::Got { key: [j], value } = o;
        out.entry(*j).or_default().push((id, *value));
    }
    out
}

fn agreement(v: &View<'_, N>) -> Result<(), String> {
    for (j, got) in delivered(v) {
        let nodes: Vec<NodeId> = got.iter().map(|(id, _)| *id).collect();
        let mut unique = nodes.clone();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() != nodes.len() {
            return Err(format!(
                "a node delivered sender {j}'s broadcast twice: {got:?}"
            ));
        }
        if got.iter().any(|(_, x)| *x != got[0].1) {
            return Err(format!("sender {j}: correct nodes delivered {got:?}"));
        }
    }
    Ok(())
}

fn validity(v: &View<'_, N>) -> Result<(), String> {
    let got = delivered(v);
    let correct: Vec<NodeId> = v.correct_nodes().collect();
    for j in &correct {
        let j = u64::from(j.0);
        let mut want: Vec<(NodeId, u64)> = correct.iter().map(|k| (*k, value(j))).collect();
        let mut have = got.get(&j).cloned().unwrap_or_default();
        want.sort_unstable();
        have.sort_unstable();
        if have != want {
            return Err(format!("correct sender {j}: delivered {have:?}"));
        }
    }
    Ok(())
}

fn totality(v: &View<'_, N>) -> Result<(), String> {
    let correct = v.correct_nodes().count();
    for (j, got) in delivered(v) {
        if got.len() != correct {
            return Err(format!(
                "sender {j}: {} of {correct} correct nodes delivered",
                got.len()
            ));
        }
    }
    Ok(())
}

#[test]
fn every_sender_is_delivered_under_each_byzantine_strategy() {
    for (n, bad) in [(4, 3u32), (4, 0), (7, 5)] {
        for b in [
            Byzantine::Equivocate,
            Byzantine::Split,
            Byzantine::TwoFaced,
            Byzantine::Random { every: 3 },
            Byzantine::Replay { every: 2 },
            Byzantine::Silent,
        ] {
            let seeds = if n == 4 { 0..60 } else { 0..10 };
            for seed in seeds {
                let cfg = Config::new(seed)
                    .seed_from_env()
                    .latency(1, 40)
                    .max_time(5_000)
                    .fault(NodeId(bad), Fault::Byzantine(b.clone()));
                let mut s = sim(n, cfg);
                s.run().assert_ok();
            }
        }
    }
}

#[test]
fn a_crash_and_duplication_keep_every_property() {
    for seed in 0..100 {
        let cfg = Config::new(seed)
            .seed_from_env()
            .latency(1, 40)
            .duplicate(0.2)
            .fault(NodeId(seed as u32 % 4), Fault::Crash { at: seed % 30 });
        let mut s = sim(4, cfg);
        s.run().assert_ok();
    }
}

/// A partition and loss drop messages (Bracha does not retransmit), so
/// only agreement is required.
#[test]
fn a_partition_and_loss_keep_agreement() {
    for seed in 0..100 {
        let groups = vec![vec![NodeId(0), NodeId(1)], vec![NodeId(2), NodeId(3)]];
        let cfg = Config::new(seed)
            .seed_from_env()
            .latency(1, 40)
            .loss(0.1)
            .partition(0, 60, groups);
        base(4, cfg).run().assert_ok();
    }
}

/// The instance is real: a node delivers each sender's broadcast on its
/// own line family key, and a node that is not `leader(j)` ignores an input
/// for sender `j` (only node `j` may start broadcast `j`).
#[test]
fn only_the_sender_starts_its_broadcast() {
    let cfg = Config::new(1).latency(1, 10);
    let params = Params { n: 4, f: 1 };
    let mut s = Sim::new(4, cfg, move |id| {
        Node::new(id, params.clone()).expect("valid params")
    });
    // Node 2 is given sender 1's input: it must not broadcast it.
    s.input_at(0, NodeId(2), Input::Value { key: [1], value: 7 });
    s.input_at(0, NodeId(0), Input::Value { key: [0], value: 9 });
    s.run().assert_ok();
    let mut got: Vec<(u32, u64, u64)> = s
        .outputs()
        .iter()
        .map(|(_, id, o)| {
            let Output::Got { key: [j], value } = o;
            (id.0, *j, *value)
        })
        .collect();
    got.sort_unstable();
    let want: Vec<(u32, u64, u64)> = (0..4).map(|k| (k, 0, 9)).collect();
    assert_eq!(got, want);
}

/// A key outside the bounded loop over senders (`for j in 0..n`) names no
/// broadcast: a peer that sends one is reported (evidence, as for a key
/// beyond the window) and the node opens nothing for it.
#[test]
fn a_key_beyond_the_senders_is_evidence() {
    use rio_examples::generated::all_broadcast::all_broadcast::Message;
    use rio_runtime::{Effects, Node as _};
    let mut node = Node::<u64>::new(NodeId(0), Params { n: 4, f: 1 }).expect("params");
    let mut fx: Effects<Message<u64>, Output<u64>> = Effects::default();
    node.on_start(&mut fx);
    node.on_message(NodeId(1), Message::RbEcho { key: [9], value: 5 }, &mut fx);
    assert_eq!(fx.evidence.len(), 1, "{:?}", fx.evidence);
    assert_eq!(
        fx.evidence.first().map(|e| (e.peer, e.line)),
        Some((NodeId(1), "rb.echo"))
    );
    assert_eq!(node.retained(), 0);
    // The same message for sender 3 is taken.
    node.on_message(NodeId(1), Message::RbEcho { key: [3], value: 5 }, &mut fx);
    assert_eq!(fx.evidence.len(), 1);
    assert_eq!(node.retained(), 1);
}
