//! Calls: the built-in components ([`Builtin`]) and Rust functions.

use super::expr::{arity, eval, node_term, same_node, Env};
use super::{quorum, Ctx, DefSite};
use crate::arith::Lin;
use crate::ast::*;
use crate::builtins::Builtin;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::graph::{At, DimKind, IdxPat, LVal, NodeTerm};

/// Evaluates `e` with `expect` as the type its context expects (what a
/// Rust constant in it takes as its type), restoring the caller's after.
fn eval_expecting<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    expect: Option<String>,
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let outer = std::mem::replace(&mut env.expect, expect);
    let v = eval(cx, e, env);
    env.expect = outer;
    v
}

/// The two element types of an expected pair type `(A, B)`, if it is one.
fn pair_parts(expect: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(syn::Type::Tuple(t)) = expect.and_then(|t| syn::parse_str::<syn::Type>(t).ok()) else {
        return (None, None);
    };
    let mut elems = t
        .elems
        .iter()
        .map(|e| crate::parse::normalize_type(&quote::ToTokens::to_token_stream(e).to_string()));
    match (elems.next(), elems.next(), elems.next()) {
        (Some(a), Some(b), None) => (a, b),
        _ => (None, None),
    }
}

pub(super) fn eval_call<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    name: &Ident,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let Some(builtin) = Builtin::from_name(&name.name) else {
        return eval_fn(cx, e, name, args, env);
    };
    let b = builtin;
    let n = b.name();
    let want = |k: usize| args.len() == k;
    match b {
        Builtin::Broadcast
        | Builtin::Def
        | Builtin::Transpose
        | Builtin::Coin
        | Builtin::Sign
        | Builtin::Payload
            if !want(1) =>
        {
            cx.report(arity(e.span, b, 1, args.len()));
            None
        }
        Builtin::Link | Builtin::Sync | Builtin::Delay | Builtin::Timer | Builtin::Pair
            if !want(2) =>
        {
            cx.report(arity(e.span, b, 2, args.len()));
            None
        }
        Builtin::Broadcast => {
            let arg = args.first()?;
            let v = eval(cx, arg, env)?;
            let at = same_node(cx, n, &[(v.clone(), arg.span)])?;
            let _ = at;
            sent_indices(cx, arg, &v.ty);
            Some(LVal {
                ty: v.ty,
                dims: vec![DimKind::Node],
                at: At::Spread(0),
            })
        }
        Builtin::Link => {
            let (arg, to) = (args.first()?, args.get(1)?);
            let v = eval(cx, arg, env)?;
            same_node(cx, n, &[(v.clone(), arg.span)])?;
            sent_indices(cx, arg, &v.ty);
            let to = node_term(cx, to, env.loops)?;
            Some(LVal {
                ty: v.ty,
                dims: Vec::new(),
                at: At::Node(to),
            })
        }
        Builtin::Coin => {
            // Any value triggers the draw; a constant argument is a signal.
            let arg = args.first()?;
            let v = eval_expecting(cx, arg, Some("()".into()), env)?;
            let at = same_node(cx, n, &[(v.clone(), arg.span)])?;
            Some(LVal {
                ty: "bool".into(),
                dims: Vec::new(),
                at,
            })
        }
        Builtin::Sign => {
            // Signed by the node the value lives at.
            let arg = args.first()?;
            let expect = env.expect.as_deref().and_then(|t| unwrap_type(t, "Signed"));
            let v = eval_expecting(cx, arg, expect, env)?;
            let at = same_node(cx, n, &[(v.clone(), arg.span)])?;
            let ty = crate::parse::normalize_type(&format!("Signed<{}>", v.ty))
                .unwrap_or_else(|| format!("Signed < {} >", v.ty));
            Some(LVal {
                ty,
                dims: Vec::new(),
                at,
            })
        }
        Builtin::Payload => {
            let arg = args.first()?;
            let v = eval(cx, arg, env)?;
            let at = same_node(cx, n, &[(v.clone(), arg.span)])?;
            let inner = unwrap_type(&v.ty, "Signed").or_else(|| unwrap_type(&v.ty, "Cert"));
            let Some(ty) = inner else {
                cx.report(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        arg.span,
                        format!(
                            "`payload` takes a `Signed<_>` or a `Cert<_>`, found `{}`",
                            v.ty
                        ),
                    )
                    .label(format!("this is `{}`", v.ty))
                    .help("pass a signed value (`sign(v)`) or a certificate (`cert(k, votes)`)"),
                );
                return None;
            };
            Some(LVal {
                ty,
                dims: Vec::new(),
                at,
            })
        }
        Builtin::Def => {
            let arg = args.first()?;
            let v = eval(cx, arg, env)?;
            same_node(cx, n, &[(v.clone(), arg.span)])?;
            Some(v)
        }
        Builtin::Transpose => {
            let arg = args.first()?;
            let mut v = eval(cx, arg, env)?;
            if v.dims.len() < 2 {
                cx.report(
                    Diagnostic::new(
                        Code::IndexCount,
                        arg.span,
                        format!("`transpose` needs a bundle of bundles, found {v}"),
                    )
                    .label("fewer than two bundle dimensions")
                    .help("transpose swaps the first two dimensions of `x[*][*]`"),
                );
                return None;
            }
            v.dims.swap(0, 1);
            v.at = match v.at {
                At::Spread(0) => At::Spread(1),
                At::Spread(1) => At::Spread(0),
                other => other,
            };
            Some(v)
        }
        Builtin::Sync | Builtin::Pair => {
            let (a, b) = (args.first()?, args.get(1)?);
            // What a constant argument is expected to be: `sync(v, s)` is
            // `v`; `pair(a, b)` is `(A, B)`.
            let (ea, eb) = if builtin == Builtin::Sync {
                (env.expect.clone(), None)
            } else {
                pair_parts(env.expect.as_deref())
            };
            let soft = env.soft;
            let va = eval_expecting(cx, a, ea, env);
            let vb = eval_expecting(cx, b, eb, env);
            env.soft = soft;
            let (va, vb) = (va?, vb?);
            let at = same_node(cx, n, &[(va.clone(), a.span), (vb.clone(), b.span)])?;
            Some(LVal {
                ty: if builtin == Builtin::Sync {
                    va.ty
                } else {
                    format!("({} , {})", va.ty, vb.ty)
                },
                dims: Vec::new(),
                at,
            })
        }
        Builtin::Delay | Builtin::Timer => {
            let (a, ms) = (args.first()?, args.get(1)?);
            // `delay(v, ms)` is `v`; `timer(s, ms)` is a signal, whatever `s`.
            let expect = (builtin == Builtin::Delay)
                .then(|| env.expect.clone())
                .flatten();
            let v = eval_expecting(cx, a, expect, env)?;
            let at = same_node(cx, n, &[(v.clone(), a.span)])?;
            // The duration may use the enclosing number loops' variables
            // (`300 * b`: a later ballot waits longer).
            let numbers = number_loops(env.loops);
            let mut diags = Diagnostics::default();
            let l = cx.scope.lin_with(ms, &numbers, &mut diags);
            cx.report_all(diags);
            l?;
            Some(LVal {
                ty: if builtin == Builtin::Timer {
                    "()".into()
                } else {
                    v.ty
                },
                dims: Vec::new(),
                at,
            })
        }
        Builtin::Select => eval_select(cx, e, args, env),
        Builtin::Quorum => eval_quorum(cx, e, args, env),
        Builtin::Collect => eval_collect(cx, e, args, env),
        Builtin::Cert => eval_cert(cx, e, args, env),
        Builtin::Gather => eval_gather(cx, e, args, env),
        Builtin::Some => eval_some(cx, e, args, env),
        Builtin::Leader => {
            cx.report(
                Diagnostic::new(Code::WrongKind, e.span, "`leader(..)` names a node, not a line")
                    .label("not a line")
                    .help("use it where a node is expected: `at leader(r)`, `from leader(r)`, `link(v, leader(r))`"),
            );
            None
        }
    }
}

/// Whether a call is marked as a choice (`f(?, ..)`), and its arguments
/// after the mark.
fn split_choice(args: &[Expr]) -> (bool, &[Expr]) {
    match args.split_first() {
        Some((first, rest)) if matches!(first.kind, ExprKind::Unspecified) => (true, rest),
        _ => (false, args),
    }
}

pub(super) fn eval_select<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let (marked, options) = split_choice(args);
    if !marked {
        cx.report(
            Diagnostic::new(
                Code::SelectNeedsChoice,
                e.span,
                "`select` picks whichever option is available first, which is a choice",
            )
            .label("choice not marked")
            .help("make the choice visible: `select(?, a, b)`"),
        );
    }
    if options.len() == 1 {
        return select_family(cx, options, env);
    }
    if options.len() < 2 {
        cx.report(
            Diagnostic::new(
                Code::Arity,
                e.span,
                format!(
                    "`select` needs at least two options, found {}",
                    options.len()
                ),
            )
            .label("too few options")
            .help("usage: select(?, a, b, ...)"),
        );
        return None;
    }
    let soft = env.soft;
    env.soft = true;
    let mut vals = Vec::new();
    for o in options {
        if let Some(v) = eval(cx, o, env) {
            vals.push((v, o.span));
        }
    }
    env.soft = soft;
    if vals.len() < options.len() && cx.reporting {
        return None;
    }
    let (first, first_span) = vals.first()?.clone();
    for (v, s) in vals.iter().skip(1) {
        if v.ty != first.ty {
            cx.report(
                Diagnostic::new(
                    Code::TypeMismatch,
                    *s,
                    format!(
                        "the options of `select` must have one type: `{}` here, `{}` first",
                        v.ty, first.ty
                    ),
                )
                .label(format!("this is `{}`", v.ty))
                .also(first_span, format!("this is `{}`", first.ty))
                .help("convert one option with a Rust function"),
            );
            return None;
        }
    }
    let at = same_node(cx, "select", &vals)?;
    Some(LVal {
        ty: first.ty,
        dims: Vec::new(),
        at,
    })
}

/// `select(?, xs[*])`: the first available element of a bundle.
pub(super) fn select_family<'a>(
    cx: &mut Ctx<'a>,
    options: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let o = options.first()?;
    let soft = env.soft;
    env.soft = true;
    let v = eval(cx, o, env);
    env.soft = soft;
    let v = v?;
    if v.dims.len() != 1 || matches!(v.at, At::Spread(_)) {
        cx.report(
            Diagnostic::new(
                Code::Arity,
                o.span,
                format!("`select` needs two options, or one bundle at one node; found {v}"),
            )
            .label("not a choice")
            .help("usage: select(?, a, b, ...) or select(?, xs[h][*][i])"),
        );
        return None;
    }
    Some(LVal {
        ty: v.ty,
        dims: Vec::new(),
        at: v.at,
    })
}

/// `some(x)`: the value inside `Some`; never produced for `None`.
pub(super) fn eval_some<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let [arg] = args else {
        cx.report(arity(e.span, Builtin::Some, 1, args.len()));
        return None;
    };
    let expect = env
        .expect
        .as_deref()
        .and_then(|t| crate::parse::normalize_type(&format!("Option<{t}>")));
    let v = eval_expecting(cx, arg, expect, env)?;
    let at = same_node(cx, "some", &[(v.clone(), arg.span)])?;
    let inner =
        v.ty.strip_prefix("Option < ")
            .and_then(|t| t.strip_suffix(" >"))
            .map(str::to_string);
    let Some(ty) = inner else {
        cx.report(
            Diagnostic::new(
                Code::TypeMismatch,
                arg.span,
                format!("`some` takes an `Option<_>`, found `{}`", v.ty),
            )
            .label(format!("this is `{}`", v.ty))
            .help("pass a line of type `Option<T>`"),
        );
        return None;
    };
    Some(LVal {
        ty,
        dims: Vec::new(),
        at,
    })
}

pub(super) fn eval_quorum<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    eval_votes(cx, e, args, env, quorum::Counter::Quorum)
}

/// `collect(?, k, votes)`: the first `k` votes, as a `Votes<T>`.
pub(super) fn eval_collect<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let (marked, _) = split_choice(args);
    if !marked {
        cx.report(
            Diagnostic::new(
                Code::CollectNeedsChoice,
                e.span,
                "`collect` keeps whichever votes arrive first, which is a choice",
            )
            .label("choice not marked")
            .help("make the choice visible: `collect(?, k, votes)`"),
        );
    }
    let v = eval_votes(cx, e, args, env, quorum::Counter::Collect)?;
    let ty = crate::parse::normalize_type(&format!("Votes<{}>", v.ty))
        .unwrap_or_else(|| format!("Votes < {} >", v.ty));
    Some(LVal { ty, ..v })
}

/// `gather(?, votes, deadline)`: the votes of a local bundle that arrived
/// before `deadline` (a line at the same node) is available.
pub(super) fn eval_gather<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let (marked, rest) = split_choice(args);
    if !marked {
        cx.report(
            Diagnostic::new(
                Code::GatherNeedsChoice,
                e.span,
                "`gather` keeps whichever votes arrive before the deadline, which is a choice",
            )
            .label("choice not marked")
            .help("make the choice visible: `gather(?, votes, deadline)`"),
        );
    }
    let [votes, deadline] = rest else {
        cx.report(arity(e.span, Builtin::Gather, 2, rest.len()));
        return None;
    };
    let soft = env.soft;
    env.soft = true;
    let v = eval_expecting(cx, votes, None, env);
    env.soft = soft;
    let d = eval_expecting(cx, deadline, Some("()".into()), env);
    let (v, d) = (v?, d?);
    let at = bundle_at(cx, Builtin::Gather, &v, votes.span)?;
    let here = LVal {
        ty: v.ty.clone(),
        dims: Vec::new(),
        at: At::Node(at.clone()),
    };
    same_node(cx, "gather", &[(here, votes.span), (d, deadline.span)])?;
    let ty = crate::parse::normalize_type(&format!("Votes<{}>", v.ty))
        .unwrap_or_else(|| format!("Votes < {} >", v.ty));
    Some(LVal {
        ty,
        dims: Vec::new(),
        at: At::Node(at),
    })
}

/// The node a bundle of votes (`echo[*][i]`: one per sender) lives at, or
/// why it is not one (E0102 for other shapes, E0303 when spread).
fn bundle_at(
    cx: &mut Ctx<'_>,
    builtin: Builtin,
    v: &LVal,
    span: crate::ast::Span,
) -> Option<NodeTerm> {
    if v.dims.first() != Some(&DimKind::Node) || v.dims.len() != 1 {
        cx.report(
            Diagnostic::new(
                Code::IndexCount,
                span,
                format!("`{builtin}` counts one vote per node, but this is {v}"),
            )
            .label("not a bundle indexed by node")
            .help("pass the votes one node received, e.g. `echo[*][i]`"),
        );
        return None;
    }
    match &v.at {
        At::Node(t) => Some(t.clone()),
        At::Spread(_) => {
            cx.report(
                Diagnostic::new(
                    Code::SpreadVotes,
                    span,
                    "these votes live at different nodes, so no node can count them",
                )
                .label("spread across nodes")
                .help("count the votes one node received: index the receiver, e.g. `echo[*][i]`"),
            );
            None
        }
    }
}

/// `cert(k, votes)`: a certificate from a bundle of signed votes.
pub(super) fn eval_cert<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let v = eval_votes(cx, e, args, env, quorum::Counter::Cert)?;
    let Some(inner) = unwrap_type(&v.ty, "Signed") else {
        let (_, rest) = split_choice(args);
        let span = rest.get(1).map_or(e.span, |a| a.span);
        cx.report(
            Diagnostic::new(
                Code::TypeMismatch,
                span,
                format!("`cert` counts signed votes, but these are `{}`", v.ty),
            )
            .label(format!("this is `{}`", v.ty))
            .help("send signed votes, `vote[i] = broadcast(sign(v)) from i`, and certify those: `cert(k, vote[*][i])`"),
        );
        return None;
    };
    let ty = crate::parse::normalize_type(&format!("Cert<{inner}>"))
        .unwrap_or_else(|| format!("Cert < {inner} >"));
    Some(LVal { ty, ..v })
}

/// The enclosing number loops' variables, kept by name (for
/// [`super::scope::Scope::lin_with`]).
fn number_loops(loops: &[&ForLoop]) -> Vec<(String, usize)> {
    loops
        .iter()
        .filter(|l| l.range == crate::ast::Range::Numbers)
        .map(|l| (l.var.name.clone(), usize::MAX))
        .collect()
}

/// What the enclosing number loops say about their variables, each fact
/// meaning `h ≥ 0`: `r ≥ 0`, and `e - 1 - r ≥ 0` for `for r in 0..e`.
/// `None` if a bound is not arithmetic over the parameters (reported where
/// the loop is checked) or the fact overflows (reported here).
fn loop_ranges(cx: &Ctx<'_>, loops: &[&ForLoop], diags: &mut Diagnostics) -> Option<Vec<Lin>> {
    let mut facts = Vec::new();
    for l in loops
        .iter()
        .filter(|l| l.range == crate::ast::Range::Numbers)
    {
        let r = Lin::var(&l.var.name);
        facts.push(r.clone());
        if let Some(bound) = &l.bound {
            let e = cx.scope.lin(bound, &mut Diagnostics::default())?;
            let Some(fact) = e
                .checked_sub(&Lin::constant(1))
                .and_then(|d| d.checked_sub(&r))
            else {
                diags.push(super::scope::overflow(l.range_span, "this loop's bound"));
                return None;
            };
            facts.push(fact);
        }
    }
    Some(facts)
}

/// The index bounds of the starred number dimension of a collection over
/// a family (`collect(?, k, x[*][i])`): for each definition of `x`, one
/// past the highest index it produces there (`e + c` for `x[r + c]` in
/// `for r in 0..e`, `c + 1` for `x[c]`). The family's indices lie below
/// the largest of them. `None` (reported) when a definition produces that
/// dimension without bound (`for r in 0..`): the collection would have no
/// end to its indices.
fn family_bounds(cx: &mut Ctx<'_>, votes: &Expr) -> Option<Vec<Lin>> {
    let ExprKind::Ref {
        name,
        field,
        indices,
    } = &votes.kind
    else {
        return Some(Vec::new());
    };
    let Some(star) = indices.iter().position(|i| matches!(i, Index::Star(_))) else {
        return Some(Vec::new());
    };
    let unbounded = |cx: &mut Ctx<'_>, def: Span, what: &str| {
        cx.report(
            Diagnostic::new(
                Code::WrongKind,
                votes.span,
                format!("`{}` has no bound on the starred index, so this collection's indices have no end", votes_text(name, field.as_ref())),
            )
            .label("collects over an unbounded family")
            .also(def, what.to_string())
            .help("collect over a bounded loop (`for s in 0..e`), whose indices `0..e` are the ones collected"),
        );
    };
    let mut sizes: Vec<Lin> = Vec::new();
    let push = |sizes: &mut Vec<Lin>, l: Lin| {
        if !sizes.contains(&l) {
            sizes.push(l);
        }
    };
    if field.is_some() {
        // An instance's line: its first dimensions are the instance's loops.
        let site = cx
            .instances
            .iter()
            .find(|s| s.inst.name.name == name.name)
            .cloned()?;
        let numbers: Vec<&ForLoop> = site
            .loops
            .iter()
            .copied()
            .filter(|l| l.range == crate::ast::Range::Numbers)
            .collect();
        let Some(l) = numbers.get(star) else {
            cx.report(
                Diagnostic::new(
                    Code::Unsupported,
                    votes.span,
                    "a collection over a number dimension of a component's own line".to_string(),
                )
                .label("starred index inside the component")
                .help("collect inside the component, or over the instance's own loop (`for j in 0..n { x = C(..) }`, then `x.out[*][i]`)"),
            );
            return None;
        };
        let Some(bound) = &l.bound else {
            unbounded(cx, l.span, "the instance's loop has no bound");
            return None;
        };
        push(
            &mut sizes,
            cx.scope.lin(bound, &mut Diagnostics::default())?,
        );
        return Some(sizes);
    }
    let sites: Vec<DefSite<'_>> = cx
        .defs
        .iter()
        .filter(|d| d.def.target.name == name.name)
        .cloned()
        .collect();
    for site in sites {
        let size = match site.pattern.get(star) {
            Some(IdxPat::Const(c)) => c
                .checked_add(1)
                .and_then(|c| i64::try_from(c).ok())
                .map(Lin::constant),
            Some(IdxPat::Var { name: var, offset }) => {
                let Some(l) = site.loops.iter().find(|l| l.var.name == *var) else {
                    continue;
                };
                let Some(bound) = &l.bound else {
                    unbounded(cx, site.def.span, "produced in a loop without a bound");
                    return None;
                };
                cx.scope
                    .lin(bound, &mut Diagnostics::default())?
                    .checked_add(&Lin::constant(*offset))
            }
            None => continue,
        };
        let Some(size) = size else {
            cx.report(super::scope::overflow(site.def.span, "this family's bound"));
            return None;
        };
        push(&mut sizes, size);
    }
    if sizes.is_empty() {
        // An input port (no definition here): its indices have no bound.
        let at = cx.lines.get(&name.name).map_or(votes.span, |l| l.span);
        unbounded(cx, at, "an input: its indices have no bound");
        return None;
    }
    Some(sizes)
}

/// A message whose value is a collection over a number dimension
/// (`collect(?, k, x[*][i])`, directly or through lines defined as one)
/// names indices, not nodes, in place of senders. Sent as `Votes<T>`, a
/// receiver refuses any whose "senders" may reach `n` (every collection a
/// peer sends must name nodes), so such a message would never be taken:
/// reported unless every index bound is provably at most `n`. A value that
/// passes through a `fn` is not followed (the `fn` may convert it).
fn sent_indices(cx: &mut Ctx<'_>, arg: &Expr, ty: &str) {
    if !cx.reporting || !ty.starts_with("Votes <") {
        return;
    }
    let Some(n) = cx.scope.nodes.map(Lin::var) else {
        return;
    };
    let mut e = arg;
    // Bounded: at most eight lines are followed.
    for _ in 0..8 {
        match &e.kind {
            ExprKind::Ref {
                name,
                field: None,
                indices,
            } if indices.iter().all(|i| !matches!(i, Index::Star(_))) => {
                let Some(site) = cx.defs.iter().find(|d| d.def.target.name == name.name) else {
                    return;
                };
                e = &site.def.value;
            }
            ExprKind::Call { name, args } if name.name == Builtin::Collect.name() => {
                let (_, rest) = split_choice(args);
                let [_, votes] = rest else { return };
                let ExprKind::Ref {
                    name: line,
                    field: None,
                    indices,
                } = &votes.kind
                else {
                    return;
                };
                let Some(star) = indices.iter().position(|i| matches!(i, Index::Star(_))) else {
                    return;
                };
                let number = cx
                    .lines
                    .get(&line.name)
                    .and_then(|l| l.dims.get(star))
                    .is_some_and(|d| *d == DimKind::Number);
                if !number {
                    return;
                }
                // Its own failures were reported where it is computed.
                cx.reporting = false;
                let sizes = family_bounds(cx, votes);
                cx.reporting = true;
                let Some(sizes) = sizes else { return };
                let within = sizes.iter().all(|size| {
                    n.checked_sub(size).is_some_and(|g| {
                        crate::arith::prove(&cx.scope.hyps, &g) == crate::arith::Proof::Proved
                    })
                });
                if !within {
                    let size = quorum::either(&sizes);
                    cx.report(
                        Diagnostic::new(
                            Code::WrongKind,
                            arg.span,
                            format!("this message sends a collection over indices below {size} as `Votes`, but receivers take only collections whose senders are nodes below `{n}`"),
                        )
                        .label("refused where an index is not a node")
                        .also(votes.span, "a collection over a number dimension")
                        .help("convert it in a `fn` before sending (a `Vec` by index, as `spec/examples/multi_paxos.rio` does), or collect over a family of at most `n` indices"),
                    );
                }
                return;
            }
            _ => return,
        }
    }
}

fn votes_text(name: &Ident, field: Option<&Ident>) -> String {
    match field {
        Some(f) => format!("{}.{}", name.name, f.name),
        None => name.name.clone(),
    }
}

/// `T` of a normalized type text `Name < T >`, if it is one.
fn unwrap_type(ty: &str, name: &str) -> Option<String> {
    ty.strip_prefix(name)?
        .strip_prefix(" < ")?
        .strip_suffix(" >")
        .map(str::to_string)
}

/// The shared part of `quorum`, `collect` and `cert`: a threshold over one node's
/// bundle of votes. The value is the votes' element type at that node.
fn eval_votes<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    args: &[Expr],
    env: &mut Env<'a, '_>,
    counter: quorum::Counter,
) -> Option<LVal> {
    let builtin = match counter {
        quorum::Counter::Quorum => Builtin::Quorum,
        quorum::Counter::Collect | quorum::Counter::CollectFamily => Builtin::Collect,
        quorum::Counter::Cert => Builtin::Cert,
    };
    let (marked, rest) = split_choice(args);
    let [k, votes] = rest else {
        cx.report(arity(e.span, builtin, 2, rest.len()));
        return None;
    };
    // The threshold may use the enclosing number loops' variables
    // (`collect(?, n - f + k, ..)` inside `for k in 0..f + 1`: a wait that
    // grows with the instance); their ranges are hypotheses of its checks.
    let mut diags = Diagnostics::default();
    let threshold = cx.scope.lin_with(k, &number_loops(env.loops), &mut diags);
    let ranges = loop_ranges(cx, env.loops, &mut diags);
    cx.report_all(diags);
    let soft = env.soft;
    env.soft = true;
    // A collection's votes are its element type, which the context's
    // `Votes<T>` does not spell out here.
    let expect = (counter == quorum::Counter::Quorum)
        .then(|| env.expect.clone())
        .flatten();
    let v = eval_expecting(cx, votes, expect, env);
    env.soft = soft;
    let v = v?;
    let threshold = threshold?;
    // `collect` over a number dimension (`x[*][i]`, one value per index of
    // a family such as one per broadcast instance): indices `0..n` play
    // the senders.
    let family = counter == quorum::Counter::Collect
        && v.dims == [DimKind::Number]
        && matches!(v.at, At::Node(_));
    let (at, counter) = match (&v.at, family) {
        (At::Node(t), true) => (t.clone(), quorum::Counter::CollectFamily),
        _ => (bundle_at(cx, builtin, &v, votes.span)?, counter),
    };
    // What the threshold is compared against (E0503): the number of nodes,
    // or over a number dimension the family's index bounds.
    let sizes = if counter == quorum::Counter::CollectFamily {
        family_bounds(cx, votes)?
    } else {
        Vec::new()
    };
    if cx.reporting {
        // Its failures are reported; the value is still known.
        let bounds = quorum::Bounds {
            ranges: &ranges?,
            sizes: &sizes,
        };
        let _ = quorum::check(cx, counter, &threshold, bounds, k.span, marked, e.span);
    }
    Some(LVal {
        ty: v.ty,
        dims: Vec::new(),
        at: At::Node(at),
    })
}

pub(super) fn eval_fn<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    name: &Ident,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let Some(f) = cx.items.fns.get(name.name.as_str()).copied() else {
        let mut cands: Vec<&str> = Builtin::ALL.iter().map(|b| b.name()).collect();
        cands.extend(cx.items.fns.keys().copied());
        let hint = did_you_mean(&name.name, cands);
        let help = match (hint, cx.items.components.contains_key(name.name.as_str())) {
            (_, true) => format!(
                "`{}` is a component: instantiate it with `x = {}(...) {{ port = value }}`",
                name.name, name.name
            ),
            (Some(h), _) => format!("did you mean `{h}`?"),
            (None, _) => format!(
                "declare it as a Rust function: `fn {}(...) -> T;`",
                name.name
            ),
        };
        cx.report(
            Diagnostic::new(
                Code::UnknownName,
                name.span,
                format!("no function or built-in named `{}`", name.name),
            )
            .label("unknown function")
            .help(help),
        );
        return None;
    };
    if f.params.len() != args.len() {
        let sig: Vec<String> = f
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name.name, p.ty.text))
            .collect();
        cx.report(
            Diagnostic::new(
                Code::Arity,
                e.span,
                format!(
                    "`{}` takes {} argument{}, but {} were given",
                    name.name,
                    f.params.len(),
                    if f.params.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            )
            .label(format!(
                "{} argument{}",
                args.len(),
                if args.len() == 1 { "" } else { "s" }
            ))
            .also(f.name.span, "declared here")
            .help(format!(
                "the signature is `fn {}({}) -> {}`",
                name.name,
                sig.join(", "),
                f.ret.text
            )),
        );
        return None;
    }
    let mut vals = Vec::new();
    let mut failed = false;
    for (a, p) in args.iter().zip(&f.params) {
        let expect = env.expect.replace(p.ty.text.clone());
        let v = eval(cx, a, env);
        env.expect = expect;
        match v {
            Some(v) => {
                if v.ty != p.ty.text && v.dims.is_empty() {
                    cx.report(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            a.span,
                            format!(
                                "`{}` expects `{}` for `{}`, found `{}`",
                                name.name, p.ty.text, p.name.name, v.ty
                            ),
                        )
                        .label(format!("this is `{}`", v.ty))
                        .also(p.ty.span, "parameter declared here")
                        .help(if p.ty.text.starts_with("Votes <") {
                            "a function over several votes takes a collection: `collect(?, k, votes)` gathers the votes of the first `k` distinct senders (`quorum` is the one value `k` of them agree on)"
                        } else {
                            "pass a value of the declared type, or change the function's signature"
                        }),
                    );
                    failed = true;
                }
                vals.push((v, a.span));
            }
            None => failed = true,
        }
    }
    if failed {
        return None;
    }
    let at = if vals.is_empty() {
        match env.at_hint.clone() {
            Some(a) => a,
            None => {
                cx.report(
                    Diagnostic::new(
                        Code::NoDomain,
                        e.span,
                        format!(
                            "`{}()` has no arguments, so nothing says where it runs",
                            name.name
                        ),
                    )
                    .label("no domain")
                    .help("add `at i` (or `at s`) to the statement"),
                );
                return None;
            }
        }
    } else {
        same_node(cx, &name.name, &vals)?
    };
    Some(LVal {
        ty: f.ret.text.clone(),
        dims: Vec::new(),
        at,
    })
}
