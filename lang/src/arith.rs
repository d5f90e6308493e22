//! Symbolic linear integer arithmetic over protocol parameters (`n`, `f`) and
//! loop indices, and a small prover for the quorum checks.
//!
//! Floor division by a positive constant (`n / 2`, `(n - 1) / 3`) is an
//! *atom*: a variable named after the division (`(n / 2)`) whose definition
//! `⌊e / d⌋` the form carries in [`Lin::divs`]. The prover adds what the
//! definition implies, `d·q ≤ e ≤ d·q + d − 1`, so `2 * (n / 2) + 2 > n`
//! is proved; evaluation computes it exactly (Euclidean, like constants).
//!
//! [`prove_nonneg`] decides `hyps ⊢ e ≥ 0` soundly (it may fail to prove a
//! true fact, never proves a false one) by refuting `hyps ∧ e ≤ -1` with
//! Fourier–Motzkin elimination, tightened for integers after each step
//! (divide by the gcd of the coefficients and round the constant down).

use crate::ast::{BinOp, Expr, ExprKind, Ident, Span};
use std::collections::BTreeMap;
use std::fmt;

/// `Σ coeff·var + constant`, with integer coefficients.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Lin {
    pub coeffs: BTreeMap<String, i64>,
    pub constant: i64,
    /// The floor divisions among the variables (and inside their
    /// definitions): atom name → `(e, d)` for `⌊e / d⌋`, `d > 0`. A
    /// definition's own atoms are in this map too (their names are shorter,
    /// so evaluating by increasing name length meets each definition's atoms
    /// first).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub divs: BTreeMap<String, (Lin, i64)>,
}

/// Most floor divisions one expression may hold (nested or not): keeps
/// evaluation, substitution and the prover small.
pub const MAX_DIVS: usize = 8;

impl Lin {
    pub fn constant(c: i64) -> Lin {
        Lin {
            coeffs: BTreeMap::new(),
            constant: c,
            divs: BTreeMap::new(),
        }
    }
    pub fn var(name: &str) -> Lin {
        let mut coeffs = BTreeMap::new();
        coeffs.insert(name.to_string(), 1);
        Lin {
            coeffs,
            constant: 0,
            divs: BTreeMap::new(),
        }
    }
    /// `⌊e / d⌋` for `d > 0`: a constant if `e` is one, else an atom. `None`
    /// if `d ≤ 0` or the result would hold more than [`MAX_DIVS`] divisions.
    pub fn floor_div(e: &Lin, d: i64) -> Option<Lin> {
        if d <= 0 {
            return None;
        }
        if e.is_constant() {
            return Some(Lin::constant(e.constant.div_euclid(d)));
        }
        if d == 1 {
            return Some(e.clone());
        }
        let mut def = e.clone();
        let inner = std::mem::take(&mut def.divs);
        let name =
            if def.coeffs.len() == 1 && def.constant == 0 && def.coeffs.values().all(|c| *c == 1) {
                format!("({def} / {d})")
            } else {
                format!("(({def}) / {d})")
            };
        let mut out = Lin::var(&name);
        out.divs = inner;
        out.divs.insert(name, (def, d));
        (out.divs.len() <= MAX_DIVS).then_some(out)
    }
    /// The atoms of this form, each with its definition, in an order where
    /// every definition's own atoms come first.
    pub fn atoms(&self) -> Vec<(&str, &Lin, i64)> {
        let mut all: Vec<(&str, &Lin, i64)> = self
            .divs
            .iter()
            .map(|(n, (e, d))| (n.as_str(), e, *d))
            .collect();
        all.sort_by_key(|(n, _, _)| (n.len(), *n));
        all
    }
    /// The variables of this form and of its atoms' definitions, atoms
    /// excluded: what it really depends on.
    pub fn free_vars(&self) -> std::collections::BTreeSet<&str> {
        self.coeffs
            .keys()
            .chain(self.divs.values().flat_map(|(e, _)| e.coeffs.keys()))
            .map(String::as_str)
            .filter(|v| !self.divs.contains_key(*v))
            .collect()
    }
    /// The constraints an atom's definition implies (each `≥ 0`):
    /// `e − d·q` and `d·q + d − 1 − e` for every `q = ⌊e / d⌋`.
    pub fn div_facts(&self) -> Vec<Lin> {
        let mut out = Vec::new();
        for (name, (e, d)) in &self.divs {
            let q = Lin::var(name);
            let Some(dq) = q.checked_scale(*d) else {
                continue;
            };
            if let Some(lo) = e.checked_sub(&dq) {
                out.push(lo);
            }
            if let Some(hi) = dq
                .checked_add(&Lin::constant(d - 1))
                .and_then(|x| x.checked_sub(e))
            {
                out.push(hi);
            }
        }
        out
    }
    fn merge_divs(&mut self, other: &Lin) {
        for (k, v) in &other.divs {
            self.divs.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    fn prune_divs(&mut self) {
        if self.divs.is_empty() {
            return;
        }
        // Keep the atoms still used, directly or inside a kept definition.
        let mut keep: std::collections::BTreeSet<String> = self
            .coeffs
            .keys()
            .filter(|v| self.divs.contains_key(*v))
            .cloned()
            .collect();
        let mut todo: Vec<String> = keep.iter().cloned().collect();
        while let Some(a) = todo.pop() {
            if let Some((e, _)) = self.divs.get(&a) {
                for v in e.coeffs.keys() {
                    if self.divs.contains_key(v) && keep.insert(v.clone()) {
                        todo.push(v.clone());
                    }
                }
            }
        }
        self.divs.retain(|k, _| keep.contains(k));
    }
    /// `self + other`, saturating on overflow.
    #[deprecated(note = "use checked_add: saturation can make the prover unsound")]
    pub fn add(&self, other: &Lin) -> Lin {
        let mut out = self.clone();
        for (v, c) in &other.coeffs {
            let e = out.coeffs.entry(v.clone()).or_insert(0);
            *e = e.saturating_add(*c);
        }
        out.coeffs.retain(|_, c| *c != 0);
        out.constant = out.constant.saturating_add(other.constant);
        out.merge_divs(other);
        out.prune_divs();
        out
    }
    /// `k · self`, saturating on overflow.
    #[deprecated(note = "use checked_scale: saturation can make the prover unsound")]
    pub fn scale(&self, k: i64) -> Lin {
        let mut out = Lin {
            coeffs: self
                .coeffs
                .iter()
                .map(|(v, c)| (v.clone(), c.saturating_mul(k)))
                .collect(),
            constant: self.constant.saturating_mul(k),
            divs: self.divs.clone(),
        };
        out.coeffs.retain(|_, c| *c != 0);
        out.prune_divs();
        out
    }
    /// `self - other`, saturating on overflow.
    #[deprecated(note = "use checked_sub: saturation can make the prover unsound")]
    #[allow(deprecated)]
    pub fn sub(&self, other: &Lin) -> Lin {
        self.add(&other.scale(-1))
    }
    /// `self + other`, or `None` if a coefficient or the constant overflows
    /// `i64`.
    pub fn checked_add(&self, other: &Lin) -> Option<Lin> {
        let mut out = self.clone();
        for (v, c) in &other.coeffs {
            let e = out.coeffs.entry(v.clone()).or_insert(0);
            *e = e.checked_add(*c)?;
        }
        out.coeffs.retain(|_, c| *c != 0);
        out.constant = out.constant.checked_add(other.constant)?;
        out.merge_divs(other);
        out.prune_divs();
        Some(out)
    }
    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(&self, other: &Lin) -> Option<Lin> {
        let mut out = self.clone();
        for (v, c) in &other.coeffs {
            let e = out.coeffs.entry(v.clone()).or_insert(0);
            *e = e.checked_sub(*c)?;
        }
        out.coeffs.retain(|_, c| *c != 0);
        out.constant = out.constant.checked_sub(other.constant)?;
        out.merge_divs(other);
        out.prune_divs();
        Some(out)
    }
    /// `k · self`, or `None` on overflow.
    pub fn checked_scale(&self, k: i64) -> Option<Lin> {
        let mut coeffs = BTreeMap::new();
        for (v, c) in &self.coeffs {
            let c = c.checked_mul(k)?;
            if c != 0 {
                coeffs.insert(v.clone(), c);
            }
        }
        let mut out = Lin {
            coeffs,
            constant: self.constant.checked_mul(k)?,
            divs: self.divs.clone(),
        };
        out.prune_divs();
        Some(out)
    }
    pub fn is_constant(&self) -> bool {
        self.coeffs.is_empty()
    }
    pub fn coeff(&self, var: &str) -> i64 {
        self.coeffs.get(var).copied().unwrap_or(0)
    }
    /// Evaluates with every variable bound by `env` (missing ones are 0),
    /// saturating on overflow.
    #[deprecated(note = "use checked_eval: saturation gives wrong values silently")]
    pub fn eval(&self, env: &dyn Fn(&str) -> i64) -> i64 {
        self.coeffs.iter().fold(self.constant, |acc, (v, c)| {
            acc.saturating_add(c.saturating_mul(env(v)))
        })
    }
    /// Evaluates with every variable bound by `env`, or `None` on overflow.
    pub fn checked_eval(&self, env: &dyn Fn(&str) -> i64) -> Option<i64> {
        self.try_eval(&|v| Some(env(v)))
    }
    /// Evaluates with the variables `env` binds (floor divisions computed
    /// from their definitions), or `None` on overflow or an unbound
    /// variable.
    pub fn try_eval(&self, env: &dyn Fn(&str) -> Option<i64>) -> Option<i64> {
        let mut atoms: BTreeMap<&str, i64> = BTreeMap::new();
        let sum = |atoms: &BTreeMap<&str, i64>, e: &Lin| {
            e.coeffs.iter().try_fold(e.constant, |acc, (v, c)| {
                let x = match atoms.get(v.as_str()) {
                    Some(x) => *x,
                    None => env(v)?,
                };
                acc.checked_add(c.checked_mul(x)?)
            })
        };
        // Atoms first, each definition's own atoms before it.
        for (name, e, d) in self.atoms() {
            let v = sum(&atoms, e)?.checked_div_euclid(d)?;
            atoms.insert(name, v);
        }
        sum(&atoms, self)
    }
    /// Replaces variables by linear expressions, saturating on overflow.
    #[deprecated(note = "use checked_subst: saturation can make the prover unsound")]
    #[allow(deprecated)]
    pub fn subst(&self, map: &dyn Fn(&str) -> Option<Lin>) -> Lin {
        let mut out = Lin::constant(self.constant);
        for (v, c) in &self.coeffs {
            let term = map(v).unwrap_or_else(|| Lin::var(v));
            out = out.add(&term.scale(*c));
        }
        out
    }
    /// Replaces variables by linear expressions (variables `map` leaves
    /// alone stay), or `None` on overflow.
    ///
    /// Atoms are rebuilt from their substituted definitions (renamed after
    /// them, or folded if they become constant); `map` is not asked about
    /// atom names.
    pub fn checked_subst(&self, map: &dyn Fn(&str) -> Option<Lin>) -> Option<Lin> {
        let mut atoms: BTreeMap<&str, Lin> = BTreeMap::new();
        for (name, e, d) in self.atoms() {
            let def = subst_plain(e, &|v| atoms.get(v).cloned().or_else(|| map(v)))?;
            atoms.insert(name, Lin::floor_div(&def, d)?);
        }
        subst_plain(
            &Lin {
                divs: BTreeMap::new(),
                ..self.clone()
            },
            &|v| atoms.get(v).cloned().or_else(|| map(v)),
        )
    }
}

/// Substitutes in `l`'s own terms (its atoms are handled by the caller).
fn subst_plain(l: &Lin, map: &dyn Fn(&str) -> Option<Lin>) -> Option<Lin> {
    let mut out = Lin::constant(l.constant);
    for (v, c) in &l.coeffs {
        let term = map(v).unwrap_or_else(|| Lin::var(v));
        out = out.checked_add(&term.checked_scale(*c)?)?;
    }
    Some(out)
}

/// Why an expression could not be lowered to [`Lin`] (see [`lower`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowerError {
    /// The offending sub-expression (for [`LowerErrorKind::NotANumber`], the
    /// name).
    pub span: Span,
    pub kind: LowerErrorKind,
}

/// The kinds of [`LowerError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LowerErrorKind {
    /// A bare name the resolver does not know as a number.
    NotANumber(String),
    /// A product of two non-constants, or a quotient or remainder by a
    /// non-constant.
    NonLinear,
    /// A quotient or remainder of a non-constant by a negative constant,
    /// or more than [`MAX_DIVS`] divisions in one expression.
    BadDivision,
    /// A constant division or remainder by zero.
    DivByZero,
    /// A literal above `i64::MAX`, or a coefficient or constant overflowing
    /// `i64` (including `i64::MIN / -1`).
    Overflow,
    /// Not arithmetic at all: a call, a `?`, a Rust block, a line reference
    /// with indices or a field.
    NotArithmetic,
}

impl fmt::Display for LowerErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LowerErrorKind::NotANumber(n) => write!(f, "`{n}` is not a number here"),
            LowerErrorKind::NonLinear => write!(f, "non-linear arithmetic"),
            LowerErrorKind::BadDivision => write!(
                f,
                "a division of a non-constant must be by a positive constant, at most {MAX_DIVS} per expression"
            ),
            LowerErrorKind::DivByZero => write!(f, "division by zero"),
            LowerErrorKind::Overflow => write!(f, "arithmetic overflows 64 bits"),
            LowerErrorKind::NotArithmetic => write!(f, "not arithmetic"),
        }
    }
}

impl fmt::Display for LowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {:?}", self.kind, self.span)
    }
}

impl std::error::Error for LowerError {}

/// Lowers arithmetic to a linear form: numbers, names, `+`, `-`, `*` by a
/// constant, `/` and `%` of two constants (Euclidean: `-7 / 2 = -4`,
/// `-7 % 2 = 1`), and `/`, `%` of a linear form by a positive constant
/// (a floor-division atom, see the module documentation). Every operation is checked: overflow is an error, never a
/// wrapped or saturated value.
///
/// `var` resolves a bare name (no field, no indices) to its linear value, or
/// `None` if the name is not a number in this context (→
/// [`LowerErrorKind::NotANumber`]). The checker passes parameters and loop
/// variables; a back end may pass `|id| Some(Lin::var(&id.name))`.
///
/// Iterative (an explicit stack), so the depth of `e` does not matter; the
/// first error in left-to-right order is returned.
pub fn lower(e: &Expr, var: &mut dyn FnMut(&Ident) -> Option<Lin>) -> Result<Lin, LowerError> {
    enum Work<'e> {
        Visit(&'e Expr),
        Apply(BinOp, Span),
    }
    let err = |span: Span, kind: LowerErrorKind| LowerError { span, kind };
    let mut work = vec![Work::Visit(e)];
    let mut vals: Vec<Lin> = Vec::new();
    while let Some(w) = work.pop() {
        match w {
            Work::Visit(e) => match &e.kind {
                ExprKind::Number(n) => {
                    let c = i64::try_from(*n).map_err(|_| err(e.span, LowerErrorKind::Overflow))?;
                    vals.push(Lin::constant(c));
                }
                ExprKind::Ref {
                    name,
                    field: None,
                    indices,
                } if indices.is_empty() => match var(name) {
                    Some(l) => vals.push(l),
                    None => {
                        return Err(err(
                            name.span,
                            LowerErrorKind::NotANumber(name.name.clone()),
                        ))
                    }
                },
                ExprKind::Binary { op, lhs, rhs } => {
                    work.push(Work::Apply(*op, e.span));
                    work.push(Work::Visit(rhs));
                    work.push(Work::Visit(lhs));
                }
                _ => return Err(err(e.span, LowerErrorKind::NotArithmetic)),
            },
            Work::Apply(op, span) => {
                let (Some(r), Some(l)) = (vals.pop(), vals.pop()) else {
                    // Unreachable: every `Apply` follows its two operands.
                    return Err(err(span, LowerErrorKind::NotArithmetic));
                };
                vals.push(apply(op, &l, &r).map_err(|k| err(span, k))?);
            }
        }
    }
    vals.pop()
        .ok_or_else(|| err(e.span, LowerErrorKind::NotArithmetic))
}

/// One checked operation of [`lower`].
fn apply(op: BinOp, l: &Lin, r: &Lin) -> Result<Lin, LowerErrorKind> {
    let overflow = LowerErrorKind::Overflow;
    match op {
        BinOp::Add => l.checked_add(r).ok_or(overflow),
        BinOp::Sub => l.checked_sub(r).ok_or(overflow),
        BinOp::Mul if l.is_constant() => r.checked_scale(l.constant).ok_or(overflow),
        BinOp::Mul if r.is_constant() => l.checked_scale(r.constant).ok_or(overflow),
        // Floor division by a positive constant: an atom; `e % d` is
        // `e - d * (e / d)`.
        BinOp::Div | BinOp::Rem if !l.is_constant() && r.is_constant() => {
            if r.constant == 0 {
                return Err(LowerErrorKind::DivByZero);
            }
            let q = Lin::floor_div(l, r.constant).ok_or(LowerErrorKind::BadDivision)?;
            if op == BinOp::Div {
                Ok(q)
            } else {
                q.checked_scale(r.constant)
                    .and_then(|dq| l.checked_sub(&dq))
                    .ok_or(overflow)
            }
        }
        BinOp::Div | BinOp::Rem if l.is_constant() && r.is_constant() => {
            if r.constant == 0 {
                return Err(LowerErrorKind::DivByZero);
            }
            let v = if op == BinOp::Div {
                l.constant.checked_div_euclid(r.constant)
            } else {
                l.constant.checked_rem_euclid(r.constant)
            };
            v.map(Lin::constant).ok_or(overflow)
        }
        _ => Err(LowerErrorKind::NonLinear),
    }
}

impl fmt::Debug for Lin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Lin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let terms = self
            .coeffs
            .iter()
            .filter(|(_, c)| **c > 0)
            .chain(self.coeffs.iter().filter(|(_, c)| **c < 0));
        for (v, c) in terms {
            let (sign, mag) = if *c < 0 { ("-", -c) } else { ("+", *c) };
            if first {
                if sign == "-" {
                    write!(f, "-")?;
                }
            } else {
                write!(f, " {sign} ")?;
            }
            if mag == 1 {
                write!(f, "{v}")?;
            } else {
                write!(f, "{mag}*{v}")?;
            }
            first = false;
        }
        if first {
            write!(f, "{}", self.constant)
        } else if self.constant > 0 {
            write!(f, " + {}", self.constant)
        } else if self.constant < 0 {
            write!(f, " - {}", -self.constant)
        } else {
            Ok(())
        }
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    i64::try_from(a).unwrap_or(1)
}

/// Tightens `e ≥ 0` for integers: divides by the gcd of the coefficients and
/// rounds the constant down.
fn tighten(e: Lin) -> Lin {
    let g = e.coeffs.values().fold(0, |g, c| gcd(g, *c));
    if g <= 1 {
        return e;
    }
    Lin {
        coeffs: e.coeffs.iter().map(|(v, c)| (v.clone(), c / g)).collect(),
        constant: e.constant.div_euclid(g),
        divs: e.divs,
    }
}

/// The outcome of [`prove`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// The goal follows from the hypotheses.
    Proved,
    /// No proof found (the goal may still be true: the prover is incomplete).
    NotProved,
    /// No proof found, and some step overflowed `i64` (its result was
    /// dropped, which keeps the prover sound): the coefficients are too
    /// large to decide.
    Overflow,
}

/// Proves `e ≥ 0` from `hyps` (each meaning `h ≥ 0`) over the integers.
/// Sound: [`Proof::Proved`] only if it follows. All arithmetic is checked;
/// a step that overflows is dropped (every derived constraint is implied by
/// the hypotheses, so a refutation from fewer of them is still valid) and
/// a failure is then reported as [`Proof::Overflow`].
pub fn prove(hyps: &[Lin], e: &Lin) -> Proof {
    // Refute hyps ∧ (-e - 1 ≥ 0).
    let Some(goal) = Lin::constant(-1).checked_sub(e) else {
        return Proof::Overflow;
    };
    let mut system: Vec<Lin> = hyps.iter().cloned().map(tighten).collect();
    // What the floor divisions imply (each atom once).
    let mut facts = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for l in hyps.iter().chain(std::iter::once(e)) {
        if l.divs.keys().all(|k| seen.contains(k)) {
            continue;
        }
        for f in l.div_facts() {
            if !facts.contains(&f) {
                facts.push(f);
            }
        }
        seen.extend(l.divs.keys().cloned());
    }
    system.extend(facts.into_iter().map(tighten));
    system.push(tighten(goal));
    match infeasible(system) {
        (true, _) => Proof::Proved,
        (false, false) => Proof::NotProved,
        (false, true) => Proof::Overflow,
    }
}

/// Proves `e ≥ 0` from `hyps`: [`prove`] is [`Proof::Proved`].
pub fn prove_nonneg(hyps: &[Lin], e: &Lin) -> bool {
    prove(hyps, e) == Proof::Proved
}

/// Whether the system is infeasible, and whether a step overflowed.
fn infeasible(mut system: Vec<Lin>) -> (bool, bool) {
    const MAX_CONSTRAINTS: usize = 4096;
    let mut overflowed = false;
    loop {
        if system.iter().any(|c| c.is_constant() && c.constant < 0) {
            return (true, overflowed);
        }
        // Pick the variable whose elimination creates the fewest constraints.
        let mut vars: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for c in &system {
            for (v, k) in &c.coeffs {
                let e = vars.entry(v.as_str()).or_default();
                if *k > 0 {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
        }
        let Some(var) = vars
            .iter()
            .min_by_key(|(_, (p, n))| p.saturating_mul(*n))
            .map(|(v, _)| v.to_string())
        else {
            return (false, overflowed);
        };
        let (pos, rest): (Vec<Lin>, Vec<Lin>) = system.into_iter().partition(|c| c.coeff(&var) > 0);
        let (neg, zero): (Vec<Lin>, Vec<Lin>) = rest.into_iter().partition(|c| c.coeff(&var) < 0);
        let mut next = zero;
        for p in &pos {
            for q in &neg {
                let a = p.coeff(&var);
                // `q`'s coefficient is negative; its magnitude may not fit.
                let Some(b) = q.coeff(&var).checked_neg() else {
                    overflowed = true;
                    continue;
                };
                let g = gcd(a, b).max(1);
                let combined = p
                    .checked_scale(b / g)
                    .zip(q.checked_scale(a / g))
                    .and_then(|(x, y)| x.checked_add(&y));
                let Some(combined) = combined else {
                    overflowed = true;
                    continue;
                };
                let combined = tighten(combined);
                if !next.contains(&combined) {
                    next.push(combined);
                }
            }
        }
        if next.len() > MAX_CONSTRAINTS {
            return (false, overflowed);
        }
        system = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n() -> Lin {
        Lin::var("n")
    }
    fn f() -> Lin {
        Lin::var("f")
    }
    fn c(k: i64) -> Lin {
        Lin::constant(k)
    }
    /// `a + b` (test shorthand; the values are small).
    fn add(a: &Lin, b: &Lin) -> Lin {
        a.checked_add(b).expect("no overflow")
    }
    fn sub(a: &Lin, b: &Lin) -> Lin {
        a.checked_sub(b).expect("no overflow")
    }
    fn scale(a: &Lin, k: i64) -> Lin {
        a.checked_scale(k).expect("no overflow")
    }

    /// Hypotheses of `n > 3f`, `f ≥ 0`.
    fn bft() -> Vec<Lin> {
        vec![sub(&sub(&n(), &scale(&f(), 3)), &c(1)), f()]
    }

    /// `2k - n - f - 1`: two `k`-quorums share a correct node.
    fn unique(k: &Lin) -> Lin {
        sub(&sub(&sub(&scale(k, 2), &n()), &f()), &c(1))
    }

    #[test]
    fn two_n_minus_f_quorums_intersect_in_a_correct_node() {
        assert!(prove_nonneg(&bft(), &unique(&sub(&n(), &f()))));
    }

    #[test]
    fn f_plus_one_quorums_do_not_intersect() {
        assert!(!prove_nonneg(&bft(), &unique(&add(&f(), &c(1)))));
    }

    #[test]
    fn f_plus_one_holds_a_correct_node() {
        let k = add(&f(), &c(1));
        assert!(prove_nonneg(&bft(), &sub(&sub(&k, &f()), &c(1))));
    }

    #[test]
    fn integer_tightening_proves_two_f_plus_one_under_n_eq_3f_plus_1() {
        // n = 3f + 1 ⊢ 2f + 1 ≥ (n + f)/2 + 1/2, i.e. 2(2f+1) - n - f - 1 ≥ 0.
        let hyps = vec![
            sub(&sub(&n(), &scale(&f(), 3)), &c(1)),
            sub(&add(&scale(&f(), 3), &c(1)), &n()),
            f(),
        ];
        let k = add(&scale(&f(), 2), &c(1));
        assert!(prove_nonneg(&hyps, &unique(&k)));
    }

    #[test]
    fn crash_majority() {
        // n > 2f ⊢ two n - f quorums intersect in at least one node.
        let hyps = vec![sub(&sub(&n(), &scale(&f(), 2)), &c(1)), f()];
        let k = sub(&n(), &f());
        assert!(prove_nonneg(&hyps, &sub(&sub(&scale(&k, 2), &n()), &c(1))));
        assert!(!prove_nonneg(&hyps, &unique(&k)));
    }

    #[test]
    fn display() {
        assert_eq!(
            sub(&sub(&n(), &scale(&f(), 3)), &c(1)).to_string(),
            "n - 3*f - 1"
        );
        assert_eq!(Lin::constant(0).to_string(), "0");
    }

    #[test]
    fn checked_operations_report_overflow() {
        let big = scale(&n(), i64::MAX);
        assert_eq!(big.checked_add(&n()), None);
        assert_eq!(big.checked_scale(2), None);
        assert_eq!(c(i64::MIN).checked_scale(-1), None);
        assert_eq!(c(0).checked_sub(&c(i64::MIN)), None);
        assert_eq!(
            n().checked_subst(&|_| Some(big.clone()))
                .map(|l| l.coeff("n")),
            Some(i64::MAX)
        );
        assert_eq!(scale(&n(), 2).checked_subst(&|_| Some(big.clone())), None);
        assert_eq!(big.checked_eval(&|_| 2), None);
        assert_eq!(add(&scale(&n(), 3), &c(1)).checked_eval(&|_| 2), Some(7));
        // Coefficients that cancel leave no zero entries behind.
        assert!(sub(&n(), &n()).is_constant());
    }

    #[test]
    #[allow(deprecated)]
    fn saturating_operations_are_kept_for_now() {
        assert_eq!(c(i64::MAX).add(&c(1)), c(i64::MAX));
        assert_eq!(n().scale(2).sub(&n()), n());
    }

    #[test]
    fn overflow_in_the_prover_is_never_a_proof() {
        // n ≥ 2^62·f + 1 does not imply n ≥ (2^63 - 1)·f, but a saturating
        // prover may think so.
        let hyps = vec![sub(&sub(&n(), &scale(&f(), 1 << 62)), &c(1)), f()];
        let goal = sub(&n(), &scale(&f(), i64::MAX));
        assert_ne!(prove(&hyps, &goal), Proof::Proved);
        // A goal whose negation overflows.
        let goal = add(&scale(&f(), i64::MIN), &n());
        assert_eq!(prove(&hyps, &goal), Proof::Overflow);
        // Small facts still prove.
        assert_eq!(prove(&hyps, &n()), Proof::Proved);
    }

    fn num(k: u64) -> Expr {
        Expr {
            kind: ExprKind::Number(k),
            span: Span::new(0, 1),
        }
    }
    fn name(s: &str) -> Expr {
        Expr {
            kind: ExprKind::Ref {
                name: Ident {
                    name: s.into(),
                    span: Span::new(2, 3),
                },
                field: None,
                indices: Vec::new(),
            },
            span: Span::new(2, 3),
        }
    }
    fn bin(op: BinOp, l: Expr, r: Expr) -> Expr {
        Expr {
            span: l.span.to(r.span),
            kind: ExprKind::Binary {
                op,
                lhs: Box::new(l),
                rhs: Box::new(r),
            },
        }
    }
    fn low(e: &Expr) -> Result<Lin, LowerErrorKind> {
        lower(e, &mut |id| (id.name == "n").then(|| Lin::var("n"))).map_err(|e| e.kind)
    }

    #[test]
    fn lower_folds_constants_and_reports_every_error_kind() {
        use BinOp::*;
        // 2 * n + 7 / 2 - -7 % 3 is not writable (no unary minus); use 7 % 3.
        let e = bin(
            Sub,
            bin(Add, bin(Mul, num(2), name("n")), bin(Div, num(7), num(2))),
            bin(Rem, num(7), num(3)),
        );
        assert_eq!(low(&e), Ok(add(&scale(&n(), 2), &c(2))));
        assert_eq!(
            low(&bin(Div, num(1), num(0))),
            Err(LowerErrorKind::DivByZero)
        );
        assert_eq!(
            low(&bin(Rem, num(1), num(0))),
            Err(LowerErrorKind::DivByZero)
        );
        assert_eq!(
            low(&bin(Mul, name("n"), name("n"))),
            Err(LowerErrorKind::NonLinear)
        );
        assert_eq!(
            low(&bin(Div, num(2), name("n"))),
            Err(LowerErrorKind::NonLinear)
        );
        assert_eq!(
            low(&bin(Div, name("n"), bin(Sub, num(0), num(2)))),
            Err(LowerErrorKind::BadDivision)
        );
        assert_eq!(
            low(&bin(Div, name("n"), num(0))),
            Err(LowerErrorKind::DivByZero)
        );
        assert_eq!(low(&name("x")), Err(LowerErrorKind::NotANumber("x".into())));
        assert_eq!(low(&num(u64::MAX)), Err(LowerErrorKind::Overflow));
        let max = num(i64::MAX as u64);
        assert_eq!(
            low(&bin(Add, max.clone(), num(1))),
            Err(LowerErrorKind::Overflow)
        );
        assert_eq!(
            low(&bin(Mul, max.clone(), name("n"))).map(|l| l.coeff("n")),
            Ok(i64::MAX)
        );
        // i64::MIN / -1 = (0 - MAX - 1) / (0 - 1).
        let min = bin(Sub, bin(Sub, num(0), max), num(1));
        let minus_one = bin(Sub, num(0), num(1));
        assert_eq!(
            low(&bin(Div, min.clone(), minus_one.clone())),
            Err(LowerErrorKind::Overflow)
        );
        assert_eq!(
            low(&bin(Rem, min, minus_one)),
            Err(LowerErrorKind::Overflow)
        );
        let rust = Expr {
            kind: ExprKind::Rust("1".into()),
            span: Span::new(0, 5),
        };
        let err = lower(&rust, &mut |_| None).expect_err("not arithmetic");
        assert_eq!(
            (err.kind, err.span),
            (LowerErrorKind::NotArithmetic, Span::new(0, 5))
        );
    }

    #[test]
    fn floor_division_is_an_atom_the_prover_understands() {
        use BinOp::*;
        let half = low(&bin(Div, name("n"), num(2))).expect("n / 2");
        assert_eq!(half.to_string(), "(n / 2)");
        // n / 2 + 1 is a majority: two of them intersect (2k > n), for every n.
        let k = add(&half, &c(1));
        let intersect = sub(&sub(&scale(&k, 2), &n()), &c(1));
        assert!(prove_nonneg(&[n()], &intersect));
        // n / 2 alone is not (n = 4: 2 + 2 = 4).
        let not = sub(&sub(&scale(&half, 2), &n()), &c(1));
        assert!(!prove_nonneg(&[n()], &not));
        // Evaluated exactly, with Euclidean semantics.
        for (nv, want) in [(0, 0), (1, 0), (4, 2), (7, 3)] {
            assert_eq!(half.checked_eval(&|_| nv), Some(want));
        }
        // (n - 1) / 3 and n % 3 = n - 3 * (n / 3).
        let third = low(&bin(Div, bin(Sub, name("n"), num(1)), num(3))).expect("(n - 1) / 3");
        assert_eq!(third.to_string(), "((n - 1) / 3)");
        assert_eq!(third.checked_eval(&|_| 0), Some(-1));
        assert_eq!(third.checked_eval(&|_| 10), Some(3));
        let rem = low(&bin(Rem, name("n"), num(3))).expect("n % 3");
        for nv in 0..10 {
            assert_eq!(rem.checked_eval(&|_| nv), Some(nv % 3));
        }
        // Nested: (n / 2) / 2 = n / 4 for n ≥ 0.
        let quarter = low(&bin(Div, bin(Div, name("n"), num(2)), num(2))).expect("nested");
        for nv in 0..20 {
            assert_eq!(quarter.checked_eval(&|_| nv), Some(nv / 4));
        }
        // Substitution rebuilds atoms: n := 2f + 1 makes n / 2 = f.
        let f_half = half
            .checked_subst(&|v| (v == "n").then(|| add(&scale(&f(), 2), &c(1))))
            .expect("subst");
        assert_eq!(f_half.to_string(), "((2*f + 1) / 2)");
        assert!(prove_nonneg(&[f()], &sub(&f_half, &f())));
        assert!(prove_nonneg(&[f()], &sub(&f(), &f_half)));
        let constant = half.checked_subst(&|_| Some(c(9))).expect("subst");
        assert_eq!(constant, c(4));
        // An atom that cancels out leaves no definition behind.
        assert_eq!(sub(&add(&n(), &half), &half), n());
        // Too many divisions in one expression.
        let mut e = name("n");
        for _ in 0..=MAX_DIVS {
            e = bin(Div, e, num(2));
        }
        assert_eq!(low(&e), Err(LowerErrorKind::BadDivision));
    }

    #[test]
    fn lower_is_iterative() {
        // A left-nested chain far deeper than any stack would allow.
        let mut e = num(1);
        for _ in 0..200_000 {
            e = bin(BinOp::Add, e, num(1));
        }
        assert_eq!(low(&e), Ok(c(200_001)));
        // Drop it without recursion.
        let mut stack = vec![e];
        while let Some(e) = stack.pop() {
            if let ExprKind::Binary { lhs, rhs, .. } = e.kind {
                stack.push(*lhs);
                stack.push(*rhs);
            }
        }
    }
}
