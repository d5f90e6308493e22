//! Parameters, generics and the resilience constraint of a component, and
//! arithmetic over them.

use crate::arith::{lower, Lin, LowerError, LowerErrorKind};
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
    /// What the faulty nodes may do (Byzantine unless stated).
    pub fault_model: FaultModel,
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
            fault_model: FaultModel::default(),
            hyps: Vec::new(),
        };
        for g in &comp.generics {
            diags.extend(super::reserved(g, "type parameter"));
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
            diags.extend(super::reserved(&p.name, "parameter"));
            match (p.kind, p.model) {
                (ParamKind::Faults, Some((m, _))) => s.fault_model = m,
                (_, Some((_, span))) => diags.push(
                    Diagnostic::new(
                        Code::WrongKind,
                        span,
                        "only a `faults` parameter has a fault model",
                    )
                    .label("not a `faults` parameter")
                    .help("write the model on the faults parameter: `faults f: crash` or `faults f: byzantine`"),
                ),
                _ => {}
            }
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
            s.hyps.push(Lin {
                constant: -1,
                ..Lin::var(n)
            });
        }
        if let Some(f) = s.faults {
            s.hyps.push(Lin::var(f));
        }
        for c in &comp.constraints {
            let (Some(l), Some(r)) = (s.lin(&c.lhs, diags), s.lin(&c.rhs, diags)) else {
                continue;
            };
            let one = Lin::constant(1);
            let facts = match c.op {
                CmpOp::Ge => l.checked_sub(&r).map(|d| vec![d]),
                CmpOp::Gt => l
                    .checked_sub(&r)
                    .and_then(|d| d.checked_sub(&one))
                    .map(|d| vec![d]),
                CmpOp::Le => r.checked_sub(&l).map(|d| vec![d]),
                CmpOp::Lt => r
                    .checked_sub(&l)
                    .and_then(|d| d.checked_sub(&one))
                    .map(|d| vec![d]),
                CmpOp::Eq => l
                    .checked_sub(&r)
                    .zip(r.checked_sub(&l))
                    .map(|(a, b)| vec![a, b]),
            };
            match facts {
                Some(facts) => s.hyps.extend(facts),
                None => diags.push(overflow(c.span, "this constraint")),
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
    /// name if `idx` maps them to `usize::MAX`, else renamed to `#k`): a thin
    /// wrapper over [`crate::arith::lower`] that turns its errors into
    /// diagnostics.
    pub fn lin_with(
        &self,
        e: &Expr,
        idx: &[(String, usize)],
        diags: &mut Diagnostics,
    ) -> Option<Lin> {
        let mut var = |name: &Ident| {
            if let Some((_, k)) = idx.iter().find(|(v, _)| *v == name.name) {
                return Some(if *k == usize::MAX {
                    Lin::var(&name.name)
                } else {
                    Lin::var(&format!("#{k}"))
                });
            }
            match self.params.get(name.name.as_str()) {
                Some((ParamKind::Nodes | ParamKind::Faults, _)) => Some(Lin::var(&name.name)),
                _ => None,
            }
        };
        match lower(e, &mut var) {
            Ok(l) => {
                // Floor division of parameters only: a loop variable inside
                // a division would hide it from the index analysis.
                let is_param = |v: &str| {
                    matches!(
                        self.params.get(v),
                        Some((ParamKind::Nodes | ParamKind::Faults, _))
                    )
                };
                if l.free_vars().iter().any(|v| {
                    !is_param(v) && l.divs.values().any(|(d, _)| d.coeffs.contains_key(*v))
                }) {
                    diags.push(
                        Diagnostic::new(
                            Code::NonLinear,
                            e.span,
                            "a division of a loop variable",
                        )
                        .label("divides an index")
                        .help("floor division applies to parameters and numbers only, e.g. `n / 2 + 1`; index a family by the loop variable itself"),
                    );
                    return None;
                }
                Some(l)
            }
            Err(err) => {
                diags.push(self.lower_error(err));
                None
            }
        }
    }

    fn lower_error(&self, err: LowerError) -> Diagnostic {
        match err.kind {
            LowerErrorKind::NotANumber(name) => {
                Diagnostic::new(Code::UnknownName, err.span, format!("`{name}` is not a number here"))
                    .label("expected a `nodes` or `faults` parameter or a number")
                    .help(match (self.nodes, self.faults) {
                        (Some(n), Some(f)) => format!("arithmetic may use `{n}`, `{f}` and numbers"),
                        _ => "declare `nodes n` and `faults f` parameters to use them in arithmetic".into(),
                    })
            }
            LowerErrorKind::NonLinear => Diagnostic::new(
                Code::NonLinear,
                err.span,
                "thresholds and constraints must be linear",
            )
            .label("a product of parameters, or a division by one")
            .help("multiply parameters only by constants, e.g. `2 * f + 1`, and divide only by constants, e.g. `n / 2 + 1`"),
            LowerErrorKind::BadDivision => Diagnostic::new(
                Code::NonLinear,
                err.span,
                "unsupported division",
            )
            .label(format!("divides by a negative number, or holds more than {} divisions", crate::arith::MAX_DIVS))
            .help("divide parameters by a positive constant (floor division), e.g. `(n - 1) / 3`"),
            LowerErrorKind::DivByZero => Diagnostic::new(
                Code::ArithOverflow,
                err.span,
                "division by zero",
            )
            .label("the divisor is zero")
            .help("divide only by a non-zero constant"),
            LowerErrorKind::Overflow => Diagnostic::new(
                Code::ArithOverflow,
                err.span,
                "this arithmetic overflows 64-bit integers",
            )
            .label("a number, coefficient or constant outside the range of `i64`")
            .help("use smaller numbers: every number, coefficient and constant must fit in a signed 64-bit integer"),
            LowerErrorKind::NotArithmetic => Diagnostic::new(
                Code::WrongKind,
                err.span,
                "expected arithmetic over parameters",
            )
            .label("not a number")
            .help("write a linear expression such as `n - f` or `2 * f + 1`"),
        }
    }
}

/// The diagnostic for arithmetic that overflows while the checker combines
/// linear forms (constraints, substitutions).
pub(crate) fn overflow(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ArithOverflow,
        span,
        format!("{what} overflows 64-bit integers"),
    )
    .label("coefficients too large")
    .help("use smaller numbers: every coefficient and constant must fit in a signed 64-bit integer")
}
