//! Quorum thresholds against the resilience constraint.
//!
//! With `n` nodes of which at most `f` are faulty, a threshold `k` is
//! checked with the symbolic prover of [`crate::arith`]:
//! - `k ≥ 1` (E0502) and `k ≤ n` (E0503);
//! - uniqueness (E0501): two sets of `k` senders share at least `2k - n`
//!   senders. Under Byzantine faults (the default) they must share a
//!   *correct* node, which votes once: `2k - n ≥ f + 1`. Under crash faults
//!   (`faults f: crash`) no node lies, so sharing any node suffices:
//!   `2k - n ≥ 1`, i.e. `2k > n` (a majority). Then at most one value can
//!   reach `k` votes and the quorum is deterministic. Otherwise the quorum is
//!   a choice and must say so with `quorum(?, k, votes)`; a needless `?` is a
//!   warning (W0505);
//! - liveness (W0504): `k ≤ n - f`, or the quorum may wait forever when the
//!   faulty nodes are silent.
//!
//! `collect(?, k, votes)` gets the bounds and the liveness check; it has no
//! uniqueness to prove (it is always a choice: which `k` come first). Over a
//! number dimension (`collect(?, k, x[*][i])`, the family's indices in
//! place of senders) it gets the bounds only: `k ≥ 1`, and `k` at most the
//! family's index bound (`e` for `x[r]` in `for r in 0..e`).

use super::Ctx;
use crate::arith::{prove, Lin, Proof};
use crate::ast::Span;
use crate::diagnostic::{Code, Diagnostic};

/// What counts votes against a threshold.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Counter {
    /// `quorum(k, ..)`: one value backed by `k` votes; uniqueness matters.
    Quorum,
    /// `collect(?, k, ..)`: the first `k` votes, whatever they are.
    Collect,
    /// `collect(?, k, x[*][i])` over a number dimension: the values of the
    /// first `k` indices of the family that are available. No uniqueness, and
    /// no liveness rule (indices are not nodes, and none is faulty).
    CollectFamily,
    /// `cert(k, ..)`: `k` signatures on one value; uniqueness matters as
    /// for a quorum (two certificates on different values need a correct
    /// node, which signs once, to have signed both).
    Cert,
}

impl Counter {
    fn name(self) -> &'static str {
        match self {
            Counter::Quorum => "quorum",
            Counter::Collect | Counter::CollectFamily => "collect",
            Counter::Cert => "cert",
        }
    }
}

/// What bounds a threshold besides the parameters.
pub(super) struct Bounds<'a> {
    /// The enclosing number loops' ranges, as facts `h ≥ 0`.
    pub ranges: &'a [Lin],
    /// Over a number dimension (`Counter::CollectFamily`): the family's
    /// index bounds, one of which `k` must not exceed.
    pub sizes: &'a [Lin],
}

/// Index bounds for a message: "`8`", or "`n` or `f + 1`".
pub(super) fn either(sizes: &[Lin]) -> String {
    sizes
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Reports on the threshold `k`; `None` when a check stopped early.
pub(super) fn check(
    cx: &mut Ctx<'_>,
    counter: Counter,
    k: &Lin,
    bounds: Bounds<'_>,
    k_span: Span,
    marked: bool,
    call: Span,
) -> Option<()> {
    let Some(n) = cx.scope.nodes else {
        cx.report(
            Diagnostic::new(
                Code::UnknownName,
                call,
                "a quorum counts nodes, but this component has no `nodes` parameter",
            )
            .label("quorum without nodes")
            .help("declare the parameters: `(nodes n, faults f)`"),
        );
        return None;
    };
    let n = Lin::var(n);
    let f = cx.scope.faults.map_or_else(|| Lin::constant(0), Lin::var);
    let mut hyps = cx.scope.hyps.clone();
    hyps.extend_from_slice(bounds.ranges);
    let one = Lin::constant(1);
    let n_minus_f = n
        .checked_sub(&f)
        .map_or_else(|| "n - f".into(), |l| l.to_string());
    // Each check is `Some(proved)`, or `None` when the arithmetic overflowed
    // (reported once, never taken as a proof).
    let decide = |cx: &mut Ctx<'_>, goal: Option<Lin>| -> Option<bool> {
        match goal.map_or(Proof::Overflow, |g| prove(&hyps, &g)) {
            Proof::Proved => Some(true),
            Proof::NotProved => Some(false),
            Proof::Overflow => {
                cx.report(
                    Diagnostic::new(
                        Code::ArithOverflow,
                        k_span,
                        format!("cannot check the threshold `{k}`: the proof overflows 64-bit integers"),
                    )
                    .label("coefficients too large to decide")
                    .help("use smaller coefficients in the threshold and the `where` clause; a quorum that cannot be checked is refused"),
                );
                None
            }
        }
    };
    if !decide(cx, k.checked_sub(&one))? {
        cx.report(
            Diagnostic::new(
                Code::QuorumNotPositive,
                k_span,
                format!("cannot prove the threshold `{k}` is at least 1"),
            )
            .label("may be zero or negative")
            .help("a quorum needs at least one vote; check the threshold and the `where` clause"),
        );
        return None;
    }
    // A threshold over loop variables holds for every value in their
    // loops' ranges, and the help says which knob there is.
    let params: Vec<String> = [&n, &f]
        .iter()
        .flat_map(|l| l.free_vars())
        .map(str::to_string)
        .collect();
    let loop_vars: Vec<String> = k
        .free_vars()
        .into_iter()
        .filter(|v| !params.iter().any(|p| p == v))
        .map(|v| format!("`{v}`"))
        .collect();
    let over_loops = if loop_vars.is_empty() {
        String::new()
    } else {
        format!(
            ", for every value of {} in its loop's range: narrow the loop (e.g. `for k in 0..f + 1`) or lower the threshold",
            loop_vars.join(", ")
        )
    };
    if counter == Counter::CollectFamily {
        // Over a number dimension: at most the family's indices, below the
        // largest bound of its definitions.
        let mut fits = false;
        for size in bounds.sizes {
            fits |= decide(cx, size.checked_sub(k))?;
        }
        if !fits {
            let size = either(bounds.sizes);
            cx.report(
                Diagnostic::new(
                    Code::QuorumTooLarge,
                    k_span,
                    format!("the threshold `{k}` may exceed the family's indices, {size}"),
                )
                .label("may never be reached")
                .help(format!(
                    "collect at most {size} values, one per index{over_loops}"
                )),
            );
            return None;
        }
    } else if !decide(cx, n.checked_sub(k))? {
        cx.report(
            Diagnostic::new(
                Code::QuorumTooLarge,
                k_span,
                format!("the threshold `{k}` may exceed the number of nodes `{n}`"),
            )
            .label("may never be reached")
            .help(format!(
                "use at most `{n}` votes, typically `{n_minus_f}`{over_loops}"
            )),
        );
        return None;
    }
    // Byzantine: 2k - n - f - 1 >= 0, two quorums share a correct node.
    // Crash: 2k - n - 1 >= 0, two quorums share a node (nobody lies).
    let crash = cx.scope.fault_model == crate::ast::FaultModel::Crash;
    let overlap = if crash { Lin::constant(0) } else { f.clone() };
    let goal = k
        .checked_scale(2)
        .and_then(|g| g.checked_sub(&n))
        .and_then(|g| g.checked_sub(&overlap))
        .and_then(|g| g.checked_sub(&one));
    let collects = matches!(counter, Counter::Collect | Counter::CollectFamily);
    let unique = collects || decide(cx, goal)?;
    let share = if crash { "a node" } else { "a correct node" };
    if !unique && !marked {
        let constraint = if cx.comp.constraints.is_empty() {
            "no `where` clause".to_string()
        } else {
            "the `where` clause".to_string()
        };
        // The safe fixes first; `?` only if the protocol really chooses.
        let fix = if crash {
            format!("use a majority threshold (2k > n), e.g. `{n_minus_f}` under `n > 2 * f`, or strengthen the `where` clause")
        } else {
            format!("use a threshold with 2k > n + f, e.g. `{n_minus_f}` under `n > 3 * f`, or strengthen the `where` clause")
        };
        cx.report(
            Diagnostic::new(Code::QuorumNotUnique, k_span, format!("two sets of `{k}` votes may not share {share} under {constraint}, so different values may reach the threshold"))
                .label("uniqueness not provable")
                .help(format!("{fix}; only if the protocol really chooses among values, mark the choice: `{}(?, {k}, ..)`", counter.name())),
        );
    } else if unique && marked && !collects {
        cx.report(
            Diagnostic::new(
                Code::QuorumNeedlessChoice,
                call,
                format!(
                    "any two sets of `{k}` votes share {share}, so this {} is deterministic",
                    if counter == Counter::Cert {
                        "certificate"
                    } else {
                        "quorum"
                    }
                ),
            )
            .label("`?` not needed")
            .help(format!("write `{}({k}, ..)`", counter.name())),
        );
    }
    let live = n.checked_sub(&f).and_then(|g| g.checked_sub(k));
    if counter != Counter::CollectFamily && !decide(cx, live)? {
        cx.report(
            Diagnostic::new(
                Code::QuorumNotLive,
                k_span,
                format!("`{k}` votes may need a faulty node when `{f}` nodes are silent"),
            )
            .label("may wait forever")
            .help(format!(
                "use at most `{n_minus_f}` votes, or strengthen the `where` clause"
            )),
        );
    }
    Some(())
}
