//! A reference interpreter of the compiler's IR: slow and obviously
//! correct, as the oracle the generated nodes are compared against.
//!
//! It implements the same `rio_runtime::Node` trait, so the simulator
//! drives it exactly like a generated node. After every event it evaluates
//! every rule at every instance key it has seen, in rule order, until
//! nothing changes (no dirty bits, no wake queue, no garbage collection,
//! no precomputed thresholds): one-shot lines, quorums counted in order of
//! first vote, the first available option of a `select`, timers armed when
//! their argument is available. Values are a small dynamic type; Rust
//! functions come from a fixed table, constants are `()`, `None` or numbers.

use rio_compiler::ir::{Cross, Ex, Line, Protocol, Rule};
use rio_lang::arith::Lin;
use rio_lang::ast::{ParamKind, Range};
use rio_lang::graph::{DimKind, Idx, IdxPat, LineDomain, NodeTerm};
use rio_runtime::{Dest, Effects, ForgeMessage, Node, NodeId, TimerId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

/// A dynamic value; `Debug` prints what the generated types print.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum V {
    Unit,
    U64(u64),
    Opt(Option<Box<V>>),
    Pair(Box<V>, Box<V>),
    /// A `Votes<T>`: `(sender, value)` by sender.
    Votes(Vec<(u32, V)>),
}

impl fmt::Debug for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V::Unit => write!(f, "()"),
            V::U64(x) => write!(f, "{x}"),
            V::Opt(None) => write!(f, "None"),
            V::Opt(Some(v)) => write!(f, "Some({v:?})"),
            V::Pair(a, b) => write!(f, "({a:?}, {b:?})"),
            V::Votes(list) => {
                write!(f, "Votes {{ entries: [")?;
                for (k, (s, v)) in list.iter().enumerate() {
                    let sep = if k == 0 { "" } else { ", " };
                    write!(f, "{sep}(NodeId({s}), {v:?})")?;
                }
                write!(f, "] }}")
            }
        }
    }
}

/// The Rust functions the test protocols declare.
fn call(name: &str, args: &[V]) -> V {
    match (name, args) {
        ("inc", [V::U64(x)]) => V::U64(x.saturating_add(1)),
        ("wrap", [v]) => V::Opt(Some(Box::new(v.clone()))),
        ("skip", [_]) => V::Opt(None),
        ("next", [_]) => V::Unit,
        // Paxos phase 2a: the value of the highest-ballot promise, or own.
        ("highest", [V::Votes(promises), own]) => promises
            .iter()
            .filter_map(|(_, p)| match p {
                V::Opt(Some(b)) => match b.as_ref() {
                    V::Pair(ballot, value) => Some((ballot.clone(), value.clone())),
                    _ => None,
                },
                _ => None,
            })
            .max()
            .map_or_else(|| own.clone(), |(_, v)| *v),
        _ => panic!("the oracle has no function {name}({args:?})"),
    }
}

fn constant(code: &str) -> V {
    match code.trim() {
        "()" => V::Unit,
        "None" => V::Opt(None),
        c => V::U64(
            c.parse()
                .unwrap_or_else(|_| panic!("the oracle has no constant `{c}`")),
        ),
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Msg {
    pub line: usize,
    pub key: Vec<u64>,
    pub value: V,
}

impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}{:?}={:?}", self.line, self.key, self.value)
    }
}

impl ForgeMessage for Msg {
    fn forge_any(_rng: &mut rio_runtime::forge::Rng) -> Option<Self> {
        None
    }
    fn forge_like(&self, _rng: &mut rio_runtime::forge::Rng) -> Self {
        self.clone()
    }
}

/// An input: line name, key, value.
#[derive(Clone, Debug)]
pub struct In(pub &'static str, pub Vec<u64>, pub V);

/// An output, printed like the generated `Output` enum.
#[derive(Clone, PartialEq, Eq)]
pub struct Out {
    pub variant: String,
    pub key: Vec<u64>,
    pub value: V,
}

impl fmt::Debug for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}({:?})", self.variant, self.value)
        } else {
            write!(
                f,
                "{} {{ key: {:?}, value: {:?} }}",
                self.variant, self.key, self.value
            )
        }
    }
}

/// A line (or timer) and an instance key.
type Key = (usize, Vec<u64>);

#[derive(Clone)]
pub struct Interp {
    p: Rc<Protocol>,
    me: NodeId,
    /// `nodes`/`faults` parameters and `node` parameters, by name.
    nums: BTreeMap<String, i64>,
    nodes: BTreeMap<String, u32>,
    slots: BTreeMap<(usize, Vec<u64>), V>,
    votes: BTreeMap<Key, Vec<(u32, V)>>,
    fired: BTreeSet<(usize, Vec<u64>)>,
    /// Timer states (1 armed, 2 fired) by (timer, key); armed ids.
    timers: BTreeMap<(usize, Vec<u64>), u8>,
    armed: BTreeMap<u64, (usize, Vec<u64>)>,
    next_timer: u64,
    /// Every instance key seen, by arity.
    keys: BTreeSet<(usize, Vec<u64>)>,
}

impl PartialEq for Interp {
    fn eq(&self, o: &Self) -> bool {
        (self.me, &self.slots, &self.votes, &self.fired) == (o.me, &o.slots, &o.votes, &o.fired)
    }
}
impl Eq for Interp {}
impl std::hash::Hash for Interp {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.me, &self.slots, &self.fired).hash(h);
    }
}
impl fmt::Debug for Interp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Interp({})", self.me)
    }
}

/// The dimension of a line holding its senders, if it is a bundle of votes.
fn sender_dim(l: &Line) -> Option<usize> {
    let domain = match l.domain {
        LineDomain::Dim(d) => Some(d),
        _ => None,
    };
    l.dims
        .iter()
        .enumerate()
        .find(|(k, d)| **d == DimKind::Node && Some(*k) != domain)
        .map(|(k, _)| k)
}

impl Interp {
    pub fn new(p: Rc<Protocol>, me: NodeId, nums: &[(&str, i64)], nodes: &[(&str, u32)]) -> Self {
        Interp {
            p,
            me,
            nums: nums.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            nodes: nodes.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            slots: BTreeMap::new(),
            votes: BTreeMap::new(),
            fired: BTreeSet::new(),
            timers: BTreeMap::new(),
            armed: BTreeMap::new(),
            next_timer: 0,
            keys: BTreeSet::from([(0, Vec::new())]),
        }
    }

    fn n(&self) -> i64 {
        let name = self.p.nodes_param().unwrap_or("n");
        self.nums.get(name).copied().unwrap_or(0)
    }

    fn lin(&self, l: &Lin, env: &BTreeMap<&str, u64>) -> Option<i64> {
        l.try_eval(&|v| match self.nums.get(v) {
            Some(x) => Some(*x),
            None => i64::try_from(*env.get(v)?).ok(),
        })
    }

    fn node(&self, t: &NodeTerm, env: &BTreeMap<&str, u64>) -> Option<u32> {
        match t {
            NodeTerm::Param(p) => self.nodes.get(p).copied(),
            NodeTerm::Var(_) => Some(self.me.0),
            NodeTerm::Leader(l) => u32::try_from(self.lin(l, env)?.rem_euclid(self.n())).ok(),
        }
    }

    /// The number indices of a reference.
    fn key_of(&self, line: usize, idx: &[Idx], env: &BTreeMap<&str, u64>) -> Option<Vec<u64>> {
        let l = self.p.lines.get(line)?;
        let mut key = Vec::new();
        for (d, kind) in l.dims.iter().enumerate() {
            if *kind == DimKind::Number {
                match idx.get(d)? {
                    Idx::Num(lin) => key.push(u64::try_from(self.lin(lin, env)?).ok()?),
                    _ => return None,
                }
            }
        }
        Some(key)
    }

    fn eval(&self, e: &Ex, env: &BTreeMap<&str, u64>, key: &[u64]) -> Option<V> {
        match e {
            Ex::Ref { line, idx } => {
                let k = self.key_of(*line, idx, env)?;
                let l = self.p.lines.get(*line)?;
                match sender_dim(l) {
                    Some(d) => {
                        let Idx::Node(t) = idx.get(d)? else {
                            return None;
                        };
                        let from = self.node(t, env)?;
                        let votes = self.votes.get(&(*line, k))?;
                        votes
                            .iter()
                            .find(|(s, _)| *s == from)
                            .map(|(_, v)| v.clone())
                    }
                    None => self.slots.get(&(*line, k)).cloned(),
                }
            }
            Ex::Const { code, .. } => Some(constant(code)),
            Ex::NodeId(t) => Some(V::U64(u64::from(self.node(t, env)?))),
            Ex::Num(l) => Some(V::U64(u64::try_from(self.lin(l, env)?).ok()?)),
            Ex::Coin(_) => panic!("coins are not modeled by the reference interpreter"),
            Ex::Gather { .. } => panic!("gather is not modeled by the reference interpreter"),
            Ex::Sign(_) | Ex::Cert { .. } | Ex::Payload(_) => {
                panic!("signatures are not modeled by the reference interpreter")
            }
            Ex::Fn { name, args } => {
                let vals: Option<Vec<V>> = args.iter().map(|a| self.eval(a, env, key)).collect();
                Some(call(name, &vals?))
            }
            Ex::Quorum { k, votes, .. } => {
                let Ex::Ref { line, idx } = votes.as_ref() else {
                    return None;
                };
                let need = self.lin(k, env)?;
                let list = self.votes.get(&(*line, self.key_of(*line, idx, env)?))?;
                let mut counts: Vec<(&V, i64)> = Vec::new();
                for (_, v) in list {
                    match counts.iter_mut().find(|(x, _)| *x == v) {
                        Some((_, c)) => *c += 1,
                        None => counts.push((v, 1)),
                    }
                }
                counts
                    .iter()
                    .find(|(_, c)| *c >= need)
                    .map(|(v, _)| (*v).clone())
            }
            Ex::Collect { k, votes } => {
                let Ex::Ref { line, idx } = votes.as_ref() else {
                    return None;
                };
                let need = usize::try_from(self.lin(k, env)?).ok()?;
                let list = self.votes.get(&(*line, self.key_of(*line, idx, env)?))?;
                let mut first: Vec<(u32, V)> = list.get(..need)?.to_vec();
                first.sort_by_key(|(s, _)| *s);
                Some(V::Votes(first))
            }
            Ex::Select { options } => options.iter().find_map(|o| self.eval(o, env, key)),
            Ex::SelectFamily { of } => {
                let Ex::Ref { line, idx } = of.as_ref() else {
                    return None;
                };
                let l = self.p.lines.get(*line)?;
                let mut fixed = Vec::new();
                let mut pos = 0;
                for (d, kind) in l.dims.iter().enumerate() {
                    if *kind == DimKind::Number {
                        if let Some(Idx::Num(lin)) = idx.get(d) {
                            fixed.push((pos, u64::try_from(self.lin(lin, env)?).ok()?));
                        }
                        pos += 1;
                    }
                }
                self.slots
                    .iter()
                    .filter(|((ln, k), _)| {
                        *ln == *line && fixed.iter().all(|(p, v)| k.get(*p) == Some(v))
                    })
                    .map(|(_, v)| v.clone())
                    .next()
            }
            Ex::Sync(a, b) => {
                let a = self.eval(a, env, key)?;
                self.eval(b, env, key)?;
                Some(a)
            }
            Ex::Pair(a, b) => Some(V::Pair(
                Box::new(self.eval(a, env, key)?),
                Box::new(self.eval(b, env, key)?),
            )),
            Ex::Some(a) => match self.eval(a, env, key)? {
                V::Opt(Some(v)) => Some(*v),
                _ => None,
            },
            Ex::Timer { id, arg, delay, .. } => {
                if self.timers.get(&(*id, key.to_vec())) != Some(&2) {
                    return None;
                }
                if *delay {
                    self.eval(arg, env, key)
                } else {
                    Some(V::Unit)
                }
            }
        }
    }

    fn env<'a>(&self, r: &'a Rule, key: &[u64]) -> BTreeMap<&'a str, u64> {
        r.loops
            .iter()
            .filter(|(_, range)| *range == Range::Numbers)
            .map(|(v, _)| v.as_str())
            .zip(key.iter().copied())
            .collect()
    }

    fn store(
        &mut self,
        line: usize,
        key: Vec<u64>,
        from: u32,
        value: V,
        out: &mut Effects<Msg, Out>,
    ) {
        let Some(l) = self.p.lines.get(line) else {
            return;
        };
        self.keys.insert((key.len(), key.clone()));
        if sender_dim(l).is_some() {
            let votes = self.votes.entry((line, key)).or_default();
            if !votes.iter().any(|(s, _)| *s == from) {
                votes.push((from, value));
            }
            return;
        }
        if self.slots.contains_key(&(line, key.clone())) {
            return;
        }
        if l.kind == rio_lang::graph::LineKind::Output {
            out.output(Out {
                variant: rio_compiler::codegen::variant_name(&l.name),
                key: key.clone(),
                value: value.clone(),
            });
        }
        self.slots.insert((line, key), value);
    }

    /// Evaluates every rule everywhere until nothing changes.
    fn fixpoint(&mut self, out: &mut Effects<Msg, Out>) {
        let p = Rc::clone(&self.p);
        loop {
            let mut changed = false;
            for (k, r) in p.rules.iter().enumerate() {
                let arity = r.key_vars().len();
                let keys: Vec<Vec<u64>> = self
                    .keys
                    .iter()
                    .filter(|(a, _)| *a == arity)
                    .map(|(_, key)| key.clone())
                    .collect();
                for key in keys {
                    let env = self.env(r, &key);
                    if self.node(&r.exec, &env) != Some(self.me.0) {
                        continue;
                    }
                    // Timer starters of this rule.
                    let mut stack = vec![&r.value];
                    while let Some(e) = stack.pop() {
                        match e {
                            Ex::Timer { id, arg, ms, .. } => {
                                if !self.timers.contains_key(&(*id, key.clone()))
                                    && self.eval(arg, &env, &key).is_some()
                                {
                                    let ms =
                                        u64::try_from(self.lin(ms, &env).unwrap_or(0)).unwrap_or(0);
                                    let tid = self.next_timer;
                                    self.next_timer += 1;
                                    self.timers.insert((*id, key.clone()), 1);
                                    self.armed.insert(tid, (*id, key.clone()));
                                    out.set_timer(TimerId(tid), ms);
                                    changed = true;
                                }
                                stack.push(arg);
                            }
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
                            Ex::Sync(a, b)
                            | Ex::Pair(a, b)
                            | Ex::Gather {
                                votes: a,
                                deadline: b,
                            } => {
                                stack.push(a);
                                stack.push(b);
                            }
                            Ex::Ref { .. } | Ex::Const { .. } | Ex::NodeId(_) | Ex::Num(_) => {}
                        }
                    }
                    if self.fired.contains(&(k, key.clone())) {
                        continue;
                    }
                    let Some(value) = self.eval(&r.value, &env, &key) else {
                        continue;
                    };
                    self.fired.insert((k, key.clone()));
                    changed = true;
                    let Some(target) = p.lines.get(r.target) else {
                        continue;
                    };
                    let mut tkey = Vec::new();
                    for (d, kind) in target.dims.iter().enumerate() {
                        if *kind == DimKind::Number {
                            match r.pattern.get(d) {
                                Some(IdxPat::Var { name, offset }) => {
                                    let x = i64::try_from(*env.get(name.as_str()).unwrap_or(&0))
                                        .unwrap_or(i64::MAX);
                                    tkey.push(
                                        u64::try_from(x.saturating_add(*offset))
                                            .unwrap_or(u64::MAX),
                                    );
                                }
                                Some(IdxPat::Const(c)) => tkey.push(*c),
                                _ => {}
                            }
                        }
                    }
                    match &r.cross {
                        Cross::Local => {
                            let me = self.me.0;
                            self.store(r.target, tkey, me, value, out);
                        }
                        Cross::Broadcast => out.send(
                            Dest::All,
                            Msg {
                                line: r.target,
                                key: tkey,
                                value,
                            },
                        ),
                        Cross::Link(t) => {
                            if let Some(to) = self.node(t, &env) {
                                out.send(
                                    Dest::One(NodeId(to)),
                                    Msg {
                                        line: r.target,
                                        key: tkey,
                                        value,
                                    },
                                );
                            }
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }
}

impl Node for Interp {
    type Message = Msg;
    type Input = In;
    type Output = Out;

    fn id(&self) -> NodeId {
        self.me
    }

    fn on_start(&mut self, out: &mut Effects<Msg, Out>) {
        self.fixpoint(out);
    }

    fn on_input(&mut self, input: In, out: &mut Effects<Msg, Out>) {
        let In(name, key, value) = input;
        let Some(line) = self.p.line(name) else {
            return;
        };
        let here = match self.p.lines.get(line).map(|l| &l.domain) {
            Some(LineDomain::Param(p)) => self.nodes.get(p) == Some(&self.me.0),
            _ => true,
        };
        if here {
            let me = self.me.0;
            self.store(line, key, me, value, out);
        }
        self.fixpoint(out);
    }

    fn on_message(&mut self, from: NodeId, msg: Msg, out: &mut Effects<Msg, Out>) {
        // Only the node a rule runs at may send its line.
        let p = Rc::clone(&self.p);
        let Some(rule) = p
            .rules
            .iter()
            .find(|r| r.target == msg.line && r.cross != Cross::Local)
        else {
            return;
        };
        let env = self.env(rule, &msg.key);
        let authentic = match &rule.exec {
            NodeTerm::Var(_) => true,
            t => self.node(t, &env) == Some(from.0),
        };
        if authentic {
            self.store(msg.line, msg.key, from.0, msg.value, out);
        }
        self.fixpoint(out);
    }

    fn on_timer(&mut self, timer: TimerId, out: &mut Effects<Msg, Out>) {
        if let Some((id, key)) = self.armed.remove(&timer.0) {
            self.timers.insert((id, key), 2);
        }
        self.fixpoint(out);
    }
}

/// Builds the IR of `protocol` in `src`.
pub fn ir(src: &str, protocol: &str) -> Rc<Protocol> {
    let checked = rio_lang::check_source(src);
    let program = checked
        .program
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    Rc::new(rio_compiler::ir::build(&program, src, protocol).unwrap_or_else(|d| panic!("{d:?}")))
}

/// Unused parameter kinds are fine; this keeps the import honest.
pub fn _kinds() -> [ParamKind; 1] {
    [ParamKind::Nodes]
}
