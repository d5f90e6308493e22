//! Multi-Paxos with leader change (`spec/examples/multi_paxos.rio`): one
//! phase 1 per ballot covers a chunk of 8 slots. Crashed nodes and leaders,
//! slow links that make the ballots overlap, and loss.

use rio_examples::generated::paxos::ballots::multi;
use rio_examples::scenarios::{multi_paxos, multi_paxos_with};

#[test]
fn every_slot_of_every_chunk_is_chosen_once() {
    for seed in 0..200 {
        multi_paxos(seed, 3, 0.0).assert_ok();
    }
}

#[test]
fn lost_messages_never_split_a_slot() {
    for seed in 0..100 {
        multi_paxos(seed, 2, 0.2).assert_ok();
    }
}

/// A promise that forgets what was accepted in every slot but the first
/// lets the next ballot's leader propose its own command over a chosen one:
/// the simulator catches it within the test's seeds.
#[test]
fn a_promise_that_forgets_slots_is_caught() {
    let caught = (0..200)
        .filter(|&seed| {
            use multi::forgetful::multi_paxos::{Input, Node, Output, Params};
            let r = multi_paxos_with(
                seed,
                3,
                0.0,
                |id, n, f| Node::new(id, Params { n, f }).expect("valid parameters"),
                |key, value| Input::Command { key, value },
                |o| match o {
                    Output::Entry { key, value } => (*key, *value),
                },
            );
            r.violation.is_some_and(|v| v.property == "agreement")
        })
        .count();
    eprintln!("forgetful promises: {caught} of 200 seeds violate agreement");
    assert!(caught > 0, "no agreement violation in 200 seeds");
}

/// The point of Multi-Paxos: a ballot's phase 1 covers a whole chunk. Over
/// runs where nothing crashes and links are fast (one ballot per chunk),
/// every acceptor sends one promise per chunk, not one per slot, while
/// every slot gets its own accept round.
#[test]
fn one_promise_per_acceptor_covers_a_chunk() {
    use rio_runtime::trace::Kind;
    let chunks = 4;
    // Seeds whose runs have no crash and fast links (see `log_faults`).
    let mut checked = 0;
    for seed in (0..60).filter(|s| s % 3 != 0) {
        let r = multi_paxos(seed, chunks, 0.0);
        r.assert_ok();
        let crashed = r.trace.iter().any(|e| matches!(e.kind, Kind::Fault { .. }));
        if crashed {
            continue;
        }
        let count = |line: &str| {
            r.trace
                .iter()
                .filter(
                    |e| matches!(&e.kind, Kind::Deliver { slot: Some(s), .. } if s.line == line),
                )
                .count()
        };
        let n = r.nodes;
        // Ballot 1 may start (300 ms) before a chunk of ballot 0 is done
        // only on slow links; here every chunk is one ballot.
        assert_eq!(count("chunk.promises"), n * chunks as usize, "seed {seed}");
        assert_eq!(
            count("chunk.propose"),
            8 * n * chunks as usize,
            "seed {seed}"
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} runs without crashes");
}

/// Acceptors need no commands of their own: only the leader of ballot 0
/// gets them, and the others' slot state opens when they first hear a
/// prepare of the chunk (`heard[i]`). Before, an acceptor without a
/// command for a slot never had that slot's state, so it never promised
/// and nothing was decided.
#[test]
fn acceptors_without_commands_still_promise() {
    use multi::multi_paxos::{Input, Node, Output, Params};
    let mut sim = rio_sim::Sim::new(3, rio_sim::Config::new(3).latency(1, 20), |id| {
        Node::new(id, Params { n: 3, f: 1 }).expect("params")
    });
    for s in 0..8 {
        sim.input_at(
            s,
            rio_runtime::NodeId(0),
            Input::Command {
                key: [0, s],
                value: 100 + s,
            },
        );
    }
    let report = sim.run();
    report.assert_ok();
    let mut entries = std::collections::BTreeSet::new();
    for e in &report.trace {
        if let rio_sim::Kind::Output { node, output, .. } = &e.kind {
            entries.insert((*node, output.clone()));
        }
    }
    assert_eq!(
        entries.len(),
        3 * 8,
        "every node logs every slot: {entries:?}"
    );
    for (_, o) in &entries {
        assert!(
            (0..8).any(|s| *o
                == format!(
                    "{:?}",
                    Output::Entry {
                        key: [0, s],
                        value: 100 + s
                    }
                )),
            "{o}"
        );
    }
}
