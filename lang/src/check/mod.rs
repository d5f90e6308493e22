//! The checker: from an AST to a checked wiring graph ([`crate::graph`]).
//!
//! Per component it runs, in order:
//! 1. [`scope`]: parameters, generics and the resilience constraint;
//! 2. `declare`: every line family with its producers (ports, definitions,
//!    component instances);
//! 3. [`infer`]: type and domain inference to a fixpoint by a worklist
//!    (lines may be used before they are defined, and cycles through
//!    quorums are legal), then one reporting pass; [`expr`] evaluates one
//!    expression, [`call`] the built-ins and functions (and the [`quorum`]
//!    checks), [`instance`] component instances;
//! 4. [`lines`]: producers and consumers (two producers, never produced,
//!    never consumed, unconnected outputs);
//! 5. [`causality`]: causal deadlocks.

mod call;
mod causality;
mod expr;
mod infer;
mod instance;
mod lines;
mod quorum;
mod scope;

use crate::ast::*;
use crate::builtins::Builtin;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::graph::{self, IdxPat, Line, LineDomain, LineKind, Producer};
use std::collections::{BTreeMap, HashMap};

pub(crate) use scope::Scope;

/// Names that generated Rust cannot use, even as raw identifiers (`r#self`
/// is invalid): they may not name anything in Rio (E0111). Other Rust
/// keywords are fine; the back end emits raw identifiers for them.
pub const RESERVED_NAMES: &[&str] = &["self", "Self", "crate", "super", "_"];

/// E0111 when `name` is one of [`RESERVED_NAMES`].
pub(crate) fn reserved(name: &Ident, what: &str) -> Option<Diagnostic> {
    RESERVED_NAMES.contains(&name.name.as_str()).then(|| {
        Diagnostic::new(
            Code::ReservedName,
            name.span,
            format!("`{}` cannot name a {what}", name.name),
        )
        .label("reserved in generated Rust")
        .help("rename it: `self`, `Self`, `crate`, `super` and `_` cannot be used as names, even as raw identifiers")
    })
}

/// Top-level declarations visible to every component.
pub(crate) struct Items<'a> {
    pub fns: HashMap<&'a str, &'a FnDecl>,
    pub components: HashMap<&'a str, &'a ComponentDecl>,
}

/// Checks a parsed file.
pub fn check_file(file: &File) -> (graph::Program, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut items = Items {
        fns: HashMap::new(),
        components: HashMap::new(),
    };
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for item in &file.items {
        let name = match item {
            Item::Fn(f) => &f.name,
            Item::Component(c) => &c.name,
        };
        match item {
            Item::Fn(f) => {
                diags.extend(reserved(&f.name, "function"));
                for p in &f.params {
                    diags.extend(reserved(&p.name, "function parameter"));
                }
            }
            Item::Component(c) => diags.extend(reserved(&c.name, "component")),
        }
        if let Some(prev) = seen.get(name.name.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::Duplicate,
                    name.span,
                    format!("`{}` is defined twice", name.name),
                )
                .label("second definition")
                .also(*prev, "first definition")
                .help("rename one of them"),
            );
            continue;
        }
        seen.insert(&name.name, name.span);
        if let Item::Component(c) = item {
            if !c.name.name.starts_with(|ch: char| ch.is_ascii_uppercase()) {
                let mut fixed = c.name.name.clone();
                if let Some(first) = fixed.get_mut(..1) {
                    first.make_ascii_uppercase();
                }
                diags.push(
                    Diagnostic::new(Code::ComponentName, c.name.span, format!("`{}` must start with an uppercase letter", c.name.name))
                        .label("lowercase component name")
                        .help(format!("rename it `{fixed}`: instances are written `x = {fixed}(..) {{ .. }}`, which is how they differ from function calls")),
                );
            }
        }
        match item {
            Item::Fn(f) => {
                items.fns.insert(&f.name.name, f);
            }
            Item::Component(c) => {
                items.components.insert(&c.name.name, c);
            }
        }
    }
    for item in &file.items {
        if let Item::Fn(f) = item {
            let mut names: HashMap<&str, Span> = HashMap::new();
            for p in &f.params {
                if let Some(prev) = names.insert(&p.name.name, p.name.span) {
                    diags.push(
                        Diagnostic::new(
                            Code::Duplicate,
                            p.name.span,
                            format!("parameter `{}` is declared twice", p.name.name),
                        )
                        .label("second declaration")
                        .also(prev, "first declaration")
                        .help("give each parameter its own name"),
                    );
                }
            }
        }
    }
    let mut components = Vec::new();
    for item in &file.items {
        if let Item::Component(c) = item {
            components.push(check_component(&items, c, &mut diags));
        }
    }
    let fns = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Fn(f) => Some(f.clone()),
            Item::Component(_) => None,
        })
        .collect();
    (graph::Program { fns, components }, diags)
}

/// A definition statement with the loops around it.
#[derive(Clone)]
pub(crate) struct DefSite<'a> {
    pub def: &'a Def,
    pub loops: Vec<&'a ForLoop>,
    pub pattern: Vec<IdxPat>,
}

/// A component instance with the loops around it.
#[derive(Clone)]
pub(crate) struct InstanceSite<'a> {
    pub inst: &'a Instance,
    pub loops: Vec<&'a ForLoop>,
    pub callee: Option<&'a ComponentDecl>,
}

/// The working state of checking one component.
pub(crate) struct Ctx<'a> {
    pub items: &'a Items<'a>,
    pub comp: &'a ComponentDecl,
    pub scope: Scope<'a>,
    pub lines: BTreeMap<String, Line>,
    pub defs: Vec<DefSite<'a>>,
    pub instances: Vec<InstanceSite<'a>>,
    pub types: BTreeMap<Span, graph::LVal>,
    pub refs: BTreeMap<Span, Vec<graph::Idx>>,
    /// Reads recorded in the reporting pass, for the causality check.
    pub reads: Vec<causality::Read>,
    pub diags: Diagnostics,
    /// Off during fixpoint inference, on in the final pass.
    pub reporting: bool,
    /// The definition or instance being inferred (see `infer`), whose reads
    /// are recorded in `readers`.
    pub current: Option<usize>,
    /// During inference: the items that read each line.
    pub readers: HashMap<String, Vec<usize>>,
    /// Lines the current item learnt something about.
    pub dirty: Vec<String>,
    /// Lines whose `leader(..)` domain so far comes only from producers at
    /// constant indices (`x[0] = .. at leader(0)`): the constants
    /// `(index, value)` it holds under. A producer at a loop variable
    /// (`x[v + 1] = .. at leader(v + 1)`) that agrees there replaces it with
    /// its general form (`leader(#0)`).
    pub specialized: HashMap<String, Vec<(usize, i64)>>,
}

impl Ctx<'_> {
    pub fn report(&mut self, d: Diagnostic) {
        if self.reporting {
            self.diags.push(d);
        }
    }
}

fn check_component(
    items: &Items<'_>,
    comp: &ComponentDecl,
    out: &mut Diagnostics,
) -> graph::Component {
    let mut diags = Diagnostics::default();
    let scope = Scope::new(comp, &mut diags);
    let mut cx = Ctx {
        items,
        comp,
        scope,
        lines: BTreeMap::new(),
        defs: Vec::new(),
        instances: Vec::new(),
        types: BTreeMap::new(),
        refs: BTreeMap::new(),
        reads: Vec::new(),
        diags,
        reporting: true,
        current: None,
        readers: HashMap::new(),
        dirty: Vec::new(),
        specialized: HashMap::new(),
    };
    declare(&mut cx, &comp.body, &mut Vec::new());
    infer::infer(&mut cx);
    lines::check(&mut cx);
    causality::check(&mut cx);
    infer::report_untyped(&mut cx);
    out.extend(std::mem::take(&mut cx.diags).into_vec());
    graph::Component {
        decl: comp.clone(),
        hyps: cx.scope.hyps.clone(),
        lines: cx.lines,
        types: cx.types,
        refs: cx.refs,
    }
}

/// Pass 2: registers every line family and its producers.
fn declare<'a>(cx: &mut Ctx<'a>, body: &'a [Stmt], loops: &mut Vec<&'a ForLoop>) {
    for stmt in body {
        match stmt {
            Stmt::Port(p) => declare_port(cx, p, loops),
            Stmt::For(f) => {
                if let Some(d) = reserved(&f.var, "loop variable") {
                    cx.report(d);
                }
                if let Some(clash) = cx.scope.name_span(&f.var.name, loops) {
                    cx.report(
                        Diagnostic::new(
                            Code::Duplicate,
                            f.var.span,
                            format!("`{}` is already a name here", f.var.name),
                        )
                        .label("loop variable shadows it")
                        .also(clash, "declared here")
                        .help("give the loop variable a fresh name"),
                    );
                }
                if let Some(b) = &f.bound {
                    // A bound is linear in the parameters (E0109/E0105
                    // otherwise), like a threshold.
                    let mut diags = crate::diagnostic::Diagnostics::default();
                    let _ = cx.scope.lin(b, &mut diags);
                    cx.report_all(diags);
                }
                loops.push(f);
                declare(cx, &f.body, loops);
                loops.pop();
            }
            Stmt::Def(d) => declare_def(cx, d, loops),
            Stmt::Instance(i) => declare_instance(cx, i, loops),
        }
    }
}

fn declare_port<'a>(cx: &mut Ctx<'a>, p: &'a Port, loops: &[&'a ForLoop]) {
    if let Some(l) = loops.last() {
        cx.report(
            Diagnostic::new(
                Code::BadTarget,
                p.span,
                format!("port `{}` is declared inside a loop", p.name.name),
            )
            .label("ports belong at the top of the component")
            .also(l.span, "inside this loop")
            .help("declare the port before the loops, with its indices: `out dlvr[i]: T at i`"),
        );
        return;
    }
    for d in reserved(&p.name, "port")
        .into_iter()
        .chain(p.indices.iter().filter_map(|i| reserved(i, "port index")))
    {
        cx.report(d);
    }
    if check_fresh(cx, &p.name) {
        return;
    }
    // The index named by the domain is a node index; the others are numbers.
    let at_var = match &p.at.kind {
        ExprKind::Ref {
            name,
            field: None,
            indices,
        } if indices.is_empty() => Some(name.name.as_str()),
        _ => None,
    };
    let mut dims = Vec::new();
    for (k, ix) in p.indices.iter().enumerate() {
        if p.indices.iter().take(k).any(|o| o.name == ix.name) || cx.scope.param(&ix.name).is_some()
        {
            cx.report(
                Diagnostic::new(
                    Code::Duplicate,
                    ix.span,
                    format!("index `{}` is already a name here", ix.name),
                )
                .label("duplicate index")
                .help("give each index of a port its own fresh name"),
            );
        }
        dims.push(if Some(ix.name.as_str()) == at_var {
            graph::DimKind::Node
        } else {
            graph::DimKind::Number
        });
    }
    let domain = match (&p.at.kind, at_var) {
        (_, Some(v)) if p.indices.iter().any(|i| i.name == v) => {
            LineDomain::Dim(p.indices.iter().position(|i| i.name == v).unwrap_or(0))
        }
        (_, Some(v)) if cx.scope.is_node_param(v) => LineDomain::Param(v.to_string()),
        (ExprKind::Call { name, args }, None)
            if Builtin::from_name(&name.name) == Some(Builtin::Leader) && args.len() == 1 =>
        {
            let idx: Vec<(String, usize)> = p
                .indices
                .iter()
                .enumerate()
                .map(|(k, i)| (i.name.clone(), k))
                .collect();
            match args.first().and_then(|a| cx.scope.lin_over(a, &idx)) {
                Some(l) => LineDomain::Leader(l),
                None => {
                    cx.report(bad_domain(&p.at));
                    LineDomain::Dim(0)
                }
            }
        }
        _ => {
            cx.report(bad_domain(&p.at));
            LineDomain::Dim(0)
        }
    };
    let kind = match p.dir {
        PortDir::In => LineKind::Input,
        PortDir::Out => LineKind::Output,
    };
    cx.lines.insert(
        p.name.name.clone(),
        Line {
            name: p.name.name.clone(),
            kind,
            span: p.name.span,
            dims,
            dim_names: p.indices.iter().map(|i| i.name.clone()).collect(),
            ty: p.ty.text.clone(),
            domain,
            producers: Vec::new(),
            consumed: false,
        },
    );
}

fn bad_domain(at: &Expr) -> Diagnostic {
    Diagnostic::new(Code::WrongKind, at.span, "a port's domain must name a node")
        .label("not a node")
        .help("write `at s` for a `node s` parameter, `at i` for one of the port's indices, or `at leader(r)`")
}

/// Reports and returns true when `name` is already taken in the component.
fn check_fresh(cx: &mut Ctx<'_>, name: &Ident) -> bool {
    let clash = cx
        .lines
        .get(&name.name)
        .map(|l| l.span)
        .or_else(|| cx.scope.param(&name.name).map(|p| p.1))
        .or_else(|| {
            cx.instances
                .iter()
                .find(|i| i.inst.name.name == name.name)
                .map(|i| i.inst.name.span)
        });
    if let Some(prev) = clash {
        cx.report(
            Diagnostic::new(
                Code::Duplicate,
                name.span,
                format!("`{}` is declared twice", name.name),
            )
            .label("second declaration")
            .also(prev, "first declaration")
            .help("give each line, parameter and instance its own name"),
        );
        return true;
    }
    false
}

fn declare_def<'a>(cx: &mut Ctx<'a>, d: &'a Def, loops: &[&'a ForLoop]) {
    if let Some(diag) = reserved(&d.target, "line") {
        cx.report(diag);
    }
    let name = &d.target.name;
    if let Some((_, pspan)) = cx.scope.param(name) {
        cx.report(
            Diagnostic::new(
                Code::BadTarget,
                d.target.span,
                format!("`{name}` is a parameter, not a line"),
            )
            .label("cannot be assigned")
            .also(pspan, "declared as a parameter here")
            .help("choose another name for the line"),
        );
        return;
    }
    if let Some(inst) = cx.instances.iter().find(|i| i.inst.name.name == *name) {
        let prev = inst.inst.name.span;
        cx.report(
            Diagnostic::new(
                Code::Duplicate,
                d.target.span,
                format!("`{name}` is a component instance"),
            )
            .label("cannot be assigned")
            .also(prev, "instance declared here")
            .help("choose another name for the line"),
        );
        return;
    }
    let Some(pattern) = target_pattern(cx, d, loops) else {
        return;
    };
    let line = cx.lines.entry(name.clone()).or_insert_with(|| Line {
        name: name.clone(),
        kind: LineKind::Local,
        span: d.target.span,
        dims: Vec::new(),
        dim_names: Vec::new(),
        ty: String::new(),
        domain: LineDomain::Dim(0),
        producers: Vec::new(),
        consumed: false,
    });
    if line.dim_names.len() < pattern.len() {
        line.dim_names.resize(pattern.len(), String::new());
    }
    for (slot, p) in line.dim_names.iter_mut().zip(&pattern) {
        if let (true, IdxPat::Var { name, .. }) = (slot.is_empty(), p) {
            *slot = name.clone();
        }
    }
    line.producers.push(Producer {
        span: d.span,
        pattern: pattern.clone(),
    });
    cx.defs.push(DefSite {
        def: d,
        loops: loops.to_vec(),
        pattern,
    });
}

/// The index pattern of a definition target; every enclosing loop variable
/// must appear in it exactly once.
fn target_pattern(cx: &mut Ctx<'_>, d: &Def, loops: &[&ForLoop]) -> Option<Vec<IdxPat>> {
    if d.indices.is_empty() {
        return Some(
            loops
                .iter()
                .map(|l| IdxPat::Var {
                    name: l.var.name.clone(),
                    offset: 0,
                })
                .collect(),
        );
    }
    let mut pattern = Vec::new();
    let mut ok = true;
    for ix in &d.indices {
        let pat = match ix {
            Index::Expr(e) => match &e.kind {
                ExprKind::Number(c) => Some(IdxPat::Const(*c)),
                _ => index_var(e).and_then(|(v, off)| {
                    let lp = loops.iter().find(|l| l.var.name == v)?;
                    (off == 0 || lp.range == Range::Numbers).then(|| IdxPat::Var {
                        name: v.to_string(),
                        offset: off,
                    })
                }),
            },
            Index::Star(_) => None,
        };
        match pat {
            Some(p) => pattern.push(p),
            None => {
                ok = false;
                cx.report(
                    Diagnostic::new(Code::BadTarget, ix.span(), "a definition target is indexed by loop variables")
                        .label("not an enclosing loop variable, `r + k` or a number")
                        .help("index the target by the enclosing loop variables, e.g. `echo[i] = ...` inside `for i in nodes`"),
                );
            }
        }
    }
    if !ok {
        return None;
    }
    for l in loops {
        let uses = pattern
            .iter()
            .filter(|p| matches!(p, IdxPat::Var { name, .. } if *name == l.var.name))
            .count();
        if uses != 1 {
            cx.report(
                Diagnostic::new(
                    Code::BadTarget,
                    d.target.span,
                    format!(
                        "the target must be indexed by the loop variable `{}` exactly once",
                        l.var.name
                    ),
                )
                .label("every instance of this statement would write the same line")
                .also(l.var.span, "loop variable")
                .help(format!(
                    "write the index: `{}[{}]`",
                    d.target.name, l.var.name
                )),
            );
            return None;
        }
    }
    Some(pattern)
}

/// `r` or `r + k` / `r - k` as (variable, offset).
pub(crate) fn index_var(e: &Expr) -> Option<(&str, i64)> {
    match &e.kind {
        ExprKind::Ref {
            name,
            field: None,
            indices,
        } if indices.is_empty() => Some((&name.name, 0)),
        ExprKind::Binary { op, lhs, rhs } => {
            let (v, off) = index_var(lhs)?;
            let ExprKind::Number(k) = rhs.kind else {
                return None;
            };
            let k = i64::try_from(k).ok()?;
            match op {
                BinOp::Add => Some((v, off.checked_add(k)?)),
                BinOp::Sub => Some((v, off.checked_sub(k)?)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn declare_instance<'a>(cx: &mut Ctx<'a>, inst: &'a Instance, loops: &[&'a ForLoop]) {
    if let Some(d) = reserved(&inst.name, "component instance") {
        cx.report(d);
    }
    if check_fresh(cx, &inst.name) {
        return;
    }
    let callee = cx
        .items
        .components
        .get(inst.component.name.as_str())
        .copied();
    match callee {
        None => {
            let hint = did_you_mean(&inst.component.name, cx.items.components.keys().copied());
            cx.report(
                Diagnostic::new(
                    Code::UnknownName,
                    inst.component.span,
                    format!("no component named `{}`", inst.component.name),
                )
                .label("unknown component")
                .help(match hint {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => "declare it with `component Name(...) { ... }` in this file".into(),
                }),
            );
        }
        Some(c) if c.name.name == cx.comp.name.name => {
            cx.report(
                Diagnostic::new(Code::CausalDeadlock, inst.component.span, format!("`{}` instantiates itself", c.name.name))
                    .label("recursive instance")
                    .help("components cannot contain themselves; use a `for r in 0..` family for repetition"),
            );
            cx.instances.push(InstanceSite {
                inst,
                loops: loops.to_vec(),
                callee: None,
            });
            return;
        }
        Some(c) => {
            for stmt in &c.body {
                if let Stmt::Port(p) = stmt {
                    if p.dir != PortDir::Out {
                        continue;
                    }
                    let name = format!("{}.{}", inst.name.name, p.name.name);
                    let mut dim_names: Vec<String> =
                        loops.iter().map(|l| l.var.name.clone()).collect();
                    dim_names.extend(p.indices.iter().map(|_| String::new()));
                    cx.lines.insert(
                        name.clone(),
                        Line {
                            name,
                            kind: LineKind::InstanceOutput,
                            span: inst.name.span,
                            dims: Vec::new(),
                            dim_names,
                            ty: String::new(),
                            domain: LineDomain::Dim(0),
                            producers: vec![Producer {
                                span: inst.span,
                                pattern: loops
                                    .iter()
                                    .map(|l| IdxPat::Var {
                                        name: l.var.name.clone(),
                                        offset: 0,
                                    })
                                    .collect(),
                            }],
                            consumed: false,
                        },
                    );
                }
            }
        }
    }
    cx.instances.push(InstanceSite {
        inst,
        loops: loops.to_vec(),
        callee,
    });
}
