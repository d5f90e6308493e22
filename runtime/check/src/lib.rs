//! `rio-check`: an explicit-state model checker over generated Rio nodes —
//! the same `Node` state machines the simulator and the network runtime
//! run.
//!
//! A state is every correct node's state, the messages in flight, the
//! pending timers, which nodes crashed and the outputs so far. From a state
//! the checker branches on every **choice the environment makes**: which
//! in-flight message is delivered next (asynchrony: any order), which
//! pending timer fires (timers are choices, not clocks), which crash-prone
//! node crashes, which message is lost (only if the model allows loss), and
//! which message a Byzantine node sends to whom (from a small user-given
//! domain of messages, equivocation included: every message of the domain
//! may go to every receiver, each at most once; with [`Model::knowledge`],
//! also what it derives from the messages it received, which are then part
//! of the state: replays, certificates assembled from signatures it saw).
//! Signatures are symbolic (`rio_runtime::crypto`). States are deduplicated by
//! a 64-bit fingerprint. Search is breadth-first (shortest counterexample)
//! or depth-first, bounded by a number of states and a time limit; running
//! out of either is an `Incomplete` verdict, never "verified".
//!
//! **Properties.** Safety properties are predicates over the outputs so far
//! and must be *monotone* (once violated, violated in every extension, as
//! agreement and validity are: outputs only accumulate) and must not depend
//! on the order of outputs at different nodes (states are deduplicated with
//! the outputs taken as a set). They are checked
//! at every explored state. Termination properties are checked at *final*
//! states: no correct message in flight and no timer pending (Byzantine
//! nodes may stay silent forever, so their undelivered messages do not keep
//! a state from being final; crashed nodes owe nothing).
//!
//! **Reduction** (on by default, [`Model::reduction`] turns it off so both
//! counts can be compared). Every interleaving of events is explored:
//! transitions at different nodes commute, but a node can later receive a
//! message whose delivery does not commute with the events it has now, so
//! "only the lowest node's events" is *not* a persistent set. (An earlier
//! version used it and missed final outcomes; the test
//! `the_reduction_keeps_every_final_outcome` compares the final outcomes
//! with the reduction and without it.) Crash budgets would couple nodes, so
//! the crash-prone nodes are chosen up front (every subset of at most `f`
//! correct nodes is an initial branch) and each crash is then local.
//! Safety properties are monotone and every execution is finite (lines are
//! one-shot and Byzantine messages are bounded), so a violating state
//! extends to a final violating state.
//!
//! What the reduction does use is what the compiler knows about each node,
//! through
//! [`Node::is_spent`] and [`Node::forget_spent`] (generated nodes answer
//! from their line graph; hand-written nodes default to "nothing"):
//!
//! - **Spent messages are dropped.** A message whose delivery is a no-op
//!   now and in every later state of its receiver (a second vote from the
//!   same sender, a value for a line already set, a message for a finished
//!   instance), or a vote on a line that no task of the receiver will read
//!   again (every reader fired, or feeds only local lines that are
//!   themselves never read again), is removed from the network as soon as
//!   it is sent or its receiver's state changes. Delivering it could only
//!   change state nobody reads, so every output, every message sent and
//!   every final state stays reachable (a state whose only messages in
//!   flight are spent is final up to those no-ops). Keys above the
//!   instance window are never spent: the window may move.
//! - **Unread votes are forgotten.** After every step the receiver clears
//!   the votes on lines nobody reads again, so two states that differ only
//!   in such votes (one counted a late vote before its readers fired, the
//!   other dropped it afterwards) are one state.
//!
//! - **Commuting deliveries go first, alone.** A message in flight (so from
//!   a correct node) to a node that cannot crash in this branch, whose line
//!   no choice point of that node reads (directly or through its local
//!   lines: [`Node::commutes`], from the line graph), is delivered as the
//!   only move from that state (with its loss as the other, where loss is
//!   allowed). Why that is sound: such a delivery is independent of every
//!   other event. At another node it touches other state (and messages,
//!   outputs and a Byzantine node's knowledge only accumulate, as
//!   multisets and sets). At its own node, a later message or timer cannot
//!   tell which came first: every line the delivery reaches is computed
//!   without a choice, so it gets the same value in either order. Its own
//!   line cannot be contradicted: its sender is correct and sends one value
//!   per line and key, a vote occupies the sender's own slot, and a node
//!   accepts a single-sender line only from that sender (authenticated
//!   channels). A unique quorum's value does not depend on arrival order,
//!   Byzantine votes included, given at most `f` Byzantine nodes (the
//!   protocol's own assumption). A local line with two producers counts as
//!   a choice. Every event stays enabled after it, and the receiver cannot
//!   crash in between. So `{deliver m}` is a *persistent set*, and since
//!   every execution is finite, a search that explores only persistent sets
//!   reaches every final state. Safety violations are kept too, because the
//!   properties are monotone. It assumes no key reaches the instance window
//!   (the window could then move with the delivery). 2PC's PREPARE and
//!   OUTCOME messages qualify, and so do Paxos's prepare, propose and
//!   accepted and a correct Bracha sender's SEND; Bracha's ECHO and READY
//!   feed a `select(?, ..)` and do not, until that `select` has fired.
//! - **Deliveries whose choice points are spent commute too.** The same
//!   holds in a given state for a message whose line is read only by
//!   choice points that are *spent* at the receiver — each has fired
//!   (lines are one-shot) or feeds only lines nobody there reads again —
//!   and otherwise by choice-free rules ([`Node::commutes_here`], from the
//!   line graph and the instance's fired tasks). Spent stays spent in
//!   every later state of the node, so the argument above applies from
//!   that state on. A spent choice point that has not fired may still fire
//!   on the delivery, in an order-dependent way, but only into lines nobody
//!   reads: final states can differ there, never in an output or a
//!   message. Bracha's READY at a node that has sent its own READY is
//!   such a delivery.
//! - **A Byzantine message that commutes is sent now or never.** A pool
//!   message to a correct node that cannot crash, which commutes there in
//!   this state, is explored as two moves only: sent now, or withheld for
//!   good. Every execution either delivers it — and it can be moved to the
//!   front, as above — or never does, which the withheld branch covers
//!   (withholding disables nothing else). A second, conflicting Byzantine
//!   message on the same line and key is a no-op after the first, so the
//!   order of the two is covered by "first now" and "first never, second
//!   later". Final states are those with no correct message in flight and
//!   no timer; what the pool still holds does not count.
//!
//! `Model::spent_choices(false)` keeps only the line-graph part of the
//! commuting reduction, to compare the counts.
//!
//! `Model::reduction(false)` turns all three off; the unreduced counts
//! equal stateright's on the same nodes (`examples/tests/stateright_cross.rs`).
//! Symmetry between interchangeable nodes is not exploited.
//!
//! On a terminal a progress line shows the states explored and states per
//! second.
//!
//! A counterexample is a trace in the simulator's format
//! ([`rio_runtime::trace`]), which the simulator's diagram renderer draws.

#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

mod dfs;

use rio_runtime::trace::{Kind, TraceEvent};
use rio_runtime::{Dest, Effects, Node, NodeId, TimerId};
use std::collections::{HashSet, VecDeque};
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What safety and termination properties see.
pub struct View<'a, O> {
    /// `(node, output)` in the order they happened.
    pub outputs: &'a [(NodeId, O)],
    /// Nodes that are Byzantine or crashed.
    pub faulty: &'a [bool],
}

impl<O> View<'_, O> {
    /// Outputs of nodes that are not faulty.
    pub fn correct_outputs(&self) -> impl Iterator<Item = (NodeId, &O)> + '_ {
        self.outputs
            .iter()
            .filter(|(id, _)| !self.faulty.get(id.index()).copied().unwrap_or(true))
            .map(|(id, o)| (*id, o))
    }
    /// Nodes that are neither Byzantine nor crashed.
    pub fn correct_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.faulty
            .iter()
            .enumerate()
            .filter(|(_, f)| !**f)
            .map(|(k, _)| NodeId(u32::try_from(k).unwrap_or(u32::MAX)))
    }
}

type Property<O> = (
    String,
    Box<dyn Fn(&View<'_, O>) -> Result<(), String> + Send + Sync>,
);

/// A Byzantine node's derivations: given its id and every message it has
/// received so far, the messages it may send (each at most once per
/// correct node).
type Knowledge<M> = Box<dyn Fn(NodeId, &[M]) -> Vec<M> + Send + Sync>;

/// Search order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// Breadth-first: the first counterexample found is a shortest one.
    Bfs,
    /// Depth-first: less memory for the frontier.
    Dfs,
}

/// A protocol instance to check, and what to check.
pub struct Model<N: Node> {
    n: usize,
    factory: Box<dyn Fn(NodeId) -> N + Send + Sync>,
    inputs: Vec<(NodeId, N::Input)>,
    byzantine: Vec<bool>,
    domain: Vec<N::Message>,
    /// What a Byzantine node can derive from the messages it received
    /// (replays, certificates assembled from signatures it saw).
    knowledge: Option<Knowledge<N::Message>>,
    crashes: usize,
    loss: bool,
    reduction: bool,
    /// Whether the commuting-delivery reduction also asks the receiver's
    /// state ([`Node::commutes_here`]), not only the line graph.
    dynamic: bool,
    search: Search,
    threads: usize,
    max_states: usize,
    max_time: Duration,
    /// Resident memory allowed, in bytes (`None`: unbounded).
    max_memory: Option<u64>,
    safety: Vec<Property<N::Output>>,
    termination: Vec<Property<N::Output>>,
}

/// How a check ended.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Every reachable state (up to the reduction) was explored and every
    /// property holds.
    Verified,
    /// A property fails; `trace` leads there from the initial state.
    Violation {
        property: String,
        detail: String,
        trace: Vec<TraceEvent>,
    },
    /// A bound was hit before the search finished: nothing is proved.
    Incomplete { reason: String },
}

/// The verdict and what the search cost.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    /// Distinct states explored.
    pub states: usize,
    /// Transitions taken (including those to already-seen states).
    pub transitions: usize,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn states_per_second(&self) -> f64 {
        self.states as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    pub fn is_verified(&self) -> bool {
        matches!(self.verdict, Verdict::Verified)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = match &self.verdict {
            Verdict::Verified => "verified".to_string(),
            Verdict::Violation {
                property,
                detail,
                trace,
            } => format!("violation of {property}: {detail} ({} events)", trace.len()),
            Verdict::Incomplete { reason } => format!("incomplete: {reason}"),
        };
        write!(
            f,
            "{v}; {} states, {} transitions, {:.2?} ({:.0} states/s)",
            self.states,
            self.transitions,
            self.elapsed,
            self.states_per_second()
        )
    }
}

/// One environment choice. Indices refer to the state's canonical vectors,
/// so replaying the actions from the initial state rebuilds every state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Deliver(usize),
    Byzantine(usize),
    Timer(usize),
    Crash(u32),
    Lose(usize),
    /// A Byzantine node never sends pool entry `k` (the other half of the
    /// reduction's persistent set for a Byzantine message that commutes).
    Withhold(usize),
}

/// An action and the coins that fell during it: `flips` coins, coin `k`
/// showing bit `k` of `coins`. Every sequence of coins is its own move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Move {
    action: Action,
    coins: u32,
    flips: u8,
}

/// Which nodes' states a step changed, for [`Model::purge`].
#[derive(Clone, Copy)]
enum Changed {
    /// Every node (the initial state).
    All,
    /// At most this node.
    Node(Option<u32>),
}

/// Coins flipped in one step at most (each sequence is a branch).
const MAX_FLIPS: usize = 16;

/// Coins that fall as a move says (then `false`).
struct ForcedCoins {
    coins: u32,
    flips: u8,
    next: u8,
}

impl rio_runtime::Coins for ForcedCoins {
    fn flip(&mut self, _node: NodeId, _point: &'static str) -> bool {
        let k = self.next;
        self.next = self.next.saturating_add(1);
        k < self.flips && k < 32 && (self.coins >> k) & 1 == 1
    }
}

struct InFlight<M> {
    to: u32,
    from: u32,
    msg: M,
    /// The message's own fingerprint: the canonical order of the network.
    key: u64,
    /// Sent by the last step and not yet tested by [`Model::purge`] (not
    /// part of the state's identity).
    fresh: bool,
}

impl<M: Clone> Clone for InFlight<M> {
    fn clone(&self) -> Self {
        InFlight {
            to: self.to,
            from: self.from,
            msg: self.msg.clone(),
            key: self.key,
            fresh: self.fresh,
        }
    }
}

struct State<N: Node> {
    /// Shared with the parent state until a step changes the node (a
    /// successor copies one node, not all of them).
    nodes: Vec<Arc<N>>,
    /// Each node's fingerprint, refreshed when a step changes the node
    /// (hashing only the node that changed, not all of them per state).
    node_fp: Vec<u64>,
    crashed: Vec<bool>,
    /// Correct nodes that may still crash (chosen up front).
    crash_prone: Vec<bool>,
    net: Vec<InFlight<N::Message>>,
    /// Byzantine messages not sent yet: (from, to, index into the domain,
    /// then into `learned`).
    pool: Vec<(u32, u32, usize)>,
    /// Messages Byzantine nodes derived ([`Model::knowledge`]), in the order
    /// derived.
    learned: Vec<N::Message>,
    /// What each Byzantine node received: `(node, message key)` sorted, and
    /// the messages, in arrival order.
    seen: Vec<(u32, u64)>,
    seen_msgs: Vec<(u32, N::Message)>,
    /// What each Byzantine node has derived already: `(node, key)` sorted.
    offered: Vec<(u32, u64)>,
    /// The model's domain size (pool indices below it are domain messages).
    domain_len: usize,
    /// Pending timers: (node, id), sorted.
    timers: Vec<(u32, u64)>,
    outputs: Vec<(NodeId, N::Output)>,
    /// The outputs as a set, `(node, printed output)` sorted: what the
    /// fingerprint hashes (kept as outputs arrive, not rebuilt per state).
    output_set: Vec<(NodeId, String)>,
}

impl<N: Node> Clone for State<N> {
    fn clone(&self) -> Self {
        State {
            nodes: self.nodes.clone(),
            node_fp: self.node_fp.clone(),
            crashed: self.crashed.clone(),
            crash_prone: self.crash_prone.clone(),
            net: self.net.clone(),
            pool: self.pool.clone(),
            learned: self.learned.clone(),
            seen: self.seen.clone(),
            seen_msgs: self.seen_msgs.clone(),
            offered: self.offered.clone(),
            domain_len: self.domain_len,
            timers: self.timers.clone(),
            outputs: self.outputs.clone(),
            output_set: self.output_set.clone(),
        }
    }
}

/// The hasher of fingerprints: foldhash's quality variant with a fixed
/// seed, so the same state has the same fingerprint in every run. (It was
/// SipHash, whose writes were a fifth of the search's time.)
fn hasher() -> impl Hasher {
    use std::hash::BuildHasher as _;
    foldhash::quality::FixedState::with_seed(0x5249_4f5f_4348_4b21).build_hasher()
}

fn fingerprint<T: Hash + ?Sized>(x: &T) -> u64 {
    let mut h = hasher();
    x.hash(&mut h);
    h.finish()
}

/// The fingerprint set's hasher: fingerprints are hashes already.
type FpHash = std::hash::BuildHasherDefault<FpHasher>;

/// Hashes a `u64` fingerprint as itself, halves swapped (the parallel
/// search picks a shard by the top bits; the table then uses others).
#[derive(Default)]
struct FpHasher(u64);

impl Hasher for FpHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x.rotate_left(32);
    }
}

impl<N: Node> State<N> {
    /// Recomputes node `k`'s fingerprint after a step changed its state.
    fn refresh(&mut self, k: usize) {
        if let (Some(node), Some(fp)) = (self.nodes.get(k), self.node_fp.get_mut(k)) {
            *fp = fingerprint(node);
        }
    }

    fn fingerprint(&self) -> u64 {
        // Every step refreshes the fingerprint of the node it changed; a
        // stale one would merge different states.
        debug_assert!(
            self.nodes
                .iter()
                .zip(&self.node_fp)
                .all(|(n, fp)| fingerprint(n) == *fp),
            "a node changed without its fingerprint"
        );
        let mut h = hasher();
        self.node_fp.hash(&mut h);
        self.crashed.hash(&mut h);
        self.crash_prone.hash(&mut h);
        for m in &self.net {
            (m.to, m.from, m.key).hash(&mut h);
        }
        if self.learned.is_empty() {
            self.pool.hash(&mut h);
        } else {
            // Derived messages by content, whatever order they were derived in.
            let mut pool: Vec<(u32, u32, (bool, u64))> = self
                .pool
                .iter()
                .map(|(f, t, k)| (*f, *t, self.pool_key(*k)))
                .collect();
            pool.sort_unstable();
            pool.hash(&mut h);
        }
        self.seen.hash(&mut h);
        self.offered.hash(&mut h);
        self.timers.hash(&mut h);
        // Outputs as a set: properties may not depend on their order
        // across nodes (see the crate docs).
        self.output_set.hash(&mut h);
        h.finish()
    }

    /// The enabled actions at node `j`.
    fn actions_at(&self, j: u32, loss: bool, out: &mut Vec<Action>) {
        for (k, m) in self.net.iter().enumerate() {
            if m.to == j {
                out.push(Action::Deliver(k));
                if loss {
                    out.push(Action::Lose(k));
                }
            }
        }
        for (k, (_, to, _)) in self.pool.iter().enumerate() {
            if *to == j {
                out.push(Action::Byzantine(k));
            }
        }
        for (k, (node, _)) in self.timers.iter().enumerate() {
            if *node == j {
                out.push(Action::Timer(k));
            }
        }
        let idx = j as usize;
        if self.crash_prone.get(idx).copied().unwrap_or(false)
            && !self.crashed.get(idx).copied().unwrap_or(true)
        {
            out.push(Action::Crash(j));
        }
    }

    /// What identifies pool entry `k`'s message in every state: a domain
    /// message by its index, a derived one by its content.
    fn pool_key(&self, k: usize) -> (bool, u64) {
        match k.checked_sub(self.domain_len) {
            Some(i) => (true, self.learned.get(i).map_or(0, fingerprint)),
            None => (false, k as u64),
        }
    }

    /// No correct message in flight and no timer pending.
    fn is_final(&self) -> bool {
        self.net.is_empty() && self.timers.is_empty()
    }
}

impl<N> Model<N>
where
    N: Node,
{
    /// `n` nodes made by `factory`; by default no faults, reduction on,
    /// breadth-first, at most 10 million states, 10 minutes and three
    /// quarters of the memory available when the model is made (on Linux;
    /// elsewhere no memory bound unless [`Model::max_memory`] sets one).
    pub fn new(n: usize, factory: impl Fn(NodeId) -> N + Send + Sync + 'static) -> Self {
        Model {
            n,
            factory: Box::new(factory),
            inputs: Vec::new(),
            byzantine: vec![false; n],
            domain: Vec::new(),
            knowledge: None,
            crashes: 0,
            loss: false,
            reduction: true,
            dynamic: true,
            search: Search::Bfs,
            threads: 1,
            max_states: 10_000_000,
            max_time: Duration::from_secs(600),
            max_memory: memory::available().map(|b| b / 4 * 3),
            safety: Vec::new(),
            termination: Vec::new(),
        }
    }
    /// An application input, given before anything else happens.
    pub fn input(mut self, node: NodeId, input: N::Input) -> Self {
        self.inputs.push((node, input));
        self
    }
    /// Makes `node` Byzantine: it runs no code and may send any message of
    /// [`Model::domain`] to any correct node, each at most once.
    pub fn byzantine(mut self, node: NodeId) -> Self {
        if let Some(b) = self.byzantine.get_mut(node.index()) {
            *b = true;
        }
        self
    }
    /// The messages Byzantine nodes may send (values from a small domain,
    /// different ones to different nodes: equivocation).
    pub fn domain(mut self, msgs: Vec<N::Message>) -> Self {
        self.domain = msgs;
        self
    }
    /// What Byzantine nodes may derive from what they receive: `f(node,
    /// received)` returns messages `node` may then send to any correct
    /// node (each at most once). This is how signatures stay symbolic in
    /// the checker: a Byzantine node receives (correct nodes' messages to
    /// it are kept instead of ignored), and may replay a signed value or
    /// certificate it received, or assemble one from signatures it received
    /// and its own (`rio_runtime::Cert::assemble`); it cannot make a correct
    /// node's signature, which only the provider can. The messages it has
    /// received are part of the state.
    pub fn knowledge(
        mut self,
        f: impl Fn(NodeId, &[N::Message]) -> Vec<N::Message> + Send + Sync + 'static,
    ) -> Self {
        self.knowledge = Some(Box::new(f));
        self
    }
    /// Byzantine nodes may replay, as their own, any message they received
    /// (`knowledge` returning what was received).
    pub fn replays(self) -> Self {
        self.knowledge(|_, seen| seen.to_vec())
    }
    /// Up to `k` correct nodes may crash, at any point.
    pub fn crashes(mut self, k: usize) -> Self {
        self.crashes = k;
        self
    }
    /// Messages may be lost (only where the protocol's model allows it).
    pub fn loss(mut self, on: bool) -> Self {
        self.loss = on;
        self
    }
    /// Turns the partial-order reduction on or off.
    pub fn reduction(mut self, on: bool) -> Self {
        self.reduction = on;
        self
    }
    /// Whether the commuting-delivery reduction also takes deliveries that
    /// commute in the receiver's current state ([`Node::commutes_here`]:
    /// every choice point reading the line is spent there), besides those
    /// the line graph says always commute. On by default; off, for
    /// comparing the two counts.
    pub fn spent_choices(mut self, on: bool) -> Self {
        self.dynamic = on;
        self
    }
    pub fn search(mut self, s: Search) -> Self {
        self.search = s;
        self
    }
    /// Threads to search on (default 1).
    ///
    /// - Breadth-first: level by level, merged in the one-threaded order,
    ///   so states, transitions and the counterexample are the same for
    ///   every thread count (only a time bound can cut two runs at
    ///   different points). On the 2-core machines this was measured on,
    ///   it is *slower* than one thread (0.6x; `docs/checker.md`).
    /// - Depth-first: the threads share a fingerprint set and hand work to
    ///   idle threads (module `dfs`). A verified model has the same states
    ///   and transitions as on one thread; which counterexample is found,
    ///   and where a bound cuts, depends on the schedule. 1.63x on 2 cores
    ///   (`rio-checkbench --dfs`).
    pub fn threads(mut self, k: usize) -> Self {
        self.threads = k.max(1);
        self
    }
    pub fn max_states(mut self, k: usize) -> Self {
        self.max_states = k;
        self
    }
    pub fn max_time(mut self, d: Duration) -> Self {
        self.max_time = d;
        self
    }
    /// Stops with an [`Verdict::Incomplete`] verdict once the process's
    /// resident memory exceeds `bytes` (checked every 1,024 states and
    /// every batch; read from `/proc/self/status`, so on Linux only). A
    /// search that would exhaust the machine's memory ends with a verdict
    /// instead of being killed.
    pub fn max_memory(mut self, bytes: u64) -> Self {
        self.max_memory = Some(bytes);
        self
    }
    /// The memory bound's verdict, if the process is over it.
    fn over_memory(&self) -> Option<Verdict> {
        let limit = self.max_memory?;
        let used = memory::resident()?;
        (used > limit).then(|| Verdict::Incomplete {
            reason: format!(
                "stopped at the memory bound ({} MiB resident, {} MiB allowed)",
                used >> 20,
                limit >> 20
            ),
        })
    }
    /// A safety property (monotone in the outputs), checked at every state.
    pub fn safety(
        mut self,
        name: &str,
        p: impl Fn(&View<'_, N::Output>) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.safety.push((name.to_string(), Box::new(p)));
        self
    }
    /// A termination property, checked at every final state.
    pub fn termination(
        mut self,
        name: &str,
        p: impl Fn(&View<'_, N::Output>) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.termination.push((name.to_string(), Box::new(p)));
        self
    }

    fn faulty(&self, s: &State<N>) -> Vec<bool> {
        (0..self.n)
            .map(|k| {
                self.byzantine.get(k).copied().unwrap_or(false)
                    || s.crashed.get(k).copied().unwrap_or(false)
            })
            .collect()
    }

    /// Offers what Byzantine node `b` derives from what it received and has
    /// not derived before, to every correct node.
    fn learn(&self, s: &mut State<N>, b: u32) {
        let Some(f) = &self.knowledge else {
            return;
        };
        let seen: Vec<N::Message> = s
            .seen_msgs
            .iter()
            .filter(|(to, _)| *to == b)
            .map(|(_, m)| m.clone())
            .collect();
        for m in f(NodeId(b), &seen) {
            let entry = (b, fingerprint(&m));
            let Err(at) = s.offered.binary_search(&entry) else {
                continue;
            };
            s.offered.insert(at, entry);
            let idx = s.domain_len + s.learned.len();
            s.learned.push(m);
            for to in 0..self.n {
                if self.byzantine.get(to).copied().unwrap_or(true)
                    || s.crashed.get(to).copied().unwrap_or(true)
                {
                    continue;
                }
                s.pool.push((b, u32::try_from(to).unwrap_or(u32::MAX), idx));
            }
        }
    }

    /// The message of pool index `k`: the domain's, then learned ones.
    fn pool_msg<'a>(&'a self, s: &'a State<N>, k: usize) -> Option<&'a N::Message> {
        match k.checked_sub(self.domain.len()) {
            Some(i) => s.learned.get(i),
            None => self.domain.get(k),
        }
    }

    /// Routes one step's effects into the state.
    fn absorb(
        &self,
        s: &mut State<N>,
        me: u32,
        fx: &mut Effects<N::Message, N::Output>,
        trace: Option<&mut Tracer>,
    ) {
        let mut trace = trace;
        // The step that sends: the event this step began with (before the
        // choices and coins it records).
        let sending = trace.as_deref().map_or(0, Tracer::now);
        let mut learners: Vec<u32> = Vec::new();
        if let Some(t) = trace.as_deref_mut() {
            for kind in fx.traced() {
                push(t, kind);
            }
            fx.choices.clear();
        }
        for (dest, msg) in fx.sends.drain(..) {
            let targets: Vec<u32> = match dest {
                Dest::All => (0..self.n).filter_map(|k| u32::try_from(k).ok()).collect(),
                Dest::One(t) => vec![t.0],
            };
            let key = fingerprint(&msg);
            for to in targets {
                let idx = to as usize;
                // A Byzantine node that derives messages learns what it
                // receives (at once: it runs no code, so order is moot).
                if self.knowledge.is_some() && self.byzantine.get(idx).copied().unwrap_or(false) {
                    let entry = (to, key);
                    if let Err(at) = s.seen.binary_search(&entry) {
                        s.seen.insert(at, entry);
                        s.seen_msgs.push((to, msg.clone()));
                        learners.push(to);
                    }
                    continue;
                }
                // Byzantine and crashed nodes ignore what they receive.
                if to as usize >= self.n
                    || self.byzantine.get(idx).copied().unwrap_or(true)
                    || s.crashed.get(idx).copied().unwrap_or(true)
                {
                    continue;
                }
                if let Some(t) = trace.as_deref_mut() {
                    t.sent.push((me, to, key, sending));
                }
                s.net.push(InFlight {
                    to,
                    from: me,
                    msg: msg.clone(),
                    key,
                    fresh: true,
                });
            }
        }
        s.net.sort_by_key(|m| (m.to, m.from, m.key));
        learners.sort_unstable();
        learners.dedup();
        for b in learners {
            self.learn(s, b);
        }
        for (id, _ms) in fx.timers.drain(..) {
            s.timers.push((me, id.0));
        }
        s.timers.sort_unstable();
        s.timers.dedup();
        for o in fx.outputs.drain(..) {
            let printed = format!("{o:?}");
            if let Some(t) = trace.as_deref_mut() {
                push(
                    t,
                    Kind::Output {
                        node: me,
                        output: printed.clone(),
                        value: N::output_value(&o),
                        slot: N::output_slot(&o),
                    },
                );
            }
            let entry = (NodeId(me), printed);
            let at = s.output_set.partition_point(|x| *x < entry);
            s.output_set.insert(at, entry);
            s.outputs.push((NodeId(me), o));
        }
        fx.evidence.clear();
    }

    /// The initial states: one per choice of crash-prone nodes.
    /// The initial state (and how many coins it flipped: coins on start and
    /// on inputs are not enumerated, they all fall `false`).
    fn initial(&self, trace: Option<&mut Tracer>, prone: &[bool]) -> (State<N>, usize) {
        let mut trace = trace;
        let mut s = State {
            nodes: (0..self.n)
                .map(|k| Arc::new((self.factory)(NodeId(u32::try_from(k).unwrap_or(u32::MAX)))))
                .collect(),
            node_fp: vec![0; self.n],
            crashed: vec![false; self.n],
            crash_prone: prone.to_vec(),
            net: Vec::new(),
            pool: Vec::new(),
            learned: Vec::new(),
            seen: Vec::new(),
            seen_msgs: Vec::new(),
            offered: Vec::new(),
            domain_len: self.domain.len(),
            timers: Vec::new(),
            outputs: Vec::new(),
            output_set: Vec::new(),
        };
        for (b, is_byz) in self.byzantine.iter().enumerate() {
            if !is_byz {
                continue;
            }
            if let Some(t) = trace.as_deref_mut() {
                push(
                    t,
                    Kind::Fault {
                        node: u32::try_from(b).unwrap_or(u32::MAX),
                        fault: "byzantine".into(),
                    },
                );
            }
            for to in 0..self.n {
                if self.byzantine.get(to).copied().unwrap_or(true) {
                    continue;
                }
                for m in 0..self.domain.len() {
                    s.pool.push((
                        u32::try_from(b).unwrap_or(u32::MAX),
                        u32::try_from(to).unwrap_or(u32::MAX),
                        m,
                    ));
                }
            }
        }
        for b in 0..self.n {
            if self.byzantine.get(b).copied().unwrap_or(false) {
                self.learn(&mut s, u32::try_from(b).unwrap_or(u32::MAX));
            }
        }
        let mut fx: Effects<N::Message, N::Output> = Effects {
            coins: Some(Box::new(ForcedCoins {
                coins: 0,
                flips: 0,
                next: 0,
            })),
            ..Effects::default()
        };
        let mut flipped = 0;
        for k in 0..self.n {
            if self.byzantine.get(k).copied().unwrap_or(true) {
                continue;
            }
            let me = u32::try_from(k).unwrap_or(u32::MAX);
            if let Some(node) = s.nodes.get_mut(k).map(Arc::make_mut) {
                node.on_start(&mut fx);
            }
            self.absorb(&mut s, me, &mut fx, trace.as_deref_mut());
            flipped += fx.flips.len();
            fx.flips.clear();
        }
        for (node, input) in &self.inputs {
            if self.byzantine.get(node.index()).copied().unwrap_or(true) {
                continue;
            }
            if let Some(t) = trace.as_deref_mut() {
                push(
                    t,
                    Kind::Input {
                        node: node.0,
                        input: format!("{input:?}"),
                        value: N::input_value(input),
                        slot: N::input_slot(input),
                    },
                );
            }
            if let Some(x) = s.nodes.get_mut(node.index()).map(Arc::make_mut) {
                x.on_input(input.clone(), &mut fx);
            }
            self.absorb(&mut s, node.0, &mut fx, trace.as_deref_mut());
            flipped += fx.flips.len();
            fx.flips.clear();
        }
        if self.reduction {
            s.nodes
                .iter_mut()
                .map(Arc::make_mut)
                .for_each(N::forget_spent);
        }
        for k in 0..self.n {
            s.refresh(k);
        }
        self.purge(&mut s, Changed::All);
        (s, flipped)
    }

    /// Applies one move (recording it when `trace` is given); returns the
    /// number of coins the step flipped.
    fn step(&self, s: &mut State<N>, mv: Move, trace: Option<&mut Tracer>) -> usize {
        let mut fx: Effects<N::Message, N::Output> = Effects {
            coins: Some(Box::new(ForcedCoins {
                coins: mv.coins,
                flips: mv.flips,
                next: 0,
            })),
            ..Effects::default()
        };
        // The node whose state the step may change (a crash or a loss
        // changes none that can still receive).
        let touched = match mv.action {
            Action::Deliver(k) => s.net.get(k).map(|m| m.to),
            Action::Byzantine(k) => s.pool.get(k).map(|p| p.1),
            Action::Timer(k) => s.timers.get(k).map(|t| t.0),
            Action::Crash(_) | Action::Lose(_) | Action::Withhold(_) => None,
        };
        self.apply(s, mv.action, trace, &mut fx);
        if let Some(j) = touched {
            if self.reduction {
                if let Some(node) = s.nodes.get_mut(j as usize).map(Arc::make_mut) {
                    node.forget_spent();
                }
            }
            s.refresh(j as usize);
        }
        self.purge(s, Changed::Node(touched));
        fx.flips.len()
    }

    /// With the reduction on, drops every message whose delivery is a
    /// no-op forever ([`Node::is_spent`]; after [`Node::forget_spent`] has
    /// cleared the votes no task reads again, which a later vote on the
    /// same line could otherwise refill): the state with it in flight and
    /// the state without it have the same futures up to that no-op, and a
    /// final state is reached from both with the same outputs, so dropping
    /// it keeps every reachable output set, every violation and every final
    /// state. Tested: the messages sent by the last step, and every message
    /// to the node whose state just changed (a message's answer can only
    /// change when its receiver's state does); `Changed::All` tests
    /// everything (the initial state).
    fn purge(&self, s: &mut State<N>, changed: Changed) {
        if !self.reduction {
            for m in &mut s.net {
                m.fresh = false;
            }
            return;
        }
        let nodes = &s.nodes;
        let spent = |to: u32, from: u32, msg: &N::Message| {
            nodes
                .get(to as usize)
                .is_some_and(|node| node.is_spent(NodeId(from), msg))
        };
        let test_all = matches!(changed, Changed::All);
        let touched = match changed {
            Changed::Node(t) => t,
            Changed::All => None,
        };
        s.net.retain_mut(|m| {
            let test = m.fresh || test_all || touched == Some(m.to);
            m.fresh = false;
            !(test && spent(m.to, m.from, &m.msg))
        });
        let domain = &self.domain;
        let learned = &s.learned;
        let lookup = |k: usize| match k.checked_sub(domain.len()) {
            Some(i) => learned.get(i),
            None => domain.get(k),
        };
        let mut keep = Vec::with_capacity(s.pool.len());
        for &(from, to, k) in &s.pool {
            let test = test_all || touched == Some(to);
            if !(test && lookup(k).is_some_and(|msg| spent(to, from, msg))) {
                keep.push((from, to, k));
            }
        }
        s.pool = keep;
    }

    fn apply(
        &self,
        s: &mut State<N>,
        a: Action,
        trace: Option<&mut Tracer>,
        fx: &mut Effects<N::Message, N::Output>,
    ) {
        let mut trace = trace;
        match a {
            Action::Deliver(k) | Action::Lose(k) => {
                if k >= s.net.len() {
                    return;
                }
                let m = s.net.remove(k);
                if let Some(t) = trace.as_deref_mut() {
                    let sent_step = t.sent_step(m.from, m.to, m.key);
                    let kind = if matches!(a, Action::Lose(_)) {
                        Kind::Drop {
                            from: m.from,
                            to: m.to,
                            msg: format!("{:?}", m.msg),
                            reason: "lost".into(),
                            sent_at: sent_step,
                            sent_step,
                            slot: N::message_slot(&m.msg),
                            forged: false,
                        }
                    } else {
                        Kind::Deliver {
                            from: m.from,
                            to: m.to,
                            msg: format!("{:?}", m.msg),
                            sent_at: sent_step.unwrap_or(0),
                            sent_step,
                            value: serde_json::to_value(&m.msg).ok(),
                            slot: N::message_slot(&m.msg),
                            forged: false,
                        }
                    };
                    push(t, kind);
                }
                if matches!(a, Action::Lose(_)) {
                    return;
                }
                if let Some(node) = s.nodes.get_mut(m.to as usize).map(Arc::make_mut) {
                    node.on_message(NodeId(m.from), m.msg, fx);
                }
                self.absorb(s, m.to, fx, trace);
            }
            Action::Withhold(k) => {
                if k < s.pool.len() {
                    s.pool.remove(k);
                }
            }
            Action::Byzantine(k) => {
                if k >= s.pool.len() {
                    return;
                }
                let (from, to, m) = s.pool.remove(k);
                let Some(msg) = self.pool_msg(s, m).cloned() else {
                    return;
                };
                if let Some(t) = trace.as_deref_mut() {
                    push(
                        t,
                        Kind::Deliver {
                            from,
                            to,
                            msg: format!("{msg:?}"),
                            sent_at: t.now(),
                            sent_step: Some(t.now()),
                            value: serde_json::to_value(&msg).ok(),
                            slot: N::message_slot(&msg),
                            forged: true,
                        },
                    );
                }
                if let Some(node) = s.nodes.get_mut(to as usize).map(Arc::make_mut) {
                    node.on_message(NodeId(from), msg, fx);
                }
                self.absorb(s, to, fx, trace);
            }
            Action::Timer(k) => {
                if k >= s.timers.len() {
                    return;
                }
                let (node, id) = s.timers.remove(k);
                if let Some(t) = trace.as_deref_mut() {
                    push(t, Kind::Timer { node, id });
                }
                if let Some(x) = s.nodes.get_mut(node as usize).map(Arc::make_mut) {
                    x.on_timer(TimerId(id), fx);
                }
                self.absorb(s, node, fx, trace);
            }
            Action::Crash(j) => {
                if let Some(c) = s.crashed.get_mut(j as usize) {
                    *c = true;
                }
                s.net.retain(|m| m.to != j);
                s.pool.retain(|(_, to, _)| *to != j);
                s.timers.retain(|(node, _)| *node != j);
                if let Some(t) = trace {
                    push(
                        t,
                        Kind::Fault {
                            node: j,
                            fault: "crash".into(),
                        },
                    );
                }
            }
        }
    }

    /// The actions explored from `s`: with the reduction on, a single
    /// in-flight delivery (from a correct node: Byzantine messages are in
    /// the pool, not in flight) that commutes
    /// ([`Node::commutes`]) to a node that cannot crash, if there is one
    /// (the commuting-delivery reduction, see the crate docs); otherwise
    /// every enabled one. (An earlier
    /// version explored only the events at the lowest node that had any, as
    /// a persistent set; that is unsound: other nodes can later send that
    /// node a message whose delivery does not commute with the events
    /// explored, e.g. an ECHO that would have completed a quorum before a
    /// Byzantine READY. `the_reduction_keeps_every_final_outcome` caught it.)
    fn actions(&self, s: &State<N>) -> Vec<Action> {
        // A delivery that commutes with everything else: alone (with its
        // loss, if loss is a choice) it is a persistent set.
        if self.reduction {
            let alone = s.net.iter().position(|m| {
                let to = m.to as usize;
                if s.crash_prone.get(to).copied().unwrap_or(true) {
                    return false;
                }
                // A Byzantine receiver runs no rules: only the line graph
                // speaks for it.
                if !self.dynamic || self.byzantine.get(to).copied().unwrap_or(true) {
                    return N::commutes(&m.msg);
                }
                s.nodes
                    .get(to)
                    .is_some_and(|node| node.commutes_here(&m.msg))
            });
            if let Some(k) = alone {
                let mut out = vec![Action::Deliver(k)];
                if self.loss {
                    out.push(Action::Lose(k));
                }
                return out;
            }
            // A Byzantine message that commutes at its (correct) receiver:
            // sent now or never (see the crate docs).
            if self.dynamic {
                let alone = s.pool.iter().position(|&(_, to, m)| {
                    let to = to as usize;
                    !s.crash_prone.get(to).copied().unwrap_or(true)
                        && !self.byzantine.get(to).copied().unwrap_or(true)
                        && self.pool_msg(s, m).is_some_and(|msg| {
                            s.nodes.get(to).is_some_and(|node| node.commutes_here(msg))
                        })
                });
                if let Some(k) = alone {
                    return vec![Action::Withhold(k), Action::Byzantine(k)];
                }
            }
        }
        let mut out = Vec::new();
        for j in 0..self.n {
            let Ok(j) = u32::try_from(j) else { break };
            s.actions_at(j, self.loss, &mut out);
        }
        out
    }

    /// The successors of `s` by action `a`: one per sequence of coins the
    /// step may flip (enumerated like an odometer: a run with a prefix of
    /// coins shows how many more the step asks for, each defaulting to
    /// `false`; the next prefix turns the last `false` into `true`).
    fn successors(&self, s: &State<N>, a: Action) -> Result<Vec<(Move, State<N>)>, String> {
        let mut out = Vec::new();
        let (mut coins, mut flips) = (0u32, 0u8);
        loop {
            let mut next = s.clone();
            let asked = self.step(
                &mut next,
                Move {
                    action: a,
                    coins,
                    flips,
                },
                None,
            );
            if asked > MAX_FLIPS {
                return Err(format!(
                    "a step flipped {asked} coins (at most {MAX_FLIPS} are enumerated)"
                ));
            }
            let used = u8::try_from(asked).unwrap_or(u8::MAX);
            out.push((
                Move {
                    action: a,
                    coins,
                    flips: used,
                },
                next,
            ));
            match (0..used).rev().find(|k| (coins >> k) & 1 == 0) {
                Some(k) => {
                    coins = (coins & ((1u32 << k) - 1)) | (1u32 << k);
                    flips = k + 1;
                }
                None => break,
            }
        }
        Ok(out)
    }

    fn check_safety(&self, s: &State<N>) -> Option<(String, String)> {
        let faulty = self.faulty(s);
        let view = View {
            outputs: &s.outputs,
            faulty: &faulty,
        };
        self.safety
            .iter()
            .find_map(|(name, p)| p(&view).err().map(|d| (name.clone(), d)))
    }

    /// A safety property `s` violates, or a termination property if `s`
    /// is final.
    fn violation(&self, s: &State<N>) -> Option<(String, String)> {
        self.check_safety(s).or_else(|| {
            if s.is_final() {
                self.check_termination(s)
            } else {
                None
            }
        })
    }

    fn check_termination(&self, s: &State<N>) -> Option<(String, String)> {
        let faulty = self.faulty(s);
        let view = View {
            outputs: &s.outputs,
            faulty: &faulty,
        };
        self.termination
            .iter()
            .find_map(|(name, p)| p(&view).err().map(|d| (name.clone(), d)))
    }

    /// Every choice of at most `crashes` crash-prone correct nodes.
    fn crash_sets(&self) -> Vec<Vec<bool>> {
        let correct: Vec<usize> = (0..self.n)
            .filter(|k| !self.byzantine.get(*k).copied().unwrap_or(true))
            .collect();
        let mut sets = vec![vec![false; self.n]];
        if self.crashes == 0 {
            return sets;
        }
        // Subsets of size exactly `crashes` (or all correct nodes if fewer):
        // a crash-prone node need not crash, so smaller sets are included.
        let want = self.crashes.min(correct.len());
        sets.clear();
        let mut pick = vec![0usize; want];
        fn rec(
            correct: &[usize],
            start: usize,
            depth: usize,
            pick: &mut Vec<usize>,
            n: usize,
            out: &mut Vec<Vec<bool>>,
        ) {
            if depth == pick.len() {
                let mut v = vec![false; n];
                for &p in pick.iter() {
                    if let Some(x) = v.get_mut(p) {
                        *x = true;
                    }
                }
                out.push(v);
                return;
            }
            for k in start..correct.len() {
                if let (Some(slot), Some(&c)) = (pick.get_mut(depth), correct.get(k)) {
                    *slot = c;
                }
                rec(correct, k + 1, depth + 1, pick, n, out);
            }
        }
        // Depth is bounded by `crashes` (at most the number of nodes).
        rec(&correct, 0, 0, &mut pick, self.n, &mut sets);
        sets
    }
}

/// What a worker learns about one state: a property it violates (safety,
/// or termination if it is final), else its successors with their
/// fingerprints.
struct Expanded<N: Node> {
    violation: Option<(String, String)>,
    /// Why the search cannot go on from here (too many coins in a step).
    stuck: Option<String>,
    successors: Vec<(Move, Option<State<N>>, u64)>,
}

/// Where a search starts: the crash-prone sets, the fingerprints seen, the
/// search tree (parent, move) and the initial states with their tree ids.
struct Roots<N: Node> {
    roots: Vec<Vec<bool>>,
    seen: HashSet<u64, FpHash>,
    tree: Vec<(usize, Option<Move>)>,
    states: Vec<(State<N>, usize)>,
}

/// States expanded per parallel batch (bounds the successors held before
/// they are deduplicated).
const BATCH: usize = 4096;

impl<N> Model<N>
where
    N: Node + Send + Sync,
    N::Message: Send + Sync,
    N::Input: Sync,
    N::Output: Send + Sync,
{
    /// The initial states (one per crash-prone set), deduplicated, as the
    /// roots of the search tree; an `Incomplete` outcome if one flips coins.
    fn roots(&self, start: Instant) -> Result<Roots<N>, Outcome> {
        let mut r = Roots {
            roots: self.crash_sets(),
            seen: HashSet::default(),
            tree: Vec::new(),
            states: Vec::new(),
        };
        for (k, prone) in r.roots.iter().enumerate() {
            let (s, flipped) = self.initial(None, prone);
            if flipped > 0 {
                return Err(Outcome {
                    verdict: Verdict::Incomplete {
                        reason: format!(
                            "{flipped} coins flipped on start or on inputs (only coins in later steps are enumerated)"
                        ),
                    },
                    states: 0,
                    transitions: 0,
                    elapsed: start.elapsed(),
                });
            }
            if r.seen.insert(s.fingerprint()) {
                r.tree.push((k, None));
                r.states.push((s, r.tree.len() - 1));
            }
        }
        Ok(r)
    }

    /// Explores the model, on [`Model::threads`] threads.
    pub fn check(&self) -> Outcome {
        match (self.search, self.threads > 1) {
            (Search::Bfs, true) => self.check_parallel(),
            (Search::Dfs, true) => self.check_parallel_dfs(),
            (_, false) => self.check_serial(),
        }
    }

    /// Expands one state; successors already in `seen` (from earlier
    /// batches: it does not change during this one) are dropped here, on
    /// the worker.
    fn expand(&self, s: &State<N>, seen: &HashSet<u64, FpHash>) -> Expanded<N> {
        let violation = self.violation(s);
        let mut stuck = None;
        let successors = if violation.is_some() {
            Vec::new()
        } else {
            let mut out = Vec::new();
            for a in self.actions(s) {
                match self.successors(s, a) {
                    Ok(v) => {
                        for (mv, next) in v {
                            let fp = next.fingerprint();
                            // Still a transition (counted), but nothing to keep.
                            out.push((mv, (!seen.contains(&fp)).then_some(next), fp));
                        }
                    }
                    Err(why) => {
                        stuck = Some(why);
                        break;
                    }
                }
            }
            out
        };
        Expanded {
            violation,
            stuck,
            successors,
        }
    }

    /// Breadth-first search, level by level: each batch of a level is
    /// expanded by the threads (successors, fingerprints, properties: the
    /// costly part), then merged on this thread in the order of the level.
    /// That is the order the one-threaded search takes states off its FIFO
    /// queue, so both explore the same states, count the same transitions,
    /// stop at the same state bound and return the same counterexample.
    fn check_parallel(&self) -> Outcome {
        let start = Instant::now();
        let Roots {
            roots,
            mut seen,
            mut tree,
            states: mut level,
        } = match self.roots(start) {
            Ok(r) => r,
            Err(o) => return o,
        };
        let bar = progress_bar();
        let outcome = |verdict, states, transitions| {
            bar.finish_and_clear();
            Outcome {
                verdict,
                states,
                transitions,
                elapsed: start.elapsed(),
            }
        };
        let mut transitions = 0usize;
        while !level.is_empty() {
            let mut next: Vec<(State<N>, usize)> = Vec::new();
            for batch in level.chunks(BATCH) {
                if start.elapsed() > self.max_time {
                    let reason = format!("stopped at the time bound ({:?})", self.max_time);
                    return outcome(Verdict::Incomplete { reason }, seen.len(), transitions);
                }
                if let Some(verdict) = self.over_memory() {
                    return outcome(verdict, seen.len(), transitions);
                }
                let share = batch.len().div_ceil(self.threads).max(1);
                let known = &seen;
                // A node that panics on one state is re-raised when the
                // merge reaches that state, as the one-threaded search
                // would meet it (a violation or the bound found earlier in
                // the order wins).
                type Caught<N> = Result<Expanded<N>, Box<dyn std::any::Any + Send>>;
                let expanded: Vec<Caught<N>> = std::thread::scope(|scope| {
                    let workers: Vec<_> = batch
                        .chunks(share)
                        .map(|part| {
                            scope.spawn(move || {
                                part.iter()
                                    .map(|(s, _)| {
                                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                                            || self.expand(s, known),
                                        ))
                                    })
                                    .collect::<Vec<_>>()
                            })
                        })
                        .collect();
                    let mut all = Vec::with_capacity(batch.len());
                    for w in workers {
                        match w.join() {
                            Ok(part) => all.extend(part),
                            // A node panicked: never a silent "verified".
                            Err(e) => std::panic::resume_unwind(e),
                        }
                    }
                    all
                });
                for ((_, id), ex) in batch.iter().zip(expanded) {
                    let ex = match ex {
                        Ok(ex) => ex,
                        Err(panic) => std::panic::resume_unwind(panic),
                    };
                    if let Some((property, detail)) = ex.violation {
                        let trace = self.replay(&roots, &tree, *id, &property, &detail);
                        return outcome(
                            Verdict::Violation {
                                property,
                                detail,
                                trace,
                            },
                            seen.len(),
                            transitions,
                        );
                    }
                    if seen.len() >= self.max_states {
                        let reason = format!("stopped at the state bound ({})", self.max_states);
                        return outcome(Verdict::Incomplete { reason }, seen.len(), transitions);
                    }
                    for (a, st, fp) in ex.successors {
                        transitions += 1;
                        if let Some(st) = st {
                            if seen.insert(fp) {
                                tree.push((*id, Some(a)));
                                next.push((st, tree.len() - 1));
                            }
                        }
                    }
                    // After the successors of the actions before the one
                    // that flipped too many coins, as the one-threaded
                    // search counts them.
                    if let Some(reason) = ex.stuck {
                        return outcome(Verdict::Incomplete { reason }, seen.len(), transitions);
                    }
                }
                bar.set_position(seen.len() as u64);
            }
            level = next;
        }
        outcome(Verdict::Verified, seen.len(), transitions)
    }

    /// Explores the model on this thread.
    fn check_serial(&self) -> Outcome {
        let start = Instant::now();
        let Roots {
            roots,
            mut seen,
            mut tree,
            states,
        } = match self.roots(start) {
            Ok(r) => r,
            Err(o) => return o,
        };
        let mut frontier: VecDeque<(State<N>, usize)> = states.into();
        let mut transitions = 0usize;
        let mut pops = 0usize;
        let bar = progress_bar();
        let outcome = |verdict, states, transitions| {
            bar.finish_and_clear();
            Outcome {
                verdict,
                states,
                transitions,
                elapsed: start.elapsed(),
            }
        };
        while let Some((s, id)) = match self.search {
            Search::Bfs => frontier.pop_front(),
            Search::Dfs => frontier.pop_back(),
        } {
            if let Some((property, detail)) = self.check_safety(&s) {
                let trace = self.replay(&roots, &tree, id, &property, &detail);
                return outcome(
                    Verdict::Violation {
                        property,
                        detail,
                        trace,
                    },
                    seen.len(),
                    transitions,
                );
            }
            if s.is_final() {
                if let Some((property, detail)) = self.check_termination(&s) {
                    let trace = self.replay(&roots, &tree, id, &property, &detail);
                    return outcome(
                        Verdict::Violation {
                            property,
                            detail,
                            trace,
                        },
                        seen.len(),
                        transitions,
                    );
                }
            }
            if seen.len() >= self.max_states {
                let reason = format!("stopped at the state bound ({})", self.max_states);
                return outcome(Verdict::Incomplete { reason }, seen.len(), transitions);
            }
            pops += 1;
            if pops.is_multiple_of(1024) {
                bar.set_position(seen.len() as u64);
            }
            if pops.is_multiple_of(1024) && start.elapsed() > self.max_time {
                let reason = format!("stopped at the time bound ({:?})", self.max_time);
                return outcome(Verdict::Incomplete { reason }, seen.len(), transitions);
            }
            if pops == 1 || pops.is_multiple_of(1024) {
                if let Some(verdict) = self.over_memory() {
                    return outcome(verdict, seen.len(), transitions);
                }
            }
            for a in self.actions(&s) {
                let moves = match self.successors(&s, a) {
                    Ok(m) => m,
                    Err(reason) => {
                        return outcome(Verdict::Incomplete { reason }, seen.len(), transitions)
                    }
                };
                for (mv, next) in moves {
                    transitions += 1;
                    if seen.insert(next.fingerprint()) {
                        tree.push((id, Some(mv)));
                        frontier.push_back((next, tree.len() - 1));
                    }
                }
            }
        }
        outcome(Verdict::Verified, seen.len(), transitions)
    }

    /// The trace from the initial state to tree node `id`.
    fn replay(
        &self,
        roots: &[Vec<bool>],
        tree: &[(usize, Option<Move>)],
        id: usize,
        property: &str,
        detail: &str,
    ) -> Vec<TraceEvent> {
        let mut path = Vec::new();
        let mut at = id;
        let root = loop {
            match tree.get(at) {
                Some((parent, Some(a))) => {
                    path.push(*a);
                    at = *parent;
                }
                Some((r, None)) => break *r,
                None => break 0,
            }
        };
        path.reverse();
        self.replay_path(roots, root, path, property, detail)
    }

    /// The trace of `path` from the initial state of root `root`.
    fn replay_path(
        &self,
        roots: &[Vec<bool>],
        root: usize,
        path: Vec<Move>,
        property: &str,
        detail: &str,
    ) -> Vec<TraceEvent> {
        let mut trace = Tracer::default();
        let prone = roots.get(root).cloned().unwrap_or_default();
        let (mut s, _) = self.initial(Some(&mut trace), &prone);
        for mv in path {
            self.step(&mut s, mv, Some(&mut trace));
        }
        push(
            &mut trace,
            Kind::Violation {
                property: property.to_string(),
                detail: detail.to_string(),
            },
        );
        trace.events
    }
}

/// A Byzantine domain derived from the message types, as the simulator's
/// adversary is: up to `k` distinct well-typed forgeries (generated
/// `ForgeMessage`, seeded, so the same seed gives the same domain). Values
/// are mostly small (`0..4` for integers), so forgeries collide with honest
/// values and with each other, which is what equivocation needs.
pub fn forged_domain<M>(k: usize, seed: u64) -> Vec<M>
where
    M: rio_runtime::ForgeMessage + PartialEq,
{
    use rio_runtime::rand::SeedableRng as _;
    let mut rng = rio_runtime::forge::Rng::seed_from_u64(seed);
    let mut out: Vec<M> = Vec::new();
    // Bounded attempts: a protocol with few distinct messages stops early.
    for _ in 0..k.saturating_mul(16) {
        if out.len() >= k {
            break;
        }
        match M::forge_any(&mut rng) {
            Some(m) if !out.contains(&m) => out.push(m),
            Some(_) => {}
            None => break,
        }
    }
    out
}

/// A counterexample being written: its events, and the messages sent and
/// not yet delivered with the step that sent them (so that the trace can
/// say where each delivered message came from, without putting send steps
/// into the states the search compares).
#[derive(Default)]
struct Tracer {
    events: Vec<TraceEvent>,
    sent: Vec<(u32, u32, u64, u64)>,
}

impl Tracer {
    /// The step of the last event (0 before the first).
    fn now(&self) -> u64 {
        self.events.len() as u64
    }

    /// The step that sent this message, forgotten once asked.
    fn sent_step(&mut self, from: u32, to: u32, key: u64) -> Option<u64> {
        let k = self
            .sent
            .iter()
            .position(|&(f, t, m, _)| (f, t, m) == (from, to, key))?;
        Some(self.sent.remove(k).3)
    }
}

/// States explored and states/second, drawn only on a terminal.
fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {pos} states, {per_sec}, {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}

fn push(trace: &mut Tracer, kind: Kind) {
    let step = trace.events.len() as u64 + 1;
    trace.events.push(TraceEvent {
        step,
        t: step,
        kind,
    });
}

impl<N: Node> Debug for Model<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("n", &self.n)
            .field("byzantine", &self.byzantine)
            .field("domain", &self.domain.len())
            .field("crashes", &self.crashes)
            .field("loss", &self.loss)
            .field("reduction", &self.reduction)
            .finish()
    }
}

/// The process's memory, as Linux reports it (`None` elsewhere, or when
/// `/proc` cannot be read: then there is no memory bound).
mod memory {
    /// A `kB` field of a `/proc` file, in bytes.
    fn field(path: &str, name: &str) -> Option<u64> {
        let text = std::fs::read_to_string(path).ok()?;
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line
            .trim_start_matches(name)
            .trim_start_matches(':')
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        kb.checked_mul(1024)
    }
    /// Resident memory of this process.
    pub fn resident() -> Option<u64> {
        field("/proc/self/status", "VmRSS")
    }
    /// Memory available to new allocations on the machine.
    pub fn available() -> Option<u64> {
        field("/proc/meminfo", "MemAvailable")
    }

    #[cfg(all(test, target_os = "linux"))]
    mod tests {
        #[test]
        fn reads_this_process_and_the_machine() {
            let resident = super::resident().expect("VmRSS");
            let available = super::available().expect("MemAvailable");
            assert!(resident > 0 && available > 0);
        }
    }
}
