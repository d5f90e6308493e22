//! The simulator's adversaries compared on Bracha and on seeded bugs
//! (`protocols/bracha_bugs.rio`), 1,000 seeds each: the targeted `Split`
//! adversary (one value to each half of the nodes) and the `TwoFaced` one
//! (the same, with its lies consistent across lines: it echoes and votes
//! for the alternative it sent) against the random `Equivocate` one (a
//! fresh forged value per receiver). Prints the table that
//! `docs/simulator.md` reports.

use rio_examples::generated::bracha as correct;
use rio_examples::generated::bracha_bugs;
use rio_runtime::NodeId;
use rio_sim::sweep::sweep;
use rio_sim::{Byzantine, Config, Fault, Sim, View};

const SEEDS: u64 = 1_000;

fn agreement<O: std::fmt::Debug>(
    v: &View<'_, impl rio_runtime::Node<Output = O>>,
) -> Result<(), String> {
    let outs: std::collections::BTreeSet<String> =
        v.correct_outputs().map(|(_, o)| format!("{o:?}")).collect();
    if outs.len() <= 1 {
        Ok(())
    } else {
        Err(format!("correct nodes output {outs:?}"))
    }
}

/// Runs `SEEDS` seeds; returns (runs with a violation, runs where some
/// correct node delivered).
macro_rules! rate {
    ($m:path, $byz:expr, $strategy:expr, $validity:expr) => {
        rate!($m, $byz, $strategy, $validity, None)
    };
    // `$aim`: `Some((min, max))` for delays aimed at choice points.
    ($m:path, $byz:expr, $strategy:expr, $validity:expr, $aim:expr) => {{
        use $m as g;
        let delivered = std::sync::atomic::AtomicU64::new(0);
        let summary = sweep(0..SEEDS, |seed| {
            let params = g::Params {
                n: 4,
                f: 1,
                sender: NodeId(0),
            };
            let mut cfg = Config::new(seed)
                .no_trace()
                .latency(1, 30)
                .fault($byz, Fault::Byzantine($strategy));
            let aim: Option<(u64, u64)> = $aim;
            if let Some((lo, hi)) = aim {
                cfg = cfg.aim(lo, hi);
            }
            let mut s = Sim::new(4, cfg, move |id| {
                g::Node::<u64>::new(id, params.clone()).expect("params")
            });
            s.input_at(0, NodeId(0), g::Input::Bc(1));
            s.safety("agreement", |v| agreement(v));
            if $validity {
                s.safety("validity", |v| {
                    match v
                        .correct_outputs()
                        .find(|(_, o)| format!("{o:?}") != "Dlvr(1)")
                    {
                        Some((k, o)) => Err(format!("node {} delivered {o:?}", k.0)),
                        None => Ok(()),
                    }
                });
            }
            s.eventually("totality", |v| {
                let got = v.correct_outputs().count();
                let correct = v.correct_nodes().count();
                if got == 0 || got == correct {
                    Ok(())
                } else {
                    Err(format!("{got} of {correct} correct nodes delivered"))
                }
            });
            let r = s.run();
            if r.outputs > 0 {
                delivered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            r
        });
        (
            summary.violations.len() as u64,
            delivered.load(std::sync::atomic::Ordering::Relaxed),
        )
    }};
}

#[test]
fn split_exposes_threshold_bugs_that_random_equivocation_misses() {
    let mut table = Vec::new();
    let mut row = |name: &str, eq: (u64, u64), split: (u64, u64), twin: (u64, u64)| {
        table.push(format!(
            "| {name} | {} / {} | {} / {} | {} / {} |",
            eq.0, eq.1, split.0, split.1, twin.0, twin.1
        ));
        (eq, split, twin)
    };
    let (eq, split, twin) = row(
        "Bracha (correct), Byzantine sender",
        rate!(correct, NodeId(0), Byzantine::Equivocate, false),
        rate!(correct, NodeId(0), Byzantine::Split, false),
        rate!(correct, NodeId(0), Byzantine::TwoFaced, false),
    );
    assert_eq!(
        (eq.0, split.0, twin.0),
        (0, 0, 0),
        "the correct protocol never breaks"
    );
    assert!(
        split.1 > eq.1,
        "a split sender lets more runs deliver: {split:?} vs {eq:?}"
    );
    let (_, split_v, twin_v) = row(
        "Bracha (correct), Byzantine voter",
        rate!(correct, NodeId(3), Byzantine::Equivocate, true),
        rate!(correct, NodeId(3), Byzantine::Split, true),
        rate!(correct, NodeId(3), Byzantine::TwoFaced, true),
    );
    assert_eq!((split_v.0, twin_v.0), (0, 0));
    let (eq, split, twin) = row(
        "amplification threshold `f` (one too small), Byzantine voter",
        rate!(
            bracha_bugs::weak_too_small,
            NodeId(3),
            Byzantine::Equivocate,
            true
        ),
        rate!(
            bracha_bugs::weak_too_small,
            NodeId(3),
            Byzantine::Split,
            true
        ),
        rate!(
            bracha_bugs::weak_too_small,
            NodeId(3),
            Byzantine::TwoFaced,
            true
        ),
    );
    assert!(
        split.0 > 0 && twin.0 > 0,
        "the split voters expose the bug: {split:?}, {twin:?} (equivocate {eq:?})"
    );
    let (eq, split, twin) = row(
        "echo threshold `n - f - 1` with `?`, Byzantine sender",
        rate!(
            bracha_bugs::strong_too_small,
            NodeId(0),
            Byzantine::Equivocate,
            false
        ),
        rate!(
            bracha_bugs::strong_too_small,
            NodeId(0),
            Byzantine::Split,
            false
        ),
        rate!(
            bracha_bugs::strong_too_small,
            NodeId(0),
            Byzantine::TwoFaced,
            false
        ),
    );
    eprintln!("strong too small: equivocate {eq:?}, split {split:?}, two-faced {twin:?}");
    assert!(
        twin.0 > split.0.max(eq.0),
        "consistent lies expose the echo threshold one too small most often: {twin:?} vs {split:?}, {eq:?}"
    );
    let (eq, split, twin) = row(
        "delivery on the echo quorum, Byzantine sender",
        rate!(
            bracha_bugs::deliver_on_echo,
            NodeId(0),
            Byzantine::Equivocate,
            false
        ),
        rate!(
            bracha_bugs::deliver_on_echo,
            NodeId(0),
            Byzantine::Split,
            false
        ),
        rate!(
            bracha_bugs::deliver_on_echo,
            NodeId(0),
            Byzantine::TwoFaced,
            false
        ),
    );
    assert!(
        split.0 + eq.0 > 0,
        "delivery on echo is exposed: {eq:?} {split:?}"
    );
    assert_eq!(
        twin.0, SEEDS,
        "a two-faced sender breaks delivery on echo every time"
    );
    eprintln!(
        "| run (1,000 seeds) | `Equivocate`: violations / runs delivering | `Split`: violations / runs delivering | `TwoFaced`: violations / runs delivering |\n|---|---|---|---|\n{}",
        table.join("\n")
    );
}

/// Delays aimed at choice points (`Config::aim`): correct messages that
/// feed a live `select`, `quorum(?, ..)` or `collect` at their receiver
/// take 30–100 ms more, so the Byzantine node's messages decide those
/// choices. Compared with the same strategies without it, 1,000 seeds
/// each; prints the table that `docs/simulator.md` reports.
#[test]
fn delays_aimed_at_choice_points() {
    const AIM: Option<(u64, u64)> = Some((30, 100));
    let mut table = Vec::new();
    let mut row = |name: &str, cells: [(u64, u64); 4]| {
        let text: Vec<String> = cells.iter().map(|(v, d)| format!("{v} / {d}")).collect();
        table.push(format!("| {name} | {} |", text.join(" | ")));
        cells
    };
    let correct_sender = row(
        "Bracha (correct), Byzantine sender",
        [
            rate!(correct, NodeId(0), Byzantine::Split, false),
            rate!(correct, NodeId(0), Byzantine::Split, false, AIM),
            rate!(correct, NodeId(0), Byzantine::TwoFaced, false),
            rate!(correct, NodeId(0), Byzantine::TwoFaced, false, AIM),
        ],
    );
    let correct_voter = row(
        "Bracha (correct), Byzantine voter",
        [
            rate!(correct, NodeId(3), Byzantine::Split, true),
            rate!(correct, NodeId(3), Byzantine::Split, true, AIM),
            rate!(correct, NodeId(3), Byzantine::TwoFaced, true),
            rate!(correct, NodeId(3), Byzantine::TwoFaced, true, AIM),
        ],
    );
    for cells in [correct_sender, correct_voter] {
        assert!(
            cells.iter().all(|(v, _)| *v == 0),
            "the correct protocol never breaks: {cells:?}"
        );
    }
    let weak = row(
        "amplification threshold `f` (one too small), Byzantine voter",
        [
            rate!(
                bracha_bugs::weak_too_small,
                NodeId(3),
                Byzantine::Split,
                true
            ),
            rate!(
                bracha_bugs::weak_too_small,
                NodeId(3),
                Byzantine::Split,
                true,
                AIM
            ),
            rate!(
                bracha_bugs::weak_too_small,
                NodeId(3),
                Byzantine::TwoFaced,
                true
            ),
            rate!(
                bracha_bugs::weak_too_small,
                NodeId(3),
                Byzantine::TwoFaced,
                true,
                AIM
            ),
        ],
    );
    let strong = row(
        "echo threshold `n - f - 1` with `?`, Byzantine sender",
        [
            rate!(
                bracha_bugs::strong_too_small,
                NodeId(0),
                Byzantine::Split,
                false
            ),
            rate!(
                bracha_bugs::strong_too_small,
                NodeId(0),
                Byzantine::Split,
                false,
                AIM
            ),
            rate!(
                bracha_bugs::strong_too_small,
                NodeId(0),
                Byzantine::TwoFaced,
                false
            ),
            rate!(
                bracha_bugs::strong_too_small,
                NodeId(0),
                Byzantine::TwoFaced,
                false,
                AIM
            ),
        ],
    );
    eprintln!(
        "| run (1,000 seeds): violations / runs delivering | `Split` | `Split`, aimed delays | `TwoFaced` | `TwoFaced`, aimed delays |\n|---|---|---|---|---|\n{}",
        table.join("\n")
    );
    assert!(
        weak[1].0 > weak[0].0 && weak[3].0 > weak[2].0,
        "aimed delays expose the amplification threshold one too small more often: {weak:?}"
    );
    assert!(
        strong[1].0 > strong[0].0 && strong[3].0 > strong[2].0,
        "aimed delays expose the echo threshold one too small more often: {strong:?}"
    );
}

/// `TwoFacedFrom(k)` puts the split where the test says: a Byzantine
/// Bracha sender split at `n` lies to no one (every correct node delivers
/// the sender's input, every run), split at 1 lies to every correct node
/// (they all deliver the same other value: agreement holds, validity
/// against the input fails in every run), split at 2 splits them.
#[test]
fn a_two_faced_split_goes_where_it_is_put() {
    let none = rate!(correct, NodeId(0), Byzantine::TwoFacedFrom(4), true);
    let all = rate!(correct, NodeId(0), Byzantine::TwoFacedFrom(1), true);
    let some = rate!(correct, NodeId(0), Byzantine::TwoFacedFrom(2), false);
    eprintln!("split at 4: {none:?}; at 1: {all:?}; at 2: {some:?}");
    assert_eq!(none, (0, SEEDS), "an honest sender in effect");
    assert_eq!(all, (SEEDS, SEEDS), "every correct node gets the lie");
    assert_eq!(some.0, 0, "agreement holds under any split");
}
