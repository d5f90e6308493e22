//! Ben-Or's randomized binary consensus (`spec/examples/ben_or.rio`), whose
//! coins the simulator seeds and the model checker branches on:
//! - agreement, validity and termination over seeded runs with a crash at a
//!   random time and random inputs (the 10,000-seed sweep:
//!   `cargo run --release -p rio-examples --bin rio-sweep -- --protocol ben-or`,
//!   with `--loss 0.1` for the lossy one);
//! - agreement and validity (not termination, which needs reliable links)
//!   under loss and partitions;
//! - two rounds checked exhaustively, every coin both ways, with one crash;
//!   the seeded bug (deciding on one proposal) found, with its coins in the
//!   trace, and replayed in the simulator.

use rio_check::{Model, Verdict};
use rio_examples::generated::ben_or::{ben_or, rounds};
use rio_runtime::NodeId;
use rio_sim::{Config, Sim, View};

/// Crashes in the exhaustive check (`RIO_BENOR_CRASHES`, default 0: with
/// one crash the two rounds take 999,082 states, 108 s in a debug build).
fn crashes() -> usize {
    std::env::var("RIO_BENOR_CRASHES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Seeds in `cargo test` (the sweep tool runs 10,000).
const SEEDS: u64 = 2_000;

/// The run of one seed: n = 4, f = 1, random inputs, node `seed % 4`
/// crashing at a random time (or never, one seed in 5), optionally lossy.
fn run(seed: u64, loss: f64) -> rio_sim::Report {
    rio_examples::scenarios::ben_or(seed, loss)
}

#[test]
fn agreement_validity_and_termination_under_crashes() {
    let mut rounds_seen = std::collections::BTreeMap::<u64, u64>::new();
    for seed in 0..SEEDS {
        let report = run(seed, 0.0);
        report.assert_ok();
        let last = report
            .trace
            .iter()
            .filter_map(|e| match &e.kind {
                rio_sim::Kind::Output { output, .. } if output.contains("Some") => output
                    .split("key: [")
                    .nth(1)?
                    .split(']')
                    .next()?
                    .parse()
                    .ok(),
                _ => None,
            })
            .max()
            .unwrap_or(0u64);
        *rounds_seen.entry(last).or_default() += 1;
    }
    eprintln!("Ben-Or, {SEEDS} seeds: runs by the last round that decided: {rounds_seen:?}");
    // The coins matter: some runs need more than the first round.
    assert!(rounds_seen.keys().any(|r| *r > 0), "{rounds_seen:?}");
}

#[test]
fn safety_holds_under_loss_and_partitions() {
    for seed in 0..SEEDS / 4 {
        let report = run(seed, 0.1);
        // Loss may stall the rounds (Ben-Or needs reliable links for
        // termination): only the safety properties must hold.
        if let Some(v) = &report.violation {
            assert_eq!(v.property, "termination", "seed {seed}: {v:?}");
        }
    }
}

#[test]
fn the_same_seed_flips_the_same_coins() {
    let a = run(42, 0.0);
    let b = run(42, 0.0);
    assert_eq!(a.trace_jsonl(), b.trace_jsonl());
    let flips = a
        .trace
        .iter()
        .filter(|e| matches!(e.kind, rio_sim::Kind::Coin { .. }))
        .count();
    assert!(flips > 0, "the run flips coins");
    // Another seed, other coins (over a few seeds, some differ).
    let coins = |r: &rio_sim::Report| -> Vec<bool> {
        r.trace
            .iter()
            .filter_map(|e| match e.kind {
                rio_sim::Kind::Coin { value, .. } => Some(value),
                _ => None,
            })
            .collect()
    };
    assert!((0..20).any(|s| coins(&run(s, 0.0)) != coins(&a)));
}

/// Agreement for the checker: no two correct nodes decide differently
/// (`decided` reads an output's decision).
fn agree<O>(v: &rio_check::View<'_, O>, decided: fn(&O) -> Option<bool>) -> Result<(), String> {
    let mut seen = None;
    for (id, o) in v.correct_outputs() {
        let Some(d) = decided(o) else { continue };
        match seen {
            Some((who, x)) if x != d => {
                return Err(format!("node {who} decided {x}, node {} decided {d}", id.0))
            }
            _ => seen = Some((id.0, d)),
        }
    }
    Ok(())
}

fn agreement(v: &rio_check::View<'_, rounds::ben_or_rounds::Output>) -> Result<(), String> {
    agree(v, |o| match o {
        rounds::ben_or_rounds::Output::Decision { value, .. } => *value,
    })
}

fn agreement_eager(v: &rio_check::View<'_, rounds::ben_or_eager::Output>) -> Result<(), String> {
    agree(v, |o| match o {
        rounds::ben_or_eager::Output::Decision { value, .. } => *value,
    })
}

/// Exhaustive verification of two rounds at n = 3. With the sound search
/// (the "lowest node only" reduction was retired as unsound, see
/// docs/checker.md) it does not finish in the 10-minute bound of a debug
/// build, so it is not part of the suite:
/// `cargo test --release -p rio-examples --test ben_or -- --ignored`.
#[test]
#[ignore]
fn two_rounds_verify_exhaustively_with_every_coin() {
    use rounds::ben_or_rounds as correct;
    let inputs = [true, false, false];
    let mut m = Model::new(3, |id| {
        correct::Node::new(id, correct::Params { n: 3, f: 1 }).expect("params")
    })
    .crashes(crashes())
    .safety("agreement", agreement);
    for (k, v) in inputs.iter().enumerate() {
        m = m.input(NodeId(k as u32), correct::Input::Input(*v));
    }
    let out = m.check();
    eprintln!("Ben-Or, 2 rounds, n = 3, {} crashes: {out}", crashes());
    assert!(out.is_verified(), "{out}");
    assert!(out.states > 1_000, "{out}");
}

#[test]
fn the_eager_bug_is_found_with_its_coins_and_replays() {
    use rounds::ben_or_eager as eager;
    let inputs = [true, false, false];
    let mut m = Model::new(3, |id| {
        eager::Node::new(id, eager::Params { n: 3, f: 1 }).expect("params")
    })
    .crashes(crashes())
    // Deep: depth-first reaches it far sooner than breadth-first (1.6
    // million states, 7 minutes in a debug build).
    .search(rio_check::Search::Dfs)
    .safety("agreement", agreement_eager);
    for (k, v) in inputs.iter().enumerate() {
        m = m.input(NodeId(k as u32), eager::Input::Input(*v));
    }
    let out = m.check();
    eprintln!("Ben-Or deciding on one proposal: {out}");
    let Verdict::Violation { trace, .. } = &out.verdict else {
        panic!("the eager decision is not found: {out}");
    };
    let coins = trace
        .iter()
        .filter(|e| matches!(e.kind, rio_sim::Kind::Coin { .. }))
        .count();
    assert!(coins > 0, "the counterexample needs a coin");
    // The simulator follows it, coins included, to the same violation.
    let mut sim = Sim::new(3, Config::new(0).replay(trace.clone()), |id| {
        eager::Node::new(id, eager::Params { n: 3, f: 1 }).expect("params")
    });
    for (k, v) in inputs.iter().enumerate() {
        sim.input_at(0, NodeId(k as u32), eager::Input::Input(*v));
    }
    sim.safety("agreement", |v: &View<'_, eager::Node>| {
        let decided: std::collections::BTreeSet<bool> = v
            .correct_outputs()
            .filter_map(|(_, o)| match o {
                eager::Output::Decision { value, .. } => *value,
            })
            .collect();
        if decided.len() > 1 {
            Err(format!("decided {decided:?}"))
        } else {
            Ok(())
        }
    });
    let report = sim.run();
    assert_eq!(report.diverged, None);
    assert_eq!(
        report.violation.map(|v| v.property),
        Some("agreement".to_string())
    );
    let _ = ben_or::Params { n: 4, f: 1 };
}
