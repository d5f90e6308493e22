//! A minimal deterministic in-memory driver: all nodes in one process, one
//! FIFO queue of deliveries, run until quiescence. For tests and benchmarks;
//! the simulator adds time, faults and traces on top of the same trait.

use crate::{Dest, Effects, Node, NodeId};
use std::collections::VecDeque;

/// Hook between a send and its delivery: returns the messages actually
/// delivered to `to` (none to drop it, a different one to forge it). This is
/// how tests play a Byzantine sender.
pub type Tamper<'a, M> = dyn FnMut(NodeId, NodeId, &M) -> Option<M> + 'a;

/// All nodes, the pending deliveries, and every output.
pub struct Cluster<N: Node> {
    pub nodes: Vec<N>,
    queue: VecDeque<(NodeId, NodeId, N::Message)>,
    effects: Effects<N::Message, N::Output>,
    /// `(node, output)` in the order they happened.
    pub outputs: Vec<(NodeId, N::Output)>,
    /// Messages delivered so far.
    pub delivered: u64,
}

impl<N: Node> Cluster<N> {
    pub fn new(nodes: Vec<N>) -> Self {
        Cluster {
            nodes,
            queue: VecDeque::new(),
            effects: Effects::default(),
            outputs: Vec::new(),
            delivered: 0,
        }
    }

    /// Gives `input` to node `to` and queues what it sends.
    pub fn input(&mut self, to: NodeId, input: N::Input, tamper: &mut Tamper<'_, N::Message>) {
        self.effects.clear();
        if let Some(node) = self.nodes.get_mut(to.index()) {
            node.on_input(input, &mut self.effects);
        }
        self.flush(to, tamper);
    }

    fn flush(&mut self, from: NodeId, tamper: &mut Tamper<'_, N::Message>) {
        let n = self.nodes.len();
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
        for o in self.effects.outputs.drain(..) {
            self.outputs.push((from, o));
        }
    }

    /// Delivers queued messages in FIFO order until none is left, or until
    /// `limit` deliveries. Returns the number delivered.
    pub fn run(&mut self, limit: u64, tamper: &mut Tamper<'_, N::Message>) -> u64 {
        let mut count = 0;
        while count < limit {
            let Some((from, to, msg)) = self.queue.pop_front() else {
                break;
            };
            self.effects.clear();
            if let Some(node) = self.nodes.get_mut(to.index()) {
                node.on_message(from, msg, &mut self.effects);
            }
            self.flush(to, tamper);
            count += 1;
        }
        self.delivered += count;
        count
    }

    /// No tampering: every message delivered as sent.
    pub fn honest() -> impl FnMut(NodeId, NodeId, &N::Message) -> Option<N::Message> {
        |_, _, m| Some(m.clone())
    }
}
