//! Dolev–Strong authenticated broadcast (`spec/examples/dolev_strong.rio`)
//! in the simulator with symbolic signatures: f + 1 synchronous rounds of
//! 100 ms (latencies stay below 50 ms: the synchronous model), tolerating
//! any f < n.
//!
//! n = 4 and f = 2: two Byzantine nodes, beyond what the quorum protocols
//! tolerate. Over 10,000 seeds the two are chosen by the seed (the sender
//! among them in half the runs) and behave as the seed says (split,
//! equivocating, random, replaying: they sign only as themselves and replay
//! what they saw). Agreement: every correct node outputs the same (a value,
//! or nothing when the sender lied); validity: with a correct sender, its
//! value; termination: every correct node outputs after round f.

use rio_examples::generated::dolev_strong::dolev_strong::{Input, Node, Output, Params};
use rio_examples::properties::agreement;
use rio_runtime::NodeId;
use rio_sim::sweep::sweep;
use rio_sim::{Byzantine, Config, Fault, Sim, View};

const N: usize = 4;
const F: usize = 2;

fn behaviour(x: u64) -> Byzantine {
    match x % 4 {
        0 if (x / 4).is_multiple_of(2) => Byzantine::Split,
        0 => Byzantine::TwoFaced,
        1 => Byzantine::Equivocate,
        2 => Byzantine::Random { every: 13 },
        _ => Byzantine::Replay { every: 9 },
    }
}

/// Who is Byzantine in a seed: the sender (node 0) and another in half the
/// runs, two others in the rest.
fn byzantine(seed: u64) -> [u32; 2] {
    let other = 1 + (seed / 2 % 3) as u32;
    if seed.is_multiple_of(2) {
        [0, other]
    } else {
        [other, 1 + (other % 3)]
    }
}

/// The four nodes; the sender (node 0) inputs `value`, the others nothing.
fn cluster(cfg: Config, value: u64) -> Sim<Node> {
    let mut s = Sim::new(N, cfg, |id| {
        Node::new(
            id,
            Params {
                n: N,
                f: F,
                sender: NodeId(0),
            },
        )
        .expect("params")
    });
    for i in 0..N as u32 {
        s.input_at(0, NodeId(i), Input::V((i == 0).then_some(value)));
    }
    s
}

fn sim(seed: u64, value: u64) -> Sim<Node> {
    let mut cfg = Config::new(seed)
        .no_trace()
        .latency(1, 1 + seed % 49)
        .duplicate(0.05)
        .max_time(400);
    let byz = byzantine(seed);
    for (k, b) in byz.iter().enumerate() {
        cfg = cfg.fault(NodeId(*b), Fault::Byzantine(behaviour(seed / 7 + k as u64)));
    }
    let mut s = cluster(cfg, value);
    s.safety("agreement", agreement);
    let correct_sender = !byz.contains(&0);
    s.eventually("termination and validity", move |v: &View<'_, Node>| {
        let correct = v.correct_nodes().count();
        let outs: Vec<&Output> = v.correct_outputs().map(|(_, o)| o).collect();
        if outs.len() != correct {
            return Err(format!("{} of {correct} correct nodes output", outs.len()));
        }
        if correct_sender && outs.iter().any(|o| **o != Output::Result(Some(value))) {
            return Err(format!(
                "the correct sender's {value} was not output: {outs:?}"
            ));
        }
        Ok(())
    });
    s
}

#[test]
fn the_good_case_outputs_the_senders_value_after_f_plus_1_rounds() {
    let mut s = cluster(Config::new(1).latency(1, 10), 7);
    s.run().assert_ok();
    let outs = s.outputs();
    assert_eq!(outs.len(), N);
    for (t, _, o) in outs {
        assert_eq!(*o, Output::Result(Some(7)));
        // At the end of round f (rounds of 100 ms).
        assert_eq!(*t, 100 * (F as u64 + 1));
    }
}

#[test]
fn two_byzantine_nodes_of_four_never_split_the_correct_ones_over_10_000_seeds() {
    let summary = sweep(0..10_000, |seed| sim(seed, 5 + seed % 3).run());
    eprintln!("Dolev–Strong, n = 4, f = 2: {summary}");
    assert_eq!(summary.runs, 10_000);
    assert!(summary.violations.is_empty(), "{summary}");
}
