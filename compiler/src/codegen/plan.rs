//! What code generation decides before emitting a token: how each line is
//! stored at a node, which tasks (rules and timer starters) each family
//! of instances has and their bit positions, which tasks read each line
//! and how a written key maps to the reader's key, and what the back end
//! cannot handle (diagnostics with the statement's span). Pure data.

use super::params_only;
use crate::ir::{Cross, Ex, Protocol, Rule};
use rio_lang::arith::Lin;
use rio_lang::ast::Span;
use rio_lang::diagnostic::{Code, Diagnostic};
use rio_lang::graph::{DimKind, Idx, IdxPat, LineDomain, LineKind, NodeTerm};

/// How a line is stored at one node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Store {
    /// One value per instance key.
    Scalar,
    /// One value per sender per instance key; the sender is dimension `dim`.
    Tracker { dim: usize },
}

/// A unit of work of an instance: a rule, or the starter of a timer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Task {
    Rule(usize),
    Timer(usize),
}

/// How the key of a written line determines the keys of a reader's
/// instances.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyMap {
    /// Reader key index `p` is written key index `map[p]`: one instance.
    Exact(Vec<usize>),
    /// Reader key index `p` is written key index `map[p].0` minus
    /// `map[p].1`, at least one offset non-zero: one instance of the same
    /// family, another than the writer's (a read of `x[r - 1]` is woken at
    /// `r = k + 1` by a write of `x[k]`). It is opened if new: reading an
    /// earlier instance's line is how a step starts.
    Shifted(Vec<(usize, i64)>),
    /// Some reader indices are fixed `(reader, written, offset)`: reader
    /// index = written index − offset; the others range over the live
    /// instances (none fixed: all of them).
    Partial(Vec<(usize, usize, i64)>),
}

/// A task that reads a line.
#[derive(Clone, Debug, PartialEq)]
pub struct Reader {
    pub arity: usize,
    pub task: usize,
    pub map: KeyMap,
}

/// A `timer(..)`/`delay(..)` inside a rule.
#[derive(Clone, Debug)]
pub struct TimerInfo {
    pub rule: usize,
    pub arity: usize,
    pub task: usize,
    pub arg: Ex,
    pub ms: Lin,
}

/// Where one number index of a constant's instance comes from, for a
/// reader's instance (see [`ConstOpen`]).
#[derive(Clone, Debug, PartialEq)]
pub enum KeySrc {
    /// The reader's key at this position.
    Reader(usize),
    /// A value over the parameters (`x[f]`).
    Value(Lin),
    /// Every index below this bound over the parameters (a `*` read).
    Range(Lin),
}

/// A read, from another instance, of a constant of an unbounded family
/// (`slots[b] = collect(?, 8, last[b][*])` in `for c in 0..`, reading
/// `last[0][s] = { None }` in `for s in 0..8`). Constants of bounded
/// families are opened on start; an unbounded family's instances exist
/// only once something opens them, so creating the reader's instance
/// opens the constant's instances it reads.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstOpen {
    /// The constant's rule.
    pub constant: usize,
    /// The constant's key, index by index.
    pub key: Vec<KeySrc>,
    /// Indices the read must have for it to read the constant (`last[b]`
    /// reads `last[0]` only at `b = 0`): the reader's index, as a source,
    /// and the constant's fixed index.
    pub conds: Vec<(KeySrc, u64)>,
}

/// The tasks of the families with one number of indices.
#[derive(Clone, Debug, Default)]
pub struct Family {
    pub tasks: Vec<Task>,
    pub rules: usize,
    /// Tasks that read some line (the others only run when their instance
    /// starts: at the start event, or when the instance is created).
    pub reads: std::collections::BTreeSet<usize>,
}

impl Family {
    /// Words of the bit sets of this family's tasks.
    pub fn words(&self) -> usize {
        self.tasks.len().div_ceil(64).max(1)
    }
}

pub struct Plan {
    pub stores: Vec<Store>,
    pub max_arity: usize,
    pub families: Vec<Family>,
    /// `(arity, task)` of every rule.
    pub rule_task: Vec<(usize, usize)>,
    pub timers: Vec<TimerInfo>,
    pub readers: Vec<Vec<Reader>>,
    /// Per family (arity): the constants its new instances open.
    pub const_opens: Vec<Vec<ConstOpen>>,
}

/// Largest coefficient allowed in key and threshold arithmetic: with at
/// most [`MAX_TERMS`] terms over 64-bit values, `i128` arithmetic cannot
/// overflow, so generated code computes exactly and then checks the range.
pub const MAX_COEFF: i64 = 1 << 32;
pub const MAX_TERMS: usize = 16;

pub fn unsupported(span: Span, what: String) -> Diagnostic {
    Diagnostic::new(
        Code::Unsupported,
        span,
        format!("code generation does not support {what} yet"),
    )
    .label("not supported by code generation")
    .help("the checker accepts it; rewrite it with the supported subset (see spec/codegen.md)")
}

pub fn bug(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::CompilerBug, span, what.to_string())
        .label("the compiler lost track of this")
        .help(
            "this is a bug in rio-compiler, not in your protocol; please report it with this file",
        )
}

pub use crate::ir::walk;

/// The timers of `e`, in source order, with their arguments.
pub fn timers_of(e: &Ex) -> Vec<(usize, &Ex, &Lin)> {
    let mut out = Vec::new();
    walk(e, &mut |x| {
        if let Ex::Timer { id, arg, ms, .. } = x {
            out.push((*id, arg.as_ref(), ms));
        }
    });
    out
}

/// The references of `e`, except inside timer arguments (a timer's
/// argument is read by its starter, not by the rule).
fn reads_of(e: &Ex) -> Vec<(usize, &[Idx])> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        match x {
            Ex::Ref { line, idx } => out.push((*line, idx.as_slice())),
            Ex::Fn { args, .. } => stack.extend(args.iter()),
            Ex::Select { options } => stack.extend(options.iter()),
            Ex::Quorum { votes: a, .. }
            | Ex::Collect { votes: a, .. }
            | Ex::Cert { votes: a, .. }
            | Ex::Sign(a)
            | Ex::Payload(a)
            | Ex::Some(a)
            | Ex::Coin(a)
            | Ex::SelectFamily { of: a } => stack.push(a),
            Ex::Timer { arg, delay, .. } => {
                if *delay {
                    stack.push(arg);
                }
            }
            Ex::Sync(a, b) | Ex::Pair(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            Ex::Gather { votes, deadline } => {
                stack.push(votes);
                stack.push(deadline);
            }
            Ex::Const { .. } | Ex::NodeId(_) => {}
            Ex::Num(_) => {}
        }
    }
    out
}

fn check_lin(l: &Lin, span: Span, diags: &mut Vec<Diagnostic>) {
    let too_big = |l: &Lin| {
        l.coeffs.len() > MAX_TERMS
            || l.coeffs
                .values()
                .any(|c| c.unsigned_abs() > MAX_COEFF as u64)
            || l.constant.unsigned_abs() > (1u64 << 62)
    };
    // A floor division's value is at most its definition's in magnitude.
    if too_big(l) || l.divs.values().any(|(e, _)| too_big(e)) {
        diags.push(unsupported(
            span,
            format!(
                "arithmetic `{l}` with more than {MAX_TERMS} terms or coefficients beyond 2^32"
            ),
        ));
    }
}

impl Plan {
    pub fn new(p: &Protocol) -> Result<Plan, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        runaways(p, &mut diags);
        let stores = classify(p, &mut diags);
        let max_arity = p.lines.iter().map(|l| l.arity()).max().unwrap_or(0);
        let mut families = vec![Family::default(); max_arity + 1];
        let mut rule_task = Vec::new();
        for (k, r) in p.rules.iter().enumerate() {
            let a = r.key_vars().len();
            if a > max_arity {
                diags.push(bug(r.span, "a rule has more number indices than any line"));
                rule_task.push((0, 0));
                continue;
            }
            let fam = families.get_mut(a);
            let t = fam.as_ref().map_or(0, |f| f.tasks.len());
            if let Some(f) = fam {
                f.tasks.push(Task::Rule(k));
                f.rules += 1;
            }
            rule_task.push((a, t));
        }
        let mut timers = Vec::new();
        for (k, r) in p.rules.iter().enumerate() {
            let a = r.key_vars().len();
            for (id, arg, ms) in timers_of(&r.value) {
                if id != timers.len() {
                    diags.push(bug(r.span, "timers are not numbered in order"));
                }
                let Some(f) = families.get_mut(a) else {
                    continue;
                };
                let task = f.tasks.len();
                f.tasks.push(Task::Timer(id));
                check_lin(ms, r.span, &mut diags);
                timers.push(TimerInfo {
                    rule: k,
                    arity: a,
                    task,
                    arg: arg.clone(),
                    ms: ms.clone(),
                });
            }
        }
        let mut plan = Plan {
            stores,
            max_arity,
            families,
            rule_task,
            timers,
            readers: vec![Vec::new(); p.lines.len()],
            const_opens: Vec::new(),
        };
        for (k, r) in p.rules.iter().enumerate() {
            plan.check_rule(p, r, &mut diags);
            let (a, t) = plan.rule_task.get(k).copied().unwrap_or((0, 0));
            let reads: Vec<(usize, Vec<Idx>)> = reads_of(&r.value)
                .into_iter()
                .map(|(l, i)| (l, i.to_vec()))
                .collect();
            for (line, idx) in reads {
                plan.add_reader(p, r, line, &idx, a, t);
            }
        }
        type Reads = Vec<(usize, Vec<Idx>)>;
        let timer_reads: Vec<(usize, usize, usize, Reads)> = plan
            .timers
            .iter()
            .map(|t| {
                let reads = reads_of(&t.arg)
                    .into_iter()
                    .map(|(l, i)| (l, i.to_vec()))
                    .collect();
                (t.rule, t.arity, t.task, reads)
            })
            .collect();
        for (rule, a, task, reads) in timer_reads {
            let Some(r) = p.rules.get(rule) else { continue };
            for (line, idx) in reads {
                plan.add_reader(p, r, line, &idx, a, task);
            }
        }
        plan.const_opens = plan.find_const_opens(p, &mut diags);
        if diags.is_empty() {
            Ok(plan)
        } else {
            Err(diags)
        }
    }

    /// Whether task `t` of family `a` is a constant: a rule that reads no
    /// line and runs on no timer (it runs when its instance starts).
    pub fn is_constant(&self, p: &Protocol, a: usize, t: usize) -> bool {
        let Some(fam) = self.families.get(a) else {
            return false;
        };
        match fam.tasks.get(t) {
            Some(Task::Rule(k)) if !fam.reads.contains(&t) => p.rules.get(*k).is_some_and(|r| {
                let mut timed = false;
                crate::ir::walk(&r.value, &mut |e| timed |= matches!(e, Ex::Timer { .. }));
                !timed
            }),
            _ => false,
        }
    }

    /// The constants in a family with an unbounded loop (`for c in 0..`):
    /// their instances are not opened on start.
    fn unbounded_constants(&self, p: &Protocol) -> Vec<usize> {
        let mut out = Vec::new();
        for (k, r) in p.rules.iter().enumerate() {
            let Some((a, t)) = self.rule_task.get(k).copied() else {
                continue;
            };
            let bounded = r
                .key_vars()
                .iter()
                .all(|v| r.bounds.iter().any(|(w, b)| w == v && params_only(p, b)));
            if a > 0 && !bounded && self.is_constant(p, a, t) {
                out.push(k);
            }
        }
        out
    }

    /// For every read of a constant of an unbounded family from an
    /// instance other than the constant's own: how the reader's key gives
    /// the constant's keys. A read this cannot follow (at a shifted index,
    /// or through a target index with an offset) is refused.
    fn find_const_opens(&self, p: &Protocol, diags: &mut Vec<Diagnostic>) -> Vec<Vec<ConstOpen>> {
        let mut out = vec![Vec::new(); self.families.len()];
        let constants = self.unbounded_constants(p);
        if constants.is_empty() {
            return out;
        }
        for (k, r) in p.rules.iter().enumerate() {
            let Some((b, _)) = self.rule_task.get(k).copied() else {
                continue;
            };
            let rkeys = r.key_vars();
            let mut reads: Vec<(usize, &[Idx])> = Vec::new();
            crate::ir::walk(&r.value, &mut |e| {
                if let Ex::Ref { line, idx } = e {
                    reads.push((*line, idx.as_slice()));
                }
            });
            for (line, idx) in reads {
                for &kc in &constants {
                    let Some(c) = p.rules.get(kc) else { continue };
                    if c.target != line {
                        continue;
                    }
                    let Some(l) = p.lines.get(line) else { continue };
                    let name = &l.name;
                    let refuse = |why: &str| {
                        Diagnostic::new(
                            Code::Unsupported,
                            r.span,
                            format!(
                                "code generation does not support reading `{name}`, a constant of an unbounded family (line {}), {why}",
                                c.line_no
                            ),
                        )
                        .label("reads the constant from another instance")
                        .help(format!(
                            "an unbounded family's instances exist once something opens them: read `{name}` at the reader's own indices (`{name}[r]` in `for r`), or compute it from a line of the instance that reads it (spec/codegen.md, \"Constants in unbounded families\")"
                        ))
                    };
                    // The reader's index in each number dimension.
                    let mut srcs: Vec<(Option<KeySrc>, &IdxPat)> = Vec::new();
                    let mut bad = None;
                    for (d, kind) in l.dims.iter().enumerate() {
                        if *kind != DimKind::Number {
                            continue;
                        }
                        let Some(pat) = c.pattern.get(d) else {
                            bad = Some("through a target without its number index");
                            break;
                        };
                        let src = match idx.get(d) {
                            None | Some(Idx::Star) => None,
                            Some(Idx::Num(lin)) => {
                                let plain = lin.divs.is_empty()
                                    && lin.constant == 0
                                    && lin.coeffs.len() == 1
                                    && lin.coeffs.values().all(|x| *x == 1);
                                let var = lin.coeffs.keys().next().map(String::as_str);
                                match var.and_then(|v| rkeys.iter().position(|x| *x == v)) {
                                    Some(pos) if plain => Some(KeySrc::Reader(pos)),
                                    _ if params_only(p, lin) => Some(KeySrc::Value(lin.clone())),
                                    _ => {
                                        bad = Some("at an index shifted from the reader's own");
                                        break;
                                    }
                                }
                            }
                            Some(Idx::Node(_)) => {
                                bad = Some("with a node as a number index");
                                break;
                            }
                        };
                        srcs.push((src, pat));
                    }
                    if let Some(why) = bad {
                        diags.push(refuse(why));
                        continue;
                    }
                    let mut conds = Vec::new();
                    let mut key: Vec<Option<KeySrc>> = vec![None; c.key_vars().len()];
                    for (src, pat) in srcs {
                        match pat {
                            IdxPat::Const(v) => {
                                if let Some(src) = src {
                                    conds.push((src, *v));
                                }
                            }
                            IdxPat::Var { name: v, offset } => {
                                let Some(pos) = c.key_vars().iter().position(|x| x == v) else {
                                    bad = Some("indexed by a variable that is not its loop's");
                                    break;
                                };
                                if *offset != 0 {
                                    bad = Some("defined at an offset index (`x[r + 1]`)");
                                    break;
                                }
                                let src = match src {
                                    Some(s) => s,
                                    None => match c.bounds.iter().find(|(w, _)| w == v) {
                                        Some((_, bound)) if params_only(p, bound) => {
                                            KeySrc::Range(bound.clone())
                                        }
                                        _ => {
                                            bad = Some("over all of an unbounded index");
                                            break;
                                        }
                                    },
                                };
                                match key.get_mut(pos) {
                                    Some(slot @ None) => *slot = Some(src),
                                    _ => {
                                        bad = Some("indexed twice by one loop variable");
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    if let Some(why) = bad {
                        diags.push(refuse(why));
                        continue;
                    }
                    let Some(key): Option<Vec<KeySrc>> = key.into_iter().collect() else {
                        diags.push(refuse("whose instance its target does not name"));
                        continue;
                    };
                    let (ac, _) = self.rule_task.get(kc).copied().unwrap_or((0, 0));
                    // The constant's own instance: opened with the reader's.
                    let same =
                        ac == b && key.iter().enumerate().all(|(p, s)| *s == KeySrc::Reader(p));
                    if same {
                        continue;
                    }
                    let open = ConstOpen {
                        constant: kc,
                        key,
                        conds,
                    };
                    if let Some(v) = out.get_mut(b) {
                        if !v.contains(&open) {
                            v.push(open);
                        }
                    }
                }
            }
        }
        out
    }

    fn add_reader(
        &mut self,
        p: &Protocol,
        r: &Rule,
        line: usize,
        idx: &[Idx],
        arity: usize,
        task: usize,
    ) {
        let Some(l) = p.lines.get(line) else { return };
        let keys = r.key_vars();
        // (reader position, written position, offset of the index).
        let mut fixed: Vec<(usize, usize, i64)> = Vec::new();
        let mut q = 0;
        for (d, kind) in l.dims.iter().enumerate() {
            if *kind != DimKind::Number {
                continue;
            }
            if let Some(Idx::Num(lin)) = idx.get(d) {
                if lin.coeffs.len() == 1 && lin.divs.is_empty() {
                    if let Some((v, 1)) = lin.coeffs.iter().next() {
                        if let Some(pos) = keys.iter().position(|k| k == v) {
                            fixed.push((pos, q, lin.constant));
                        }
                    }
                }
            }
            q += 1;
        }
        fixed.sort_unstable();
        fixed.dedup_by_key(|(p, _, _)| *p);
        let shifted = fixed.iter().any(|(_, _, c)| *c != 0);
        let map = if fixed.len() == arity && !shifted {
            KeyMap::Exact(fixed.iter().map(|(_, q, _)| *q).collect())
        } else if fixed.len() == arity && l.arity() == arity {
            KeyMap::Shifted(fixed.iter().map(|(_, q, c)| (*q, *c)).collect())
        } else {
            KeyMap::Partial(fixed)
        };
        if let Some(f) = self.families.get_mut(arity) {
            f.reads.insert(task);
        }
        let reader = Reader { arity, task, map };
        if let Some(v) = self.readers.get_mut(line) {
            if !v.contains(&reader) {
                v.push(reader);
            }
        }
    }

    /// The index bounds of a collection over a number dimension
    /// (`collect(?, k, x[*][i])`): for each rule producing `x`, one past the
    /// highest index it produces in the starred dimension, over the
    /// parameters (`e + c` for `x[r + c]` in `for r in 0..e`, `c + 1` for
    /// `x[c]`). The family's indices lie below the largest. `None` if a rule
    /// produces that dimension without bound, which the checker refuses.
    pub fn family_bounds(&self, p: &Protocol, votes: &Ex) -> Option<Vec<Lin>> {
        let Ex::Ref { line, idx } = votes else {
            return None;
        };
        let star = idx.iter().position(|i| *i == Idx::Star)?;
        let mut sizes: Vec<Lin> = Vec::new();
        for r in p.rules.iter().filter(|r| r.target == *line) {
            let size = match r.pattern.get(star)? {
                IdxPat::Const(c) => Lin::constant(i64::try_from(c.checked_add(1)?).ok()?),
                IdxPat::Var { name, offset } => {
                    let (_, bound) = r.bounds.iter().find(|(v, _)| v == name)?;
                    bound.checked_add(&Lin::constant(*offset))?
                }
            };
            if !sizes.contains(&size) {
                sizes.push(size);
            }
        }
        (!sizes.is_empty()).then_some(sizes)
    }

    /// Whether `votes` of a `collect` is a family read over one number
    /// dimension (`x[*][i]`, one value per instance `j` of `x[j][i]`)
    /// rather than a bundle of votes.
    pub fn collects_family(&self, p: &Protocol, votes: &Ex) -> bool {
        let Ex::Ref { line, idx } = votes else {
            return false;
        };
        self.stores.get(*line) == Some(&Store::Scalar)
            && p.lines.get(*line).is_some_and(|l| {
                l.dims
                    .iter()
                    .zip(idx)
                    .filter(|(d, i)| **d == DimKind::Number && **i == Idx::Star)
                    .count()
                    == 1
            })
    }

    fn check_rule(&self, p: &Protocol, r: &Rule, diags: &mut Vec<Diagnostic>) {
        for t in [
            &r.exec,
            match &r.cross {
                Cross::Link(t) => t,
                _ => &r.exec,
            },
        ] {
            if let NodeTerm::Leader(l) = t {
                check_lin(l, r.span, diags);
            }
        }
        if let Some(target) = p.lines.get(r.target) {
            if r.cross == Cross::Local && self.stores.get(r.target) != Some(&Store::Scalar) {
                diags.push(unsupported(
                    r.span,
                    format!(
                        "a local definition of `{}`, which is bundled over senders",
                        target.name
                    ),
                ));
            }
            if target.kind == LineKind::Input {
                diags.push(bug(r.span, "a rule writes an input"));
            }
        } else {
            diags.push(bug(r.span, "a rule's target line is missing"));
        }
        walk(&r.value, &mut |e| match e {
            Ex::Ref { line, idx } => {
                for i in idx {
                    match i {
                        // `x[r - 1]`, `x[r + 2]`: another instance of a
                        // loop variable's family (kept readable once
                        // finished: `Family::retaining`).
                        Idx::Num(l)
                            if l.coeffs.len() == 1
                                && l.divs.is_empty()
                                && l.coeffs.iter().all(|(v, c)| {
                                    *c == 1 && r.key_vars().contains(&v.as_str())
                                }) =>
                        {
                            check_lin(l, r.span, diags)
                        }
                        Idx::Num(l) if l.constant != 0 || l.coeffs.len() != 1 => {
                            diags.push(unsupported(
                                r.span,
                                format!(
                                    "reading the instance `{}[.. {l} ..]`: an index must be a loop variable plus or minus a constant",
                                    p.lines.get(*line).map_or("", |l| l.name.as_str())
                                ),
                            ));
                        }
                        Idx::Num(l) => check_lin(l, r.span, diags),
                        Idx::Node(NodeTerm::Leader(l)) => check_lin(l, r.span, diags),
                        _ => {}
                    }
                }
                if p.lines.get(*line).is_none() {
                    diags.push(bug(r.span, "a reference to a missing line"));
                }
            }
            Ex::Gather { votes, .. } => match votes.as_ref() {
                Ex::Ref { line, .. }
                    if matches!(self.stores.get(*line), Some(Store::Tracker { .. })) => {}
                _ => diags.push(bug(
                    r.span,
                    "a gather over something other than a bundle of votes",
                )),
            },
            Ex::Quorum { k, votes, .. } | Ex::Collect { k, votes } | Ex::Cert { k, votes } => {
                check_lin(k, r.span, diags);
                match votes.as_ref() {
                    Ex::Ref { line, .. }
                        if matches!(self.stores.get(*line), Some(Store::Tracker { .. })) => {}
                    // A collection over a number dimension (`x[*][i]`).
                    Ex::Ref { .. }
                        if matches!(e, Ex::Collect { .. }) && self.collects_family(p, votes) =>
                    {
                        match self.family_bounds(p, votes) {
                            Some(sizes) => sizes.iter().for_each(|l| check_lin(l, r.span, diags)),
                            None => diags.push(bug(
                                r.span,
                                "a collection over a family without index bounds",
                            )),
                        }
                    }
                    _ => diags.push(bug(
                        r.span,
                        "a quorum over something other than a bundle of votes",
                    )),
                }
            }
            Ex::SelectFamily { of } if !matches!(of.as_ref(), Ex::Ref { .. }) => {
                diags.push(bug(
                    r.span,
                    "a family choice over something other than a line",
                ));
            }
            Ex::Timer { ms, .. } => check_lin(ms, r.span, diags),
            _ => {}
        });
    }
}

/// Forward loops that never wait (E0803). A local rule whose value uses no
/// threshold, choice, timer or `some` produces as soon as the lines it
/// reads exist. The lines that, once a family instance exists, follow at
/// once are the greatest set S such that each has such a rule (base cases
/// — constant target indices — aside) reading only lines of S. A step of
/// a forward loop (`x[r + 1] = ..`) producing a line of S opens the next
/// instance as soon as the previous one exists: a node would open
/// instances without end in one step. Rules inside a bounded loop
/// (`for r in 0..e`) stop, and are not counted.
fn runaways(p: &Protocol, diags: &mut Vec<Diagnostic>) {
    use rio_lang::graph::IdxPat;
    let immediate = |r: &crate::ir::Rule| {
        if r.cross != crate::ir::Cross::Local
            || !r.bounds.is_empty()
            || r.pattern.iter().any(|x| matches!(x, IdxPat::Const(_)))
        {
            return false;
        }
        let mut waits = false;
        walk(&r.value, &mut |e| {
            waits |= matches!(
                e,
                Ex::Quorum { .. }
                    | Ex::Collect { .. }
                    | Ex::Cert { .. }
                    | Ex::Gather { .. }
                    | Ex::Select { .. }
                    | Ex::SelectFamily { .. }
                    | Ex::Timer { .. }
                    | Ex::Some(_)
            );
        });
        !waits
    };
    let reads = |r: &crate::ir::Rule| {
        let mut out = Vec::new();
        walk(&r.value, &mut |e| {
            if let Ex::Ref { line, .. } = e {
                out.push(*line);
            }
        });
        out
    };
    let rules: Vec<(usize, Vec<usize>, &crate::ir::Rule)> = p
        .rules
        .iter()
        .filter(|r| immediate(r))
        .map(|r| (r.target, reads(r), r))
        .collect();
    // Greatest fixpoint: start from every line with an immediate rule and
    // drop lines none of whose immediate rules read only lines still in.
    let mut s = vec![false; p.lines.len()];
    for (t, _, _) in &rules {
        if let Some(x) = s.get_mut(*t) {
            *x = true;
        }
    }
    loop {
        let mut changed = false;
        for l in 0..p.lines.len() {
            if !s.get(l).copied().unwrap_or(false) {
                continue;
            }
            let keeps = rules.iter().any(|(t, rs, _)| {
                *t == l && rs.iter().all(|x| s.get(*x).copied().unwrap_or(false))
            });
            if !keeps {
                if let Some(x) = s.get_mut(l) {
                    *x = false;
                }
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (t, rs, r) in &rules {
        let mut shifted_read = false;
        walk(&r.value, &mut |e| {
            if let Ex::Ref { idx, .. } = e {
                shifted_read |= idx
                    .iter()
                    .any(|i| matches!(i, Idx::Num(l) if l.constant != 0));
            }
        });
        let step = shifted_read
            || r.pattern
                .iter()
                .any(|x| matches!(x, IdxPat::Var { offset, .. } if *offset != 0));
        let runs_away = step
            && s.get(*t).copied().unwrap_or(false)
            && rs.iter().all(|x| s.get(*x).copied().unwrap_or(false));
        if !runs_away {
            continue;
        }
        let name = p.lines.get(*t).map_or("?", |l| l.name.as_str());
        diags.push(
            Diagnostic::new(
                rio_lang::Code::Runaway,
                r.span,
                format!(
                    "every instance of `{name}` is produced as soon as the previous one exists, so a node would open instances of it without end"
                ),
            )
            .label("this step waits on nothing")
            .help("make the step wait on something of its instance — a timer, a message, an input or a quorum — e.g. `x[r + 1] = sync(x[r], timeout) at i`, or bound the loop: `for r in 0..e`"),
        );
    }
}

fn classify(p: &Protocol, diags: &mut Vec<Diagnostic>) -> Vec<Store> {
    let mut stores = Vec::new();
    for l in &p.lines {
        let domain_dim = match l.domain {
            LineDomain::Dim(d) => Some(d),
            _ => None,
        };
        let others: Vec<usize> = l
            .dims
            .iter()
            .enumerate()
            .filter(|(k, d)| **d == DimKind::Node && Some(*k) != domain_dim)
            .map(|(k, _)| k)
            .collect();
        let span = p
            .rules
            .iter()
            .find(|r| p.lines.get(r.target).is_some_and(|t| t.name == l.name))
            .map_or(l.span, |r| r.span);
        let store = match others.as_slice() {
            [] => Store::Scalar,
            [d] => Store::Tracker { dim: *d },
            _ => {
                diags.push(unsupported(
                    span,
                    format!("line `{}` with more than one sender dimension", l.name),
                ));
                Store::Scalar
            }
        };
        if l.kind == LineKind::Input && store != Store::Scalar {
            diags.push(unsupported(
                span,
                format!("input `{}` bundled over senders", l.name),
            ));
        }
        stores.push(store);
    }
    stores
}
