//! Differential test of code generation: every generated node is run side
//! by side with a reference interpreter of the same IR (`support/interp.rs`:
//! slow, obviously correct) in the simulator, on the same random schedules
//! (latency, loss, duplication, crashes and restarts), and their outputs —
//! node, virtual time and value, in order — must be identical.

#[path = "support/interp.rs"]
mod interp;

use interp::{In, Interp, V};
use rio_runtime::{Node, NodeId};
use rio_sim::{Choices, Config, Fault, Kind, Report, Sim};
use std::rc::Rc;

fn config(seed: u64, n: u32) -> Config {
    let mut c = Config::new(seed)
        .latency(1, 20)
        .choices(Choices::First)
        .max_time(3_000);
    match seed % 4 {
        1 => c = c.loss(0.05),
        2 => c = c.duplicate(0.2),
        3 => {
            let node = NodeId(u32::try_from(seed).unwrap_or(0) % n);
            let at = seed % 40;
            c = if seed % 8 == 7 {
                c.fault(
                    node,
                    Fault::CrashRestart {
                        at,
                        restart: at + 30,
                    },
                )
            } else {
                c.fault(node, Fault::Crash { at })
            };
        }
        _ => {}
    }
    c
}

/// `(node, time, output)` in the order they happened.
fn outputs(r: &Report) -> Vec<(u32, u64, String)> {
    r.trace
        .iter()
        .filter_map(|e| match &e.kind {
            Kind::Output { node, output, .. } => Some((*node, e.t, output.clone())),
            _ => None,
        })
        .collect()
}

/// Runs the generated node and the interpreter on the same schedules.
fn differential<N: Node + 'static>(
    name: &str,
    n: u32,
    seeds: std::ops::Range<u64>,
    make: impl Fn(NodeId) -> N + Clone + 'static,
    inputs: &[(u64, u32, N::Input)],
    oracle: impl Fn(NodeId) -> Interp + Clone + 'static,
    oracle_inputs: &[(u64, u32, In)],
) where
    N::Message: rio_runtime::ForgeMessage,
{
    let mut nonempty = 0;
    for seed in seeds {
        let mut a = Sim::new(n as usize, config(seed, n), make.clone());
        for (t, node, i) in inputs {
            a.input_at(*t, NodeId(*node), i.clone());
        }
        let mut b = Sim::new(n as usize, config(seed, n), oracle.clone());
        for (t, node, i) in oracle_inputs {
            b.input_at(*t, NodeId(*node), i.clone());
        }
        let (ra, rb) = (a.run(), b.run());
        let (oa, ob) = (outputs(&ra), outputs(&rb));
        assert_eq!(
            oa, ob,
            "{name}, seed {seed}: generated vs reference interpreter"
        );
        nonempty += usize::from(!oa.is_empty());
    }
    assert!(nonempty > 0, "{name}: no run produced any output");
}

#[test]
fn bracha_matches_the_interpreter() {
    use rio_examples::generated::bracha as g;
    let src = include_str!("../../spec/examples/bracha.rio");
    let ir = interp::ir(src, "Bracha");
    let params = g::Params {
        n: 4,
        f: 1,
        sender: NodeId(0),
    };
    differential(
        "bracha",
        4,
        0..80,
        move |id| g::Node::<u64>::new(id, params.clone()).expect("params"),
        &[(0, 0, g::Input::Bc(42))],
        move |id| Interp::new(Rc::clone(&ir), id, &[("n", 4), ("f", 1)], &[("sender", 0)]),
        &[(0, 0, In("bc", vec![], V::U64(42)))],
    );
}

#[test]
fn composed_bracha_matches_the_interpreter() {
    use rio_examples::generated::reliable_broadcast as g;
    let src = include_str!("../../spec/examples/bracha_composed.rio");
    let ir = interp::ir(src, "ReliableBroadcast");
    let params = g::Params {
        n: 7,
        f: 2,
        sender: NodeId(3),
    };
    differential(
        "bracha_composed",
        7,
        0..40,
        move |id| g::Node::<u64>::new(id, params.clone()).expect("params"),
        &[(0, 3, g::Input::Bc(9))],
        move |id| Interp::new(Rc::clone(&ir), id, &[("n", 7), ("f", 2)], &[("sender", 3)]),
        &[(0, 3, In("bc", vec![], V::U64(9)))],
    );
}

#[test]
fn slots_match_the_interpreter() {
    use rio_examples::generated::slots::slots as g;
    let src = include_str!("../protocols/slots.rio");
    let ir = interp::ir(src, "Slots");
    let params = g::Params { n: 4, f: 1 };
    let mut gen_in = Vec::new();
    let mut ref_in = Vec::new();
    for s in 0..4u64 {
        for i in 0..4u32 {
            // Slot 2's leader gets no value: that slot is skipped by timeouts.
            if s == 2 && i == 2 {
                continue;
            }
            let v = s * 100 + u64::from(i);
            gen_in.push((s * 5, i, g::Input::Value { key: [s], value: v }));
            ref_in.push((s * 5, i, In("value", vec![s], V::U64(v))));
        }
    }
    differential(
        "slots",
        4,
        0..60,
        move |id| g::Node::new(id, params.clone()).expect("params"),
        &gen_in,
        move |id| Interp::new(Rc::clone(&ir), id, &[("n", 4), ("f", 1)], &[]),
        &ref_in,
    );
}

#[test]
fn keywords_and_long_chains_match_the_interpreter() {
    {
        use rio_examples::generated::keywords::keywords as g;
        let ir = interp::ir(include_str!("../protocols/keywords.rio"), "Keywords");
        let params = g::Params {
            n: 4,
            f: 1,
            sender: NodeId(1),
        };
        differential(
            "keywords",
            4,
            0..20,
            move |id| g::Node::new(id, params.clone()).expect("params"),
            &[(0, 1, g::Input::Type(5))],
            move |id| Interp::new(Rc::clone(&ir), id, &[("n", 4), ("f", 1)], &[("sender", 1)]),
            &[(0, 1, In("type", vec![], V::U64(5)))],
        );
    }
    {
        use rio_examples::generated::chain::chain as g;
        let ir = interp::ir(include_str!("../protocols/chain.rio"), "Chain");
        let params = g::Params { n: 3, s: NodeId(0) };
        differential(
            "chain",
            3,
            0..8,
            move |id| g::Node::new(id, params.clone()).expect("params"),
            &[
                (0, 0, g::Input::V(1)),
                (2, 0, g::Input::W { key: [0], value: 7 }),
                (4, 0, g::Input::W { key: [3], value: 9 }),
            ],
            move |id| Interp::new(Rc::clone(&ir), id, &[("n", 3)], &[("s", 0)]),
            &[
                (0, 0, In("v", vec![], V::U64(1))),
                (2, 0, In("w", vec![0], V::U64(7))),
                (4, 0, In("w", vec![3], V::U64(9))),
            ],
        );
    }
}

#[test]
fn paxos_phase_2a_over_a_collection_matches_the_interpreter() {
    use rio_examples::generated::paxos::paxos_ballot as g;
    let ir = interp::ir(
        include_str!("../../spec/examples/paxos_ballot.rio"),
        "PaxosBallot",
    );
    let params = g::Params {
        n: 5,
        f: 2,
        leader: NodeId(3),
    };
    let prior = |i: u32| match i {
        0 | 1 => Some((5, 77)),
        3 => Some((3, 11)),
        _ => None,
    };
    let v = |p: Option<(u64, u64)>| {
        V::Opt(p.map(|(b, x)| Box::new(V::Pair(Box::new(V::U64(b)), Box::new(V::U64(x))))))
    };
    let mut gen_in: Vec<(u64, u32, g::Input)> = (0..5)
        .map(|i| (u64::from(i), i, g::Input::Last(prior(i))))
        .collect();
    gen_in.push((2, 3, g::Input::Own(99)));
    let mut ref_in: Vec<(u64, u32, In)> = (0..5)
        .map(|i| (u64::from(i), i, In("last", vec![], v(prior(i)))))
        .collect();
    ref_in.push((2, 3, In("own", vec![], V::U64(99))));
    differential(
        "paxos_ballot",
        5,
        0..80,
        move |id| g::Node::new(id, params.clone()).expect("params"),
        &gen_in,
        move |id| Interp::new(Rc::clone(&ir), id, &[("n", 5), ("f", 2)], &[("leader", 3)]),
        &ref_in,
    );
}
