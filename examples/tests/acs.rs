//! HoneyBadgerBFT's asynchronous common subset (`spec/examples/acs.rio`):
//! n reliable broadcasts and n Byzantine Ben-Or agreements, component
//! instances inside a loop over proposers. In the simulator at n = 6,
//! f = 1, with one node equivocating, splitting, sending random or replayed
//! messages, silent, or crashing: agreement and validity after every step,
//! termination at the end (`rio_examples::scenarios::acs`). The 10,000-seed
//! sweep: `cargo run --release -p rio-examples --bin rio-sweep -- --protocol acs`.

/// Seeds in `cargo test` (the sweep tool runs 10,000).
const SEEDS: u64 = 300;

#[test]
fn agreement_validity_and_termination_under_each_fault() {
    let mut sizes = std::collections::BTreeMap::<usize, u64>::new();
    for seed in 0..SEEDS {
        let report = rio_examples::scenarios::acs(seed);
        report.assert_ok();
        let size = report
            .trace
            .iter()
            .filter_map(|e| match &e.kind {
                // `Common([(0, 100), (1, 101), ..])`: one `(` per entry.
                rio_sim::Kind::Output { output, .. } => {
                    Some(output.matches('(').count().saturating_sub(1))
                }
                _ => None,
            })
            .max()
            .unwrap_or(0);
        *sizes.entry(size).or_default() += 1;
    }
    eprintln!("ACS, {SEEDS} seeds: runs by subset size: {sizes:?}");
    // Both ways into the subset happen: every proposer (its broadcast
    // delivered everywhere in time), and n - f (a silent or crashed
    // proposer voted out once n - f agreements decided 1).
    assert!(
        sizes.contains_key(&6) && sizes.contains_key(&5),
        "{sizes:?}"
    );
    assert!(sizes.keys().all(|k| *k >= 5), "{sizes:?}");
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let a = rio_examples::scenarios::acs(7);
    let b = rio_examples::scenarios::acs(7);
    assert_eq!(a.trace_jsonl(), b.trace_jsonl());
}
