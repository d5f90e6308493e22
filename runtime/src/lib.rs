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

pub mod bits;
pub mod crypto;
pub mod driver;
pub mod family;
pub mod forge;
pub mod quorum;
pub mod trace;
pub mod votes;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::fmt::Debug;
use std::hash::Hash;

pub use bits::Bits;
pub use crypto::{Cert, Crypto, Signed};
pub use family::{
    check_node, check_where, leader, store, threshold_of, vote, Family, Instance, TimerState,
    Timers, Wakes, DEFAULT_RETAINED, DEFAULT_WINDOW,
};
pub use forge::{Forge, ForgeMessage};
pub use quorum::{Insert, QuorumTracker};
/// Re-exported for generated code (`#[serde(crate = "...")]`, forgeries).
pub use rand;
pub use serde;
pub use votes::Votes;

/// What a protocol's type parameters (`Bracha<T>`) must be: values that
/// can be copied, compared, hashed (the checker stores states), printed
/// (traces) and sent (serde). Implemented for every such type.
pub trait Value: Clone + Eq + Hash + Debug + Serialize + DeserializeOwned {}

impl<T: Clone + Eq + Hash + Debug + Serialize + DeserializeOwned> Value for T {}

/// Includes the Rust code `rio_compiler::Builder` generated from
/// `NAME.rio` in a build script: `rio_runtime::include_protocol!("bracha");`.
#[macro_export]
macro_rules! include_protocol {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"));
    };
}

/// A protocol parameter set that violates the protocol's `where` clause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub protocol: &'static str,
    pub constraint: &'static str,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "parameters of `{}` violate `{}`",
            self.protocol, self.constraint
        )
    }
}

impl std::error::Error for ParamError {}

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

/// Resolves choice points (`select(?, ..)`): given which options are
/// available, picks one. Simulators pick by seed; checkers enumerate; tests
/// force. Without a chooser, the first available option (in source order) is
/// taken.
pub trait Chooser {
    /// `point` names the choice (the line it produces); `available[k]` says
    /// whether option `k` is available; at least one is. Returning an index
    /// that is not available falls back to the first available option.
    fn choose(&mut self, node: NodeId, point: &'static str, available: &[bool]) -> usize;
}

/// Where a node's random coins (`coin(s)` in Rio) come from. The simulator
/// installs a seeded source (the same seed, the same coins), the model
/// checker one that enumerates both outcomes, tests one that forces them;
/// without one (the network runtime), coins come from the operating
/// system's random number generator.
pub trait Coins {
    /// `point` names the coin (the line it produces).
    fn flip(&mut self, node: NodeId, point: &'static str) -> bool;
}

/// Coins from a seed: the same seed flips the same coins, in the order they
/// are asked for.
pub struct SeededCoins(forge::Rng);

impl SeededCoins {
    pub fn new(seed: u64) -> Self {
        use rand::SeedableRng as _;
        SeededCoins(forge::Rng::seed_from_u64(seed))
    }
}

impl Coins for SeededCoins {
    fn flip(&mut self, _node: NodeId, _point: &'static str) -> bool {
        use rand::Rng as _;
        self.0.gen()
    }
}

/// The effects of one step, reused across steps.
pub struct Effects<M, O> {
    pub sends: Vec<(Dest, M)>,
    pub outputs: Vec<O>,
    pub timers: Vec<(TimerId, u64)>,
    pub evidence: Vec<Evidence>,
    /// Resolves choice points; `None` takes the first available option.
    pub chooser: Option<Box<dyn Chooser + Send>>,
    /// Flips coins; `None` draws from the operating system.
    pub coins: Option<Box<dyn Coins + Send>>,
    /// The coins flipped in this step, in order: `(node, coin, value)`
    /// (drivers record them; a checker counts them).
    pub flips: Vec<(NodeId, &'static str, bool)>,
    /// The choices made in this step, in order: `(node, point, option)`
    /// (drivers record them, so that a replay can make them again).
    pub choices: Vec<(NodeId, &'static str, usize)>,
    /// Signs and verifies (`sign`, `cert`, and every signature a node
    /// receives); `None` uses the deterministic symbolic provider
    /// ([`crypto::Symbolic`]).
    pub crypto: Option<std::sync::Arc<dyn crypto::Crypto>>,
}

impl<M: Debug, O: Debug> Debug for Effects<M, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Effects")
            .field("sends", &self.sends)
            .field("outputs", &self.outputs)
            .field("timers", &self.timers)
            .field("evidence", &self.evidence)
            .field("chooser", &self.chooser.is_some())
            .field("coins", &self.coins.is_some())
            .field("crypto", &self.crypto.is_some())
            .finish()
    }
}

impl<M, O> Default for Effects<M, O> {
    fn default() -> Self {
        Effects {
            sends: Vec::new(),
            outputs: Vec::new(),
            timers: Vec::new(),
            evidence: Vec::new(),
            chooser: None,
            coins: None,
            flips: Vec::new(),
            choices: Vec::new(),
            crypto: None,
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
    /// The provider that signs and verifies for this step.
    pub fn crypto(&self) -> &dyn crypto::Crypto {
        match &self.crypto {
            Some(c) => &**c,
            None => &crypto::SYMBOLIC,
        }
    }
    /// Resolves a choice point among the `available` options.
    pub fn choose(&mut self, node: NodeId, point: &'static str, available: &[bool]) -> usize {
        let first = available.iter().position(|a| *a).unwrap_or(0);
        let k = match &mut self.chooser {
            Some(c) => {
                let k = c.choose(node, point, available);
                if available.get(k).copied().unwrap_or(false) {
                    k
                } else {
                    first
                }
            }
            None => first,
        };
        self.choices.push((node, point, k));
        k
    }
    /// This step's choices and coins as trace events, in that order (the
    /// buffers are left as they are).
    pub fn traced(&self) -> impl Iterator<Item = trace::Kind> + '_ {
        let choices = self
            .choices
            .iter()
            .map(|(node, point, option)| trace::Kind::Choice {
                node: node.0,
                point: (*point).to_string(),
                option: *option,
            });
        let coins = self
            .flips
            .iter()
            .map(|(node, coin, value)| trace::Kind::Coin {
                node: node.0,
                coin: (*coin).to_string(),
                value: *value,
            });
        choices.chain(coins)
    }
    /// A random coin for `node`'s coin `point`.
    pub fn coin(&mut self, node: NodeId, point: &'static str) -> bool {
        let v = match &mut self.coins {
            Some(c) => c.flip(node, point),
            None => rand::random(),
        };
        self.flips.push((node, point, v));
        v
    }
    /// Empties every buffer, keeping its capacity (and the chooser and
    /// coins).
    pub fn clear(&mut self) {
        self.sends.clear();
        self.outputs.clear();
        self.timers.clear();
        self.evidence.clear();
        self.flips.clear();
        self.choices.clear();
    }
    pub fn is_empty(&self) -> bool {
        self.sends.is_empty()
            && self.outputs.is_empty()
            && self.timers.is_empty()
            && self.evidence.is_empty()
    }
}

/// What a protocol's faulty nodes may do (its `faults f: crash` or
/// `faults f: byzantine` declaration). Simulators and checkers derive the
/// adversary from it: a crash-fault protocol gets crashes, never lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaultModel {
    Crash,
    Byzantine,
}

/// The line a message or an output belongs to, and its instance key: what
/// a durable node uses to guarantee that it never sends two different
/// values on one line, and delivers each output once, across restarts.
/// Generated for every `Message` and `Output` enum.
pub trait Slotted {
    fn slot(&self) -> (&'static str, &[u64]);
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
    /// The protocol's fault model (generated from its `faults` parameter;
    /// Byzantine unless stated).
    fn fault_model() -> FaultModel
    where
        Self: Sized,
    {
        FaultModel::Byzantine
    }
    /// The line and instance key of a message, for traces. Generated nodes
    /// answer from [`Slotted`]; a hand-written node may leave it `None`.
    fn message_slot(msg: &Self::Message) -> Option<trace::Slot>
    where
        Self: Sized,
    {
        let _ = msg;
        None
    }
    /// The line and instance key of an input, for traces.
    fn input_slot(input: &Self::Input) -> Option<trace::Slot>
    where
        Self: Sized,
    {
        let _ = input;
        None
    }
    /// An input's value as structured JSON, for traces (`None` where its
    /// type is not `Serialize`, and from hand-written nodes by default).
    fn input_value(input: &Self::Input) -> Option<trace::JsonValue>
    where
        Self: Sized,
    {
        let _ = input;
        None
    }
    /// An output's value as structured JSON, for traces.
    fn output_value(output: &Self::Output) -> Option<trace::JsonValue>
    where
        Self: Sized,
    {
        let _ = output;
        None
    }
    /// The line and instance key of an output, for traces.
    fn output_slot(output: &Self::Output) -> Option<trace::Slot>
    where
        Self: Sized,
    {
        let _ = output;
        None
    }
    /// Called once by every driver before any other event (and again after
    /// a restart, on the fresh node): rules that wait on no message or input
    /// — constants, timers on constants — fire here.
    fn on_start(&mut self, out: &mut Effects<Self::Message, Self::Output>) {
        let _ = out;
    }
    fn on_input(&mut self, input: Self::Input, out: &mut Effects<Self::Message, Self::Output>);
    fn on_message(
        &mut self,
        from: NodeId,
        msg: Self::Message,
        out: &mut Effects<Self::Message, Self::Output>,
    );
    fn on_timer(&mut self, timer: TimerId, out: &mut Effects<Self::Message, Self::Output>);
    /// Whether delivering `msg` from `from` to this node changes nothing,
    /// now **and in every later state** of the node: no state change, no
    /// send, output, timer, choice or coin (a vote from a sender already
    /// counted, a second value for a line already set, a message for a
    /// finished instance or from a node that may not send it). The model
    /// checker drops such messages instead of delivering them at every
    /// point of the interleaving (`rio-check`'s reduction). `false` is
    /// always a sound answer, and the default.
    fn is_spent(&self, from: NodeId, msg: &Self::Message) -> bool {
        let _ = (from, msg);
        false
    }
    /// Drops what no task of this node can ever read again (the votes on
    /// a line whose readers here have all fired, or only feed lines that
    /// are themselves never read again). Behaviour is unchanged: such votes
    /// are never read, and [`Node::is_spent`] says a later vote on that line
    /// is spent. The model checker calls it after every step, so that
    /// states differing only in unread votes are one state; drivers need
    /// not call it. The default drops nothing.
    fn forget_spent(&mut self) {}
    /// Whether delivering `msg` (sent by a correct node) to this node
    /// **commutes with every other event at this node**, with at most `f`
    /// Byzantine nodes: no choice point of the
    /// node — a `quorum(?, ..)`, `collect`, `select`, `gather`, `cert` or
    /// `coin` — reads the message's line, directly or through the node's
    /// local lines, and no line it reaches locally has two producers.
    /// Delivered before or after any other message or timer, it leaves the
    /// node in the same state with the same sends and outputs (a one-shot
    /// line has one value from its correct sender; a unique quorum's value
    /// does not depend on arrival order). The model checker's reduction
    /// explores only such a delivery when one is in flight to a node that
    /// cannot crash (`rio-check`). Generated nodes answer from their line
    /// graph; `false` is always sound, and the default.
    fn commutes(msg: &Self::Message) -> bool
    where
        Self: Sized,
    {
        let _ = msg;
        false
    }
    /// [`Node::commutes`] in this node's current state: besides messages
    /// that always commute, one whose line only choice points that are
    /// **spent here** read — each has fired (lines are one-shot, so it
    /// never fires again) or feeds only lines nobody here reads again —
    /// directly or through choice-free local lines. Spent stays spent in
    /// every later state of the node, so the delivery commutes with every
    /// event that can follow, as in [`Node::commutes`]. Bracha's READY
    /// after the node has sent its own READY is one: the `select` and the
    /// weak quorum feeding it are spent, and the delivery quorum is
    /// choice-free. Generated nodes answer from their line graph and the
    /// instance's fired tasks; the default is [`Node::commutes`].
    fn commutes_here(&self, msg: &Self::Message) -> bool
    where
        Self: Sized,
    {
        Self::commutes(msg)
    }
    /// The node's low-water mark over its one-index instances (slots,
    /// broadcasts, rounds): every instance below it is finished here, so
    /// nothing this node does will ever again send on or output from it.
    /// Durable state drops its records below the mark (less a margin
    /// kept for peers that missed them) — see `rio_net::Durable`. The
    /// default, 0, compacts nothing.
    fn low_water(&self) -> u64 {
        0
    }
    /// Restores a low-water mark on a fresh node restarted from compacted
    /// durable state: every one-index instance below `low` is finished, and
    /// messages for it are ignored as for any finished instance. The
    /// default does nothing (and then [`Node::low_water`] must stay 0).
    fn restore_low_water(&mut self, low: u64) {
        let _ = low;
    }
}

/// Delivers `msg` to a copy of `node` and reports whether that changed
/// nothing at all (state, sends, outputs, timers, choices, coins); evidence
/// is allowed. This is "a no-op *now*"; generated nodes answer
/// [`Node::is_spent`] with it for every message whose answer cannot change
/// later (everything but keys above the instance window, which may open).
pub fn noop_by_trial<N: Node>(node: &N, from: NodeId, msg: &N::Message) -> bool {
    struct Tails;
    impl Coins for Tails {
        fn flip(&mut self, _: NodeId, _: &'static str) -> bool {
            false
        }
    }
    let mut copy = node.clone();
    let mut fx: Effects<N::Message, N::Output> = Effects {
        coins: Some(Box::new(Tails)),
        ..Effects::default()
    };
    copy.on_message(from, msg.clone(), &mut fx);
    copy == *node
        && fx.sends.is_empty()
        && fx.outputs.is_empty()
        && fx.timers.is_empty()
        && fx.flips.is_empty()
        && fx.choices.is_empty()
}
