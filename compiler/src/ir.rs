//! The whole-system IR of one protocol: component instances inlined, every
//! definition a [`Rule`] with its loops, its execution domain and a resolved
//! expression tree. Projection onto a node happens in code generation: every
//! node runs the same rules, each only where its domain is that node.

use rio_lang::arith::Lin;
use rio_lang::ast::{self, ComponentDecl, ExprKind, ParamKind, Range, Span, Stmt};
use rio_lang::diagnostic::{Code, Diagnostic};
use rio_lang::graph::Idx;
use rio_lang::graph::{At, Component, DimKind, IdxPat, LineDomain, LineKind, NodeTerm, Program};
use rio_lang::Builtin;
use std::collections::{BTreeMap, HashMap};

/// A line family of the flattened protocol.
#[derive(Clone, Debug)]
pub struct Line {
    /// Qualified name: `echo`, or `cb.echo` inside instance `cb`.
    pub name: String,
    pub ty: String,
    pub dims: Vec<DimKind>,
    pub domain: LineDomain,
    pub kind: LineKind,
    /// Where the line is declared (its port, or its first producer): what
    /// a diagnostic about the line points at.
    pub span: Span,
}

impl Line {
    /// The number of number (family) dimensions: the instance key's arity.
    pub fn arity(&self) -> usize {
        self.dims.iter().filter(|d| **d == DimKind::Number).count()
    }
}

/// How a rule's value reaches its line.
#[derive(Clone, Debug, PartialEq)]
pub enum Cross {
    /// Computed where it lives.
    Local,
    /// `broadcast(v)`: sent to every node.
    Broadcast,
    /// `link(v, j)`: sent to node `j`.
    Link(NodeTerm),
}

/// A resolved expression.
#[derive(Clone, Debug)]
pub enum Ex {
    Ref {
        line: usize,
        idx: Vec<Idx>,
    },
    Const {
        ty: String,
        code: String,
    },
    /// A node's id as a value (`f(x, i)` inside `for i in nodes`).
    NodeId(NodeTerm),
    /// A number as a `u64` value: `n`, `f` or a number loop variable.
    Num(Lin),
    /// `coin(s)`: a random `bool` once `s` is available.
    Coin(Box<Ex>),
    Fn {
        name: String,
        args: Vec<Ex>,
    },
    Quorum {
        k: Lin,
        votes: Box<Ex>,
        /// `quorum(?, ..)`: which value reaches `k` first may depend on
        /// arrival order (a choice point); without `?` the checker proved
        /// the quorum unique.
        chooses: bool,
    },
    /// `collect(?, k, votes)`: the first `k` votes as a `Votes<T>`.
    Collect {
        k: Lin,
        votes: Box<Ex>,
    },
    /// `cert(k, votes)`: `k` signatures on one value as a `Cert<T>`.
    Cert {
        k: Lin,
        votes: Box<Ex>,
    },
    /// `gather(?, votes, deadline)`: the votes present when `deadline` is.
    Gather {
        votes: Box<Ex>,
        deadline: Box<Ex>,
    },
    /// `sign(v)`: `v` signed by the node the rule runs at, for the rule's
    /// target line and key.
    Sign(Box<Ex>),
    /// `payload(x)`: the value of a signed value or a certificate.
    Payload(Box<Ex>),
    Select {
        options: Vec<Ex>,
    },
    SelectFamily {
        of: Box<Ex>,
    },
    Sync(Box<Ex>, Box<Ex>),
    Pair(Box<Ex>, Box<Ex>),
    Some(Box<Ex>),
    /// `timer(arg, ms)` (value `()`) or `delay(arg, ms)` (value of `arg`).
    Timer {
        id: usize,
        arg: Box<Ex>,
        ms: Lin,
        delay: bool,
    },
}

/// One definition: produces `target[pattern]` for every instance of its loops.
#[derive(Clone, Debug)]
pub struct Rule {
    pub target: usize,
    pub pattern: Vec<IdxPat>,
    pub loops: Vec<(String, Range)>,
    pub value: Ex,
    /// Where the rule runs (the sender, for a broadcast or link).
    pub exec: NodeTerm,
    pub cross: Cross,
    /// Bounded number loops (`for r in 0..e`): each variable with its
    /// exclusive upper bound, over the parameters.
    pub bounds: Vec<(String, Lin)>,
    /// The statement's source text and 1-based line, for doc comments.
    pub source: String,
    pub line_no: usize,
    /// The statement, for diagnostics.
    pub span: Span,
}

impl Rule {
    /// The number loop variables: the rule's instance key.
    pub fn key_vars(&self) -> Vec<&str> {
        self.loops
            .iter()
            .filter(|(_, r)| *r == Range::Numbers)
            .map(|(v, _)| v.as_str())
            .collect()
    }
    pub fn node_var(&self) -> Option<&str> {
        self.loops
            .iter()
            .find(|(_, r)| *r == Range::Nodes)
            .map(|(v, _)| v.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct Protocol {
    pub name: String,
    pub generics: Vec<String>,
    /// Parameters in declaration order.
    pub params: Vec<(ParamKind, String)>,
    /// The `where` clause: each `lin >= 0`, with its source text.
    pub constraints: Vec<(Lin, String)>,
    pub lines: Vec<Line>,
    pub rules: Vec<Rule>,
    pub timers: usize,
    /// What the faulty nodes may do (`faults f: crash`; Byzantine unless
    /// stated).
    pub fault_model: ast::FaultModel,
}

impl Protocol {
    pub fn line(&self, name: &str) -> Option<usize> {
        self.lines.iter().position(|l| l.name == name)
    }
    pub fn nodes_param(&self) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| *k == ParamKind::Nodes)
            .map(|(_, n)| n.as_str())
    }
}

/// Substitutions applied when inlining a component instance.
#[derive(Clone, Default)]
struct Subst {
    prefix: String,
    nodes: HashMap<String, NodeTerm>,
    nums: HashMap<String, Lin>,
    /// The callee's type parameters, as the caller's types (inferred from
    /// the bound inputs, as the checker does): `T` of `Echo<T>` is `u64`
    /// when `bc` is bound to a `u64`.
    types: HashMap<String, String>,
    /// The loops around the instance, in the root protocol's names: every
    /// line of the instance gets their dimensions first, every rule runs
    /// inside them and every reference indexes them by their variables.
    outer: Vec<(String, Range)>,
    /// Set when a substitution overflowed: the builder reports it as an
    /// error, so the placeholder value never reaches generated code.
    overflow: std::cell::Cell<bool>,
}

impl Subst {
    fn node(&self, t: &NodeTerm) -> NodeTerm {
        match t {
            NodeTerm::Param(p) => self.nodes.get(p).cloned().unwrap_or_else(|| t.clone()),
            NodeTerm::Var(v) => NodeTerm::Var(format!("{}{v}", self.prefix.replace('.', "_"))),
            NodeTerm::Leader(l) => NodeTerm::Leader(self.lin(l)),
        }
    }
    fn lin(&self, l: &Lin) -> Lin {
        let p = self.prefix.replace('.', "_");
        l.checked_subst(&|v| {
            self.nums.get(v).cloned().or_else(|| {
                (!v.starts_with('#') && !p.is_empty()).then(|| Lin::var(&format!("{p}{v}")))
            })
        })
        .unwrap_or_else(|| {
            self.overflow.set(true);
            Lin::constant(0)
        })
    }
    fn var(&self, v: &str) -> String {
        format!("{}{v}", self.prefix.replace('.', "_"))
    }
    /// A type of the component, in the root protocol's types.
    fn ty(&self, t: &str) -> String {
        t.split(' ')
            .map(|w| self.types.get(w).map_or(w, String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
    /// The target indices of the loops around the instance.
    fn outer_pattern(&self) -> impl Iterator<Item = IdxPat> + '_ {
        self.outer.iter().map(|(v, _)| IdxPat::Var {
            name: v.clone(),
            offset: 0,
        })
    }
    /// The indices of the loops around the instance, in a reference.
    fn outer_idx(&self) -> impl Iterator<Item = Idx> + '_ {
        self.outer.iter().map(|(v, r)| match r {
            Range::Nodes => Idx::Node(NodeTerm::Var(v.clone())),
            Range::Numbers => Idx::Num(Lin::var(v)),
        })
    }
}

struct Builder<'a> {
    program: &'a Program,
    src: &'a str,
    lines: Vec<Line>,
    rules: Vec<Rule>,
    timers: usize,
    diags: Vec<Diagnostic>,
    /// The bounds of the enclosing bounded loops.
    bounds: Vec<(String, Lin)>,
    /// Prefixes (`rb.`) of component instances refused with a diagnostic:
    /// their lines do not exist, and a read of one is not a second error.
    refused: Vec<String>,
}

/// Builds the IR of protocol `name`. Constructs code generation does not
/// support yet are reported as `E0801` diagnostics.
pub fn build(program: &Program, src: &str, name: &str) -> Result<Protocol, Vec<Diagnostic>> {
    let Some(comp) = program.component(name) else {
        return Err(vec![Diagnostic::new(
            Code::Unsupported,
            Span::default(),
            format!("no protocol named `{name}`"),
        )
        .label("not found")
        .help("name a protocol declared in the file")]);
    };
    let mut b = Builder {
        program,
        src,
        lines: Vec::new(),
        rules: Vec::new(),
        timers: 0,
        diags: Vec::new(),
        bounds: Vec::new(),
        refused: Vec::new(),
    };
    b.component(comp, &Subst::default());
    if !b.diags.is_empty() {
        return Err(b.diags);
    }
    let constraints = comp
        .hyps
        .iter()
        .zip(hyp_texts(&comp.decl, src))
        .map(|(h, t)| (h.clone(), t))
        .collect();
    Ok(Protocol {
        name: comp.decl.name.name.clone(),
        generics: comp.decl.generics.iter().map(|g| g.name.clone()).collect(),
        params: comp
            .decl
            .params
            .iter()
            .map(|p| (p.kind, p.name.name.clone()))
            .collect(),
        constraints,
        lines: b.lines,
        rules: b.rules,
        timers: b.timers,
        fault_model: comp
            .decl
            .params
            .iter()
            .find_map(|p| p.model.filter(|_| p.kind == ParamKind::Faults))
            .map(|(m, _)| m)
            .unwrap_or_default(),
    })
}

/// Source text of each hypothesis, in the order `Scope` builds them.
fn hyp_texts(decl: &ComponentDecl, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in &decl.params {
        match p.kind {
            ParamKind::Nodes => out.push(format!("{} >= 1", p.name.name)),
            ParamKind::Faults => out.push(format!("{} >= 0", p.name.name)),
            ParamKind::Node => {}
        }
    }
    for c in &decl.constraints {
        let text = src
            .get(c.span.start..c.span.end)
            .unwrap_or("constraint")
            .to_string();
        out.push(text.clone());
        if c.op == ast::CmpOp::Eq {
            out.push(text);
        }
    }
    out
}

impl Builder<'_> {
    /// An inconsistency between the checker and the IR builder: reported,
    /// never skipped.
    fn bug(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::new(Code::CompilerBug, span, what.to_string())
                .label("the compiler lost track of this")
                .help("this is a bug in rio-compiler, not in your protocol; please report it with this file"),
        );
    }

    /// Linear arithmetic over parameters and loop variables, or a diagnostic.
    fn lin(&mut self, e: &ast::Expr) -> Option<Lin> {
        match lin(e) {
            Ok(l) => Some(l),
            Err((span, why)) => {
                self.diags.push(
                    Diagnostic::new(Code::NonLinear, span, format!("code generation cannot evaluate this: {why}"))
                        .label("here")
                        .help("write a linear expression over parameters and loop variables, e.g. `n - f`, `s + 1`"),
                );
                None
            }
        }
    }

    /// Whether `e` reads an output of a refused component instance.
    fn reads_refused(&self, e: &ast::Expr, s: &Subst) -> bool {
        let mut hit = false;
        walk_ast(e, &mut |x| {
            if let ExprKind::Ref { name, .. } = &x.kind {
                let full = format!("{}{}.", s.prefix, name.name);
                hit |= self.refused.contains(&full);
            }
        });
        hit
    }

    fn unsupported(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::new(Code::Unsupported, span, format!("code generation does not support {what} yet"))
                .label("not supported by code generation")
                .help("the checker accepts it; rewrite it with the supported subset (see spec/codegen.md)"),
        );
    }

    fn component(&mut self, comp: &Component, s: &Subst) {
        let m = s.outer.len();
        let outer_dims: Vec<DimKind> = s
            .outer
            .iter()
            .map(|(_, r)| match r {
                Range::Nodes => DimKind::Node,
                Range::Numbers => DimKind::Number,
            })
            .collect();
        // `leader(e)` of the caller, with its loop variables as the line's
        // own leading indices (`#k`).
        let as_indices = |l: &Lin| {
            l.checked_subst(&|v| {
                s.outer
                    .iter()
                    .position(|(o, _)| o == v)
                    .map(|k| Lin::var(&format!("#{k}")))
            })
        };
        for line in comp.lines.values() {
            if line.kind == LineKind::InstanceOutput {
                continue;
            }
            let kind = if s.prefix.is_empty() {
                line.kind
            } else {
                LineKind::Local
            };
            let domain = match &line.domain {
                LineDomain::Param(p) => match s.nodes.get(p) {
                    Some(NodeTerm::Param(q)) => LineDomain::Param(q.clone()),
                    Some(NodeTerm::Leader(l)) => match as_indices(l) {
                        Some(l) => LineDomain::Leader(l),
                        None => {
                            s.overflow.set(true);
                            LineDomain::Param(p.clone())
                        }
                    },
                    // A node loop's variable: instances inside node loops
                    // are refused before they get here.
                    Some(NodeTerm::Var(_)) => {
                        self.bug(
                            line.span,
                            "a node parameter bound to a node loop's variable",
                        );
                        LineDomain::Param(p.clone())
                    }
                    None => LineDomain::Param(p.clone()),
                },
                LineDomain::Dim(k) => LineDomain::Dim(k + m),
                LineDomain::Leader(l) => {
                    // The line's own indices move right past the loops.
                    let shifted = l.checked_subst(&|v| {
                        v.strip_prefix('#')
                            .and_then(|k| k.parse::<usize>().ok())
                            .map(|k| Lin::var(&format!("#{}", k + m)))
                    });
                    match shifted {
                        Some(l) => LineDomain::Leader(s.lin(&l)),
                        None => {
                            s.overflow.set(true);
                            LineDomain::Leader(l.clone())
                        }
                    }
                }
            };
            let mut dims = outer_dims.clone();
            dims.extend(line.dims.iter().copied());
            self.lines.push(Line {
                name: format!("{}{}", s.prefix, line.name),
                ty: s.ty(&line.ty),
                dims,
                domain,
                kind,
                span: line.span,
            });
        }
        self.body(comp, &comp.decl.body, s, &mut s.outer.clone());
    }

    fn body(
        &mut self,
        comp: &Component,
        body: &[Stmt],
        s: &Subst,
        loops: &mut Vec<(String, Range)>,
    ) {
        for stmt in body {
            match stmt {
                Stmt::Port(_) => {}
                Stmt::For(l) => {
                    let bounded = match &l.bound {
                        Some(b) => match self.lin(b) {
                            Some(lin) => {
                                self.bounds.push((s.var(&l.var.name), s.lin(&lin)));
                                true
                            }
                            None => false,
                        },
                        None => false,
                    };
                    loops.push((s.var(&l.var.name), l.range));
                    self.body(comp, &l.body, s, loops);
                    loops.pop();
                    if bounded {
                        self.bounds.pop();
                    }
                }
                Stmt::Def(d) => self.def(comp, d, s, loops),
                Stmt::Instance(i) => self.instance(comp, i, s, loops),
            }
        }
    }

    fn line_id(&self, name: &str) -> Option<usize> {
        self.lines.iter().position(|l| l.name == name)
    }

    fn def(&mut self, comp: &Component, d: &ast::Def, s: &Subst, loops: &[(String, Range)]) {
        let before = self.diags.len();
        let rules = self.rules.len();
        self.def_inner(comp, d, s, loops);
        if self.rules.len() == rules
            && self.diags.len() == before
            && !self.reads_refused(&d.value, s)
        {
            self.bug(d.span, "a checked statement produced no rule");
        }
    }

    fn def_inner(&mut self, comp: &Component, d: &ast::Def, s: &Subst, loops: &[(String, Range)]) {
        let Some(target) = self.line_id(&format!("{}{}", s.prefix, d.target.name)) else {
            return;
        };
        let pattern = comp
            .lines
            .get(&d.target.name)
            .and_then(|l| l.producers.iter().find(|p| p.span == d.span))
            .map(|p| p.pattern.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|p| match p {
                IdxPat::Var { name, offset } => IdxPat::Var {
                    name: s.var(&name),
                    offset,
                },
                c => c,
            });
        let pattern = s.outer_pattern().chain(pattern).collect();
        let (cross, payload) = match &d.value.kind {
            ExprKind::Call { name, args }
                if Builtin::from_name(&name.name) == Some(Builtin::Broadcast) =>
            {
                (Some(Cross::Broadcast), args.first())
            }
            ExprKind::Call { name, args }
                if Builtin::from_name(&name.name) == Some(Builtin::Link) =>
            {
                let to = args.get(1).and_then(|t| self.node_term(t, s, loops));
                match to {
                    Some(t) => (Some(Cross::Link(t)), args.first()),
                    None => return,
                }
            }
            _ => (None, Some(&d.value)),
        };
        let Some(payload) = payload else { return };
        let exec = match comp.types.get(&payload.span).map(|v| &v.at) {
            Some(At::Node(t)) => s.node(t),
            _ => {
                self.unsupported(d.span, "a statement whose value is a bundle");
                return;
            }
        };
        let Some(value) = self.expr(comp, payload, s, d.ty.as_ref().map(|t| t.text.clone())) else {
            return;
        };
        // A coin is flipped once, when its trigger is available: as the
        // whole value of its line. Inside a larger expression it could be
        // flipped while another operand is still missing, and again later.
        let mut nested_coin = false;
        if let Ex::Coin(inner) = &value {
            walk(inner, &mut |x| nested_coin |= matches!(x, Ex::Coin(_)));
        } else {
            walk(&value, &mut |x| nested_coin |= matches!(x, Ex::Coin(_)));
        }
        if nested_coin {
            self.unsupported(
                d.span,
                "a `coin(..)` inside a larger expression (give the coin its own line: `c = coin(s) at i`, then use `c`)",
            );
            return;
        }
        let node_loops: Vec<&(String, Range)> =
            loops.iter().filter(|(_, r)| *r == Range::Nodes).collect();
        match (node_loops.as_slice(), &exec) {
            ([], NodeTerm::Param(_) | NodeTerm::Leader(_)) => {}
            ([(v, _)], NodeTerm::Var(e)) if v == e => {}
            ([_, _, ..], _) => {
                self.unsupported(
                    d.span,
                    "a statement inside two `for .. in nodes` loops (write the outer loop as `for j in 0..n` and name its node `leader(j)`)",
                );
                return;
            }
            _ => {
                self.unsupported(
                    d.span,
                    "a statement that runs at a node other than its `for .. in nodes` variable",
                );
                return;
            }
        }
        let (line_no, source) = {
            let start = d.span.start.min(self.src.len());
            let line_no = self
                .src
                .get(..start)
                .map_or(1, |b| b.matches('\n').count() + 1);
            (
                line_no,
                self.src
                    .get(d.span.start..d.span.end)
                    .unwrap_or("")
                    .to_string(),
            )
        };
        self.rules.push(Rule {
            target,
            pattern,
            loops: loops.to_vec(),
            value,
            exec,
            cross: cross.unwrap_or(Cross::Local),
            bounds: self.bounds.clone(),
            source,
            line_no,
            span: d.span,
        });
    }

    fn instance(
        &mut self,
        comp: &Component,
        inst: &ast::Instance,
        s: &Subst,
        loops: &[(String, Range)],
    ) {
        let before = self.diags.len();
        let rules = self.rules.len();
        self.instance_inner(comp, inst, s, loops);
        if self.rules.len() == rules && self.diags.len() == before && !inst.bindings.is_empty() {
            self.bug(inst.span, "a checked component instance produced no rule");
        }
    }

    fn instance_inner(
        &mut self,
        comp: &Component,
        inst: &ast::Instance,
        s: &Subst,
        loops: &[(String, Range)],
    ) {
        if loops.iter().any(|(_, r)| *r == Range::Nodes) {
            self.refused
                .push(format!("{}{}.", s.prefix, inst.name.name));
            self.unsupported(
                inst.span,
                "a component instance inside a `for .. in nodes` loop (write the loop as `for j in 0..n` and name its node `leader(j)`)",
            );
            return;
        }
        let Some(callee) = self.program.component(&inst.component.name) else {
            return;
        };
        // Inside loops, the instance is one per loop instance: its lines
        // get the loops' dimensions first (`outer`).
        let mut sub = Subst {
            prefix: format!("{}{}.", s.prefix, inst.name.name),
            outer: loops.to_vec(),
            ..Subst::default()
        };
        // Type parameters, from the types of the bound values (in this
        // component's terms, then the root's).
        for b in &inst.bindings {
            let port = callee.decl.body.iter().find_map(|st| match st {
                Stmt::Port(p) if p.name.name == b.port.name => Some(p),
                _ => None,
            });
            let (Some(port), Some(v)) = (port, comp.types.get(&b.value.span)) else {
                continue;
            };
            if callee.decl.generics.iter().any(|g| g.name == port.ty.text) {
                sub.types
                    .entry(port.ty.text.clone())
                    .or_insert_with(|| s.ty(&v.ty));
            }
        }
        for (p, a) in callee.decl.params.iter().zip(&inst.args) {
            match p.kind {
                ParamKind::Node => {
                    if let Some(t) = self.node_term(a, s, loops) {
                        sub.nodes.insert(p.name.name.clone(), t);
                    }
                }
                ParamKind::Nodes | ParamKind::Faults => {
                    if let Some(l) = self.lin(a) {
                        sub.nums.insert(p.name.name.clone(), s.lin(&l));
                    }
                }
            }
        }
        self.component(callee, &sub);
        if sub.overflow.get() {
            self.diags.push(
                Diagnostic::new(
                    Code::NonLinear,
                    inst.span,
                    "the component's arithmetic overflows 64 bits with these arguments",
                )
                .label("in this instance")
                .help("use smaller constants in the arguments or in the component's thresholds"),
            );
        }
        // Each bound input becomes a local copy of the caller's value.
        for b in &inst.bindings {
            let Some(target) = self.line_id(&format!("{}{}", sub.prefix, b.port.name)) else {
                continue;
            };
            let Some(mut value) = self.expr(comp, &b.value, s, None) else {
                continue;
            };
            let mut rule_loops = loops.to_vec();
            let mut pattern: Vec<IdxPat> = sub.outer_pattern().collect();
            let exec = match comp.types.get(&b.value.span).map(|v| (&v.at, &v.dims)) {
                Some((At::Node(t), dims)) if dims.is_empty() => s.node(t),
                // A bundle (`input = est[j]`, one value per node): one copy
                // per element, by loops over its open dimensions, each run
                // where its element lives.
                Some((At::Spread(k), dims)) => {
                    let port_dims = self
                        .lines
                        .get(target)
                        .map(|l| l.dims[l.dims.len().saturating_sub(dims.len())..].to_vec());
                    let Ex::Ref { idx, .. } = &mut value else {
                        self.unsupported(b.value.span, "binding a computed bundle to a component input (bind a line, e.g. `input = est[j]`)");
                        continue;
                    };
                    if idx.contains(&Idx::Star) || port_dims.as_deref() != Some(dims.as_slice()) {
                        self.unsupported(b.value.span, "binding a bundle whose open dimensions are not its last ones, in the input's order");
                        continue;
                    }
                    let vars: Vec<String> = (0..dims.len())
                        .map(|d| format!("{}{}_{d}", sub.prefix.replace('.', "_"), b.port.name))
                        .collect();
                    for (v, kind) in vars.iter().zip(dims.iter()) {
                        let (range, i) = match kind {
                            DimKind::Node => (Range::Nodes, Idx::Node(NodeTerm::Var(v.clone()))),
                            DimKind::Number => (Range::Numbers, Idx::Num(Lin::var(v))),
                        };
                        idx.push(i);
                        rule_loops.push((v.clone(), range));
                        pattern.push(IdxPat::Var {
                            name: v.clone(),
                            offset: 0,
                        });
                    }
                    match vars.get(*k) {
                        Some(v) if dims.get(*k) == Some(&DimKind::Node) => NodeTerm::Var(v.clone()),
                        _ => {
                            self.bug(
                                b.value.span,
                                "a bundle spread along a dimension it does not have",
                            );
                            continue;
                        }
                    }
                }
                _ => {
                    self.unsupported(
                        b.value.span,
                        "binding a bundle held at one node to a component input",
                    );
                    continue;
                }
            };
            self.rules.push(Rule {
                target,
                pattern,
                loops: rule_loops,
                value,
                exec,
                cross: Cross::Local,
                bounds: self.bounds.clone(),
                source: format!(
                    "{}.{} = {}",
                    inst.name.name,
                    b.port.name,
                    self.src
                        .get(b.value.span.start..b.value.span.end)
                        .unwrap_or("")
                ),
                line_no: self
                    .src
                    .get(..b.port.span.start)
                    .map_or(1, |x| x.matches('\n').count() + 1),
                span: b.value.span,
            });
        }
    }

    fn node_term(
        &mut self,
        e: &ast::Expr,
        s: &Subst,
        loops: &[(String, Range)],
    ) -> Option<NodeTerm> {
        match &e.kind {
            ExprKind::Ref { name, .. } => {
                let v = s.var(&name.name);
                if loops.iter().any(|(l, r)| *l == v && *r == Range::Nodes) {
                    Some(NodeTerm::Var(v))
                } else {
                    Some(s.node(&NodeTerm::Param(name.name.clone())))
                }
            }
            ExprKind::Call { name, args }
                if Builtin::from_name(&name.name) == Some(Builtin::Leader) =>
            {
                let l = self.lin(args.first()?)?;
                Some(NodeTerm::Leader(s.lin(&l)))
            }
            _ => None,
        }
    }

    /// Lowers a checked expression; every failure is a diagnostic (a
    /// construct code generation does not support, or a compiler bug).
    fn expr(
        &mut self,
        comp: &Component,
        e: &ast::Expr,
        s: &Subst,
        expect: Option<String>,
    ) -> Option<Ex> {
        let before = self.diags.len();
        let out = self.expr_inner(comp, e, s, expect);
        if out.is_none() && self.diags.len() == before && !self.reads_refused(e, s) {
            self.bug(e.span, "a checked expression could not be lowered");
        }
        out
    }

    fn expr_inner(
        &mut self,
        comp: &Component,
        e: &ast::Expr,
        s: &Subst,
        expect: Option<String>,
    ) -> Option<Ex> {
        let boxed = |b: &mut Self, x: &ast::Expr| b.expr(comp, x, s, None).map(Box::new);
        match &e.kind {
            ExprKind::Ref { name, field, .. } => {
                let full = match field {
                    Some(f) => format!("{}{}.{}", s.prefix, name.name, f.name),
                    None => format!("{}{}", s.prefix, name.name),
                };
                // The node's own id, typed `NodeId` by the checker.
                if field.is_none() {
                    if let Some(rio_lang::graph::LVal {
                        at: At::Node(NodeTerm::Var(v)),
                        ty,
                        ..
                    }) = comp.types.get(&e.span)
                    {
                        if ty == "NodeId" && *v == name.name && self.line_id(&full).is_none() {
                            return Some(Ex::NodeId(s.node(&NodeTerm::Var(v.clone()))));
                        }
                    }
                    // A `node` parameter as a value (its id), typed
                    // `NodeId` by the checker.
                    if self.line_id(&full).is_none()
                        && comp.types.get(&e.span).is_some_and(|v| v.ty == "NodeId")
                    {
                        return Some(Ex::NodeId(s.node(&NodeTerm::Param(name.name.clone()))));
                    }
                    // A number as a value, typed `u64` by the checker.
                    if self.line_id(&full).is_none()
                        && comp.types.get(&e.span).is_some_and(|v| v.ty == "u64")
                    {
                        let l = self.lin(e)?;
                        return Some(Ex::Num(s.lin(&l)));
                    }
                }
                let line = self.line_id(&full)?;
                let own = comp
                    .refs
                    .get(&e.span)
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|i| match i {
                        Idx::Node(t) => Idx::Node(s.node(&t)),
                        Idx::Num(l) => Idx::Num(s.lin(&l)),
                        Idx::Star => Idx::Star,
                    });
                let idx = s.outer_idx().chain(own).collect();
                Some(Ex::Ref { line, idx })
            }
            ExprKind::Rust(code) => {
                let ty = expect.or_else(|| comp.types.get(&e.span).map(|v| v.ty.clone()))?;
                Some(Ex::Const {
                    ty: s.ty(&ty),
                    code: code.clone(),
                })
            }
            ExprKind::Call { name, args } => {
                let lines: Vec<&ast::Expr> = args
                    .iter()
                    .filter(|a| !matches!(a.kind, ExprKind::Unspecified))
                    .collect();
                match Builtin::from_name(&name.name) {
                    Some(Builtin::Def) => self.expr(comp, lines.first()?, s, expect),
                    Some(b @ (Builtin::Quorum | Builtin::Collect | Builtin::Cert)) => {
                        let k = s.lin(&self.lin(lines.first()?)?);
                        let votes = boxed(self, lines.get(1)?)?;
                        let chooses = args.iter().any(|a| matches!(a.kind, ExprKind::Unspecified));
                        Some(match b {
                            Builtin::Quorum => Ex::Quorum { k, votes, chooses },
                            Builtin::Collect => Ex::Collect { k, votes },
                            _ => Ex::Cert { k, votes },
                        })
                    }
                    Some(Builtin::Sign) => Some(Ex::Sign(boxed(self, lines.first()?)?)),
                    Some(Builtin::Gather) => Some(Ex::Gather {
                        votes: boxed(self, lines.first()?)?,
                        deadline: boxed(self, lines.get(1)?)?,
                    }),
                    Some(Builtin::Payload) => Some(Ex::Payload(boxed(self, lines.first()?)?)),
                    Some(Builtin::Select) if lines.len() == 1 => Some(Ex::SelectFamily {
                        of: boxed(self, lines.first()?)?,
                    }),
                    Some(Builtin::Select) => {
                        let mut options = Vec::new();
                        for o in &lines {
                            options.push(self.expr(comp, o, s, None)?);
                        }
                        Some(Ex::Select { options })
                    }
                    Some(Builtin::Sync) => Some(Ex::Sync(
                        boxed(self, lines.first()?)?,
                        boxed(self, lines.get(1)?)?,
                    )),
                    Some(Builtin::Pair) => Some(Ex::Pair(
                        boxed(self, lines.first()?)?,
                        boxed(self, lines.get(1)?)?,
                    )),
                    Some(Builtin::Some) => Some(Ex::Some(boxed(self, lines.first()?)?)),
                    Some(Builtin::Coin) => Some(Ex::Coin(boxed(self, lines.first()?)?)),
                    Some(b @ (Builtin::Timer | Builtin::Delay)) => {
                        let ms = self.lin(lines.get(1)?)?;
                        let id = self.timers;
                        self.timers += 1;
                        Some(Ex::Timer {
                            id,
                            arg: boxed(self, lines.first()?)?,
                            ms: s.lin(&ms),
                            delay: b == Builtin::Delay,
                        })
                    }
                    Some(Builtin::Broadcast | Builtin::Link) => {
                        self.unsupported(
                            e.span,
                            "a `broadcast` or `link` nested inside another expression",
                        );
                        None
                    }
                    Some(Builtin::Transpose) => {
                        self.unsupported(e.span, "`transpose`");
                        None
                    }
                    Some(Builtin::Leader) => {
                        self.bug(e.span, "`leader(..)` used as a line value");
                        None
                    }
                    None => {
                        let Some(f) = self.program.fns.iter().find(|f| f.name.name == name.name)
                        else {
                            self.bug(e.span, "a call to an undeclared function");
                            return None;
                        };
                        let params: Vec<Option<String>> =
                            f.params.iter().map(|p| Some(p.ty.text.clone())).collect();
                        let mut out = Vec::new();
                        for (k, a) in args.iter().enumerate() {
                            out.push(self.expr(comp, a, s, params.get(k).cloned().flatten())?);
                        }
                        Some(Ex::Fn {
                            name: name.name.clone(),
                            args: out,
                        })
                    }
                }
            }
            _ => None,
        }
    }
}

/// Arithmetic over parameters and loop variables, by name: the checker's
/// own lowering (`rio_lang::arith::lower`), so the two cannot disagree.
fn lin(e: &ast::Expr) -> Result<Lin, (Span, String)> {
    rio_lang::arith::lower(e, &mut |id| Some(Lin::var(&id.name)))
        .map_err(|err| (err.span, err.kind.to_string()))
}

/// Every line family's index in `lines`, by name (for codegen lookups).
pub fn names(p: &Protocol) -> BTreeMap<&str, usize> {
    p.lines
        .iter()
        .enumerate()
        .map(|(k, l)| (l.name.as_str(), k))
        .collect()
}

/// Calls `f` on every sub-expression of `e` (pre-order), iteratively.
pub fn walk<'a>(e: &'a Ex, f: &mut dyn FnMut(&'a Ex)) {
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        f(x);
        match x {
            Ex::Fn { args, .. } => stack.extend(args.iter().rev()),
            Ex::Select { options } => stack.extend(options.iter().rev()),
            Ex::Quorum { votes: a, .. }
            | Ex::Collect { votes: a, .. }
            | Ex::Cert { votes: a, .. }
            | Ex::Sign(a)
            | Ex::Payload(a)
            | Ex::Some(a)
            | Ex::Coin(a)
            | Ex::SelectFamily { of: a }
            | Ex::Timer { arg: a, .. } => stack.push(a),
            Ex::Sync(a, b) | Ex::Pair(a, b) => {
                stack.push(b);
                stack.push(a);
            }
            Ex::Gather { votes, deadline } => {
                stack.push(deadline);
                stack.push(votes);
            }
            Ex::Ref { .. } | Ex::Const { .. } | Ex::NodeId(_) | Ex::Num(_) => {}
        }
    }
}

/// Calls `f` on every sub-expression of a source expression (pre-order),
/// iteratively.
fn walk_ast<'a>(e: &'a ast::Expr, f: &mut dyn FnMut(&'a ast::Expr)) {
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        f(x);
        match &x.kind {
            ExprKind::Call { args, .. } => stack.extend(args.iter().rev()),
            ExprKind::Binary { lhs, rhs, .. } => {
                stack.push(rhs);
                stack.push(lhs);
            }
            ExprKind::Number(_)
            | ExprKind::Unspecified
            | ExprKind::Rust(_)
            | ExprKind::Ref { .. } => {}
        }
    }
}
