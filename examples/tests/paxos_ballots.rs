//! Single-decree Paxos with f + 1 ballots and leader change
//! (`spec/examples/paxos.rio`) in the simulator: agreement and validity
//! over seeds with crashes (leaders included) and slow links that make the
//! ballots overlap, termination where the model promises it; safety under
//! loss. The 10,000-seed sweep:
//! `cargo run --release -p rio-examples --bin rio-sweep -- --protocol paxos`.

/// Seeds in `cargo test` (the sweep tool runs 10,000).
const SEEDS: u64 = 1_000;

#[test]
fn agreement_validity_and_termination_with_crashed_leaders() {
    let mut by_ballots = std::collections::BTreeMap::<String, u64>::new();
    for seed in 0..SEEDS {
        let report = rio_examples::scenarios::paxos(seed, 0.0);
        report.assert_ok();
        // Which ballots decided somewhere in this run.
        let mut ballots: Vec<String> = report
            .trace
            .iter()
            .filter_map(|e| match &e.kind {
                rio_sim::Kind::Output { output, .. } => output
                    .split("key: [")
                    .nth(1)?
                    .split(']')
                    .next()
                    .map(str::to_string),
                _ => None,
            })
            .collect();
        ballots.sort();
        ballots.dedup();
        *by_ballots.entry(ballots.join("+")).or_default() += 1;
    }
    eprintln!("Paxos, {SEEDS} seeds: runs by the ballots that decided: {by_ballots:?}");
    // Leader change happens: some runs decide in ballot 1 or later only,
    // some in two ballots (the later one re-proposing the value).
    assert!(
        by_ballots
            .keys()
            .any(|k| !k.starts_with('0') && !k.is_empty()),
        "{by_ballots:?}"
    );
    assert!(by_ballots.keys().any(|k| k.contains('+')), "{by_ballots:?}");
}

#[test]
fn safety_holds_under_loss() {
    for seed in 0..SEEDS / 2 {
        let report = rio_examples::scenarios::paxos(seed, 0.2);
        report.assert_ok();
    }
}

/// A replicated log: one Paxos instance per slot
/// (`spec/examples/paxos_log.rio`, component instances in an unbounded loop
/// over slots, keys `[s, b]` inside), 20 slots per run with crashed nodes
/// and leaders and slow links: every slot gets one value, someone's
/// command, at every correct node.
#[test]
fn a_log_of_paxos_instances_fills_every_slot() {
    for seed in 0..200 {
        rio_examples::scenarios::paxos_log(seed, 20).assert_ok();
    }
}
