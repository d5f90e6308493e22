//! Bracha's reliable broadcast written by hand, as an engineer would without
//! Rio: the same phases as `spec/examples/bracha.rio` (SEND, ECHO on `n - f`
//! echoes or `f + 1` readies → READY, deliver on `n - f` readies).

use rio_runtime::{Dest, Effects, Insert, Node, NodeId, QuorumTracker, TimerId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Message<T> {
    Send(T),
    Echo(T),
    Ready(T),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Bracha<T> {
    me: NodeId,
    n: usize,
    f: usize,
    sender: NodeId,
    sent_echo: bool,
    sent_ready: bool,
    delivered: bool,
    echoes: QuorumTracker<T>,
    readies: QuorumTracker<T>,
}

impl<T: Clone + Eq> Bracha<T> {
    pub fn new(me: NodeId, n: usize, f: usize, sender: NodeId) -> Self {
        Bracha {
            me,
            n,
            f,
            sender,
            sent_echo: false,
            sent_ready: false,
            delivered: false,
            echoes: QuorumTracker::new(n),
            readies: QuorumTracker::new(n),
        }
    }

    fn progress(&mut self, out: &mut Effects<Message<T>, T>) {
        if !self.sent_ready {
            let v = self
                .echoes
                .reached(self.n - self.f)
                .or_else(|| self.readies.reached(self.f + 1))
                .cloned();
            if let Some(v) = v {
                self.sent_ready = true;
                out.send(Dest::All, Message::Ready(v));
            }
        }
        if !self.delivered {
            if let Some(v) = self.readies.reached(self.n - self.f) {
                self.delivered = true;
                out.output(v.clone());
            }
        }
    }
}

impl<T> Node for Bracha<T>
where
    T: Clone + Eq + std::hash::Hash + std::fmt::Debug + Serialize + serde::de::DeserializeOwned,
{
    type Message = Message<T>;
    type Input = T;
    type Output = T;

    fn id(&self) -> NodeId {
        self.me
    }

    fn on_input(&mut self, input: T, out: &mut Effects<Message<T>, T>) {
        if self.me == self.sender {
            out.send(Dest::All, Message::Send(input));
        }
    }

    fn on_message(&mut self, from: NodeId, msg: Message<T>, out: &mut Effects<Message<T>, T>) {
        match msg {
            Message::Send(v) => {
                if from == self.sender && !self.sent_echo {
                    self.sent_echo = true;
                    out.send(Dest::All, Message::Echo(v));
                }
            }
            Message::Echo(v) => {
                if self.echoes.insert(from, v) == Insert::Conflict {
                    out.faulty(from, "echo");
                }
            }
            Message::Ready(v) => {
                if self.readies.insert(from, v) == Insert::Conflict {
                    out.faulty(from, "ready");
                }
            }
        }
        self.progress(out);
    }

    fn on_timer(&mut self, _timer: TimerId, _out: &mut Effects<Message<T>, T>) {}
}
