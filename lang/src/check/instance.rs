//! Component instances: parameters, the callee's resilience constraint,
//! input bindings and the types and domains of the outputs.

use super::expr::{eval, node_term, Env};
use super::infer::{pattern_kinds, to_line_domain};
use super::{Ctx, InstanceSite, Scope};
use crate::arith::Lin;
use crate::ast::*;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::graph::{At, DimKind, IdxPat, LineDomain, NodeTerm};
use std::collections::HashMap;

/// Replaces generic parameters in a normalised type string.
pub(super) fn subst_ty(ty: &str, map: &HashMap<String, String>) -> String {
    ty.split(' ')
        .map(|t| map.get(t).map_or(t, String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn eval_instance<'a>(cx: &mut Ctx<'a>, site: &InstanceSite<'a>) {
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
            let mut changed = false;
            if resolved && line.ty != ty {
                line.ty = ty;
                changed = true;
            }
            if line.dims != dims || line.domain != domain {
                line.dims = dims;
                line.domain = domain;
                changed = true;
            }
            if changed {
                cx.dirty.push(name);
            }
        }
    }
}

/// Where a callee port with no index domain lives, in the caller's terms.
pub(super) fn port_at(cx: &Ctx<'_>, port: &Port, nodes: &HashMap<String, NodeTerm>) -> Option<At> {
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
