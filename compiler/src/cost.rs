//! The cost report: per protocol instance, the messages each cross-domain
//! component sends (a polynomial in `n`), the most one node sends, and the
//! causal depth — communication steps — of every output.
//!
//! Counts are per instance of the enclosing number families (heights,
//! rounds, slots): a `broadcast` inside `for i in nodes` sends `n` messages
//! from each of `n` nodes, so `n^2`. Messages of different families (one
//! broadcast per proposer `j`, the rounds `(j, r)` of an agreement) are
//! listed and totalled per family, never added across.
//!
//! Depth takes the fastest option of a choice (`select`), the slowest
//! argument of everything else, and adds one step per `broadcast`/`link`.
//! It is the good-case depth of the first instance: a read of a later
//! instance (`x[b + 1]`) is not on its path, and no timer fires
//! (`timer`/`delay` never complete), so an output reachable only through a
//! timeout is reported as such.

use rio_lang::ast::{ComponentDecl, Expr, ExprKind, ForLoop, Range, Stmt};
use rio_lang::graph::{Component, LineKind, Program};
use rio_lang::Builtin;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

/// A polynomial in `n` with natural coefficients, lowest degree first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Poly(pub Vec<u64>);

impl Poly {
    fn monomial(degree: usize, coeff: u64) -> Poly {
        let mut v = vec![0; degree + 1];
        if let Some(c) = v.get_mut(degree) {
            *c = coeff;
        }
        Poly(v)
    }
    fn add(&self, other: &Poly) -> Poly {
        let len = self.0.len().max(other.0.len());
        Poly(
            (0..len)
                .map(|k| self.0.get(k).unwrap_or(&0) + other.0.get(k).unwrap_or(&0))
                .collect(),
        )
    }
    /// The coefficient-wise maximum: a bound on whichever of two costs is
    /// paid.
    fn max(&self, other: &Poly) -> Poly {
        let len = self.0.len().max(other.0.len());
        Poly(
            (0..len)
                .map(|k| {
                    let a = self.0.get(k).copied().unwrap_or(0);
                    let b = other.0.get(k).copied().unwrap_or(0);
                    a.max(b)
                })
                .collect(),
        )
    }

    fn shift(&self, by: usize) -> Poly {
        let mut v = vec![0; by];
        v.extend(&self.0);
        Poly(v)
    }
    /// Evaluates at `n`.
    pub fn at(&self, n: u64) -> u64 {
        self.0
            .iter()
            .rev()
            .fold(0, |acc, c| acc.saturating_mul(n).saturating_add(*c))
    }
}

impl fmt::Display for Poly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let terms: Vec<String> = self
            .0
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, c)| **c != 0)
            .map(|(d, c)| {
                let var = match d {
                    0 => String::new(),
                    1 => "n".into(),
                    _ => format!("n^{d}"),
                };
                match (c, d) {
                    (1, 0) => "1".into(),
                    (1, _) => var,
                    _ => format!("{c}{var}"),
                }
            })
            .collect();
        if terms.is_empty() {
            write!(f, "0")
        } else {
            write!(f, "{}", terms.join(" + "))
        }
    }
}

/// One cross-domain component of a protocol.
#[derive(Clone, Debug)]
pub struct MessageCost {
    /// The message tag: the produced line's name (qualified inside instances).
    pub tag: String,
    pub kind: &'static str,
    /// Who sends it.
    pub from: String,
    /// Messages per protocol instance.
    pub total: Poly,
    /// Messages one sending node sends.
    pub per_sender: Poly,
    /// The number families the counts are per instance of (the loops
    /// around the statement, qualified inside component instances).
    pub per: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct CostReport {
    pub protocol: String,
    /// The number families the counts are per instance of.
    pub families: Vec<String>,
    pub messages: Vec<MessageCost>,
    /// Communication steps from the inputs to each output.
    pub depth: BTreeMap<String, Option<u32>>,
}

impl CostReport {
    pub fn total(&self) -> Poly {
        self.messages
            .iter()
            .fold(Poly::default(), |acc, m| acc.add(&m.total))
    }
    /// The most one node may send: a node may be every named sender at once.
    pub fn most_per_node(&self) -> Poly {
        self.messages
            .iter()
            .fold(Poly::default(), |acc, m| acc.add(&m.per_sender))
    }
}

impl fmt::Display for CostReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One header when every message has the same families; else each
        // line says its own (n broadcasts per `j`, rounds per `(j, r)`).
        let uniform = self.messages.windows(2).all(|w| match w {
            [a, b] => a.per == b.per,
            _ => true,
        });
        let per = if !uniform {
            "per instance of the families in brackets".to_string()
        } else if self.families.is_empty() {
            "per instance".to_string()
        } else {
            format!("per instance of ({})", self.families.join(", "))
        };
        writeln!(f, "protocol {} — messages {per}", self.protocol)?;
        for m in &self.messages {
            let total = if uniform || m.per.is_empty() {
                m.total.to_string()
            } else {
                format!("{:<12} [{}]", m.total.to_string(), m.per.join(", "))
            };
            writeln!(
                f,
                "  {:<24} {:<9} from {:<18} {}",
                m.tag, m.kind, m.from, total
            )?;
        }
        if uniform {
            writeln!(
                f,
                "  {:<24} {:<9}      {:<18} {}",
                "total",
                "",
                "",
                self.total()
            )?;
            writeln!(f, "  sent by one node, at most: {}", self.most_per_node())?;
        } else {
            // Counts of different families do not add up: one total each.
            let mut groups: Vec<&Vec<String>> = Vec::new();
            for m in &self.messages {
                if !groups.contains(&&m.per) {
                    groups.push(&m.per);
                }
            }
            for g in groups {
                let of = |p: fn(&MessageCost) -> &Poly| {
                    self.messages
                        .iter()
                        .filter(|m| m.per == *g)
                        .fold(Poly::default(), |acc, m| acc.add(p(m)))
                };
                let total = format!("{:<12} [{}]", of(|m| &m.total).to_string(), g.join(", "));
                writeln!(f, "  {:<24} {:<9}      {:<18} {}", "total", "", "", total)?;
                writeln!(
                    f,
                    "  sent by one node, at most: {} [{}]",
                    of(|m| &m.per_sender),
                    g.join(", ")
                )?;
            }
        }
        writeln!(f, "causal depth (communication steps from the inputs):")?;
        for (out, d) in &self.depth {
            match d {
                Some(d) => writeln!(f, "  {out}: {d}")?,
                None => writeln!(f, "  {out}: only after a timeout")?,
            }
        }
        Ok(())
    }
}

/// The cost report of every protocol in a checked program.
pub fn report(program: &Program) -> Vec<CostReport> {
    program
        .components
        .iter()
        .filter(|c| c.decl.kind == rio_lang::ast::ComponentKind::Protocol)
        .map(|c| {
            let mut messages = Vec::new();
            collect_messages(
                program,
                &c.decl,
                "",
                0,
                &c.decl.body,
                &mut Vec::new(),
                &mut messages,
                &mut Vec::new(),
            );
            let messages = merge_producers(messages);
            // In nesting order (a slot before its ballots), each once.
            let mut families: Vec<String> = Vec::new();
            for v in messages.iter().flat_map(|m| m.per.iter()) {
                if !families.contains(v) {
                    families.push(v.clone());
                }
            }
            let inputs: BTreeMap<String, u32> = c
                .lines
                .values()
                .filter(|l| l.kind == LineKind::Input)
                .map(|l| (l.name.clone(), 0))
                .collect();
            let depths = depths(program, c, &inputs);
            let depth = c
                .lines
                .values()
                .filter(|l| l.kind == LineKind::Output)
                .map(|l| (l.name.clone(), depths.get(&l.name).copied().flatten()))
                .collect();
            CostReport {
                protocol: c.decl.name.name.clone(),
                families,
                messages,
                depth,
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn collect_messages<'a>(
    program: &Program,
    comp: &ComponentDecl,
    prefix: &str,
    outer_node_loops: usize,
    body: &'a [Stmt],
    loops: &mut Vec<&'a ForLoop>,
    out: &mut Vec<MessageCost>,
    numbers: &mut Vec<String>,
) {
    for stmt in body {
        match stmt {
            Stmt::For(l) => {
                let number = l.range == Range::Numbers;
                if number {
                    numbers.push(format!("{prefix}{}", l.var.name));
                }
                loops.push(l);
                collect_messages(
                    program,
                    comp,
                    prefix,
                    outer_node_loops,
                    &l.body,
                    loops,
                    out,
                    numbers,
                );
                loops.pop();
                if number {
                    numbers.pop();
                }
            }
            Stmt::Def(d) => {
                let ExprKind::Call { name, args } = &d.value.kind else {
                    continue;
                };
                let kind = match Builtin::from_name(&name.name) {
                    Some(b @ (Builtin::Broadcast | Builtin::Link)) => b.name(),
                    _ => continue,
                };
                let node_loops =
                    outer_node_loops + loops.iter().filter(|l| l.range == Range::Nodes).count();
                let fanout = usize::from(kind == Builtin::Broadcast.name());
                let from = d
                    .from
                    .as_ref()
                    .or(d.at.as_ref())
                    .map(expr_text)
                    .or_else(|| args.first().map(|_| "its node".to_string()))
                    .unwrap_or_default();
                let from = if loops
                    .iter()
                    .any(|l| l.range == Range::Nodes && l.var.name == from)
                {
                    format!("each {from}")
                } else {
                    from
                };
                out.push(MessageCost {
                    tag: format!("{prefix}{}", d.target.name),
                    kind,
                    from,
                    total: Poly::monomial(fanout + node_loops, 1),
                    per_sender: Poly::monomial(fanout + node_loops.saturating_sub(1), 1),
                    per: numbers.clone(),
                });
            }
            Stmt::Instance(i) => {
                if let Some(callee) = program.component(&i.component.name) {
                    let node_loops =
                        outer_node_loops + loops.iter().filter(|l| l.range == Range::Nodes).count();
                    let mut inner = Vec::new();
                    let p = format!("{prefix}{}.", i.name.name);
                    // The instance's statements run inside the loops around
                    // it too.
                    let mut inner_numbers = numbers.clone();
                    collect_messages(
                        program,
                        &callee.decl,
                        &p,
                        0,
                        &callee.decl.body,
                        &mut Vec::new(),
                        &mut inner,
                        &mut inner_numbers,
                    );
                    // A sender that is the component's `node` parameter is
                    // named by the argument (`leader(j)`, not `sender`).
                    let args: BTreeMap<&str, String> = callee
                        .decl
                        .params
                        .iter()
                        .zip(&i.args)
                        .filter(|(p, _)| p.kind == rio_lang::ast::ParamKind::Node)
                        .map(|(p, a)| (p.name.name.as_str(), expr_text(a)))
                        .collect();
                    for m in inner {
                        let from = args.get(m.from.as_str()).cloned().unwrap_or(m.from);
                        out.push(MessageCost {
                            total: m.total.shift(node_loops),
                            from,
                            ..m
                        });
                    }
                }
            }
            Stmt::Port(_) => {}
        }
    }
    let _ = comp;
}

/// One entry per message line: a line produced by several statements (a
/// forward loop's base case `x[0]` and step `x[r + 1]`) is sent by one of
/// them per instance, so its cost is the larger of theirs, not the sum.
fn merge_producers(messages: Vec<MessageCost>) -> Vec<MessageCost> {
    let mut out: Vec<MessageCost> = Vec::new();
    for m in messages {
        match out.iter_mut().find(|o| o.tag == m.tag) {
            Some(o) => {
                o.total = o.total.max(&m.total);
                o.per_sender = o.per_sender.max(&m.per_sender);
            }
            None => out.push(m),
        }
    }
    out
}

fn expr_text(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Ref { name, .. } => name.name.clone(),
        ExprKind::Call { name, args } => {
            format!(
                "{}({})",
                name.name,
                args.iter().map(expr_text).collect::<Vec<_>>().join(", ")
            )
        }
        ExprKind::Number(n) => n.to_string(),
        ExprKind::Binary { lhs, rhs, op } => {
            let op = match op {
                rio_lang::ast::BinOp::Add => "+",
                rio_lang::ast::BinOp::Sub => "-",
                rio_lang::ast::BinOp::Mul => "*",
                rio_lang::ast::BinOp::Div => "/",
                rio_lang::ast::BinOp::Rem => "%",
            };
            format!("{} {op} {}", expr_text(lhs), expr_text(rhs))
        }
        _ => "?".into(),
    }
}

/// Causal depth of every line, given the depth of the inputs: a fixpoint
/// from above (lines start unreachable and only get faster).
fn depths(
    program: &Program,
    c: &Component,
    inputs: &BTreeMap<String, u32>,
) -> BTreeMap<String, Option<u32>> {
    let mut d: BTreeMap<String, Option<u32>> = c
        .lines
        .keys()
        .map(|k| (k.clone(), inputs.get(k).copied()))
        .collect();
    let params: BTreeSet<String> = c.decl.params.iter().map(|p| p.name.name.clone()).collect();
    let mut defs = Vec::new();
    let mut instances = Vec::new();
    walk(&c.decl.body, &mut defs, &mut instances);
    // Lines that depend on an input (or on a component instance's output):
    // the others are Rust constants.
    let mut grounded: BTreeSet<String> = inputs.keys().cloned().collect();
    for inst in &instances {
        if let Some(callee) = program.component(&inst.component.name) {
            for l in callee.lines.values().filter(|l| l.kind == LineKind::Output) {
                grounded.insert(format!("{}.{}", inst.name.name, l.name));
            }
        }
    }
    loop {
        let before = grounded.len();
        for (target, value) in &defs {
            if !grounded.contains(*target) && reads_grounded(value, &grounded) {
                grounded.insert(target.to_string());
            }
        }
        if grounded.len() == before {
            break;
        }
    }
    for _ in 0..(defs.len() + instances.len() + 2) * 2 {
        let mut changed = false;
        for (target, value) in &defs {
            let v = expr_depth(value, &d, &grounded, &params);
            let slot = d.entry(target.to_string()).or_insert(None);
            if let Some(v) = v {
                if slot.is_none_or(|old| v < old) {
                    *slot = Some(v);
                    changed = true;
                }
            }
        }
        for inst in &instances {
            let Some(callee) = program.component(&inst.component.name) else {
                continue;
            };
            let ins: BTreeMap<String, u32> = inst
                .bindings
                .iter()
                .filter_map(|b| {
                    expr_depth(&b.value, &d, &grounded, &params).map(|v| (b.port.name.clone(), v))
                })
                .collect();
            for (line, v) in depths(program, callee, &ins) {
                if callee
                    .lines
                    .get(&line)
                    .is_some_and(|l| l.kind == LineKind::Output)
                {
                    let slot = d
                        .entry(format!("{}.{line}", inst.name.name))
                        .or_insert(None);
                    if let Some(v) = v {
                        if slot.is_none_or(|old| v < old) {
                            *slot = Some(v);
                            changed = true;
                        }
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    d
}

fn walk<'a>(
    body: &'a [Stmt],
    defs: &mut Vec<(&'a str, &'a Expr)>,
    instances: &mut Vec<&'a rio_lang::ast::Instance>,
) {
    for s in body {
        match s {
            Stmt::For(l) => walk(&l.body, defs, instances),
            Stmt::Def(d) => defs.push((&d.target.name, &d.value)),
            Stmt::Instance(i) => instances.push(i),
            Stmt::Port(_) => {}
        }
    }
}

fn expr_depth(
    e: &Expr,
    d: &BTreeMap<String, Option<u32>>,
    grounded: &BTreeSet<String>,
    params: &BTreeSet<String>,
) -> Option<u32> {
    match &e.kind {
        // A read of a later instance (`x[b + 1]`, a loop variable plus a
        // positive constant) is not on the good-case path: the depth is
        // that of the first instance, and no later instance has started
        // then (a Paxos acceptor's "a higher ballot's prepare arrived").
        ExprKind::Ref { indices, .. }
            if indices.iter().any(|i| match i {
                rio_lang::ast::Index::Expr(x) => {
                    rio_lang::arith::lower(x, &mut |id| Some(rio_lang::arith::Lin::var(&id.name)))
                        .is_ok_and(|l| {
                            l.constant > 0
                                && l.divs.is_empty()
                                && l.coeffs.len() == 1
                                && l.coeffs.iter().all(|(v, c)| *c == 1 && !params.contains(v))
                        })
                }
                rio_lang::ast::Index::Star(_) => false,
            }) =>
        {
            None
        }
        ExprKind::Ref { name, field, .. } => {
            let key = match field {
                Some(f) => format!("{}.{}", name.name, f.name),
                None => name.name.clone(),
            };
            match d.get(&key) {
                Some(depth) => *depth,
                // Not a line: a node's own id (`f(x, i)`), known from the
                // start.
                None => Some(0),
            }
        }
        ExprKind::Call { name, args } => {
            let lines = args.iter().filter(|a| is_line(a));
            match Builtin::from_name(&name.name) {
                Some(Builtin::Broadcast | Builtin::Link) => args
                    .first()
                    .and_then(|a| expr_depth(a, d, grounded, params))
                    .map(|v| v + 1),
                Some(Builtin::Select) => lines
                    .filter_map(|a| expr_depth(a, d, grounded, params))
                    .min(),
                Some(Builtin::Quorum | Builtin::Collect | Builtin::Cert) => {
                    args.last().and_then(|a| expr_depth(a, d, grounded, params))
                }
                // Available at its deadline, whatever arrived.
                Some(Builtin::Gather) => {
                    args.last().and_then(|a| expr_depth(a, d, grounded, params))
                }
                // `some(e)` is available only when `e` is `Some(..)`. When
                // `e` depends on no input (only on Rust constants) it is a
                // constant: never available, or pointless; it is not a way
                // to finish early (a `select` would otherwise take it at
                // depth 0).
                Some(Builtin::Some) if !args.iter().any(|a| reads_grounded(a, grounded)) => None,
                // The good case: no timeout fires.
                Some(Builtin::Timer | Builtin::Delay) => None,
                _ => {
                    let mut max = 0;
                    for a in lines {
                        max = max.max(expr_depth(a, d, grounded, params)?);
                    }
                    Some(max)
                }
            }
        }
        ExprKind::Rust(_) => Some(0),
        _ => None,
    }
}

/// Whether an expression reads a line in `grounded` (iteratively).
fn reads_grounded(e: &Expr, grounded: &BTreeSet<String>) -> bool {
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        match &x.kind {
            ExprKind::Ref { name, field, .. } => {
                let key = match field {
                    Some(f) => format!("{}.{}", name.name, f.name),
                    None => name.name.clone(),
                };
                if grounded.contains(&key) {
                    return true;
                }
            }
            ExprKind::Call { args, .. } => stack.extend(args.iter()),
            ExprKind::Binary { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            _ => {}
        }
    }
    false
}

/// Whether an argument is a line (not a threshold, duration, node or `?`).
fn is_line(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Ref { .. } | ExprKind::Rust(_) => true,
        ExprKind::Call { name, .. } => Builtin::from_name(&name.name) != Some(Builtin::Leader),
        _ => false,
    }
}

/// Renders every report.
pub fn render(reports: &[CostReport]) -> String {
    let mut s = String::new();
    for r in reports {
        let _ = write!(s, "{r}");
    }
    s
}
