//! PBFT with view change, single-shot, without signatures
//! (`spec/examples/pbft.rio`). In the simulator at n = 4, f = 1 and n = 7,
//! f = 2, with up to f faulty nodes (the view-0 primary among them in half
//! the seeds) equivocating, splitting, two-faced, sending random or
//! replayed messages, silent or crashed, and slow links in a quarter of the seeds: agreement
//! and validity after every step, termination at the end
//! (`rio_examples::scenarios::pbft`). The 10,000-seed sweep:
//! `cargo run --release -p rio-examples --bin rio-sweep -- --protocol pbft`.

use rio_examples::generated::pbft::pbft::Output;

/// Seeds in `cargo test` (the sweep tool runs 10,000).
const SEEDS: u64 = 200;

/// The view each run's first decision came in, by seed.
fn first_view(report: &rio_sim::Report) -> Option<u64> {
    report.trace.iter().find_map(|e| match &e.kind {
        rio_sim::Kind::Output { output, .. } => output
            .strip_prefix("Decided { key: [")
            .and_then(|s| s.split(']').next())
            .and_then(|s| s.parse().ok()),
        _ => None,
    })
}

#[test]
fn agreement_validity_and_termination_under_each_fault() {
    let mut views = std::collections::BTreeMap::<Option<u64>, u64>::new();
    for seed in 0..SEEDS {
        let report = rio_examples::scenarios::pbft(seed, 0.0);
        report.assert_ok();
        *views.entry(first_view(&report)).or_default() += 1;
    }
    eprintln!("PBFT, {SEEDS} seeds: runs by the view of the first decision: {views:?}");
    // The view change is exercised: decisions in view 0 and in later views.
    assert!(views.contains_key(&Some(0)), "{views:?}");
    assert!(views.contains_key(&Some(1)), "{views:?}");
}

#[test]
fn lossy_links_keep_agreement() {
    for seed in 0..100 {
        rio_examples::scenarios::pbft(seed, 0.2).assert_ok();
    }
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let a = rio_examples::scenarios::pbft(6, 0.0);
    let b = rio_examples::scenarios::pbft(6, 0.0);
    assert_eq!(a.trace_jsonl(), b.trace_jsonl());
}

#[test]
fn output_names_the_view() {
    let o = Output::Decided { key: [1], value: 2 };
    assert_eq!(format!("{o:?}"), "Decided { key: [1], value: 2 }");
}

/// The seeded bug: reports that forget what was prepared. A value decided
/// in view 0 is then overwritten by the next primary's own request.
#[test]
fn reports_that_forget_what_was_prepared_split_agreement() {
    use rio_examples::generated::pbft::forgetful::pbft::{Input, Node, Output, Params};
    let broken = (0..40)
        .filter(|&seed| {
            let report = rio_examples::scenarios::pbft_with(
                seed,
                0.0,
                rio_examples::scenarios::pbft_setup(seed),
                |id, n, f| Node::new(id, Params { n, f }).expect("valid parameters"),
                Input::Request,
                |o| match o {
                    Output::Decided { key: [view], value } => (*view, *value),
                },
            );
            report.violation.is_some_and(|v| v.property == "agreement")
        })
        .count();
    assert!(broken > 0, "the forgetful reports were never caught");
    eprintln!("forgetful reports: agreement broken in {broken} of 40 seeds");
}

/// The setup that exposes a rule that trusts claims: n = 7, f = 2, node 2
/// (the primary of view 2, in the half that gets honest messages)
/// two-faced. Its view-change report to the other half is a consistent
/// lie, echoed and readied as one value, so the reliable broadcast
/// delivers it to everyone.
fn two_faced_replica() -> rio_examples::scenarios::PbftSetup {
    rio_examples::scenarios::PbftSetup {
        n: 7,
        f: 2,
        faults: vec![(
            rio_runtime::NodeId(2),
            rio_sim::Fault::Byzantine(rio_sim::Byzantine::TwoFaced),
        )],
        slow: false,
        aim: None,
    }
}

/// Runs `seeds` seeds of `setup` (an expression, evaluated per seed) on a
/// build of the protocol; returns how many broke agreement. Any other
/// violation fails the test.
macro_rules! broken_by {
    ($m:path, $seeds:expr, $setup:expr) => {{
        use $m as g;
        (0..$seeds)
            .filter(|&seed| {
                let report = rio_examples::scenarios::pbft_with(
                    seed,
                    0.0,
                    $setup,
                    |id, n, f| g::Node::new(id, g::Params { n, f }).expect("valid parameters"),
                    g::Input::Request,
                    |o| match o {
                        g::Output::Decided { key: [view], value } => (*view, *value),
                    },
                );
                match &report.violation {
                    Some(v) if v.property == "agreement" => true,
                    Some(v) => panic!("seed {seed}: {v:?}"),
                    None => false,
                }
            })
            .count()
    }};
}

/// The seeded bug: the decision rule without condition A2. A two-faced
/// replica's false claim in a higher view is then chosen over the value
/// decided in view 0. The correct rule holds in the same runs.
#[test]
fn a_rule_that_trusts_claims_is_caught_by_a_two_faced_replica() {
    let broken = broken_by!(
        rio_examples::generated::pbft::unvouched::pbft,
        300,
        two_faced_replica()
    );
    let correct = broken_by!(
        rio_examples::generated::pbft::pbft,
        300,
        two_faced_replica()
    );
    eprintln!(
        "without condition A2: agreement broken in {broken} of 300 seeds; correct rule: {correct}"
    );
    assert!(broken > 0, "the false claims were never caught");
    assert_eq!(correct, 0);
}

/// A two-faced view-0 primary at n = 4 whose split puts replicas 1 and 2
/// on its honest side and replica 3 on the other (`TwoFacedFrom(3)`).
fn split_primary(aim: Option<(u64, u64)>, slow: bool) -> rio_examples::scenarios::PbftSetup {
    rio_examples::scenarios::PbftSetup {
        n: 4,
        f: 1,
        faults: vec![(
            rio_runtime::NodeId(0),
            rio_sim::Fault::Byzantine(rio_sim::Byzantine::TwoFacedFrom(3)),
        )],
        slow,
        aim,
    }
}

/// A measurement, not a check (`cargo test -p rio-examples --test pbft --
/// --ignored split_primary --nocapture`): the two weakened decision rules
/// that no random strategy catches (the fallback on `f + 1` reports, A1 on
/// `n - f - 1`) against a view-0 primary split where a decided-then-
/// overridden value needs it, with and without slow links and aimed
/// delays, 300 seeds each. docs/simulator.md reports the counts.
#[test]
#[ignore]
fn weakened_rules_against_a_split_primary() {
    for (aim, slow) in [
        (None, false),
        (None, true),
        (Some((30, 200)), false),
        (Some((30, 200)), true),
    ] {
        let a1 = broken_by!(
            rio_examples::generated::pbft::lax_a1::pbft,
            300,
            split_primary(aim, slow)
        );
        let null = broken_by!(
            rio_examples::generated::pbft::lax_null::pbft,
            300,
            split_primary(aim, slow)
        );
        let ok = broken_by!(
            rio_examples::generated::pbft::pbft,
            300,
            split_primary(aim, slow)
        );
        eprintln!("aimed delays {aim:?}, slow links {slow}: A1 on n - f - 1 {a1}, fallback on f + 1 {null}, correct {ok}");
    }
}
