//! The same protocols as stateright (0.31) actor models, for the
//! side-by-side comparison with `rio-check` (`benches/stateright.rs`) and
//! the cross-check of both checkers (`tests/stateright_cross.rs`).
//!
//! Two kinds of model:
//!
//! - **Hand-written** ([`tpc`], [`bracha`]): two-phase commit and Bracha as
//!   a stateright user writes them, with stateright's own conventions
//!   (deliveries that change nothing are not states, a decided coordinator
//!   cancels its timer). These are the baseline for states and time.
//! - **Rio's generated nodes as actors** ([`RioActor`]): the very state
//!   machines `rio-check` explores, driven by stateright's checker. Each
//!   actor state carries the number of events the node has handled, so no
//!   delivery is ever a no-op to stateright; with that, stateright's
//!   unordered non-duplicating network, its timers and a Byzantine actor
//!   that puts its whole message pool on the network at start are exactly
//!   `rio-check`'s semantics without reduction, and the two checkers must
//!   count the same unique states. (The event count adds no information:
//!   it is the number of messages sent to the node, which the senders'
//!   states fix, minus those still in flight.)

#![allow(dead_code)]

use rio_runtime::{Dest, Effects, Node, NodeId, TimerId};
use serde::Serialize;
use stateright::actor::{model_timeout, Actor, ActorModel, Id, Network, Out};
use stateright::Expectation;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A Rio message on stateright's network, which needs `Ord`: ordered by
/// its serialized form (serialization is injective, so this agrees with
/// `Eq`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Wire<M>(pub M);

impl<M: Serialize + Eq> Ord for Wire<M> {
    fn cmp(&self, other: &Self) -> Ordering {
        let a = serde_json::to_vec(&self.0).unwrap_or_default();
        let b = serde_json::to_vec(&other.0).unwrap_or_default();
        a.cmp(&b)
    }
}

impl<M: Serialize + Eq> PartialOrd for Wire<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A Rio timer, ordered by its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tick(pub u64);

/// One Rio node (or a Byzantine one) as a stateright actor.
pub struct RioActor<N: Node> {
    make: Arc<dyn Fn(NodeId) -> N + Send + Sync>,
    inputs: Vec<N::Input>,
    byzantine: Arc<Vec<bool>>,
    /// For a Byzantine actor: every message it may send, each at most once
    /// to each correct node (`rio-check`'s pool).
    domain: Vec<N::Message>,
}

/// A Rio actor's state: the node (`None` when Byzantine), how many events
/// it handled, and its outputs (printed, in order).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RioState<N> {
    pub node: Option<N>,
    pub events: u64,
    pub outputs: Vec<String>,
}

impl<N: Node> RioActor<N> {
    fn route(
        &self,
        fx: &mut Effects<N::Message, N::Output>,
        outputs: &mut Vec<String>,
        o: &mut Out<Self>,
    ) {
        let n = self.byzantine.len();
        for (dest, msg) in fx.sends.drain(..) {
            let targets: Vec<usize> = match dest {
                Dest::All => (0..n).collect(),
                Dest::One(t) => vec![t.index()],
            };
            for to in targets {
                // Byzantine nodes ignore what they receive (as in rio-check).
                if self.byzantine.get(to).copied().unwrap_or(true) {
                    continue;
                }
                o.send(Id::from(to), Wire(msg.clone()));
            }
        }
        for (id, _) in fx.timers.drain(..) {
            o.set_timer(Tick(id.0), model_timeout());
        }
        for out in fx.outputs.drain(..) {
            outputs.push(format!("{out:?}"));
        }
        fx.evidence.clear();
        fx.flips.clear();
        fx.choices.clear();
    }
}

impl<N: Node> Actor for RioActor<N> {
    type Msg = Wire<N::Message>;
    type Timer = Tick;
    type State = RioState<N>;
    type Storage = ();
    type Random = ();

    fn on_start(&self, id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> RioState<N> {
        let me = usize::from(id);
        let mut state = RioState {
            node: None,
            events: 0,
            outputs: Vec::new(),
        };
        if self.byzantine.get(me).copied().unwrap_or(true) {
            for to in 0..self.byzantine.len() {
                if self.byzantine.get(to).copied().unwrap_or(true) {
                    continue;
                }
                for m in &self.domain {
                    o.send(Id::from(to), Wire(m.clone()));
                }
            }
            return state;
        }
        let mut node = (self.make)(NodeId(me as u32));
        let mut fx = Effects::default();
        node.on_start(&mut fx);
        self.route(&mut fx, &mut state.outputs, o);
        for input in &self.inputs {
            node.on_input(input.clone(), &mut fx);
            self.route(&mut fx, &mut state.outputs, o);
        }
        state.node = Some(node);
        state
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<RioState<N>>,
        src: Id,
        msg: Self::Msg,
        o: &mut Out<Self>,
    ) {
        let s = state.to_mut();
        s.events += 1;
        let mut fx = Effects::default();
        if let Some(node) = s.node.as_mut() {
            node.on_message(NodeId(usize::from(src) as u32), msg.0, &mut fx);
        }
        self.route(&mut fx, &mut s.outputs, o);
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<RioState<N>>, timer: &Tick, o: &mut Out<Self>) {
        let s = state.to_mut();
        s.events += 1;
        let mut fx = Effects::default();
        if let Some(node) = s.node.as_mut() {
            node.on_timer(TimerId(timer.0), &mut fx);
        }
        self.route(&mut fx, &mut s.outputs, o);
    }
}

/// No two correct actors output different things.
fn rio_agreement<N: Node>(
    _: &ActorModel<RioActor<N>>,
    s: &stateright::actor::ActorModelState<RioActor<N>>,
) -> bool {
    all_equal(s.actor_states.iter().flat_map(|a| &a.outputs))
}

/// Whether every item equals the first (agreement over decisions).
fn all_equal<T: PartialEq>(mut items: impl Iterator<Item = T>) -> bool {
    match items.next() {
        Some(first) => items.all(|x| x == first),
        None => true,
    }
}

/// Rio nodes made by `make`, with `inputs` per node, the `byzantine` ones
/// sending `domain`: the stateright model `rio-check` explores without
/// reduction, checked for agreement.
pub fn rio_model<N>(
    make: impl Fn(NodeId) -> N + Send + Sync + 'static,
    inputs: Vec<Vec<N::Input>>,
    byzantine: Vec<bool>,
    domain: Vec<N::Message>,
) -> ActorModel<RioActor<N>>
where
    N: Node + Send + Sync + 'static,
    N::Message: Send + Sync,
    N::Input: Send + Sync,
{
    let make: Arc<dyn Fn(NodeId) -> N + Send + Sync> = Arc::new(make);
    let byzantine = Arc::new(byzantine);
    let mut m = ActorModel::new((), ());
    for k in 0..byzantine.len() {
        m = m.actor(RioActor {
            make: make.clone(),
            inputs: inputs.get(k).cloned().unwrap_or_default(),
            byzantine: byzantine.clone(),
            domain: domain.clone(),
        });
    }
    m.init_network(Network::new_unordered_nonduplicating([]))
        .property(Expectation::Always, "agreement", rio_agreement::<N>)
}

/// Two-phase commit with a timeout, written by hand as a stateright user
/// would: the coordinator (actor 0) asks everyone (itself included) to
/// vote and arms a timer; it commits on n yes votes, aborts on the timeout
/// (or a no), and tells everyone.
pub mod tpc {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Msg {
        Prepare,
        Ballot(bool),
        Outcome(bool),
    }

    pub struct Participant {
        pub n: usize,
        pub vote: bool,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    pub struct State {
        /// Coordinator only: the ballots so far.
        pub ballots: BTreeMap<Id, bool>,
        /// Coordinator only: its decision.
        pub decision: Option<bool>,
        pub voted: bool,
        pub decided: Option<bool>,
    }

    fn decide(n: usize, s: &mut State, d: bool, o: &mut Out<Participant>) {
        s.decision = Some(d);
        o.cancel_timer(());
        for k in 0..n {
            o.send(Id::from(k), Msg::Outcome(d));
        }
    }

    impl Actor for Participant {
        type Msg = Msg;
        type Timer = ();
        type State = State;
        type Storage = ();
        type Random = ();

        fn on_start(&self, id: Id, _: &Option<()>, o: &mut Out<Self>) -> State {
            if usize::from(id) == 0 {
                for k in 0..self.n {
                    o.send(Id::from(k), Msg::Prepare);
                }
                o.set_timer((), model_timeout());
            }
            State {
                ballots: BTreeMap::new(),
                decision: None,
                voted: false,
                decided: None,
            }
        }

        fn on_msg(&self, _id: Id, state: &mut Cow<State>, src: Id, msg: Msg, o: &mut Out<Self>) {
            match msg {
                Msg::Prepare if !state.voted => {
                    state.to_mut().voted = true;
                    o.send(Id::from(0), Msg::Ballot(self.vote));
                }
                Msg::Ballot(v) if state.decision.is_none() && !state.ballots.contains_key(&src) => {
                    let s = state.to_mut();
                    s.ballots.insert(src, v);
                    if s.ballots.len() == self.n {
                        let all_yes = s.ballots.values().all(|v| *v);
                        decide(self.n, s, all_yes, o);
                    }
                }
                Msg::Outcome(d) if state.decided.is_none() => {
                    state.to_mut().decided = Some(d);
                }
                _ => {}
            }
        }

        fn on_timeout(&self, _id: Id, state: &mut Cow<State>, _: &(), o: &mut Out<Self>) {
            if state.decision.is_none() {
                decide(self.n, state.to_mut(), false, o);
            }
        }
    }

    fn agreement(
        _: &ActorModel<Participant>,
        s: &stateright::actor::ActorModelState<Participant>,
    ) -> bool {
        all_equal(s.actor_states.iter().filter_map(|a| a.decided))
    }

    /// `n` nodes (the coordinator is node 0), all voting yes.
    pub fn model(n: usize) -> ActorModel<Participant> {
        ActorModel::new((), ())
            .actors((0..n).map(|_| Participant { n, vote: true }))
            .init_network(Network::new_unordered_nonduplicating([]))
            .property(Expectation::Always, "agreement", agreement)
    }
}

/// Bracha's reliable broadcast written by hand as a stateright actor
/// model: n = 3f + 1, the sender is actor 0; ECHO on the sender's first
/// SEND, READY on n − f equal ECHOs or f + 1 equal READYs, delivery on
/// n − f equal READYs; one vote per sender (the first). A Byzantine
/// sender puts its whole message pool on the network at start, each
/// message at most once to each correct node.
pub mod bracha {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Msg {
        Send(u64),
        Echo(u64),
        Ready(u64),
    }

    pub enum Role {
        /// `weak`: the READY amplification threshold (f + 1 in Bracha).
        Correct {
            n: usize,
            f: usize,
            weak: usize,
        },
        Byzantine {
            n: usize,
            pool: Vec<Msg>,
        },
    }

    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    pub struct State {
        pub echoed: bool,
        pub readied: bool,
        pub echoes: BTreeMap<Id, u64>,
        pub readies: BTreeMap<Id, u64>,
        pub delivered: Option<u64>,
    }

    fn count(votes: &BTreeMap<Id, u64>, v: u64) -> usize {
        votes.values().filter(|x| **x == v).count()
    }

    fn all(n: usize, m: Msg, o: &mut Out<Role>) {
        for k in 0..n {
            o.send(Id::from(k), m);
        }
    }

    impl Actor for Role {
        type Msg = Msg;
        type Timer = ();
        type State = State;
        type Storage = ();
        type Random = ();

        fn on_start(&self, id: Id, _: &Option<()>, o: &mut Out<Self>) -> State {
            match self {
                Role::Correct { .. } => {}
                Role::Byzantine { n, pool } => {
                    for k in 0..*n {
                        if Id::from(k) != id {
                            for m in pool {
                                o.send(Id::from(k), *m);
                            }
                        }
                    }
                }
            }
            State {
                echoed: false,
                readied: false,
                echoes: BTreeMap::new(),
                readies: BTreeMap::new(),
                delivered: None,
            }
        }

        fn on_msg(&self, _id: Id, state: &mut Cow<State>, src: Id, msg: Msg, o: &mut Out<Self>) {
            let Role::Correct { n, f, weak } = self else {
                return;
            };
            let (n, f, weak) = (*n, *f, *weak);
            match msg {
                Msg::Send(v) if usize::from(src) == 0 && !state.echoed => {
                    state.to_mut().echoed = true;
                    all(n, Msg::Echo(v), o);
                }
                Msg::Echo(v) if !state.echoes.contains_key(&src) => {
                    let s = state.to_mut();
                    s.echoes.insert(src, v);
                    if !s.readied && count(&s.echoes, v) >= n - f {
                        s.readied = true;
                        all(n, Msg::Ready(v), o);
                    }
                }
                Msg::Ready(v) if !state.readies.contains_key(&src) => {
                    let s = state.to_mut();
                    s.readies.insert(src, v);
                    if !s.readied && count(&s.readies, v) >= weak {
                        s.readied = true;
                        all(n, Msg::Ready(v), o);
                    }
                    if s.delivered.is_none() && count(&s.readies, v) >= n - f {
                        s.delivered = Some(v);
                    }
                }
                _ => {}
            }
        }
    }

    fn agreement(_: &ActorModel<Role>, s: &stateright::actor::ActorModelState<Role>) -> bool {
        all_equal(s.actor_states.iter().filter_map(|a| a.delivered))
    }

    /// n = 3f + 1 nodes; actor 0 is a Byzantine sender with `pool`;
    /// READY amplification at `weak` equal READYs.
    pub fn model(n: usize, weak: usize, pool: Vec<Msg>) -> ActorModel<Role> {
        let f = (n - 1) / 3;
        let mut m = ActorModel::new((), ()).actor(Role::Byzantine { n, pool });
        for _ in 1..n {
            m = m.actor(Role::Correct { n, f, weak });
        }
        m.init_network(Network::new_unordered_nonduplicating([]))
            .property(Expectation::Always, "agreement", agreement)
    }
}
