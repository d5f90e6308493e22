//! The trace format, shared by the simulator, the model checker and the
//! network runtime (none of which imports another): one event per line of
//! JSON (`{"step":..,"t":..,"event":"deliver",..}`), rendered by the same
//! sequence diagrams.

use serde::{Deserialize, Serialize};

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub step: u64,
    /// Virtual time, ms.
    pub t: u64,
    #[serde(flatten)]
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Kind {
    Input {
        node: u32,
        input: String,
        /// The input's value as structured JSON, where its type is
        /// `Serialize` (generated nodes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<serde_json::Value>,
        #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
        slot: Option<Slot>,
    },
    Deliver {
        from: u32,
        to: u32,
        /// The message as Rust prints it (`Echo(42)`), for diagrams.
        msg: String,
        sent_at: u64,
        /// The step that sent it, where the writer knows it (the simulator
        /// and the checker; a network node numbers its own steps only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sent_step: Option<u64>,
        /// The message as structured JSON (its serde form: `{"Echo": 42}`),
        /// for tools; absent in traces written before it existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<serde_json::Value>,
        /// The line and instance key it belongs to (generated nodes).
        #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
        slot: Option<Slot>,
        /// Sent by a Byzantine node in place of (or beside) what the
        /// protocol would have sent: an equivocation or a forgery.
        #[serde(default, skip_serializing_if = "is_false")]
        forged: bool,
    },
    /// A message that never arrived. Lost and partitioned messages are
    /// recorded when sent; messages to a crashed node when they arrive.
    Drop {
        from: u32,
        to: u32,
        msg: String,
        reason: String,
        /// When it was sent, where that is not the event's own time.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sent_at: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sent_step: Option<u64>,
        #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
        slot: Option<Slot>,
        #[serde(default, skip_serializing_if = "is_false")]
        forged: bool,
    },
    Output {
        node: u32,
        output: String,
        /// The output's value as structured JSON, where its type is
        /// `Serialize` (generated nodes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<serde_json::Value>,
        #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
        slot: Option<Slot>,
    },
    Timer {
        node: u32,
        id: u64,
    },
    /// A choice a node made (`select(?, ..)`, `quorum(?, ..)`): which
    /// option, counted from 0 in source order.
    Choice {
        node: u32,
        point: String,
        option: usize,
    },
    /// A random coin a node flipped (`coin(s)`), and how it fell.
    Coin {
        node: u32,
        coin: String,
        value: bool,
    },
    Fault {
        node: u32,
        fault: String,
    },
    Evidence {
        node: u32,
        peer: u32,
        line: String,
    },
    Violation {
        property: String,
        detail: String,
    },
}

/// The line a message or output belongs to and its instance key (slot,
/// height, round, ...; empty for a line without a family), as generated
/// nodes report them ([`crate::Node::message_slot`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub line: String,
    pub key: Vec<u64>,
}

impl Slot {
    /// The slot of a `(line, key)` pair as [`crate::Slotted`] reports it.
    pub fn of((line, key): (&str, &[u64])) -> Slot {
        Slot {
            line: line.to_string(),
            key: key.to_vec(),
        }
    }
}

/// Structured JSON of a value whose type may or may not be `Serialize`,
/// chosen where the type is known (generated code writes
/// `(&Probe(&v)).rio_json()`): the `Serialize` impl is found first by
/// method resolution; any other type falls through to `None`. Protocol
/// types only need `Serialize` where they are sent; outputs and inputs of
/// other types still trace, as their printed form.
#[doc(hidden)]
pub mod json {
    pub struct Probe<'a, T>(pub &'a T);

    pub trait ViaSerde {
        fn rio_json(&self) -> Option<serde_json::Value>;
    }
    impl<T: serde::Serialize> ViaSerde for Probe<'_, T> {
        fn rio_json(&self) -> Option<serde_json::Value> {
            serde_json::to_value(self.0).ok()
        }
    }

    pub trait ViaNothing {
        fn rio_json(&self) -> Option<serde_json::Value>;
    }
    impl<T> ViaNothing for &Probe<'_, T> {
        fn rio_json(&self) -> Option<serde_json::Value> {
            None
        }
    }
}

/// JSON values, for generated code (which names the runtime only).
pub type JsonValue = serde_json::Value;

fn is_false(b: &bool) -> bool {
    !*b
}

/// Events as JSON lines (one object per line, newline-terminated).
pub fn to_jsonl(events: &[TraceEvent]) -> String {
    let mut out = String::new();
    for e in events {
        if let Ok(line) = serde_json::to_string(e) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Parses JSON lines written by [`to_jsonl`] (blank lines are skipped).
pub fn from_jsonl(text: &str) -> Result<Vec<TraceEvent>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
        .collect()
}
