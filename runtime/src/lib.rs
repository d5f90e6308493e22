//! `rio-runtime`: the sans-I/O interface every generated Rio node implements,
//! and the pieces generated code is built from.
//!
//! A node is a plain state machine. It is driven by three kinds of events —
//! an application input, a message from a peer, a timer firing — and answers
//! by pushing effects (sends, outputs, timer requests, evidence of faulty
//! peers) into an [`Effects`] sink owned by the driver. The sink's buffers are
//! reused across steps, so a steady-state step allocates nothing for them.
//! Drivers — the in-memory [`driver`], a simulator, a model checker, a tokio
//! network runtime — own all I/O and time.
//!
//! Nothing here depends on the compiler.

#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

pub mod driver;
pub mod quorum;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::fmt::Debug;
use std::hash::Hash;

pub use quorum::{Insert, QuorumTracker};

/// A node's identity: its index in `0..n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "n{}", self.0)
    }
}

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dest {
    /// Every node, the sender included (a Rio `broadcast`).
    All,
    /// One node (a Rio `link`).
    One(NodeId),
}

/// A timer a node asked for, identified by the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimerId(pub u64);

/// Why a peer is known to be faulty: it sent two different values on one
/// line, which a correct node never does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    pub peer: NodeId,
    /// The message tag (the line's name).
    pub line: &'static str,
}

/// The effects of one step, reused across steps.
#[derive(Debug)]
pub struct Effects<M, O> {
    pub sends: Vec<(Dest, M)>,
    pub outputs: Vec<O>,
    pub timers: Vec<(TimerId, u64)>,
    pub evidence: Vec<Evidence>,
}

impl<M, O> Default for Effects<M, O> {
    fn default() -> Self {
        Effects {
            sends: Vec::new(),
            outputs: Vec::new(),
            timers: Vec::new(),
            evidence: Vec::new(),
        }
    }
}

impl<M, O> Effects<M, O> {
    pub fn send(&mut self, to: Dest, msg: M) {
        self.sends.push((to, msg));
    }
    pub fn output(&mut self, out: O) {
        self.outputs.push(out);
    }
    /// Asks the driver to call `on_timer(id)` after `after_ms` milliseconds.
    pub fn set_timer(&mut self, id: TimerId, after_ms: u64) {
        self.timers.push((id, after_ms));
    }
    pub fn faulty(&mut self, peer: NodeId, line: &'static str) {
        self.evidence.push(Evidence { peer, line });
    }
    /// Empties every buffer, keeping its capacity.
    pub fn clear(&mut self) {
        self.sends.clear();
        self.outputs.clear();
        self.timers.clear();
        self.evidence.clear();
    }
    pub fn is_empty(&self) -> bool {
        self.sends.is_empty()
            && self.outputs.is_empty()
            && self.timers.is_empty()
            && self.evidence.is_empty()
    }
}

/// The interface of a node state machine (generated or hand-written).
///
/// State is `Clone + Eq + Hash` so a model checker can store and compare
/// states; messages are `serde` types so a network runtime can encode them.
pub trait Node: Clone + Eq + Hash + Debug {
    type Message: Clone + Debug + Eq + Hash + Serialize + DeserializeOwned;
    type Input: Clone + Debug;
    type Output: Clone + Debug + Eq;

    fn id(&self) -> NodeId;
    fn on_input(&mut self, input: Self::Input, out: &mut Effects<Self::Message, Self::Output>);
    fn on_message(
        &mut self,
        from: NodeId,
        msg: Self::Message,
        out: &mut Effects<Self::Message, Self::Output>,
    );
    fn on_timer(&mut self, timer: TimerId, out: &mut Effects<Self::Message, Self::Output>);
}
