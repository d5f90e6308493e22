//! The checked wiring graph: what the front end hands to the compiler.
//!
//! For every component it records each line family (its dimensions, value
//! type and domain), which statements produce it, and the located type of
//! every expression. The AST itself is kept alongside, unchanged.

use crate::arith::Lin;
use crate::ast::{ComponentDecl, FnDecl, Span};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// What a dimension of a line family ranges over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum DimKind {
    /// Node indices `0..n`: a bundle `[T; n]`.
    Node,
    /// Unbounded numbers `0..`: heights, rounds, slots.
    Number,
}

/// A node, as named in an expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum NodeTerm {
    /// A `node s` parameter.
    Param(String),
    /// A `for i in nodes` loop variable.
    Var(String),
    /// `leader(e)`: node `e mod n`, for rotating proposers and senders.
    Leader(Lin),
}

impl fmt::Display for NodeTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeTerm::Param(p) | NodeTerm::Var(p) => write!(f, "{p}"),
            NodeTerm::Leader(l) => write!(f, "leader({l})"),
        }
    }
}

/// Where the value of an expression lives.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum At {
    /// All of it at one node.
    Node(NodeTerm),
    /// A bundle whose element `k` (along bundle dimension `dim`) lives at node
    /// `k`: what a broadcast produces.
    Spread(usize),
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Node(t) => write!(f, "{t}"),
            At::Spread(_) => write!(f, "each receiving node"),
        }
    }
}

/// The located type of a line expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct LVal {
    /// The Rust type of each element, as a normalised token string.
    pub ty: String,
    /// Bundle dimensions still open (from `[*]`, unindexed dimensions, or a
    /// broadcast).
    pub dims: Vec<DimKind>,
    pub at: At,
}

impl fmt::Display for LVal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ty = self.ty.clone();
        for d in self.dims.iter().rev() {
            ty = match d {
                DimKind::Node => format!("[{ty}; n]"),
                DimKind::Number => format!("[{ty}; ..]"),
            };
        }
        write!(f, "{ty} at {}", self.at)
    }
}

/// One resolved index of a reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Idx {
    /// `[*]` or an index left out: this dimension stays a bundle.
    Star,
    /// A node.
    Node(NodeTerm),
    /// A number, linear in the enclosing number loop variables (by name).
    Num(Lin),
}

/// Where every element of a line family lives, in terms of its indices.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum LineDomain {
    /// At one `node` parameter.
    Param(String),
    /// At the node given by index `k`.
    Dim(usize),
    /// At `leader(e)`, `e` written over the indices `#0`, `#1`, ...
    Leader(Lin),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LineKind {
    Input,
    Output,
    Local,
    /// An output of a component instance, named `instance.port`.
    InstanceOutput,
}

/// One index of a definition target.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum IdxPat {
    /// The loop variable, plus a constant offset (forward loops: `r + 1`).
    Var { name: String, offset: i64 },
    /// A fixed index (the base case of a forward loop: `[0]`).
    Const(u64),
}

/// Where a line is produced.
#[derive(Clone, Debug, Serialize)]
pub struct Producer {
    pub span: Span,
    /// The target's index pattern, one per target dimension.
    pub pattern: Vec<IdxPat>,
}

/// A line family of one component.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub name: String,
    pub kind: LineKind,
    pub span: Span,
    /// All dimensions: the target's (loop) dimensions, then value dimensions.
    pub dims: Vec<DimKind>,
    /// The names of the target dimensions, for bare references.
    pub dim_names: Vec<String>,
    pub ty: String,
    pub domain: LineDomain,
    pub producers: Vec<Producer>,
    pub consumed: bool,
}

/// A checked component or protocol.
#[derive(Clone, Debug, Serialize)]
pub struct Component {
    pub decl: ComponentDecl,
    /// The resilience hypotheses as `h ≥ 0` facts.
    pub hyps: Vec<Lin>,
    pub lines: BTreeMap<String, Line>,
    /// The located type of every line expression, by span.
    pub types: BTreeMap<Span, LVal>,
    /// The resolved indices of every line reference, by span (one per line
    /// dimension; missing trailing ones are bundles).
    pub refs: BTreeMap<Span, Vec<Idx>>,
}

/// A whole checked file.
#[derive(Clone, Debug, Serialize)]
pub struct Program {
    pub fns: Vec<FnDecl>,
    pub components: Vec<Component>,
}

impl Program {
    pub fn component(&self, name: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.decl.name.name == name)
    }
}
