//! Symbolic linear integer arithmetic over protocol parameters (`n`, `f`) and
//! loop indices, and a small prover for the quorum checks.
//!
//! [`prove_nonneg`] decides `hyps ⊢ e ≥ 0` soundly (it may fail to prove a
//! true fact, never proves a false one) by refuting `hyps ∧ e ≤ -1` with
//! Fourier–Motzkin elimination, tightened for integers after each step
//! (divide by the gcd of the coefficients and round the constant down).

use std::collections::BTreeMap;
use std::fmt;

/// `Σ coeff·var + constant`, with integer coefficients.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Lin {
    pub coeffs: BTreeMap<String, i64>,
    pub constant: i64,
}

impl Lin {
    pub fn constant(c: i64) -> Lin {
        Lin {
            coeffs: BTreeMap::new(),
            constant: c,
        }
    }
    pub fn var(name: &str) -> Lin {
        let mut coeffs = BTreeMap::new();
        coeffs.insert(name.to_string(), 1);
        Lin {
            coeffs,
            constant: 0,
        }
    }
    pub fn add(&self, other: &Lin) -> Lin {
        let mut out = self.clone();
        for (v, c) in &other.coeffs {
            let e = out.coeffs.entry(v.clone()).or_insert(0);
            *e = e.saturating_add(*c);
        }
        out.coeffs.retain(|_, c| *c != 0);
        out.constant = out.constant.saturating_add(other.constant);
        out
    }
    pub fn scale(&self, k: i64) -> Lin {
        let mut out = Lin {
            coeffs: self
                .coeffs
                .iter()
                .map(|(v, c)| (v.clone(), c.saturating_mul(k)))
                .collect(),
            constant: self.constant.saturating_mul(k),
        };
        out.coeffs.retain(|_, c| *c != 0);
        out
    }
    pub fn sub(&self, other: &Lin) -> Lin {
        self.add(&other.scale(-1))
    }
    pub fn is_constant(&self) -> bool {
        self.coeffs.is_empty()
    }
    pub fn coeff(&self, var: &str) -> i64 {
        self.coeffs.get(var).copied().unwrap_or(0)
    }
    /// Evaluates with every variable bound by `env` (missing ones are 0).
    pub fn eval(&self, env: &dyn Fn(&str) -> i64) -> i64 {
        self.coeffs.iter().fold(self.constant, |acc, (v, c)| {
            acc.saturating_add(c.saturating_mul(env(v)))
        })
    }
    /// Replaces variables by linear expressions.
    pub fn subst(&self, map: &dyn Fn(&str) -> Option<Lin>) -> Lin {
        let mut out = Lin::constant(self.constant);
        for (v, c) in &self.coeffs {
            let term = map(v).unwrap_or_else(|| Lin::var(v));
            out = out.add(&term.scale(*c));
        }
        out
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
    }
}

/// Proves `e ≥ 0` from `hyps` (each meaning `h ≥ 0`) over the integers.
pub fn prove_nonneg(hyps: &[Lin], e: &Lin) -> bool {
    // Refute hyps ∧ (-e - 1 ≥ 0).
    let mut system: Vec<Lin> = hyps.iter().cloned().map(tighten).collect();
    system.push(tighten(e.scale(-1).add(&Lin::constant(-1))));
    infeasible(system)
}

fn infeasible(mut system: Vec<Lin>) -> bool {
    const MAX_CONSTRAINTS: usize = 4096;
    loop {
        if system.iter().any(|c| c.is_constant() && c.constant < 0) {
            return true;
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
            .min_by_key(|(_, (p, n))| p * n)
            .map(|(v, _)| v.to_string())
        else {
            return false;
        };
        let (pos, rest): (Vec<Lin>, Vec<Lin>) = system.into_iter().partition(|c| c.coeff(&var) > 0);
        let (neg, zero): (Vec<Lin>, Vec<Lin>) = rest.into_iter().partition(|c| c.coeff(&var) < 0);
        let mut next = zero;
        for p in &pos {
            for q in &neg {
                let a = p.coeff(&var);
                let b = -q.coeff(&var);
                let combined = tighten(p.scale(b).add(&q.scale(a)));
                if !next.contains(&combined) {
                    next.push(combined);
                }
            }
        }
        if next.len() > MAX_CONSTRAINTS {
            return false;
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

    /// Hypotheses of `n > 3f`, `f ≥ 0`.
    fn bft() -> Vec<Lin> {
        vec![n().sub(&f().scale(3)).add(&Lin::constant(-1)), f()]
    }

    #[test]
    fn two_n_minus_f_quorums_intersect_in_a_correct_node() {
        let k = n().sub(&f());
        // 2k - n - f - 1 >= 0
        let e = k.scale(2).sub(&n()).sub(&f()).add(&Lin::constant(-1));
        assert!(prove_nonneg(&bft(), &e));
    }

    #[test]
    fn f_plus_one_quorums_do_not_intersect() {
        let k = f().add(&Lin::constant(1));
        let e = k.scale(2).sub(&n()).sub(&f()).add(&Lin::constant(-1));
        assert!(!prove_nonneg(&bft(), &e));
    }

    #[test]
    fn f_plus_one_holds_a_correct_node() {
        let k = f().add(&Lin::constant(1));
        assert!(prove_nonneg(&bft(), &k.sub(&f()).add(&Lin::constant(-1))));
    }

    #[test]
    fn integer_tightening_proves_two_f_plus_one_under_n_eq_3f_plus_1() {
        // n = 3f + 1 ⊢ 2f + 1 ≥ (n + f)/2 + 1/2, i.e. 2(2f+1) - n - f - 1 ≥ 0.
        let hyps = vec![
            n().sub(&f().scale(3)).add(&Lin::constant(-1)),
            f().scale(3).add(&Lin::constant(1)).sub(&n()),
            f(),
        ];
        let k = f().scale(2).add(&Lin::constant(1));
        assert!(prove_nonneg(
            &hyps,
            &k.scale(2).sub(&n()).sub(&f()).add(&Lin::constant(-1))
        ));
    }

    #[test]
    fn crash_majority() {
        // n > 2f ⊢ two n - f quorums intersect in at least one node.
        let hyps = vec![n().sub(&f().scale(2)).add(&Lin::constant(-1)), f()];
        let k = n().sub(&f());
        assert!(prove_nonneg(
            &hyps,
            &k.scale(2).sub(&n()).add(&Lin::constant(-1))
        ));
        assert!(!prove_nonneg(
            &hyps,
            &k.scale(2).sub(&n()).sub(&f()).add(&Lin::constant(-1))
        ));
    }

    #[test]
    fn display() {
        assert_eq!(
            n().sub(&f().scale(3)).add(&Lin::constant(-1)).to_string(),
            "n - 3*f - 1"
        );
        assert_eq!(Lin::constant(0).to_string(), "0");
    }
}
