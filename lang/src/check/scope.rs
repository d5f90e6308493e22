//! Parameters, generics and the resilience constraint of a component, and
//! arithmetic over them.

use crate::arith::Lin;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use std::collections::HashMap;

pub(crate) struct Scope<'a> {
    params: HashMap<&'a str, (ParamKind, Span)>,
    pub generics: Vec<&'a str>,
    /// The `nodes` parameter, if any.
    pub nodes: Option<&'a str>,
    /// The `faults` parameter, if any.
    pub faults: Option<&'a str>,
    /// Resilience hypotheses, each meaning `h ≥ 0`.
    pub hyps: Vec<Lin>,
}

impl<'a> Scope<'a> {
    pub fn new(comp: &'a ComponentDecl, diags: &mut Diagnostics) -> Self {
        let mut s = Scope {
            params: HashMap::new(),
            generics: Vec::new(),
            nodes: None,
            faults: None,
            hyps: Vec::new(),
        };
        for g in &comp.generics {
            if s.generics.contains(&g.name.as_str()) {
                diags.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        g.span,
                        format!("type parameter `{}` is declared twice", g.name),
                    )
                    .label("second declaration")
                    .help("remove the duplicate"),
                );
            }
            s.generics.push(&g.name);
        }
        for p in &comp.params {
            if let Some((_, prev)) = s.params.get(p.name.name.as_str()) {
                diags.push(
                    Diagnostic::new(
                        Code::Duplicate,
                        p.name.span,
                        format!("parameter `{}` is declared twice", p.name.name),
                    )
                    .label("second declaration")
                    .also(*prev, "first declaration")
                    .help("give each parameter its own name"),
                );
                continue;
            }
            let slot = match p.kind {
                ParamKind::Nodes => Some(&mut s.nodes),
                ParamKind::Faults => Some(&mut s.faults),
                ParamKind::Node => None,
            };
            if let Some(slot) = slot {
                if slot.is_some() {
                    diags.push(
                        Diagnostic::new(
                            Code::Duplicate,
                            p.name.span,
                            "a component has at most one `nodes` and one `faults` parameter",
                        )
                        .label("second one")
                        .help("remove this parameter"),
                    );
                    continue;
                }
                *slot = Some(&p.name.name);
            }
            s.params.insert(&p.name.name, (p.kind, p.name.span));
        }
        if let Some(n) = s.nodes {
            s.hyps.push(Lin::var(n).add(&Lin::constant(-1)));
        }
        if let Some(f) = s.faults {
            s.hyps.push(Lin::var(f));
        }
        for c in &comp.constraints {
            let (Some(l), Some(r)) = (s.lin(&c.lhs, diags), s.lin(&c.rhs, diags)) else {
                continue;
            };
            let d = l.sub(&r);
            match c.op {
                CmpOp::Ge => s.hyps.push(d),
                CmpOp::Gt => s.hyps.push(d.add(&Lin::constant(-1))),
                CmpOp::Le => s.hyps.push(d.scale(-1)),
                CmpOp::Lt => s.hyps.push(d.scale(-1).add(&Lin::constant(-1))),
                CmpOp::Eq => {
                    s.hyps.push(d.clone());
                    s.hyps.push(d.scale(-1));
                }
            }
        }
        s
    }

    pub fn param(&self, name: &str) -> Option<(ParamKind, Span)> {
        self.params.get(name).copied()
    }

    pub fn is_node_param(&self, name: &str) -> bool {
        matches!(self.params.get(name), Some((ParamKind::Node, _)))
    }

    /// The declaration of `name` among parameters and enclosing loops.
    pub fn name_span(&self, name: &str, loops: &[&ForLoop]) -> Option<Span> {
        self.params.get(name).map(|p| p.1).or_else(|| {
            loops
                .iter()
                .find(|l| l.var.name == name)
                .map(|l| l.var.span)
        })
    }

    /// Arithmetic over `nodes`/`faults` parameters and numbers.
    pub fn lin(&self, e: &Expr, diags: &mut Diagnostics) -> Option<Lin> {
        self.lin_with(e, &[], diags)
    }

    /// Arithmetic over parameters and the given index variables (renamed to
    /// `#k`), without reporting.
    pub fn lin_over(&self, e: &Expr, idx: &[(String, usize)]) -> Option<Lin> {
        self.lin_with(e, idx, &mut Diagnostics::default())
    }

    /// Arithmetic over parameters, numbers and the named variables (kept by
    /// name if `idx` maps them to `usize::MAX`, else renamed to `#k`).
    pub fn lin_with(
        &self,
        e: &Expr,
        idx: &[(String, usize)],
        diags: &mut Diagnostics,
    ) -> Option<Lin> {
        match &e.kind {
            ExprKind::Number(n) => Some(Lin::constant(i64::try_from(*n).unwrap_or(i64::MAX))),
            ExprKind::Ref {
                name,
                field: None,
                indices,
            } if indices.is_empty() => {
                if let Some((_, k)) = idx.iter().find(|(v, _)| *v == name.name) {
                    return Some(if *k == usize::MAX {
                        Lin::var(&name.name)
                    } else {
                        Lin::var(&format!("#{k}"))
                    });
                }
                match self.params.get(name.name.as_str()) {
                    Some((ParamKind::Nodes | ParamKind::Faults, _)) => Some(Lin::var(&name.name)),
                    _ => {
                        diags.push(
                            Diagnostic::new(Code::UnknownName, name.span, format!("`{}` is not a number here", name.name))
                                .label("expected a `nodes` or `faults` parameter or a number")
                                .help(match (self.nodes, self.faults) {
                                    (Some(n), Some(f)) => format!("arithmetic may use `{n}`, `{f}` and numbers"),
                                    _ => "declare `nodes n` and `faults f` parameters to use them in arithmetic".into(),
                                }),
                        );
                        None
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.lin_with(lhs, idx, diags)?;
                let r = self.lin_with(rhs, idx, diags)?;
                match op {
                    BinOp::Add => Some(l.add(&r)),
                    BinOp::Sub => Some(l.sub(&r)),
                    BinOp::Mul if l.is_constant() => Some(r.scale(l.constant)),
                    BinOp::Mul if r.is_constant() => Some(l.scale(r.constant)),
                    BinOp::Div | BinOp::Rem
                        if l.is_constant() && r.is_constant() && r.constant != 0 =>
                    {
                        Some(Lin::constant(if *op == BinOp::Div {
                            l.constant.div_euclid(r.constant)
                        } else {
                            l.constant.rem_euclid(r.constant)
                        }))
                    }
                    _ => {
                        diags.push(
                            Diagnostic::new(
                                Code::NonLinear,
                                e.span,
                                "thresholds and constraints must be linear",
                            )
                            .label("a product, quotient or remainder of parameters")
                            .help("multiply parameters only by constants, e.g. `2 * f + 1`"),
                        );
                        None
                    }
                }
            }
            _ => {
                diags.push(
                    Diagnostic::new(
                        Code::WrongKind,
                        e.span,
                        "expected arithmetic over parameters",
                    )
                    .label("not a number")
                    .help("write a linear expression such as `n - f` or `2 * f + 1`"),
                );
                None
            }
        }
    }
}
