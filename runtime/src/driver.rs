//! A minimal deterministic in-memory driver: all nodes in one process, one
//! FIFO queue of deliveries, and a virtual clock for timers. Messages take no
//! time; when no message is pending, the clock jumps to the earliest timer.
//! For tests and benchmarks; the simulator adds latency, faults and traces on
//! top of the same trait.

use crate::{Dest, Effects, Node, NodeId, TimerId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Hook between a send and its delivery: returns the message actually
/// delivered to `to` (`None` drops it, a different one forges it). This is
/// how tests play a Byzantine sender or a lossy link.
pub type Tamper<'a, M> = dyn FnMut(NodeId, NodeId, &M) -> Option<M> + 'a;

/// Hook called on every output: may answer with an input for the same node
/// (a closed-loop application).
pub type React<'a, O, I> = dyn FnMut(NodeId, &O) -> Option<I> + 'a;

/// All nodes, the pending deliveries and timers, and every output.
pub struct Cluster<N: Node> {
    pub nodes: Vec<N>,
    queue: VecDeque<(NodeId, NodeId, N::Message)>,
    /// Pending timers by (deadline, sequence number).
    timers: BTreeMap<(u64, u64), (NodeId, TimerId)>,
    seq: u64,
    /// Virtual time in milliseconds.
    pub now: u64,
    crashed: BTreeSet<NodeId>,
    effects: Effects<N::Message, N::Output>,
    /// `(node, output)` in the order they happened (unless `keep_outputs`
    /// is off).
    pub outputs: Vec<(NodeId, N::Output)>,
    /// Whether outputs are kept in `outputs` (turn off for long runs).
    pub keep_outputs: bool,
    /// Messages delivered so far.
    pub delivered: u64,
    /// Timers fired so far.
    pub fired: u64,
    /// Whether every node got its start event (before the first input or
    /// delivery).
    started: bool,
}

impl<N: Node> Cluster<N> {
    pub fn new(nodes: Vec<N>) -> Self {
        Cluster {
            nodes,
            queue: VecDeque::new(),
            timers: BTreeMap::new(),
            seq: 0,
            now: 0,
            crashed: BTreeSet::new(),
            // Deterministic: coins from a fixed seed.
            effects: Effects {
                coins: Some(Box::new(crate::SeededCoins::new(0))),
                ..Effects::default()
            },
            outputs: Vec::new(),
            keep_outputs: true,
            delivered: 0,
            fired: 0,
            started: false,
        }
    }

    /// Crashes a node: from now on it receives nothing and sends nothing.
    pub fn crash(&mut self, id: NodeId) {
        self.crashed.insert(id);
    }

    pub fn is_crashed(&self, id: NodeId) -> bool {
        self.crashed.contains(&id)
    }

    /// Gives `input` to node `to` and queues what it sends.
    pub fn input(&mut self, to: NodeId, input: N::Input, tamper: &mut Tamper<'_, N::Message>) {
        self.input_reactive(to, input, tamper, &mut |_, _| None);
    }

    /// Like [`Cluster::input`], answering outputs through `react`.
    pub fn input_reactive(
        &mut self,
        to: NodeId,
        input: N::Input,
        tamper: &mut Tamper<'_, N::Message>,
        react: &mut React<'_, N::Output, N::Input>,
    ) {
        self.start(tamper, react);
        if self.crashed.contains(&to) {
            return;
        }
        self.effects.clear();
        if let Some(node) = self.nodes.get_mut(to.index()) {
            node.on_input(input, &mut self.effects);
        }
        self.flush(to, tamper, react);
    }

    fn flush(
        &mut self,
        from: NodeId,
        tamper: &mut Tamper<'_, N::Message>,
        react: &mut React<'_, N::Output, N::Input>,
    ) {
        let n = self.nodes.len();
        let mut replies = Vec::new();
        if !self.crashed.contains(&from) {
            for (dest, msg) in self.effects.sends.drain(..) {
                match dest {
                    Dest::All => {
                        for k in 0..n {
                            let to = NodeId(u32::try_from(k).unwrap_or(u32::MAX));
                            if let Some(m) = tamper(from, to, &msg) {
                                self.queue.push_back((from, to, m));
                            }
                        }
                    }
                    Dest::One(to) => {
                        if let Some(m) = tamper(from, to, &msg) {
                            self.queue.push_back((from, to, m));
                        }
                    }
                }
            }
            for (id, after) in self.effects.timers.drain(..) {
                self.seq += 1;
                self.timers.insert((self.now + after, self.seq), (from, id));
            }
            for o in self.effects.outputs.drain(..) {
                if let Some(i) = react(from, &o) {
                    replies.push(i);
                }
                if self.keep_outputs {
                    self.outputs.push((from, o));
                }
            }
        }
        self.effects.clear();
        for i in replies {
            self.input_reactive(from, i, tamper, react);
        }
    }

    /// Delivers queued messages in FIFO order, firing the earliest timer
    /// whenever no message is pending, until nothing is left or `limit`
    /// events ran. Returns the number of events.
    pub fn run(&mut self, limit: u64, tamper: &mut Tamper<'_, N::Message>) -> u64 {
        self.run_reactive(limit, tamper, &mut |_, _| None)
    }

    /// Like [`Cluster::run`], answering outputs through `react`.
    pub fn run_reactive(
        &mut self,
        limit: u64,
        tamper: &mut Tamper<'_, N::Message>,
        react: &mut React<'_, N::Output, N::Input>,
    ) -> u64 {
        self.start(tamper, react);
        let mut count = 0;
        while count < limit {
            if let Some((from, to, msg)) = self.queue.pop_front() {
                count += 1;
                if self.crashed.contains(&to) {
                    continue;
                }
                self.effects.clear();
                if let Some(node) = self.nodes.get_mut(to.index()) {
                    node.on_message(from, msg, &mut self.effects);
                }
                self.delivered += 1;
                self.flush(to, tamper, react);
                continue;
            }
            let Some(((deadline, _), (node, id))) = self.timers.pop_first() else {
                break;
            };
            count += 1;
            self.now = self.now.max(deadline);
            if self.crashed.contains(&node) {
                continue;
            }
            self.effects.clear();
            if let Some(n) = self.nodes.get_mut(node.index()) {
                n.on_timer(id, &mut self.effects);
            }
            self.fired += 1;
            self.flush(node, tamper, react);
        }
        count
    }

    /// Delivers the start event to every node that is not crashed, once.
    fn start(
        &mut self,
        tamper: &mut Tamper<'_, N::Message>,
        react: &mut React<'_, N::Output, N::Input>,
    ) {
        if self.started {
            return;
        }
        self.started = true;
        for k in 0..self.nodes.len() {
            let id = NodeId(u32::try_from(k).unwrap_or(u32::MAX));
            if self.crashed.contains(&id) {
                continue;
            }
            self.effects.clear();
            if let Some(node) = self.nodes.get_mut(k) {
                node.on_start(&mut self.effects);
            }
            self.flush(id, tamper, react);
        }
    }

    /// Pending timers (for tests of memory bounds).
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    /// No tampering: every message delivered as sent.
    pub fn honest() -> impl FnMut(NodeId, NodeId, &N::Message) -> Option<N::Message> {
        |_, _, m| Some(m.clone())
    }
}
