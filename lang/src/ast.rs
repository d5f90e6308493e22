//! The abstract syntax tree of a `.rio` file. Every node carries a [`Span`].
//!
//! The AST is what the parser produces and what the checker reads; it holds
//! no semantic information (types, domains, dimensions), which lives in
//! [`crate::graph`].

use serde::Serialize;
use std::fmt;

/// A byte range into the source text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
    pub fn len(self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A name with its position.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

impl fmt::Debug for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{:?}", self.name, self.span)
    }
}

/// A whole `.rio` file.
#[derive(Clone, Debug, Serialize)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, Serialize)]
pub enum Item {
    Fn(FnDecl),
    Component(ComponentDecl),
}

/// `fn name(a: A, b: B) -> R;` — a pure Rust function used as a base component.
#[derive(Clone, Debug, Serialize)]
pub struct FnDecl {
    pub name: Ident,
    pub params: Vec<FnParam>,
    pub ret: RustType,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct FnParam {
    pub name: Ident,
    pub ty: RustType,
}

/// A Rust type embedded in Rio, validated by `syn`. `text` is the normalised
/// token string (`Vec < u8 >`), the form types are compared in.
#[derive(Clone, Serialize)]
pub struct RustType {
    pub text: String,
    pub span: Span,
}

impl fmt::Debug for RustType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`@{:?}", self.text, self.span)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ComponentKind {
    /// A top-level protocol: a compilation root.
    Protocol,
    /// A reusable component, instantiated from protocols or other components.
    Component,
}

/// `protocol Name<T>(nodes n, faults f, node s) where n > 3 * f { ... }`.
#[derive(Clone, Debug, Serialize)]
pub struct ComponentDecl {
    pub kind: ComponentKind,
    pub name: Ident,
    pub generics: Vec<Ident>,
    pub params: Vec<Param>,
    pub constraints: Vec<Constraint>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ParamKind {
    /// `nodes n`: the number of nodes; node indices range over `0..n`.
    Nodes,
    /// `faults f`: the number of faulty nodes tolerated.
    Faults,
    /// `node s`: one distinguished node (a sender, a coordinator).
    Node,
}

/// What faulty nodes may do (`faults f: crash` or `faults f: byzantine`;
/// Byzantine when not stated).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum FaultModel {
    /// Faulty nodes stop (and may restart); they never lie.
    Crash,
    /// Faulty nodes may send anything, different values to different nodes.
    #[default]
    Byzantine,
}

#[derive(Clone, Serialize)]
pub struct Param {
    pub kind: ParamKind,
    pub name: Ident,
    /// `faults f: crash`: the stated fault model and its span.
    pub model: Option<(FaultModel, Span)>,
}

impl fmt::Debug for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Param");
        d.field("kind", &self.kind).field("name", &self.name);
        if let Some(m) = &self.model {
            d.field("model", m);
        }
        d.finish()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CmpOp {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
}

/// One resilience constraint of a `where` clause, e.g. `n > 3 * f`.
#[derive(Clone, Debug, Serialize)]
pub struct Constraint {
    pub lhs: Expr,
    pub op: CmpOp,
    pub rhs: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
#[allow(clippy::large_enum_variant)] // Statements live in vectors; boxing buys nothing.
pub enum Stmt {
    Port(Port),
    For(ForLoop),
    Instance(Instance),
    Def(Def),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PortDir {
    In,
    Out,
}

/// `in bc: T at sender`, `out dlvr[i]: T at i`.
#[derive(Clone, Debug, Serialize)]
pub struct Port {
    pub dir: PortDir,
    pub name: Ident,
    pub indices: Vec<Ident>,
    pub ty: RustType,
    pub at: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Range {
    /// `for i in nodes`: the replication box over all nodes.
    Nodes,
    /// `for r in 0..`: an unbounded family (heights, rounds, slots).
    Numbers,
}

#[derive(Clone, Debug, Serialize)]
pub struct ForLoop {
    pub var: Ident,
    pub range: Range,
    pub range_span: Span,
    /// `for r in 0..e`: the exclusive upper bound (number loops only).
    pub bound: Option<Expr>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

/// `cb = ConsistentBroadcast(n, f, s) { input = bc }`.
#[derive(Clone, Debug, Serialize)]
pub struct Instance {
    pub name: Ident,
    pub component: Ident,
    pub args: Vec<Expr>,
    pub bindings: Vec<Binding>,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct Binding {
    pub port: Ident,
    pub value: Expr,
}

/// `target[idx]...(: Type)? = value (at d)? (from d)?`.
#[derive(Clone, Debug, Serialize)]
pub struct Def {
    pub target: Ident,
    pub indices: Vec<Index>,
    pub ty: Option<RustType>,
    pub value: Expr,
    pub at: Option<Expr>,
    pub from: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub enum Index {
    /// `[*]`: keep this dimension as a bundle.
    Star(Span),
    Expr(Expr),
}

impl Index {
    pub fn span(&self) -> Span {
        match self {
            Index::Star(s) => *s,
            Index::Expr(e) => e.span,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Clone, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}@{:?}", self.kind, self.span)
    }
}

#[derive(Clone, Debug, Serialize)]
pub enum ExprKind {
    Number(u64),
    /// `?`: the unspecified value, marking a choice point.
    Unspecified,
    /// `{ rust expression }`, validated by syn; `text` is its token string.
    Rust(String),
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    Ref {
        name: Ident,
        field: Option<Ident>,
        indices: Vec<Index>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
}
