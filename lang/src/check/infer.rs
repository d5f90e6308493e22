//! The inference driver: type and domain inference of every definition and
//! component instance, by a worklist.
//!
//! Lines may be read before their definition, and legal cycles (through a
//! quorum or a choice) mean no single order works. Every definition and
//! instance is evaluated once with reporting off, recording which lines it
//! reads; when an evaluation learns something about a line, only the
//! readers of that line are evaluated again. At the fixpoint everything is
//! evaluated once more with reporting on. Each line's type is learnt once,
//! so the work is linear in the size of the component (plus the changes of
//! instance outputs, which are bounded by a budget).

use super::expr::{eval, node_term, Env};
use super::instance::eval_instance;
use super::{Ctx, DefSite};
use crate::arith::Lin;
use crate::ast::*;
use crate::builtins::Builtin;
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{At, DimKind, IdxPat, LineDomain, LineKind, NodeTerm};
use std::collections::{BTreeSet, HashMap};

/// Evaluations allowed per definition or instance, on average, before the
/// worklist gives up (only instance outputs can change more than once; the
/// reporting pass still runs and reports what is left untyped).
const EVALS_PER_ITEM: usize = 16;

pub(crate) fn infer(cx: &mut Ctx<'_>) {
    cx.reporting = false;
    let defs = cx.defs.len();
    let total = defs + cx.instances.len();
    // Items are definitions `0..defs`, then instances. They run in rounds in
    // this order, like whole-program rounds would, but only the items whose
    // inputs changed: the result is the same as re-running everything until
    // nothing changes.
    let mut pending: BTreeSet<usize> = (0..total).collect();
    let mut cursor = 0;
    let mut budget = EVALS_PER_ITEM.saturating_mul(total + 1);
    while let Some(&k) = pending
        .range(cursor..)
        .next()
        .or_else(|| pending.iter().next())
    {
        if budget == 0 {
            break;
        }
        budget -= 1;
        pending.remove(&k);
        cursor = k + 1;
        cx.current = Some(k);
        cx.dirty.clear();
        eval_item(cx, k, defs);
        for line in std::mem::take(&mut cx.dirty) {
            if let Some(readers) = cx.readers.get(&line) {
                pending.extend(readers.iter().copied());
            }
        }
    }
    cx.current = None;
    cx.readers = HashMap::new();
    cx.reporting = true;
    cx.types.clear();
    cx.refs.clear();
    cx.reads.clear();
    run_all(cx);
}

/// Lines whose type nothing determines (reported after the causality check,
/// which explains the usual cause).
pub(crate) fn report_untyped(cx: &mut Ctx<'_>) {
    let unknown: Vec<(String, Span)> = cx
        .lines
        .values()
        .filter(|l| l.ty.is_empty() && l.kind == LineKind::Local)
        .map(|l| (l.name.clone(), l.span))
        .collect();
    for (name, span) in unknown {
        // Only report lines whose producers evaluated without other errors.
        if cx.diags.has_errors() {
            break;
        }
        cx.report(
            Diagnostic::new(
                Code::CannotInfer,
                span,
                format!("the type of `{name}` cannot be inferred"),
            )
            .label("no producer of this line has a known type")
            .help(format!("annotate the line: `{name}: Type = ...`")),
        );
    }
}

/// Evaluates definition `k`, or instance `k - defs`.
fn eval_item(cx: &mut Ctx<'_>, k: usize, defs: usize) {
    if let Some(site) = cx.defs.get(k).cloned() {
        eval_def(cx, &site);
    } else if let Some(site) = k
        .checked_sub(defs)
        .and_then(|m| cx.instances.get(m))
        .cloned()
    {
        eval_instance(cx, &site);
    }
}

pub(super) fn run_all(cx: &mut Ctx<'_>) {
    for k in 0..cx.defs.len() {
        if let Some(site) = cx.defs.get(k).cloned() {
            eval_def(cx, &site);
        }
    }
    for k in 0..cx.instances.len() {
        if let Some(site) = cx.instances.get(k).cloned() {
            eval_instance(cx, &site);
        }
    }
}

pub(super) fn loop_kind(loops: &[&ForLoop], name: &str) -> Option<Range> {
    loops
        .iter()
        .rev()
        .find(|l| l.var.name == name)
        .map(|l| l.range)
}

pub(super) fn pattern_kinds(loops: &[&ForLoop], pattern: &[IdxPat]) -> Vec<DimKind> {
    pattern
        .iter()
        .map(|p| match p {
            IdxPat::Var { name, .. } if loop_kind(loops, name) == Some(Range::Nodes) => {
                DimKind::Node
            }
            _ => DimKind::Number,
        })
        .collect()
}

/// Where a value lives, in terms of the line's indices.
pub(super) fn to_line_domain(at: &At, pattern: &[IdxPat]) -> Option<LineDomain> {
    match at {
        At::Node(NodeTerm::Param(p)) => Some(LineDomain::Param(p.clone())),
        At::Node(NodeTerm::Var(v)) => pattern
            .iter()
            .position(|p| matches!(p, IdxPat::Var { name, .. } if name == v))
            .map(LineDomain::Dim),
        At::Node(NodeTerm::Leader(l)) => {
            // `#k - offset`; an offset of `i64::MIN` has no negation.
            let overflow = std::cell::Cell::new(false);
            let sub = l.checked_subst(&|v| {
                pattern.iter().enumerate().find_map(|(k, p)| match p {
                    IdxPat::Var { name, offset } if name == v => {
                        let r = Lin::var(&format!("#{k}")).checked_sub(&Lin::constant(*offset));
                        overflow.set(overflow.get() || r.is_none());
                        r
                    }
                    _ => None,
                })
            });
            sub.filter(|_| !overflow.get()).map(LineDomain::Leader)
        }
        At::Spread(k) => Some(LineDomain::Dim(pattern.len() + k)),
    }
}

/// The constant indices of a producer's target (`x[0][v]`: `[(0, 0)]`).
fn constant_indices(pattern: &[IdxPat]) -> Vec<(usize, i64)> {
    pattern
        .iter()
        .enumerate()
        .filter_map(|(k, p)| match p {
            IdxPat::Const(c) => i64::try_from(*c).ok().map(|c| (k, c)),
            IdxPat::Var { .. } => None,
        })
        .collect()
}

/// A leader expression over the line's indices (`#k`) at the given
/// constant indices.
fn at_indices(l: &Lin, at: &[(usize, i64)]) -> Option<Lin> {
    l.checked_subst(&|v| {
        let k: usize = v.strip_prefix('#')?.parse().ok()?;
        at.iter()
            .find(|(i, _)| *i == k)
            .map(|(_, c)| Lin::constant(*c))
    })
}

/// Where a producer's value lives, in the producer's own terms: the
/// line's index `#k` written as the producer's target index (`leader(v + 1)`
/// for `x[v + 1] = .. at leader(v + 1)`), never as an internal `#k`.
pub(super) fn describe_domain_at(d: &LineDomain, pattern: &[IdxPat]) -> String {
    let index = |k: usize| -> Option<Lin> {
        match pattern.get(k)? {
            IdxPat::Var { name, offset } => Lin::var(name).checked_add(&Lin::constant(*offset)),
            IdxPat::Const(c) => Some(Lin::constant(i64::try_from(*c).ok()?)),
        }
    };
    match d {
        LineDomain::Dim(k) => match pattern.get(*k) {
            Some(IdxPat::Var { name, .. }) => name.clone(),
            _ => format!("its index #{k}"),
        },
        LineDomain::Leader(l) => {
            let sub = l.checked_subst(&|v| index(v.strip_prefix('#')?.parse().ok()?));
            match sub {
                Some(x) if !x.to_string().contains('#') => format!("leader({x})"),
                _ => describe_domain(d, &[]),
            }
        }
        LineDomain::Param(p) => p.clone(),
    }
}

pub(super) fn describe_domain(d: &LineDomain, names: &[String]) -> String {
    match d {
        LineDomain::Param(p) => p.clone(),
        LineDomain::Dim(k) => match names.get(*k) {
            Some(n) if !n.is_empty() => format!("its index `{n}`"),
            _ => format!("its index #{k}"),
        },
        LineDomain::Leader(l) => {
            // `#k` is the line's index `k`: name it as the declaration does.
            let named = l.checked_subst(&|v| {
                let k: usize = v.strip_prefix('#')?.parse().ok()?;
                names.get(k).filter(|n| !n.is_empty()).map(|n| Lin::var(n))
            });
            match named {
                Some(x) => format!("leader({x})"),
                None => format!("leader({l})"),
            }
        }
    }
}

pub(super) fn eval_def<'a>(cx: &mut Ctx<'a>, site: &DefSite<'a>) {
    let d = site.def;
    let at_hint =
        d.at.as_ref()
            .and_then(|a| node_term(cx, a, &site.loops))
            .map(At::Node);
    let shifted = site.pattern.iter().any(|p| {
        matches!(
            p,
            IdxPat::Const(_) | IdxPat::Var { offset: 1.., .. } | IdxPat::Var { offset: ..=-1, .. }
        )
    });
    // A constant inside a `broadcast`/`link` lives at its sender: the
    // statement's `from`, when it has no `at`.
    // (`check_from` reports a bad `from`; this looks quietly.)
    let reporting = std::mem::replace(&mut cx.reporting, false);
    let from_hint = d
        .from
        .as_ref()
        .filter(|_| at_hint.is_none())
        .and_then(|f| node_term(cx, f, &site.loops))
        .map(At::Node);
    cx.reporting = reporting;
    let mut env = Env {
        loops: &site.loops,
        expect: d.ty.as_ref().map(|t| t.text.clone()),
        at_hint: at_hint.clone().or(from_hint),
        soft: false,
        consumers: vec![d.target.name.clone()],
        shifted,
    };
    let Some(v) = eval(cx, &d.value, &mut env) else {
        return;
    };
    if let Some(t) = &d.ty {
        if t.text != v.ty {
            cx.report(
                Diagnostic::new(
                    Code::TypeMismatch,
                    d.value.span,
                    format!("expected `{}`, found `{}`", t.text, v.ty),
                )
                .label(format!("this is `{}`", v.ty))
                .also(t.span, "annotated here")
                .help("change the annotation or the value so the types agree"),
            );
        }
    }
    if let (Some(hint), Some(a)) = (&at_hint, &d.at) {
        if *hint != v.at {
            cx.report(
                Diagnostic::new(
                    Code::AtMismatch,
                    a.span,
                    format!(
                        "`{}` is computed at {}, not at {}",
                        d.target.name, v.at, hint
                    ),
                )
                .label("annotation")
                .also(d.value.span, format!("this value lives at {}", v.at))
                .help("fix the annotation, or move the value with `link(v, j)` or `broadcast(v)`"),
            );
        }
    }
    if let Some(from) = &d.from {
        check_from(cx, d, from, &site.loops);
    }
    let kinds = {
        let mut k = pattern_kinds(&site.loops, &site.pattern);
        k.extend(v.dims.iter().copied());
        k
    };
    let Some(domain) = to_line_domain(&v.at, &site.pattern) else {
        if matches!(v.at, At::Node(NodeTerm::Leader(_))) {
            cx.report(super::scope::overflow(d.span, "the leader of this line"));
        }
        return;
    };
    let reporting = cx.reporting;
    let consts = constant_indices(&site.pattern);
    let Some(line) = cx.lines.get_mut(&d.target.name) else {
        return;
    };
    if line.ty.is_empty() {
        line.ty = v.ty.clone();
        line.dims = kinds;
        if matches!(domain, LineDomain::Leader(_)) && !consts.is_empty() {
            cx.specialized.insert(d.target.name.clone(), consts);
        }
        line.domain = domain;
        cx.dirty.push(d.target.name.clone());
        return;
    }
    // A leader domain that moves with the index: a base case at a constant
    // index (`leader(0)` for `x[0]`) and a step at a loop variable
    // (`leader(v + 1)` for `x[v + 1]`) agree if the step's domain, at the
    // base case's index, is the base case's. The line takes the general
    // one; producers at constant indices are compared at their index.
    if let (LineDomain::Leader(new), LineDomain::Leader(cur)) = (&domain, &line.domain) {
        if new != cur {
            let name = d.target.name.clone();
            match cx.specialized.get(&name) {
                // The line's domain so far is a base case's; this producer
                // is the step: take its general form if it agrees there.
                Some(at) if consts.is_empty() && at_indices(new, at).as_ref() == Some(cur) => {
                    line.domain = domain.clone();
                    cx.specialized.remove(&name);
                    cx.dirty.push(name);
                    return;
                }
                // A base case after the step: it agrees at its index.
                None if !consts.is_empty() && at_indices(cur, &consts).as_ref() == Some(new) => {
                    return;
                }
                _ => {}
            }
        }
    }
    if !reporting || line.kind == LineKind::Input {
        return;
    }
    let (lty, ldims, ldomain, lspan) = (
        line.ty.clone(),
        line.dims.clone(),
        line.domain.clone(),
        line.span,
    );
    let names = line.dim_names.clone();
    if lty != v.ty {
        cx.report(
            Diagnostic::new(
                Code::TypeMismatch,
                d.value.span,
                format!(
                    "`{}` is `{lty}`, but this produces `{}`",
                    d.target.name, v.ty
                ),
            )
            .label(format!("this is `{}`", v.ty))
            .also(lspan, format!("`{}` has type `{lty}`", d.target.name))
            .help("every producer of a line must produce the same type"),
        );
    } else if ldims != kinds {
        // Same count: either the same kinds in another order, or a node
        // dimension where a number one is declared (or the reverse).
        let permuted = ldims.len() == kinds.len() && {
            let count = |d: &[DimKind]| d.iter().filter(|k| **k == DimKind::Node).count();
            count(&ldims) == count(&kinds)
        };
        cx.report(
            Diagnostic::new(
                Code::IndexCount,
                d.value.span,
                if permuted {
                    format!(
                        "`{}` has dimensions {}, but this produces {}: the same dimensions in another order",
                        d.target.name,
                        describe_dims(&ldims),
                        describe_dims(&kinds)
                    )
                } else if ldims.len() == kinds.len() {
                    format!(
                        "`{}` has dimensions {}, but this produces {}: a node dimension where a number one is declared, or the reverse",
                        d.target.name,
                        describe_dims(&ldims),
                        describe_dims(&kinds)
                    )
                } else {
                    format!(
                        "`{}` has {} dimension(s) {}, but this produces {} {}",
                        d.target.name,
                        ldims.len(),
                        describe_dims(&ldims),
                        kinds.len(),
                        describe_dims(&kinds)
                    )
                },
            )
            .label("dimensions differ")
            .also(lspan, "declared here")
            .help(if permuted {
                "write the target's indices in the declared order (node dimensions are `[i]` of `for i in nodes`, number dimensions `[r]` of `for r in 0..`)"
            } else if ldims.len() == kinds.len() {
                "a `for j in nodes` loop makes a node dimension and `for j in 0..n` a number one: pick the loop that matches the declaration (a port's index is a node dimension only if it is named after `at`)"
            } else {
                "index the target so its dimensions match the declaration"
            }),
        );
    } else if ldomain != domain {
        cx.report(
            Diagnostic::new(
                Code::DomainMismatch,
                d.value.span,
                format!(
                    "`{}` lives at {}, but this value lives at {}",
                    d.target.name,
                    describe_domain(&ldomain, &names),
                    describe_domain_at(&domain, &site.pattern)
                ),
            )
            .label("value in the wrong domain")
            .also(lspan, "declared here")
            .help(
                "move the value with `link(v, j)` or `broadcast(v)`, or fix the declaration's `at`",
            ),
        );
    }
}

/// `from d` names the source of the statement's cross-domain component.
pub(super) fn check_from<'a>(cx: &mut Ctx<'a>, d: &Def, from: &Expr, loops: &[&'a ForLoop]) {
    let Some(src) = node_term(cx, from, loops) else {
        return;
    };
    let arg = match &d.value.kind {
        ExprKind::Call { name, args }
            if Builtin::from_name(&name.name).is_some_and(Builtin::is_cross_domain) =>
        {
            args.first()
        }
        _ => {
            cx.report(
                Diagnostic::new(
                    Code::AtMismatch,
                    from.span,
                    "`from` names the source of a `broadcast` or `link`",
                )
                .label("no cross-domain component here")
                .also(d.value.span, "this is not a `broadcast(..)` or `link(..)`")
                .help("remove `from`, or use `at` to state where the value lives"),
            );
            return;
        }
    };
    let Some(arg) = arg else { return };
    if let Some(v) = cx.types.get(&arg.span) {
        if v.at != At::Node(src.clone()) {
            let msg = format!("the sent value lives at {}, not at {}", v.at, src);
            cx.report(
                Diagnostic::new(Code::AtMismatch, from.span, msg)
                    .label("annotation")
                    .also(arg.span, format!("lives at {}", v.at))
                    .help("a node can only send values it holds: fix `from` or the argument"),
            );
        }
    }
}

/// Dimension kinds as written in messages: `[node][number]`.
fn describe_dims(dims: &[DimKind]) -> String {
    if dims.is_empty() {
        return "none (one value)".into();
    }
    dims.iter()
        .map(|d| match d {
            DimKind::Node => "[node]",
            DimKind::Number => "[number]",
        })
        .collect()
}
