//! Type and domain inference of line expressions, built-in components and
//! component instances.
//!
//! Lines may be read before their definition, and legal cycles (through a
//! quorum or a choice) mean no single order works, so inference runs every
//! definition repeatedly with reporting off until nothing changes, then once
//! more with reporting on.

use super::causality::Read;
use super::{quorum, Ctx, DefSite, InstanceSite, Scope};
use crate::arith::Lin;
use crate::ast::*;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::graph::{At, DimKind, IdxPat, LVal, LineDomain, LineKind, NodeTerm};
use std::collections::HashMap;

/// The built-in components, with a one-line signature for help texts.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "broadcast",
        "broadcast(v): send v from its node to every node",
    ),
    ("link", "link(v, j): send v from its node to node j"),
    ("def", "def(v): a forceable copy of v"),
    (
        "quorum",
        "quorum(k, votes) or quorum(?, k, votes): a value backed by k distinct senders",
    ),
    ("select", "select(?, a, b, ...): the first available option"),
    ("sync", "sync(v, s): v, once s is available too"),
    (
        "delay",
        "delay(v, ms): v, ms milliseconds after it is available",
    ),
    ("timer", "timer(s, ms): a signal ms milliseconds after s"),
    ("pair", "pair(a, b): both values, once both are available"),
    (
        "some",
        "some(x): the value inside `Some`; never produced for `None`",
    ),
    (
        "transpose",
        "transpose(b): swap the first two bundle dimensions",
    ),
    ("leader", "leader(e): the node e mod n (a node, not a line)"),
];

/// What evaluating one expression needs from around it.
struct Env<'a, 'b> {
    loops: &'b [&'a ForLoop],
    /// The type the context expects (a `fn` parameter, an annotation).
    expect: Option<String>,
    /// The `at` annotation of the statement, for constants.
    at_hint: Option<At>,
    /// Inside a quorum or a choice: cycles through here are legal.
    soft: bool,
    /// The lines this expression produces (for causality).
    consumers: Vec<String>,
    /// The producer's pattern has a constant or shifted index.
    shifted: bool,
}

pub(crate) fn infer(cx: &mut Ctx<'_>) {
    cx.reporting = false;
    let rounds = cx.defs.len() + cx.instances.len() + 2;
    for _ in 0..rounds {
        cx.changed = false;
        run_all(cx);
        if !cx.changed {
            break;
        }
    }
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

fn run_all(cx: &mut Ctx<'_>) {
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

fn loop_kind(loops: &[&ForLoop], name: &str) -> Option<Range> {
    loops
        .iter()
        .rev()
        .find(|l| l.var.name == name)
        .map(|l| l.range)
}

fn pattern_kinds(loops: &[&ForLoop], pattern: &[IdxPat]) -> Vec<DimKind> {
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
fn to_line_domain(at: &At, pattern: &[IdxPat]) -> Option<LineDomain> {
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

fn describe_domain(d: &LineDomain, names: &[String]) -> String {
    match d {
        LineDomain::Param(p) => p.clone(),
        LineDomain::Dim(k) => match names.get(*k) {
            Some(n) if !n.is_empty() => format!("its index `{n}`"),
            _ => format!("its index #{k}"),
        },
        LineDomain::Leader(l) => format!("leader({l})"),
    }
}

fn eval_def<'a>(cx: &mut Ctx<'a>, site: &DefSite<'a>) {
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
    let mut env = Env {
        loops: &site.loops,
        expect: d.ty.as_ref().map(|t| t.text.clone()),
        at_hint: at_hint.clone(),
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
    let Some(line) = cx.lines.get_mut(&d.target.name) else {
        return;
    };
    if line.ty.is_empty() {
        line.ty = v.ty.clone();
        line.dims = kinds;
        line.domain = domain;
        cx.changed = true;
        return;
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
        cx.report(
            Diagnostic::new(
                Code::IndexCount,
                d.value.span,
                format!(
                    "`{}` has {} dimensions, but this produces {}",
                    d.target.name,
                    ldims.len(),
                    kinds.len()
                ),
            )
            .label("dimensions differ")
            .also(lspan, "declared here")
            .help("index the target so its dimensions match the declaration"),
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
                    describe_domain(&domain, &names)
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
fn check_from<'a>(cx: &mut Ctx<'a>, d: &Def, from: &Expr, loops: &[&'a ForLoop]) {
    let Some(src) = node_term(cx, from, loops) else {
        return;
    };
    let arg = match &d.value.kind {
        ExprKind::Call { name, args } if name.name == "broadcast" || name.name == "link" => {
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

/// A node, as written in `at`, `from`, `link(v, j)` and node indices.
fn node_term<'a>(cx: &mut Ctx<'a>, e: &Expr, loops: &[&'a ForLoop]) -> Option<NodeTerm> {
    match &e.kind {
        ExprKind::Ref {
            name,
            field: None,
            indices,
        } if indices.is_empty() => {
            match loop_kind(loops, &name.name) {
                Some(Range::Nodes) => return Some(NodeTerm::Var(name.name.clone())),
                Some(Range::Numbers) => {}
                None if cx.scope.is_node_param(&name.name) => {
                    return Some(NodeTerm::Param(name.name.clone()))
                }
                None => {}
            }
            let help = match cx.scope.param(&name.name) {
                None if loop_kind(loops, &name.name).is_none() => {
                    let mut cands: Vec<&str> = loops
                        .iter()
                        .filter(|l| l.range == Range::Nodes)
                        .map(|l| l.var.name.as_str())
                        .collect();
                    cands.extend(
                        cx.comp
                            .params
                            .iter()
                            .filter(|p| p.kind == ParamKind::Node)
                            .map(|p| p.name.name.as_str()),
                    );
                    match did_you_mean(&name.name, cands) {
                        Some(h) => format!("did you mean `{h}`?"),
                        None => {
                            "name a `node` parameter, a `for i in nodes` variable, or `leader(r)`"
                                .into()
                        }
                    }
                }
                _ => "name a `node` parameter, a `for i in nodes` variable, or `leader(r)`".into(),
            };
            cx.report(
                Diagnostic::new(
                    Code::WrongKind,
                    e.span,
                    format!("`{}` is not a node", name.name),
                )
                .label("expected a node")
                .help(help),
            );
            None
        }
        ExprKind::Call { name, args } if name.name == "leader" => {
            let [arg] = args.as_slice() else {
                cx.report(arity(e.span, "leader", 1, args.len()));
                return None;
            };
            let vars: Vec<(String, usize)> = loops
                .iter()
                .filter(|l| l.range == Range::Numbers)
                .map(|l| (l.var.name.clone(), usize::MAX))
                .collect();
            let mut diags = Diagnostics::default();
            let l = cx.scope.lin_with(arg, &vars, &mut diags);
            cx.report_all(diags);
            l.map(NodeTerm::Leader)
        }
        _ => {
            cx.report(
                Diagnostic::new(Code::WrongKind, e.span, "expected a node")
                    .label("not a node")
                    .help("name a `node` parameter, a `for i in nodes` variable, or `leader(r)`"),
            );
            None
        }
    }
}

impl Ctx<'_> {
    fn report_all(&mut self, diags: Diagnostics) {
        for d in diags.into_vec() {
            self.report(d);
        }
    }
}

fn arity(span: Span, name: &str, want: usize, got: usize) -> Diagnostic {
    Diagnostic::new(
        Code::Arity,
        span,
        format!(
            "`{name}` takes {want} argument{}, but {got} were given",
            if want == 1 { "" } else { "s" }
        ),
    )
    .label(format!("{got} argument{}", if got == 1 { "" } else { "s" }))
    .help(BUILTINS.iter().find(|(n, _)| *n == name).map_or_else(
        || format!("pass {want} arguments"),
        |(_, sig)| format!("usage: {sig}"),
    ))
}

fn eval<'a>(cx: &mut Ctx<'a>, e: &Expr, env: &mut Env<'a, '_>) -> Option<LVal> {
    let v = eval_inner(cx, e, env)?;
    if cx.reporting {
        cx.types.insert(e.span, v.clone());
    }
    Some(v)
}

fn eval_inner<'a>(cx: &mut Ctx<'a>, e: &Expr, env: &mut Env<'a, '_>) -> Option<LVal> {
    match &e.kind {
        ExprKind::Number(_) => {
            cx.report(
                Diagnostic::new(Code::WrongKind, e.span, "a number is not a line")
                    .label("expected a line")
                    .help("write a Rust constant with its type, e.g. `x: u64 = { 3 } at i`"),
            );
            None
        }
        ExprKind::Unspecified => {
            cx.report(
                Diagnostic::new(
                    Code::StrayUnspecified,
                    e.span,
                    "`?` marks a choice and only goes first in `select` or `quorum`",
                )
                .label("not a choice position")
                .help("write `select(?, a, b)` or `quorum(?, k, votes)`"),
            );
            None
        }
        ExprKind::Binary { .. } => {
            cx.report(
                Diagnostic::new(
                    Code::WrongKind,
                    e.span,
                    "arithmetic on lines is not part of Rio",
                )
                .label("lines are combined by components, not operators")
                .help(
                    "declare a Rust function, e.g. `fn add(a: u64, b: u64) -> u64;`, and call it",
                ),
            );
            None
        }
        ExprKind::Rust(_) => {
            let Some(ty) = env.expect.clone() else {
                cx.report(
                    Diagnostic::new(
                        Code::CannotInfer,
                        e.span,
                        "the type of this Rust constant is unknown",
                    )
                    .label("untyped constant")
                    .help("annotate the line: `x: Type = { ... } at i`"),
                );
                return None;
            };
            let Some(at) = env.at_hint.clone() else {
                cx.report(
                    Diagnostic::new(
                        Code::NoDomain,
                        e.span,
                        "a constant lives nowhere until you say where",
                    )
                    .label("no domain")
                    .help("add `at i` (or `at s`) to the statement"),
                );
                return None;
            };
            Some(LVal {
                ty,
                dims: Vec::new(),
                at,
            })
        }
        ExprKind::Ref {
            name,
            field,
            indices,
        } => eval_ref(cx, e, name, field.as_ref(), indices, env),
        ExprKind::Call { name, args } => eval_call(cx, e, name, args, env),
    }
}

use crate::graph::Idx as IdxVal;

fn eval_ref<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    name: &Ident,
    field: Option<&Ident>,
    indices: &[Index],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let full = match field {
        Some(f) => format!("{}.{}", name.name, f.name),
        None => name.name.clone(),
    };
    let Some(line) = cx.lines.get(&full) else {
        unknown_line(cx, e, name, field, &full, env.loops);
        return None;
    };
    let (dims, names, domain, ty) = (
        line.dims.clone(),
        line.dim_names.clone(),
        line.domain.clone(),
        line.ty.clone(),
    );
    if let Some(l) = cx.lines.get_mut(&full) {
        l.consumed = true;
    }
    if ty.is_empty() {
        // Not typed yet (or never: a cycle with no base). Record the read so
        // the causality check still sees the edge.
        cx.reads.push(Read {
            consumers: env.consumers.clone(),
            line: full,
            hard: !env.soft
                && !env.shifted
                && indices.iter().all(|i| {
                    !matches!(
                        i,
                        Index::Expr(Expr {
                            kind: ExprKind::Binary { .. } | ExprKind::Number(_),
                            ..
                        })
                    )
                }),
            span: e.span,
        });
        return None;
    }
    let mut idx: Vec<IdxVal> = Vec::new();
    if indices.is_empty() {
        let named: Vec<&String> = names.iter().take_while(|n| !n.is_empty()).collect();
        let in_scope = named
            .iter()
            .filter(|n| loop_kind(env.loops, n).is_some())
            .count();
        if in_scope > 0 && in_scope < named.len() {
            cx.report(
                Diagnostic::new(
                    Code::IndexCount,
                    e.span,
                    format!(
                        "`{full}` is indexed by {}, not all of which are in scope",
                        join(&named)
                    ),
                )
                .label("cannot be indexed implicitly here")
                .help(format!(
                    "index it explicitly, e.g. `{full}[{}]`",
                    join_idx(&named)
                )),
            );
            return None;
        }
        if in_scope > 0 {
            for n in named {
                idx.push(match loop_kind(env.loops, n) {
                    Some(Range::Nodes) => IdxVal::Node(NodeTerm::Var(n.clone())),
                    _ => IdxVal::Num(Lin::var(n)),
                });
            }
        }
    } else {
        if indices.len() > dims.len() {
            let span = indices.iter().skip(dims.len()).fold(
                indices.get(dims.len()).map_or(e.span, Index::span),
                |s, i| s.to(i.span()),
            );
            cx.report(
                Diagnostic::new(
                    Code::IndexCount,
                    span,
                    format!(
                        "`{full}` has {} dimension{}, but {} indices were given",
                        dims.len(),
                        if dims.len() == 1 { "" } else { "s" },
                        indices.len()
                    ),
                )
                .label("too many indices")
                .help(format!("`{full}` is {}", describe_dims(&dims))),
            );
            return None;
        }
        for (ix, kind) in indices.iter().zip(&dims) {
            let v = match (ix, kind) {
                (Index::Star(_), _) => IdxVal::Star,
                (Index::Expr(x), DimKind::Node) => IdxVal::Node(node_term(cx, x, env.loops)?),
                (Index::Expr(x), DimKind::Number) => {
                    let vars: Vec<(String, usize)> = env
                        .loops
                        .iter()
                        .filter(|l| l.range == Range::Numbers)
                        .map(|l| (l.var.name.clone(), usize::MAX))
                        .collect();
                    if let ExprKind::Ref { name: n, .. } = &x.kind {
                        if loop_kind(env.loops, &n.name) == Some(Range::Nodes) {
                            cx.report(
                                Diagnostic::new(Code::WrongKind, x.span, format!("`{}` is a node, but this dimension of `{full}` is a number", n.name))
                                    .label("node used as a number")
                                    .help(format!("`{full}` is {}", describe_dims(&dims))),
                            );
                            return None;
                        }
                    }
                    let mut diags = Diagnostics::default();
                    let l = cx.scope.lin_with(x, &vars, &mut diags);
                    cx.report_all(diags);
                    IdxVal::Num(l?)
                }
            };
            idx.push(v);
        }
    }
    // The remaining bundle dimensions and where the value lives.
    let mut out_dims = Vec::new();
    let mut pos_in_out = HashMap::new();
    for (k, kind) in dims.iter().enumerate() {
        if matches!(idx.get(k), None | Some(IdxVal::Star)) {
            pos_in_out.insert(k, out_dims.len());
            out_dims.push(*kind);
        }
    }
    let at = match &domain {
        LineDomain::Param(p) => At::Node(NodeTerm::Param(p.clone())),
        LineDomain::Dim(k) => match idx.get(*k) {
            Some(IdxVal::Node(t)) => At::Node(t.clone()),
            _ => At::Spread(pos_in_out.get(k).copied().unwrap_or(0)),
        },
        LineDomain::Leader(l) => {
            let missing = std::cell::Cell::new(false);
            let sub = l.checked_subst(&|v| {
                let k: usize = v.strip_prefix('#')?.parse().ok()?;
                match idx.get(k) {
                    Some(IdxVal::Num(x)) => Some(x.clone()),
                    _ => {
                        missing.set(true);
                        None
                    }
                }
            });
            let Some(sub) = sub else {
                cx.report(super::scope::overflow(
                    e.span,
                    "the leader of this reference",
                ));
                return None;
            };
            if missing.get() {
                cx.report(
                    Diagnostic::new(
                        Code::IndexCount,
                        e.span,
                        format!("`{full}` lives at a leader chosen by its indices"),
                    )
                    .label("index it fully to know where it lives")
                    .help(format!("`{full}` is {}", describe_dims(&dims))),
                );
                return None;
            }
            At::Node(NodeTerm::Leader(sub))
        }
    };
    let shifted = env.shifted
        || idx
            .iter()
            .any(|i| matches!(i, IdxVal::Num(l) if l.constant != 0 || l.coeffs.len() != 1));
    if cx.reporting {
        cx.refs.insert(e.span, idx);
    }
    cx.reads.push(Read {
        consumers: env.consumers.clone(),
        line: full,
        hard: !env.soft && !shifted,
        span: e.span,
    });
    Some(LVal {
        ty,
        dims: out_dims,
        at,
    })
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn join_idx(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join("][")
}

fn describe_dims(dims: &[DimKind]) -> String {
    if dims.is_empty() {
        return "a single line (no indices)".into();
    }
    let parts: Vec<&str> = dims
        .iter()
        .map(|d| match d {
            DimKind::Node => "[node]",
            DimKind::Number => "[number]",
        })
        .collect();
    format!("indexed {}", parts.concat())
}

fn unknown_line(
    cx: &mut Ctx<'_>,
    e: &Expr,
    name: &Ident,
    field: Option<&Ident>,
    full: &str,
    loops: &[&ForLoop],
) {
    if field.is_none()
        && (cx.scope.param(&name.name).is_some() || loop_kind(loops, &name.name).is_some())
    {
        {
            cx.report(
                Diagnostic::new(Code::WrongKind, e.span, format!("`{}` is a parameter or index, not a line", name.name))
                    .label("not a line")
                    .help("only lines carry values; parameters and indices appear in thresholds, indices and `at`"),
            );
            return;
        }
    }
    let mut cands: Vec<String> = cx.lines.keys().cloned().collect();
    cands.extend(cx.instances.iter().map(|i| i.inst.name.name.clone()));
    let hint = did_you_mean(full, cands.iter().map(String::as_str)).map(str::to_string);
    let span = field.map_or(name.span, |f| name.span.to(f.span));
    cx.report(
        Diagnostic::new(Code::UnknownName, span, format!("no line named `{full}`"))
            .label("unknown line")
            .help(match hint {
                Some(h) => format!("did you mean `{h}`?"),
                None => format!("define it with `{full} = ...`, or declare it as an `in` port"),
            }),
    );
}

/// All arguments of a local component at one node; returns that node.
fn same_node(cx: &mut Ctx<'_>, what: &str, vals: &[(LVal, Span)]) -> Option<At> {
    let (first, first_span) = vals.first()?;
    for (v, s) in vals {
        if !v.dims.is_empty() || matches!(v.at, At::Spread(_)) {
            cx.report(
                Diagnostic::new(
                    Code::DomainMismatch,
                    *s,
                    format!("`{what}` takes single values, but this is a bundle ({v})"),
                )
                .label("a bundle, not one value")
                .help("index the bundle, e.g. `x[i]`, or collect it with `quorum(k, x[*][i])`"),
            );
            return None;
        }
    }
    for (v, s) in vals.iter().skip(1) {
        if v.at != first.at {
            cx.report(
                Diagnostic::new(Code::DomainMismatch, *s, format!("this value lives at {}, but the first argument of `{what}` lives at {}", v.at, first.at))
                    .label(format!("at {}", v.at))
                    .also(*first_span, format!("at {}", first.at))
                    .help("a component runs in one domain: move the value there with `link(v, j)` or `broadcast(v)`"),
            );
            return None;
        }
    }
    Some(first.at.clone())
}

fn eval_call<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    name: &Ident,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let n = name.name.as_str();
    let want = |k: usize| args.len() == k;
    match n {
        "broadcast" | "def" | "transpose" if !want(1) => {
            cx.report(arity(e.span, n, 1, args.len()));
            None
        }
        "link" | "sync" | "delay" | "timer" | "pair" if !want(2) => {
            cx.report(arity(e.span, n, 2, args.len()));
            None
        }
        "broadcast" => {
            let arg = args.first()?;
            let v = eval(cx, arg, env)?;
            let at = same_node(cx, n, &[(v.clone(), arg.span)])?;
            let _ = at;
            Some(LVal {
                ty: v.ty,
                dims: vec![DimKind::Node],
                at: At::Spread(0),
            })
        }
        "link" => {
            let (arg, to) = (args.first()?, args.get(1)?);
            let v = eval(cx, arg, env)?;
            same_node(cx, n, &[(v.clone(), arg.span)])?;
            let to = node_term(cx, to, env.loops)?;
            Some(LVal {
                ty: v.ty,
                dims: Vec::new(),
                at: At::Node(to),
            })
        }
        "def" => {
            let arg = args.first()?;
            let v = eval(cx, arg, env)?;
            same_node(cx, n, &[(v.clone(), arg.span)])?;
            Some(v)
        }
        "transpose" => {
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
        "sync" | "pair" => {
            let (a, b) = (args.first()?, args.get(1)?);
            let soft = env.soft;
            let va = eval(cx, a, env);
            let vb = eval(cx, b, env);
            env.soft = soft;
            let (va, vb) = (va?, vb?);
            let at = same_node(cx, n, &[(va.clone(), a.span), (vb.clone(), b.span)])?;
            Some(LVal {
                ty: if n == "sync" {
                    va.ty
                } else {
                    format!("({} , {})", va.ty, vb.ty)
                },
                dims: Vec::new(),
                at,
            })
        }
        "delay" | "timer" => {
            let (a, ms) = (args.first()?, args.get(1)?);
            let v = eval(cx, a, env)?;
            let at = same_node(cx, n, &[(v.clone(), a.span)])?;
            let mut diags = Diagnostics::default();
            let l = cx.scope.lin(ms, &mut diags);
            cx.report_all(diags);
            l?;
            Some(LVal {
                ty: if n == "timer" { "()".into() } else { v.ty },
                dims: Vec::new(),
                at,
            })
        }
        "select" => eval_select(cx, e, args, env),
        "quorum" => eval_quorum(cx, e, args, env),
        "some" => eval_some(cx, e, args, env),
        "leader" => {
            cx.report(
                Diagnostic::new(Code::WrongKind, e.span, "`leader(..)` names a node, not a line")
                    .label("not a line")
                    .help("use it where a node is expected: `at leader(r)`, `from leader(r)`, `link(v, leader(r))`"),
            );
            None
        }
        _ => eval_fn(cx, e, name, args, env),
    }
}

fn eval_select<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let marked = matches!(args.first().map(|a| &a.kind), Some(ExprKind::Unspecified));
    let options: &[Expr] = if marked {
        args.get(1..).unwrap_or(&[])
    } else {
        args
    };
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
fn select_family<'a>(cx: &mut Ctx<'a>, options: &[Expr], env: &mut Env<'a, '_>) -> Option<LVal> {
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
fn eval_some<'a>(cx: &mut Ctx<'a>, e: &Expr, args: &[Expr], env: &mut Env<'a, '_>) -> Option<LVal> {
    let [arg] = args else {
        cx.report(arity(e.span, "some", 1, args.len()));
        return None;
    };
    let v = eval(cx, arg, env)?;
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

fn eval_quorum<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let marked = matches!(args.first().map(|a| &a.kind), Some(ExprKind::Unspecified));
    let rest: &[Expr] = if marked {
        args.get(1..).unwrap_or(&[])
    } else {
        args
    };
    let [k, votes] = rest else {
        cx.report(arity(e.span, "quorum", 2, rest.len()));
        return None;
    };
    let mut diags = Diagnostics::default();
    let threshold = cx.scope.lin(k, &mut diags);
    cx.report_all(diags);
    let soft = env.soft;
    env.soft = true;
    let v = eval(cx, votes, env);
    env.soft = soft;
    let v = v?;
    let threshold = threshold?;
    if v.dims.first() != Some(&DimKind::Node) || v.dims.len() != 1 {
        cx.report(
            Diagnostic::new(
                Code::IndexCount,
                votes.span,
                format!("`quorum` counts one vote per node, but this is {v}"),
            )
            .label("not a bundle indexed by node")
            .help("pass the votes one node received, e.g. `echo[*][i]`"),
        );
        return None;
    }
    let at = match v.at {
        At::Spread(_) => {
            cx.report(
                Diagnostic::new(
                    Code::SpreadVotes,
                    votes.span,
                    "these votes live at different nodes, so no node can count them",
                )
                .label("spread across nodes")
                .help("count the votes one node received: index the receiver, e.g. `echo[*][i]`"),
            );
            return None;
        }
        At::Node(t) => t,
    };
    if cx.reporting {
        // Its failures are reported; the quorum's value is still known.
        let _ = quorum::check(cx, &threshold, k.span, marked, e.span);
    }
    Some(LVal {
        ty: v.ty,
        dims: Vec::new(),
        at: At::Node(at),
    })
}

fn eval_fn<'a>(
    cx: &mut Ctx<'a>,
    e: &Expr,
    name: &Ident,
    args: &[Expr],
    env: &mut Env<'a, '_>,
) -> Option<LVal> {
    let Some(f) = cx.items.fns.get(name.name.as_str()).copied() else {
        let mut cands: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
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
                        .help(
                            "pass a value of the declared type, or change the function's signature",
                        ),
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

/// Replaces generic parameters in a normalised type string.
fn subst_ty(ty: &str, map: &HashMap<String, String>) -> String {
    ty.split(' ')
        .map(|t| map.get(t).map_or(t, String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

fn eval_instance<'a>(cx: &mut Ctx<'a>, site: &InstanceSite<'a>) {
    let Some(callee) = site.callee else { return };
    let inst = site.inst;
    if callee.params.len() != inst.args.len() {
        let sig: Vec<String> = callee
            .params
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    match p.kind {
                        ParamKind::Nodes => "nodes",
                        ParamKind::Faults => "faults",
                        ParamKind::Node => "node",
                    },
                    p.name.name
                )
            })
            .collect();
        cx.report(
            Diagnostic::new(
                Code::Arity,
                inst.component.span,
                format!(
                    "`{}` takes {} parameters, but {} were given",
                    callee.name.name,
                    callee.params.len(),
                    inst.args.len()
                ),
            )
            .label("wrong number of parameters")
            .also(callee.name.span, "declared here")
            .help(format!("pass ({})", sig.join(", "))),
        );
        return;
    }
    // Parameters.
    let mut nums: HashMap<String, Lin> = HashMap::new();
    let mut nodes_map: HashMap<String, NodeTerm> = HashMap::new();
    for (p, a) in callee.params.iter().zip(&inst.args) {
        match p.kind {
            ParamKind::Nodes => {
                let ok = matches!(&a.kind, ExprKind::Ref { name, .. } if Some(name.name.as_str()) == cx.scope.nodes);
                if !ok {
                    cx.report(
                        Diagnostic::new(
                            Code::WrongKind,
                            a.span,
                            format!(
                                "`{}` runs on the same nodes as its caller",
                                callee.name.name
                            ),
                        )
                        .label("expected this protocol's `nodes` parameter")
                        .help(match cx.scope.nodes {
                            Some(n) => format!("pass `{n}`"),
                            None => "declare a `nodes n` parameter and pass `n`".into(),
                        }),
                    );
                    return;
                }
                if let Some(n) = cx.scope.nodes {
                    nums.insert(p.name.name.clone(), Lin::var(n));
                }
            }
            ParamKind::Faults => {
                let mut diags = Diagnostics::default();
                let l = cx.scope.lin(a, &mut diags);
                cx.report_all(diags);
                let Some(l) = l else { return };
                nums.insert(p.name.name.clone(), l);
            }
            ParamKind::Node => {
                let Some(t) = node_term(cx, a, &site.loops) else {
                    return;
                };
                nodes_map.insert(p.name.name.clone(), t);
            }
        }
    }
    if cx.reporting {
        let callee_scope = Scope::new(callee, &mut Diagnostics::default());
        for (h, c) in callee_scope
            .hyps
            .iter()
            .skip(
                usize::from(callee_scope.nodes.is_some())
                    + usize::from(callee_scope.faults.is_some()),
            )
            .zip(&callee.constraints)
        {
            let Some(goal) = h.checked_subst(&|v| nums.get(v).cloned()) else {
                cx.report(
                    super::scope::overflow(inst.span, "the callee's resilience constraint")
                        .also(c.span, "required here"),
                );
                continue;
            };
            let proof = crate::arith::prove(&cx.scope.hyps, &goal);
            if proof == crate::arith::Proof::Overflow {
                cx.report(
                    super::scope::overflow(
                        inst.span,
                        "checking the callee's resilience constraint",
                    )
                    .also(c.span, "required here"),
                );
            } else if proof != crate::arith::Proof::Proved {
                cx.report(
                    Diagnostic::new(Code::ConstraintNotImplied, inst.span, format!("this instance may break `{}`'s resilience constraint", callee.name.name))
                        .label(format!("cannot prove {goal} >= 0 here"))
                        .also(c.span, "required here")
                        .help("strengthen this component's `where` clause, or pass parameters that satisfy the constraint"),
                );
            }
        }
    }
    // Inputs.
    let mut generics: HashMap<String, String> = HashMap::new();
    let mut bound: HashMap<&str, Span> = HashMap::new();
    let consumers: Vec<String> = callee
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::Port(p) if p.dir == PortDir::Out => {
                Some(format!("{}.{}", inst.name.name, p.name.name))
            }
            _ => None,
        })
        .collect();
    let ports: Vec<&Port> = callee
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::Port(p) => Some(p),
            _ => None,
        })
        .collect();
    let is_generic = |t: &str| callee.generics.iter().any(|g| g.name == t);
    for b in &inst.bindings {
        let Some(port) = ports
            .iter()
            .find(|p| p.dir == PortDir::In && p.name.name == b.port.name)
        else {
            let ins: Vec<&str> = ports
                .iter()
                .filter(|p| p.dir == PortDir::In)
                .map(|p| p.name.name.as_str())
                .collect();
            let hint = did_you_mean(&b.port.name, ins.iter().copied());
            cx.report(
                Diagnostic::new(
                    Code::UnknownName,
                    b.port.span,
                    format!(
                        "`{}` has no input named `{}`",
                        callee.name.name, b.port.name
                    ),
                )
                .label("unknown input")
                .help(match hint {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => format!("its inputs are: {}", ins.join(", ")),
                }),
            );
            continue;
        };
        if let Some(prev) = bound.insert(&b.port.name, b.port.span) {
            cx.report(
                Diagnostic::new(
                    Code::Duplicate,
                    b.port.span,
                    format!("input `{}` is bound twice", b.port.name),
                )
                .label("second binding")
                .also(prev, "first binding")
                .help("a line has one producer: bind each input once"),
            );
            continue;
        }
        let mut env = Env {
            loops: &site.loops,
            expect: (!is_generic(&port.ty.text)).then(|| subst_ty(&port.ty.text, &generics)),
            at_hint: None,
            soft: false,
            consumers: consumers.clone(),
            shifted: false,
        };
        let Some(v) = eval(cx, &b.value, &mut env) else {
            continue;
        };
        if is_generic(&port.ty.text) {
            let t = generics
                .entry(port.ty.text.clone())
                .or_insert_with(|| v.ty.clone());
            if *t != v.ty {
                let msg = format!(
                    "`{}` is `{}` here but `{}` elsewhere",
                    port.ty.text, v.ty, t
                );
                cx.report(
                    Diagnostic::new(Code::TypeMismatch, b.value.span, msg)
                        .label(format!("this is `{}`", v.ty))
                        .help("bind the component's inputs to values of consistent types"),
                );
            }
        } else {
            let want = subst_ty(&port.ty.text, &generics);
            if want != v.ty {
                cx.report(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        b.value.span,
                        format!("input `{}` is `{want}`, found `{}`", port.name.name, v.ty),
                    )
                    .label(format!("this is `{}`", v.ty))
                    .also(port.ty.span, "declared here")
                    .help("bind a value of the declared type"),
                );
            }
        }
        let want_dims = port.indices.len();
        if v.dims.len() != want_dims {
            cx.report(
                Diagnostic::new(
                    Code::IndexCount,
                    b.value.span,
                    format!(
                        "input `{}` has {} dimensions, this value {}",
                        port.name.name,
                        want_dims,
                        v.dims.len()
                    ),
                )
                .label(format!("{v}"))
                .also(port.span, "declared here")
                .help("index the value so its dimensions match the input"),
            );
            continue;
        }
        let want_at = port_at(cx, port, &nodes_map);
        if want_at.as_ref().is_some_and(|w| *w != v.at) {
            let want = want_at.map(|w| w.to_string()).unwrap_or_default();
            cx.report(
                Diagnostic::new(
                    Code::DomainMismatch,
                    b.value.span,
                    format!(
                        "input `{}` lives at {want}, but this value lives at {}",
                        port.name.name, v.at
                    ),
                )
                .label("value in the wrong domain")
                .also(port.at.span, "declared here")
                .help("move the value with `link(v, j)` or `broadcast(v)` before binding it"),
            );
        }
    }
    for p in ports.iter().filter(|p| p.dir == PortDir::In) {
        if !bound.contains_key(p.name.name.as_str()) {
            cx.report(
                Diagnostic::new(
                    Code::MissingBinding,
                    inst.name.span,
                    format!(
                        "input `{}` of `{}` is not bound",
                        p.name.name, callee.name.name
                    ),
                )
                .label("missing input")
                .also(p.name.span, "declared here")
                .help(format!(
                    "bind it: `{} = {}(...) {{ {} = value }}`",
                    inst.name.name, callee.name.name, p.name.name
                )),
            );
        }
    }
    // Outputs.
    let loop_pattern: Vec<IdxPat> = site
        .loops
        .iter()
        .map(|l| IdxPat::Var {
            name: l.var.name.clone(),
            offset: 0,
        })
        .collect();
    let loop_kinds = pattern_kinds(&site.loops, &loop_pattern);
    for p in ports.iter().filter(|p| p.dir == PortDir::Out) {
        let name = format!("{}.{}", inst.name.name, p.name.name);
        let at_var = match &p.at.kind {
            ExprKind::Ref { name, .. } => Some(name.name.as_str()),
            _ => None,
        };
        let domain = match at_var.and_then(|v| p.indices.iter().position(|i| i.name == v)) {
            Some(k) => Some(LineDomain::Dim(loop_pattern.len() + k)),
            None => port_at(cx, p, &nodes_map).and_then(|a| to_line_domain(&a, &loop_pattern)),
        };
        let mut dims = loop_kinds.clone();
        dims.extend(p.indices.iter().map(|i| {
            if Some(i.name.as_str()) == at_var {
                DimKind::Node
            } else {
                DimKind::Number
            }
        }));
        let ty = subst_ty(&p.ty.text, &generics);
        if let (Some(line), Some(domain)) = (cx.lines.get_mut(&name), domain) {
            let resolved =
                p.ty.text
                    .split(' ')
                    .all(|t| !is_generic(t) || generics.contains_key(t));
            if resolved && line.ty != ty {
                line.ty = ty;
                cx.changed = true;
            }
            if line.dims != dims || line.domain != domain {
                line.dims = dims;
                line.domain = domain;
                cx.changed = true;
            }
        }
    }
}

/// Where a callee port with no index domain lives, in the caller's terms.
fn port_at(cx: &Ctx<'_>, port: &Port, nodes: &HashMap<String, NodeTerm>) -> Option<At> {
    let _ = cx;
    match &port.at.kind {
        ExprKind::Ref { name, .. } => {
            if let Some(k) = port.indices.iter().position(|i| i.name == name.name) {
                return Some(At::Spread(k));
            }
            nodes.get(&name.name).cloned().map(At::Node)
        }
        _ => None,
    }
}
