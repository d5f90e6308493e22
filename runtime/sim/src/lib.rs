//! The deterministic simulator: N nodes of any protocol in one process, on a
//! discrete-event clock, under a seeded adversary.
//!
//! - Network: per-link latency (uniform in `[min, max]` ms, so messages
//!   reorder), loss, duplication, and partitions that form and heal on a
//!   schedule.
//! - Node faults: crash, crash-and-restart (state lost), and Byzantine nodes
//!   **derived from the protocol's message types** ([`ForgeMessage`]):
//!   silent, equivocating (each receiver gets a different forged value),
//!   random well-typed messages, replays of messages it received.
//! - Choice points (`select(?, ..)`) are resolved by a seeded chooser, by the
//!   first available option, or forced from a script.
//! - Properties: safety invariants checked after every step, eventual
//!   properties at the end; the first violation stops the run.
//!
//! The same configuration and seed give the same trace, byte for byte: all
//! randomness comes from seeded ChaCha generators and every collection is
//! ordered. A failing run reports its seed and the command that replays it
//! (`RIO_SEED=<seed> cargo test <test name>`).

mod calendar;
mod config;
pub mod diagram;
pub mod sweep;
pub mod viewer;

use calendar::{Calendar, ForcedChooser, SeededChooser};
pub use config::{Byzantine, Choices, Config, Fault, Latency, Partition};

use rand::{Rng as _, SeedableRng};
use rio_runtime::crypto::{Crypto, Powers, Recorder, Symbolic};
use rio_runtime::forge::{ForgeMessage, Rng, Twin};
pub use rio_runtime::trace::{Kind, TraceEvent};
use rio_runtime::{Chooser, Dest, Effects, Node, NodeId, TimerId};
use std::fmt::Debug;
use std::sync::Arc;

/// What properties see: the nodes, the outputs so far, who is faulty.
pub struct View<'a, N: Node> {
    pub now: u64,
    pub nodes: &'a [N],
    /// `(time, node, output)` in order.
    pub outputs: &'a [(u64, NodeId, N::Output)],
    /// Nodes configured with any fault (crash or Byzantine).
    pub faulty: &'a [bool],
}

impl<N: Node> View<'_, N> {
    /// Outputs of nodes that are not faulty.
    pub fn correct_outputs(&self) -> impl Iterator<Item = (NodeId, &N::Output)> {
        self.outputs
            .iter()
            .filter(|(_, id, _)| !self.faulty.get(id.index()).copied().unwrap_or(true))
            .map(|(_, id, o)| (*id, o))
    }
    pub fn correct_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.faulty
            .iter()
            .enumerate()
            .filter(|(_, f)| !**f)
            .map(|(k, _)| NodeId(u32::try_from(k).unwrap_or(u32::MAX)))
    }
}

/// A property violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub property: String,
    pub step: u64,
    pub time: u64,
    pub detail: String,
}

/// The result of one run.
#[derive(Clone, Debug)]
pub struct Report {
    pub seed: u64,
    pub nodes: usize,
    pub steps: u64,
    pub time: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub outputs: u64,
    pub violation: Option<Violation>,
    pub trace: Vec<TraceEvent>,
    /// The test that ran it (the thread name), for the replay command.
    pub test: Option<String>,
    /// A replay ([`Config::replay`]) that could not follow its trace: where
    /// and why.
    pub diverged: Option<String>,
}

impl Report {
    /// The trace as JSON lines.
    pub fn trace_jsonl(&self) -> String {
        rio_runtime::trace::to_jsonl(&self.trace)
    }
    /// The command that replays this run.
    pub fn replay_command(&self) -> String {
        match &self.test {
            Some(t) if t != "main" => format!("RIO_SEED={} cargo test {} -- --exact", self.seed, t),
            _ => format!("RIO_SEED={} <the same command>", self.seed),
        }
    }
    /// The trace as an SVG sequence diagram.
    pub fn diagram(&self, title: &str) -> String {
        diagram::svg(
            title,
            self.nodes,
            &self.trace,
            diagram::DiagramOptions::default(),
        )
    }
    /// The trace as an interactive page ([`viewer`]).
    pub fn viewer(&self, title: &str) -> String {
        viewer::html(title, self.nodes, &self.trace)
    }
    /// Panics with the violation, its seed, the replay command and the path
    /// of the trace viewer page written to the temporary directory.
    pub fn assert_ok(&self) {
        if let Some(v) = &self.violation {
            let path = std::env::temp_dir().join(format!("rio-sim-{}.html", self.seed));
            let written =
                std::fs::write(&path, self.viewer(&format!("violation of {}", v.property))).is_ok();
            panic!(
                "property `{}` violated at step {} (t = {} ms): {}\n  seed: {}\n  replay: {}\n  trace: {}",
                v.property,
                v.step,
                v.time,
                v.detail,
                self.seed,
                self.replay_command(),
                if written { path.display().to_string() } else { "(not written)".into() }
            );
        }
    }
}

type Property<N> = Box<dyn Fn(&View<'_, N>) -> Result<(), String>>;
type React<N> = Box<dyn FnMut(NodeId, &<N as Node>::Output) -> Option<<N as Node>::Input>>;

enum Ev<N: Node> {
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: N::Message,
        sent_at: u64,
        sent_step: u64,
        forged: bool,
    },
    Timer {
        node: NodeId,
        id: TimerId,
        epoch: u32,
    },
    Input {
        node: NodeId,
        input: N::Input,
    },
    /// The start event of a node (at time 0, before anything else).
    Start(NodeId),
    Crash(NodeId),
    Restart(NodeId),
    Adversary(NodeId),
}

/// A simulation of the nodes made by `factory`.
pub struct Sim<N: Node> {
    cfg: Config,
    factory: Box<dyn Fn(NodeId) -> N>,
    nodes: Vec<N>,
    up: Vec<bool>,
    epoch: Vec<u32>,
    faulty: Vec<bool>,
    byzantine: Vec<Option<Byzantine>>,
    received: Vec<Vec<N::Message>>,
    /// Each Byzantine node's signatures seen and made: what it may replay
    /// (`rio_runtime::crypto::Recorder`); honest nodes use the symbolic
    /// provider directly.
    recorders: Vec<Option<Arc<Recorder>>>,
    net: Rng,
    adversary: Rng,
    /// Pending events, earliest first; within one time, in scheduling order.
    queue: Calendar<Ev<N>>,
    now: u64,
    step: u64,
    effects: Effects<N::Message, N::Output>,
    outputs: Vec<(u64, NodeId, N::Output)>,
    trace: Vec<TraceEvent>,
    safety: Vec<(String, Property<N>)>,
    eventually: Vec<(String, Property<N>)>,
    react: Option<React<N>>,
    stop: Option<Property<N>>,
    delivered: u64,
    dropped: u64,
    /// Replay mode: messages sent and timers set, held until the script
    /// releases them.
    held: Vec<Held<N::Message>>,
    held_timers: Vec<(NodeId, TimerId, u32)>,
    /// Messages delivered or dropped in a replay, for the copies a
    /// duplicating network delivered again.
    delivered_copies: Vec<Held<N::Message>>,
    replaying: bool,
}

/// The coins of a replayed script, in order (then `false`).
struct ScriptedCoins(std::collections::VecDeque<bool>);

impl rio_runtime::Coins for ScriptedCoins {
    fn flip(&mut self, _node: NodeId, _point: &'static str) -> bool {
        self.0.pop_front().unwrap_or(false)
    }
}

/// A message sent during a replay, waiting for the script to deliver it.
#[derive(Clone)]
struct Held<M> {
    from: NodeId,
    to: NodeId,
    msg: M,
    /// The message as printed, as the script names it (printed once).
    text: String,
    sent_at: u64,
    sent_step: u64,
    forged: bool,
}

impl<N: Node> Sim<N>
where
    N::Message: ForgeMessage,
{
    /// `n` nodes, node `k` made by `factory(k)` (also on restart).
    ///
    /// # Panics
    /// If a node is configured Byzantine for a crash-fault protocol.
    pub fn new(n: usize, cfg: Config, factory: impl Fn(NodeId) -> N + 'static) -> Self {
        let id = |k: usize| NodeId(u32::try_from(k).unwrap_or(u32::MAX));
        let nodes: Vec<N> = (0..n).map(|k| factory(id(k))).collect();
        let chooser = match &cfg.choices {
            Choices::Seeded => Some(Box::new(SeededChooser(Rng::seed_from_u64(
                cfg.seed ^ 0xC401_CE00,
            ))) as Box<dyn Chooser + Send>),
            Choices::First => None,
            Choices::Forced(v) => {
                Some(Box::new(ForcedChooser(v.iter().copied().collect())) as Box<dyn Chooser + Send>)
            }
        };
        let effects = Effects {
            chooser,
            coins: Some(Box::new(rio_runtime::SeededCoins::new(
                cfg.seed ^ 0xC014_F11B,
            ))),
            ..Effects::default()
        };
        let byzantine: Vec<Option<Byzantine>> = (0..n)
            .map(|k| match cfg.faults.get(&id(k)) {
                Some(Fault::Byzantine(b)) => Some(b.clone()),
                _ => None,
            })
            .collect();
        // A crash-fault protocol promises nothing against lies: refuse to
        // simulate Byzantine nodes for it (a configuration error).
        if N::fault_model() == rio_runtime::FaultModel::Crash {
            if let Some((node, _)) = cfg
                .faults
                .iter()
                .find(|(_, f)| matches!(f, Fault::Byzantine(_)))
            {
                panic!(
                    "node {node} is configured Byzantine, but the protocol's fault model is crash \
                     (`faults f: crash`): simulate crashes, or declare `faults f: byzantine`"
                );
            }
        }
        let faulty = (0..n).map(|k| cfg.faults.contains_key(&id(k))).collect();
        let recorders = (0..n)
            .map(|k| {
                byzantine
                    .get(k)
                    .is_some_and(Option::is_some)
                    .then(|| Arc::new(Recorder::new(id(k), Arc::new(Symbolic))))
            })
            .collect();
        let mut sim = Sim {
            net: Rng::seed_from_u64(cfg.seed),
            adversary: Rng::seed_from_u64(cfg.seed ^ 0xAD7E_5A41),
            cfg,
            factory: Box::new(factory),
            nodes,
            up: vec![true; n],
            epoch: vec![0; n],
            faulty,
            byzantine,
            received: vec![Vec::new(); n],
            recorders,
            queue: Calendar::new(),
            now: 0,
            step: 0,
            effects,
            outputs: Vec::new(),
            trace: Vec::new(),
            safety: Vec::new(),
            eventually: Vec::new(),
            react: None,
            stop: None,
            delivered: 0,
            dropped: 0,
            held: Vec::new(),
            held_timers: Vec::new(),
            delivered_copies: Vec::new(),
            replaying: false,
        };
        // Every node's start event comes first (queued before any input).
        for k in 0..n {
            sim.schedule(0, Ev::Start(id(k)));
        }
        sim
    }

    /// Runs a node's start event (at time 0, and again after a restart). A
    /// node that crashes at time 0 is dead from the start: it does not run
    /// its start event (until it restarts).
    fn start_node(&mut self, node: NodeId, restart: bool) {
        if !self.up.get(node.index()).copied().unwrap_or(false) {
            return;
        }
        let dead_at_start = matches!(
            self.cfg.faults.get(&node),
            Some(Fault::Crash { at: 0 } | Fault::CrashRestart { at: 0, .. })
        );
        if dead_at_start && !restart {
            return;
        }
        self.effects.clear();
        self.effects.crypto = self.crypto_of(node);
        if let Some(x) = self.nodes.get_mut(node.index()) {
            x.on_start(&mut self.effects);
        }
        self.flush(node);
    }

    /// Gives `input` to `node` at time `t`.
    pub fn input_at(&mut self, t: u64, node: NodeId, input: N::Input) -> &mut Self {
        self.schedule(t, Ev::Input { node, input });
        self
    }

    /// A safety invariant, checked after every step.
    pub fn safety(
        &mut self,
        name: &str,
        check: impl Fn(&View<'_, N>) -> Result<(), String> + 'static,
    ) -> &mut Self {
        self.safety.push((name.to_string(), Box::new(check)));
        self
    }

    /// An eventual property, checked when the run ends (quiescence or the
    /// time/step bound).
    pub fn eventually(
        &mut self,
        name: &str,
        check: impl Fn(&View<'_, N>) -> Result<(), String> + 'static,
    ) -> &mut Self {
        self.eventually.push((name.to_string(), Box::new(check)));
        self
    }

    /// Ends the run as soon as `done` holds (checked after every step), as
    /// an application stops its nodes: for protocols that never go quiet
    /// (Ben-Or's rounds go on after a decision). Eventual properties are
    /// then checked as at any end.
    pub fn stop_when(&mut self, done: impl Fn(&View<'_, N>) -> bool + 'static) -> &mut Self {
        self.stop = Some(Box::new(
            move |v| if done(v) { Err(String::new()) } else { Ok(()) },
        ));
        self
    }

    /// Answers outputs with inputs to the same node (a closed-loop client).
    pub fn react(
        &mut self,
        f: impl FnMut(NodeId, &N::Output) -> Option<N::Input> + 'static,
    ) -> &mut Self {
        self.react = Some(Box::new(f));
        self
    }

    /// The outputs so far, typed: `(virtual time, node, output)` in the
    /// order they happened (after [`Sim::run`], all of them).
    pub fn outputs(&self) -> &[(u64, NodeId, N::Output)] {
        &self.outputs
    }

    pub fn nodes(&self) -> &[N] {
        &self.nodes
    }

    fn schedule(&mut self, t: u64, ev: Ev<N>) {
        self.queue.push(t, ev);
    }

    fn record(&mut self, kind: Kind) {
        if self.cfg.trace {
            self.trace.push(TraceEvent {
                step: self.step,
                t: self.now,
                kind,
            });
        }
    }

    fn partitioned(&self, a: NodeId, b: NodeId) -> bool {
        self.cfg.partitions.iter().any(|p| {
            self.now >= p.from
                && self.now < p.until
                && p.groups.iter().position(|g| g.contains(&a))
                    != p.groups.iter().position(|g| g.contains(&b))
        })
    }

    /// Puts one message on the network.
    fn transmit(&mut self, from: NodeId, to: NodeId, msg: N::Message, forged: bool) {
        if self.replaying {
            self.held.push(Held {
                from,
                to,
                text: format!("{msg:?}"),
                msg,
                sent_at: self.now,
                sent_step: self.step,
                forged,
            });
            return;
        }
        let reason = if self.partitioned(from, to) {
            Some("partition")
        } else if self.cfg.loss > 0.0 && self.net.gen_bool(self.cfg.loss) {
            Some("loss")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.dropped += 1;
            let text = if self.cfg.trace {
                format!("{msg:?}")
            } else {
                String::new()
            };
            let slot = if self.cfg.trace {
                N::message_slot(&msg)
            } else {
                None
            };
            self.record(Kind::Drop {
                from: from.0,
                to: to.0,
                msg: text,
                reason: reason.to_string(),
                sent_at: None,
                sent_step: None,
                slot,
                forged,
            });
            return;
        }
        let lat = self
            .cfg
            .links
            .get(&(from, to))
            .copied()
            .unwrap_or(self.cfg.latency);
        let copies = if self.cfg.duplicate > 0.0 && self.net.gen_bool(self.cfg.duplicate) {
            2
        } else {
            1
        };
        // Delays aimed at choice points: a correct node's message that
        // feeds a live choice point of its correct receiver is held back,
        // so Byzantine messages decide the race ([`Config::aim`]).
        let aimed = match self.cfg.aim {
            Some(aim)
                if !forged
                    && self
                        .byzantine
                        .get(from.index())
                        .is_some_and(Option::is_none)
                    && self.byzantine.get(to.index()).is_some_and(Option::is_none)
                    && self
                        .nodes
                        .get(to.index())
                        .is_some_and(|node| !node.commutes_here(&msg)) =>
            {
                Some(aim)
            }
            _ => None,
        };
        for _ in 0..copies {
            let mut d = self.net.gen_range(lat.min..=lat.max);
            if let Some(aim) = aimed {
                d = d.saturating_add(self.net.gen_range(aim.min..=aim.max));
            }
            let sent_at = self.now;
            self.schedule(
                self.now + d,
                Ev::Deliver {
                    from,
                    to,
                    msg: msg.clone(),
                    sent_at,
                    sent_step: self.step,
                    forged,
                },
            );
        }
    }

    /// Routes the effects of node `from`'s last step. The effect buffers
    /// are taken and put back, so steady-state steps allocate nothing here.
    fn recorder(&self, node: NodeId) -> Option<Arc<Recorder>> {
        self.recorders.get(node.index()).cloned().flatten()
    }

    /// The signing provider for a step of `node`: its recorder if it is
    /// Byzantine, else the default symbolic provider.
    fn crypto_of(&self, node: NodeId) -> Option<Arc<dyn Crypto>> {
        self.recorder(node).map(|r| r as Arc<dyn Crypto>)
    }

    fn flush(&mut self, from: NodeId) {
        let n = self.nodes.len();
        if self.cfg.trace && !(self.effects.choices.is_empty() && self.effects.flips.is_empty()) {
            let events: Vec<Kind> = self.effects.traced().collect();
            for kind in events {
                self.record(kind);
            }
        }
        self.effects.choices.clear();
        self.effects.flips.clear();
        let mut sends = std::mem::take(&mut self.effects.sends);
        let byz = self.byzantine.get(from.index()).cloned().flatten();
        // A Byzantine node forges with its own signing key and what it saw.
        let _powers = self.recorder(from).map(|r| Powers::enter(&r));
        for (dest, msg) in sends.drain(..) {
            let (lo, hi) = match dest {
                Dest::All => (0, n),
                Dest::One(to) => (to.index(), to.index() + 1),
            };
            // The split adversary's one alternative to this message (a few
            // tries for one that differs).
            let alternative = match byz {
                Some(Byzantine::Split) => {
                    let mut alt = msg.forge_like(&mut self.adversary);
                    for _ in 0..8 {
                        if alt != msg {
                            break;
                        }
                        alt = msg.forge_like(&mut self.adversary);
                    }
                    Some(alt)
                }
                _ => None,
            };
            for k in lo..hi {
                let to = NodeId(u32::try_from(k).unwrap_or(u32::MAX));
                match byz {
                    Some(Byzantine::Silent) => {}
                    Some(Byzantine::Equivocate) => {
                        let forged = msg.forge_like(&mut self.adversary);
                        let differs = forged != msg;
                        self.transmit(from, to, forged, differs);
                    }
                    Some(Byzantine::Split) if k >= n / 2 => {
                        let alt = alternative.clone().unwrap_or_else(|| msg.clone());
                        let differs = alt != msg;
                        self.transmit(from, to, alt, differs);
                    }
                    Some(Byzantine::TwoFaced) if k >= n / 2 => {
                        let twin = Twin::new(self.cfg.seed ^ (0x7157 + u64::from(from.0)));
                        let alt = msg.forge_twin(&twin, &mut self.adversary);
                        let differs = alt != msg;
                        self.transmit(from, to, alt, differs);
                    }
                    Some(Byzantine::TwoFacedFrom(at)) if k >= at as usize => {
                        let twin = Twin::new(self.cfg.seed ^ (0x7157 + u64::from(from.0)));
                        let alt = msg.forge_twin(&twin, &mut self.adversary);
                        let differs = alt != msg;
                        self.transmit(from, to, alt, differs);
                    }
                    _ => self.transmit(from, to, msg.clone(), false),
                }
            }
        }
        self.effects.sends = sends;
        let epoch = self.epoch.get(from.index()).copied().unwrap_or(0);
        let mut timers = std::mem::take(&mut self.effects.timers);
        for (id, after) in timers.drain(..) {
            if self.replaying {
                self.held_timers.push((from, id, epoch));
                continue;
            }
            self.schedule(
                self.now + after,
                Ev::Timer {
                    node: from,
                    id,
                    epoch,
                },
            );
        }
        self.effects.timers = timers;
        let mut evidence = std::mem::take(&mut self.effects.evidence);
        for e in evidence.drain(..) {
            self.record(Kind::Evidence {
                node: from.0,
                peer: e.peer.0,
                line: e.line.to_string(),
            });
        }
        self.effects.evidence = evidence;
        if self.effects.outputs.is_empty() {
            return;
        }
        let outputs: Vec<N::Output> = self.effects.outputs.drain(..).collect();
        let mut replies = Vec::new();
        for o in outputs {
            if self.cfg.trace {
                self.record(Kind::Output {
                    node: from.0,
                    output: format!("{o:?}"),
                    value: N::output_value(&o),
                    slot: N::output_slot(&o),
                });
            }
            if let Some(react) = &mut self.react {
                if let Some(i) = react(from, &o) {
                    replies.push(i);
                }
            }
            self.outputs.push((self.now, from, o));
        }
        for i in replies {
            self.deliver_input(from, i);
        }
    }

    fn deliver_input(&mut self, node: NodeId, input: N::Input) {
        if !self.up.get(node.index()).copied().unwrap_or(false) {
            return;
        }
        if self.cfg.trace {
            self.record(Kind::Input {
                node: node.0,
                input: format!("{input:?}"),
                value: N::input_value(&input),
                slot: N::input_slot(&input),
            });
        }
        self.effects.clear();
        self.effects.crypto = self.crypto_of(node);
        if let Some(x) = self.nodes.get_mut(node.index()) {
            x.on_input(input, &mut self.effects);
        }
        self.flush(node);
    }

    fn view(&self) -> View<'_, N> {
        View {
            now: self.now,
            nodes: &self.nodes,
            outputs: &self.outputs,
            faulty: &self.faulty,
        }
    }

    fn violation(&self) -> Option<(String, String)> {
        let view = self.view();
        self.safety
            .iter()
            .find_map(|(name, p)| p(&view).err().map(|d| (name.clone(), d)))
    }

    /// Runs until quiescence, the time bound or the step bound, or the first
    /// violation.
    pub fn run(&mut self) -> Report {
        let faults: Vec<(NodeId, Fault)> = self
            .cfg
            .faults
            .iter()
            .map(|(k, f)| (*k, f.clone()))
            .collect();
        let replaying = self.cfg.script.is_some();
        for (node, f) in faults {
            match f {
                // A replay crashes nodes where its script says.
                _ if replaying => {}
                Fault::Crash { at } => self.schedule(at, Ev::Crash(node)),
                Fault::CrashRestart { at, restart } => {
                    self.schedule(at, Ev::Crash(node));
                    self.schedule(restart.max(at), Ev::Restart(node));
                }
                Fault::Byzantine(Byzantine::Random { every } | Byzantine::Replay { every }) => {
                    self.schedule(every.max(1), Ev::Adversary(node));
                }
                Fault::Byzantine(_) => {}
            }
            if let Some(Fault::Byzantine(b)) = self.cfg.faults.get(&node) {
                let text = format!("byzantine: {b:?}");
                self.record(Kind::Fault {
                    node: node.0,
                    fault: text,
                });
            }
        }
        if let Some(script) = self.cfg.script.take() {
            return self.replay(script);
        }
        let mut violation = None;
        while let Some(t) = self.queue.next_time() {
            if t > self.cfg.max_time || self.step >= self.cfg.max_steps {
                break;
            }
            let Some(ev) = self.queue.pop() else {
                break;
            };
            self.now = t;
            // Start events are step 0: what a node does on start is
            // recorded before the first numbered step.
            if !matches!(ev, Ev::Start(_)) {
                self.step += 1;
            }
            self.event(ev);
            if !self.safety.is_empty() {
                if let Some((property, detail)) = self.violation() {
                    violation = Some(Violation {
                        property,
                        step: self.step,
                        time: self.now,
                        detail,
                    });
                    break;
                }
            }
            // Not before every node has started (start events are step 0).
            if let Some(done) = &self.stop {
                if self.step > 0 && done(&self.view()).is_err() {
                    break;
                }
            }
        }
        self.finish(violation, None)
    }

    /// Checks the eventual properties (unless a safety property already
    /// failed) and writes the report.
    fn finish(&mut self, violation: Option<Violation>, diverged: Option<String>) -> Report {
        let mut violation = violation;
        if violation.is_none() && diverged.is_none() {
            let view = self.view();
            violation = self
                .eventually
                .iter()
                .find_map(|(name, p)| p(&view).err().map(|d| (name.clone(), d)))
                .map(|(property, detail)| Violation {
                    property,
                    step: self.step,
                    time: self.now,
                    detail,
                });
        }
        if let Some(v) = &violation {
            let kind = Kind::Violation {
                property: v.property.clone(),
                detail: v.detail.clone(),
            };
            self.record(kind);
        }
        Report {
            seed: self.cfg.seed,
            nodes: self.nodes.len(),
            steps: self.step,
            time: self.now,
            delivered: self.delivered,
            dropped: self.dropped,
            outputs: self.outputs.len() as u64,
            violation,
            trace: std::mem::take(&mut self.trace),
            test: std::thread::current().name().map(str::to_string),
            diverged,
        }
    }

    /// Runs the script of [`Config::replay`].
    fn replay(&mut self, script: Vec<TraceEvent>) -> Report {
        self.replaying = true;
        if !self.cfg.trace {
            let why = "a replay compares traces: `Config::no_trace` must not be set".to_string();
            return self.finish(None, Some(why));
        }
        // Coins fall as the script says, in its order.
        let coins: std::collections::VecDeque<bool> = script
            .iter()
            .filter_map(|e| match &e.kind {
                Kind::Coin { value, .. } => Some(*value),
                _ => None,
            })
            .collect();
        self.effects.coins = Some(Box::new(ScriptedCoins(coins)));
        // So do choices (a checker's trace records the first option).
        let choices: std::collections::VecDeque<usize> = script
            .iter()
            .filter_map(|e| match &e.kind {
                Kind::Choice { option, .. } => Some(*option),
                _ => None,
            })
            .collect();
        self.effects.chooser = Some(Box::new(ForcedChooser(choices)));
        // Starts and inputs at time 0, as in every run; later inputs wait
        // for the script's `input` events.
        while self.queue.next_time() == Some(0) {
            let Some(ev) = self.queue.pop() else { break };
            if !matches!(ev, Ev::Start(_)) {
                self.step += 1;
            }
            self.event(ev);
        }
        let mut later: Vec<(NodeId, N::Input)> = Vec::new();
        while let Some(ev) = self.queue.pop() {
            if let Ev::Input { node, input } = ev {
                later.push((node, input));
            }
        }
        let mut violation = None;
        let mut diverged = None;
        let mut last = 0;
        let n = self.nodes.len();
        for (k, e) in script.iter().enumerate() {
            last = k;
            self.now = self.now.max(e.t);
            // A script read from disk may name nodes this run does not have.
            let named: &[u32] = match &e.kind {
                Kind::Deliver { from, to, .. } | Kind::Drop { from, to, .. } => &[*from, *to],
                Kind::Timer { node, .. } | Kind::Fault { node, .. } | Kind::Input { node, .. } => {
                    std::slice::from_ref(node)
                }
                _ => &[],
            };
            if let Some(bad) = named.iter().find(|x| **x as usize >= n) {
                diverged = Some(format!(
                    "step {} of the script: node {bad} is not one of the {n} nodes",
                    e.step
                ));
                break;
            }
            let ok = match &e.kind {
                Kind::Deliver {
                    from,
                    to,
                    msg,
                    value,
                    ..
                } => self.replay_delivery(NodeId(*from), NodeId(*to), msg, value.as_ref()),
                Kind::Drop {
                    from,
                    to,
                    msg,
                    reason,
                    ..
                } => {
                    let (from, to) = (NodeId(*from), NodeId(*to));
                    let byzantine = self
                        .byzantine
                        .get(from.index())
                        .is_some_and(Option::is_some);
                    match self.take_held(from, to, msg) {
                        Some(h) => {
                            self.step += 1;
                            self.dropped += 1;
                            let slot = N::message_slot(&h.msg);
                            // A duplicate of it may still arrive.
                            self.keep_copy(&h);
                            self.record(Kind::Drop {
                                from: from.0,
                                to: to.0,
                                msg: msg.clone(),
                                reason: reason.clone(),
                                sent_at: Some(h.sent_at),
                                sent_step: Some(h.sent_step),
                                slot,
                                forged: h.forged,
                            });
                            Ok(())
                        }
                        // A Byzantine message that never arrived: nothing
                        // to replay (silent nodes send nothing of their own);
                        // or a duplicate's second copy lost.
                        None if byzantine || self.copy_of(from, to, msg).is_some() => {
                            self.dropped += 1;
                            Ok(())
                        }
                        None => Err(format!(
                            "{msg} from node {} to node {} was never sent",
                            from.0, to.0
                        )),
                    }
                }
                Kind::Input { node, input, .. } => {
                    // An input given later than time 0 (`input_at`); one a
                    // `react` gave is already in (checked at the end).
                    if let Some(i) = later
                        .iter()
                        .position(|(n, x)| n.0 == *node && format!("{x:?}") == *input)
                    {
                        let (node, input) = later.remove(i);
                        self.step += 1;
                        self.deliver_input(node, input);
                    }
                    Ok(())
                }
                Kind::Timer { node, id } => {
                    let at = self
                        .held_timers
                        .iter()
                        .position(|(n, t, _)| n.0 == *node && t.0 == *id);
                    match at {
                        Some(k) => {
                            let (node, id, epoch) = self.held_timers.remove(k);
                            self.step += 1;
                            self.event(Ev::Timer { node, id, epoch });
                            Ok(())
                        }
                        None => Err(format!("node {node} has no timer {id} pending")),
                    }
                }
                Kind::Fault { node, fault } if fault == "crash" => {
                    self.step += 1;
                    self.event(Ev::Crash(NodeId(*node)));
                    Ok(())
                }
                Kind::Fault { node, fault } if fault == "restart" => {
                    self.step += 1;
                    // The fresh node numbers its timers anew; the old
                    // ones never fire (messages in flight still arrive).
                    self.held_timers.retain(|(n, _, _)| n.0 != *node);
                    self.event(Ev::Restart(NodeId(*node)));
                    Ok(())
                }
                // Consequences (outputs, evidence, coins), context
                // (Byzantine marks) and the checker's verdict.
                _ => Ok(()),
            };
            if let Err(why) = ok {
                diverged = Some(format!("step {} of the script: {why}", e.step));
                break;
            }
            if !self.safety.is_empty() {
                if let Some((property, detail)) = self.violation() {
                    violation = Some(Violation {
                        property,
                        step: self.step,
                        time: self.now,
                        detail,
                    });
                    break;
                }
            }
        }
        // The replay ends where the script ends (or where it stopped, with
        // what that step caused): its inputs and outputs must be the
        // script's.
        if diverged.is_none() {
            while script.get(last + 1).is_some_and(|e| {
                matches!(
                    e.kind,
                    Kind::Output { .. }
                        | Kind::Evidence { .. }
                        | Kind::Coin { .. }
                        | Kind::Choice { .. }
                )
            }) {
                last += 1;
            }
            // Byzantine nodes run no code in a checker's trace.
            let byzantine = |k: u32| self.byzantine.get(k as usize).is_some_and(Option::is_some);
            let events = |t: &[TraceEvent], outputs: bool| -> Vec<(u32, String)> {
                let mut v: Vec<(u32, String)> = t
                    .iter()
                    .filter_map(|e| match &e.kind {
                        Kind::Output { node, output, .. } if outputs && !byzantine(*node) => {
                            Some((*node, output.clone()))
                        }
                        Kind::Input { node, input, .. } if !outputs && !byzantine(*node) => {
                            Some((*node, input.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                v.sort();
                v
            };
            let upto = script.get(..=last).unwrap_or(&script);
            for (what, outputs) in [("inputs", false), ("outputs", true)] {
                let (want, got) = (events(upto, outputs), events(&self.trace, outputs));
                if want != got && diverged.is_none() {
                    diverged = Some(format!(
                        "the replay's {what} {got:?} are not the script's {want:?}"
                    ));
                }
            }
        }
        if let Some(v) = &violation {
            self.record(Kind::Violation {
                property: v.property.clone(),
                detail: v.detail.clone(),
            });
        }
        self.finish(violation, diverged)
    }

    /// A message delivered or dropped before (a duplicate's other copy).
    fn copy_of(&self, from: NodeId, to: NodeId, msg: &str) -> Option<&Held<N::Message>> {
        self.delivered_copies
            .iter()
            .find(|c| c.from == from && c.to == to && c.text == msg)
    }

    fn keep_copy(&mut self, h: &Held<N::Message>) {
        if self.copy_of(h.from, h.to, &h.text).is_none() {
            self.delivered_copies.push(h.clone());
        }
    }

    fn take_held(&mut self, from: NodeId, to: NodeId, msg: &str) -> Option<Held<N::Message>> {
        let k = self
            .held
            .iter()
            .position(|h| h.from == from && h.to == to && h.text == msg)?;
        Some(self.held.remove(k))
    }

    /// One delivery of the script: a message that was sent, a second copy
    /// of one delivered before (the network duplicated it), or one a
    /// Byzantine node sends now (decoded from its JSON).
    fn replay_delivery(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: &str,
        value: Option<&serde_json::Value>,
    ) -> Result<(), String> {
        let byzantine = self
            .byzantine
            .get(from.index())
            .is_some_and(Option::is_some);
        let held = match self.take_held(from, to, msg) {
            Some(h) => h,
            None => match self.copy_of(from, to, msg) {
                Some(h) => h.clone(),
                None if byzantine => {
                    let value =
                        value.ok_or_else(|| format!("{msg}: no structured value to send"))?;
                    let m: N::Message = serde_json::from_value(value.clone())
                        .map_err(|e| format!("{msg} does not decode as a message: {e}"))?;
                    Held {
                        from,
                        to,
                        msg: m,
                        text: msg.to_string(),
                        sent_at: self.now,
                        sent_step: self.step,
                        forged: true,
                    }
                }
                None => {
                    return Err(format!(
                        "{msg} from node {} to node {} was never sent",
                        from.0, to.0
                    ))
                }
            },
        };
        self.step += 1;
        self.keep_copy(&held);
        self.event(Ev::Deliver {
            from,
            to,
            msg: held.msg,
            sent_at: held.sent_at,
            sent_step: held.sent_step,
            forged: held.forged,
        });
        Ok(())
    }

    fn event(&mut self, ev: Ev<N>) {
        match ev {
            Ev::Deliver {
                from,
                to,
                msg,
                sent_at,
                sent_step,
                forged,
            } => {
                if !self.up.get(to.index()).copied().unwrap_or(false) {
                    self.dropped += 1;
                    if self.cfg.trace {
                        self.record(Kind::Drop {
                            from: from.0,
                            to: to.0,
                            msg: format!("{msg:?}"),
                            reason: "crashed".to_string(),
                            sent_at: Some(sent_at),
                            sent_step: Some(sent_step),
                            slot: N::message_slot(&msg),
                            forged,
                        });
                    }
                    return;
                }
                self.delivered += 1;
                if self.cfg.trace {
                    self.record(Kind::Deliver {
                        from: from.0,
                        to: to.0,
                        msg: format!("{msg:?}"),
                        sent_at,
                        sent_step: Some(sent_step),
                        value: serde_json::to_value(&msg).ok(),
                        slot: N::message_slot(&msg),
                        forged,
                    });
                }
                if matches!(
                    self.byzantine.get(to.index()),
                    Some(Some(Byzantine::Replay { .. }))
                ) {
                    if let Some(r) = self.received.get_mut(to.index()) {
                        if r.len() < 256 {
                            r.push(msg.clone());
                        }
                    }
                }
                self.effects.clear();
                self.effects.crypto = self.crypto_of(to);
                if let Some(x) = self.nodes.get_mut(to.index()) {
                    x.on_message(from, msg, &mut self.effects);
                }
                self.flush(to);
            }
            Ev::Timer { node, id, epoch } => {
                let live = self.up.get(node.index()).copied().unwrap_or(false)
                    && self.epoch.get(node.index()) == Some(&epoch);
                if !live {
                    return;
                }
                self.record(Kind::Timer {
                    node: node.0,
                    id: id.0,
                });
                self.effects.clear();
                self.effects.crypto = self.crypto_of(node);
                if let Some(x) = self.nodes.get_mut(node.index()) {
                    x.on_timer(id, &mut self.effects);
                }
                self.flush(node);
            }
            Ev::Input { node, input } => self.deliver_input(node, input),
            Ev::Start(node) => self.start_node(node, false),
            Ev::Crash(node) => {
                if let Some(u) = self.up.get_mut(node.index()) {
                    *u = false;
                }
                self.record(Kind::Fault {
                    node: node.0,
                    fault: "crash".into(),
                });
            }
            Ev::Restart(node) => {
                let fresh = (self.factory)(node);
                if let Some(x) = self.nodes.get_mut(node.index()) {
                    *x = fresh;
                }
                if let Some(u) = self.up.get_mut(node.index()) {
                    *u = true;
                }
                if let Some(e) = self.epoch.get_mut(node.index()) {
                    *e += 1;
                }
                self.record(Kind::Fault {
                    node: node.0,
                    fault: "restart".into(),
                });
                self.start_node(node, true);
            }
            Ev::Adversary(node) => {
                let n = self.nodes.len();
                let _powers = self.recorder(node).map(|r| Powers::enter(&r));
                let to = NodeId(u32::try_from(self.adversary.gen_range(0..n.max(1))).unwrap_or(0));
                let (msg, every) = match self.byzantine.get(node.index()).cloned().flatten() {
                    Some(Byzantine::Random { every }) => {
                        (N::Message::forge_any(&mut self.adversary), every)
                    }
                    Some(Byzantine::Replay { every }) => {
                        let r = self.received.get(node.index()).map_or(0, Vec::len);
                        let pick = (r > 0).then(|| self.adversary.gen_range(0..r));
                        (
                            pick.and_then(|k| {
                                self.received
                                    .get(node.index())
                                    .and_then(|v| v.get(k))
                                    .cloned()
                            }),
                            every,
                        )
                    }
                    _ => (None, 0),
                };
                if let Some(m) = msg {
                    // Random forgeries and replays are the adversary's own.
                    self.transmit(node, to, m, true);
                }
                if every > 0 {
                    self.schedule(self.now + every, Ev::Adversary(node));
                }
            }
        }
    }
}
