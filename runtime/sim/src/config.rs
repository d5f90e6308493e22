//! A simulation's configuration: latency, loss, duplication, partitions,
//! node faults and how choices are resolved.

use rio_runtime::NodeId;
use std::collections::BTreeMap;

/// Message latency of a link: uniform in `[min, max]` milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    pub min: u64,
    pub max: u64,
}

/// Nodes in different groups cannot exchange messages in `[from, until)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub from: u64,
    pub until: u64,
    pub groups: Vec<Vec<NodeId>>,
}

/// What a Byzantine node does, all derived from the protocol's messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Byzantine {
    /// Sends nothing.
    Silent,
    /// Sends every message, with a different forged value to each receiver.
    Equivocate,
    /// Splits the nodes in two: the lower half of node ids gets the honest
    /// message, the upper half one forged alternative of it (the same for
    /// the whole half). As a sender, it feeds two groups two values; as a
    /// voter, it votes differently to each group — the adversary that
    /// breaks a threshold one too small.
    Split,
    /// Two-faced: like [`Byzantine::Split`], the lower half of node ids
    /// gets the honest message, but the upper half gets it with each
    /// value replaced by one fixed alternative of that value
    /// ([`rio_runtime::forge::Twin`]), on every line and in every
    /// instance. To the upper half it is a correct node that saw other
    /// values, so its lies agree with each other: it echoes and votes for
    /// the alternative it proposed there. The adversary that gets a forged
    /// value through a reliable broadcast or a quorum.
    TwoFaced,
    /// [`Byzantine::TwoFaced`] with the groups chosen: nodes below this id
    /// get the honest message, the others its fixed alternative
    /// (`TwoFaced` splits at `n / 2`). A lie that must reach exactly `k`
    /// correct nodes (a value prepared at two correct replicas of four
    /// while the third saw another) needs the split where it puts them.
    TwoFacedFrom(u32),
    /// Behaves honestly and also sends a random well-typed message to a
    /// random node every `every` ms.
    Random { every: u64 },
    /// Behaves honestly and also replays a message it received to a random
    /// node every `every` ms.
    Replay { every: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    Crash {
        at: u64,
    },
    /// Crashes at `at` and restarts with fresh state at `restart`.
    CrashRestart {
        at: u64,
        restart: u64,
    },
    Byzantine(Byzantine),
}

/// How choice points are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choices {
    /// A uniformly random available option, from the seed.
    Seeded,
    /// The first available option in source order.
    First,
    /// These option indices in order, then the first available.
    Forced(Vec<usize>),
}

/// A simulation's configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    pub latency: Latency,
    /// Per-link latency overrides, by (from, to).
    pub links: BTreeMap<(NodeId, NodeId), Latency>,
    pub loss: f64,
    pub duplicate: f64,
    pub partitions: Vec<Partition>,
    pub faults: BTreeMap<NodeId, Fault>,
    pub choices: Choices,
    /// Stop at this virtual time (ms).
    pub max_time: u64,
    /// Stop after this many steps.
    pub max_steps: u64,
    /// Record the trace (turn off for sweeps).
    pub trace: bool,
    /// Replay this trace instead of simulating a network ([`Config::replay`]).
    pub script: Option<Vec<rio_runtime::trace::TraceEvent>>,
    /// Delays aimed at choice points ([`Config::aim`]).
    pub aim: Option<Latency>,
}

impl Config {
    /// Latency 1–10 ms, no loss, no faults, seeded choices, 60 s, 10^6 steps.
    pub fn new(seed: u64) -> Self {
        Config {
            seed,
            latency: Latency { min: 1, max: 10 },
            links: BTreeMap::new(),
            loss: 0.0,
            duplicate: 0.0,
            partitions: Vec::new(),
            faults: BTreeMap::new(),
            choices: Choices::Seeded,
            max_time: 60_000,
            max_steps: 1_000_000,
            trace: true,
            script: None,
            aim: None,
        }
    }
    /// Uses `RIO_SEED` from the environment instead of `seed`, if set (how
    /// a failing run is replayed).
    pub fn seed_from_env(mut self) -> Self {
        if let Some(s) = std::env::var("RIO_SEED").ok().and_then(|s| s.parse().ok()) {
            self.seed = s;
        }
        self
    }
    pub fn latency(mut self, min: u64, max: u64) -> Self {
        self.latency = Latency {
            min,
            max: max.max(min),
        };
        self
    }
    pub fn link(mut self, from: NodeId, to: NodeId, min: u64, max: u64) -> Self {
        self.links.insert(
            (from, to),
            Latency {
                min,
                max: max.max(min),
            },
        );
        self
    }
    /// Delays aimed at choice points: a message between correct nodes
    /// whose delivery feeds a live choice point of its receiver (a
    /// `select`, `collect`, `quorum(?, ..)`, `gather`, `cert` or `coin`
    /// that has not fired yet: `!Node::commutes_here`, asked of the
    /// receiver when the message is sent) takes `min..=max` ms more. A
    /// Byzantine node's messages are not delayed, so they win the races
    /// that decide choices; messages that feed no choice keep their
    /// latency. Off by default (and then no random number is drawn, so
    /// runs without it are unchanged).
    pub fn aim(mut self, min: u64, max: u64) -> Self {
        self.aim = Some(Latency {
            min,
            max: max.max(min),
        });
        self
    }
    pub fn loss(mut self, p: f64) -> Self {
        self.loss = p.clamp(0.0, 1.0);
        self
    }
    pub fn duplicate(mut self, p: f64) -> Self {
        self.duplicate = p.clamp(0.0, 1.0);
        self
    }
    pub fn partition(mut self, from: u64, until: u64, groups: Vec<Vec<NodeId>>) -> Self {
        self.partitions.push(Partition {
            from,
            until,
            groups,
        });
        self
    }
    pub fn fault(mut self, node: NodeId, fault: Fault) -> Self {
        self.faults.insert(node, fault);
        self
    }
    pub fn choices(mut self, c: Choices) -> Self {
        self.choices = c;
        self
    }
    pub fn max_time(mut self, ms: u64) -> Self {
        self.max_time = ms;
        self
    }
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.max_steps = steps;
        self
    }
    pub fn no_trace(mut self) -> Self {
        self.trace = false;
        self
    }
    /// Replays a trace (a model checker's counterexample, or a run of the
    /// simulator itself) instead of simulating a network: nodes start and
    /// take their inputs at time 0 as usual, then every delivery, loss,
    /// timer and crash happens exactly as the trace says, in its order, and
    /// a Byzantine node sends exactly the messages the trace shows it
    /// sending (decoded from their structured JSON). Coins fall and choice
    /// points choose as the trace records them. The nodes the trace
    /// marks Byzantine become silent Byzantine nodes and the nodes it
    /// crashes count as faulty for properties. A replay that cannot follow
    /// the trace (a message the trace delivers was never sent, outputs that
    /// differ) stops and says where, in [`Report::diverged`](crate::Report).
    pub fn replay(mut self, trace: Vec<rio_runtime::trace::TraceEvent>) -> Self {
        use rio_runtime::trace::Kind;
        for e in &trace {
            if let Kind::Fault { node, fault } = &e.kind {
                let fault = if fault.starts_with("byzantine") {
                    Fault::Byzantine(Byzantine::Silent)
                } else if fault == "crash" && e.t == 0 {
                    // A simulator's node dead from the start: it never
                    // runs its start event.
                    Fault::Crash { at: 0 }
                } else if fault == "crash" {
                    // Crashed by the script, never by the clock.
                    Fault::Crash { at: u64::MAX }
                } else {
                    continue;
                };
                self.faults.entry(NodeId(*node)).or_insert(fault);
            }
        }
        self.trace = true;
        self.script = Some(trace);
        self
    }
}
