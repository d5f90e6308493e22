//! Type and domain inference of one line expression: references, nodes and
//! the shared helpers of built-in calls ([`super::call`]) and component
//! instances ([`super::instance`]). The driver is [`super::infer`].

use super::call::eval_call;
use super::causality::Read;
use super::infer::loop_kind;
use super::Ctx;
use crate::arith::Lin;
use crate::ast::*;
use crate::builtins::Builtin;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::graph::{At, DimKind, LVal, LineDomain, NodeTerm};
use std::collections::HashMap;

/// What evaluating one expression needs from around it.
/// What evaluating one expression needs from around it.
pub(super) struct Env<'a, 'b> {
    pub loops: &'b [&'a ForLoop],
    /// The type the context expects (a `fn` parameter, an annotation).
    pub expect: Option<String>,
    /// The `at` annotation of the statement, for constants.
    pub at_hint: Option<At>,
    /// Inside a quorum or a choice: cycles through here are legal.
    pub soft: bool,
    /// The lines this expression produces (for causality).
    pub consumers: Vec<String>,
    /// The producer's pattern has a constant or shifted index.
    pub shifted: bool,
}

/// A node, as written in `at`, `from`, `link(v, j)` and node indices.
pub(super) fn node_term<'a>(cx: &mut Ctx<'a>, e: &Expr, loops: &[&'a ForLoop]) -> Option<NodeTerm> {
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
        ExprKind::Call { name, args }
            if Builtin::from_name(&name.name) == Some(Builtin::Leader) =>
        {
            let [arg] = args.as_slice() else {
                cx.report(arity(e.span, Builtin::Leader, 1, args.len()));
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
    pub(super) fn report_all(&mut self, diags: Diagnostics) {
        for d in diags.into_vec() {
            self.report(d);
        }
    }
}

pub(super) fn arity(span: Span, b: Builtin, want: usize, got: usize) -> Diagnostic {
    Diagnostic::new(
        Code::Arity,
        span,
        format!(
            "`{b}` takes {want} argument{}, but {got} were given",
            if want == 1 { "" } else { "s" }
        ),
    )
    .label(format!("{got} argument{}", if got == 1 { "" } else { "s" }))
    .help(format!("usage: {}", b.usage()))
}

pub(super) fn eval<'a>(cx: &mut Ctx<'a>, e: &Expr, env: &mut Env<'a, '_>) -> Option<LVal> {
    let v = eval_inner(cx, e, env)?;
    if cx.reporting {
        cx.types.insert(e.span, v.clone());
    }
    Some(v)
}

pub(super) fn eval_inner<'a>(cx: &mut Ctx<'a>, e: &Expr, env: &mut Env<'a, '_>) -> Option<LVal> {
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
                    "`?` marks a choice and only goes first in `select`, `quorum` or `collect`",
                )
                .label("not a choice position")
                .help("write `select(?, a, b)`, `quorum(?, k, votes)` or `collect(?, k, votes)`"),
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
                    .help("annotate the line (`x: Type = ...`); where the line's type does not fix the constant's (a `timer`'s signal), give the constant its own line: `c: Type = { ... } at i`"),
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

pub(super) fn eval_ref<'a>(
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
    if let (Some(k), false) = (cx.current, cx.reporting) {
        let readers = cx.readers.entry(full.clone()).or_default();
        if readers.last() != Some(&k) {
            readers.push(k);
        }
    }
    let Some(line) = cx.lines.get(&full) else {
        // The node's own id, as a value: `f(x, i)` inside `for i in nodes`
        // passes a `NodeId` (it lives at that node).
        if field.is_none()
            && indices.is_empty()
            && loop_kind(env.loops, &name.name) == Some(Range::Nodes)
        {
            return Some(LVal {
                ty: "NodeId".into(),
                dims: Vec::new(),
                at: At::Node(NodeTerm::Var(name.name.clone())),
            });
        }
        // A `node` parameter as a value: that node's id (a constant,
        // available where the statement runs).
        let node_param = cx
            .scope
            .param(&name.name)
            .is_some_and(|(k, _)| matches!(k, ParamKind::Node));
        if field.is_none() && indices.is_empty() && node_param {
            if let Some(at) = env.at_hint.clone() {
                return Some(LVal {
                    ty: "NodeId".into(),
                    dims: Vec::new(),
                    at,
                });
            }
        }
        // A number as a value: `n`, `f` or a number loop variable `r`,
        // passed to a Rust function as a `u64` (a constant where it is read).
        let number = cx
            .scope
            .param(&name.name)
            .is_some_and(|(k, _)| matches!(k, ParamKind::Nodes | ParamKind::Faults))
            || loop_kind(env.loops, &name.name) == Some(Range::Numbers);
        if field.is_none() && indices.is_empty() && number {
            let Some(at) = env.at_hint.clone() else {
                cx.report(
                    Diagnostic::new(
                        Code::NoDomain,
                        e.span,
                        format!(
                            "the number `{}` lives nowhere until you say where",
                            name.name
                        ),
                    )
                    .label("no domain")
                    .help("add `at i` (or `at s`) to the statement"),
                );
                return None;
            };
            return Some(LVal {
                ty: "u64".into(),
                dims: Vec::new(),
                at,
            });
        }
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
        if !cx.reporting {
            return None;
        }
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
    if cx.reporting {
        cx.reads.push(Read {
            consumers: env.consumers.clone(),
            line: full,
            hard: !env.soft && !shifted,
            span: e.span,
        });
    }
    Some(LVal {
        ty,
        dims: out_dims,
        at,
    })
}

pub(super) fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn join_idx(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join("][")
}

pub(super) fn describe_dims(dims: &[DimKind]) -> String {
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

pub(super) fn unknown_line(
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
pub(super) fn same_node(cx: &mut Ctx<'_>, what: &str, vals: &[(LVal, Span)]) -> Option<At> {
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
                .help("index the bundle, e.g. `x[i]`; for the value `k` of them agree on, `quorum(k, x[*][i])`; to pass `k` different votes to a function, `collect(?, k, x[*][i])`"),
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
