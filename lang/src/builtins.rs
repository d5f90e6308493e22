//! The built-in components, by name: one list shared by the checker and the
//! back end, so no one matches on strings.

use std::fmt;

/// A built-in component (see `spec/language.md`, "Built-in components").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Builtin {
    /// `broadcast(v)`: sends `v` to every node (cross-domain).
    Broadcast,
    /// `link(v, j)`: sends `v` to node `j` (cross-domain).
    Link,
    /// `def(v)`: a forceable copy of `v`.
    Def,
    /// `quorum(k, votes)` / `quorum(?, k, votes)`: the value backed by `k`
    /// distinct senders.
    Quorum,
    /// `collect(?, k, votes)`: the votes of the first `k` distinct senders,
    /// as a `Votes<T>` collection.
    Collect,
    /// `gather(?, votes, deadline)`: the votes that arrived before
    /// `deadline`, as a `Votes<T>` (synchronous rounds).
    Gather,
    /// `select(?, a, b, ...)` / `select(?, xs)`: the first available option.
    Select,
    /// `sync(v, s)`: `v`, once `s` is available too.
    Sync,
    /// `delay(v, ms)`: `v`, `ms` milliseconds after it became available.
    Delay,
    /// `timer(s, ms)`: a signal `ms` milliseconds after `s`.
    Timer,
    /// `pair(a, b)`: `(A, B)`, once both are available.
    Pair,
    /// `some(x)`: the value inside `Some`; never produced for `None`.
    Some,
    /// `coin(s)`: a random `bool`, drawn once `s` is available.
    Coin,
    /// `sign(v)`: `v` signed by the node it lives at, as a `Signed<T>`.
    Sign,
    /// `cert(k, votes)` / `cert(?, k, votes)`: `k` signatures from distinct
    /// signers on one value, as a `Cert<T>`.
    Cert,
    /// `payload(x)`: the value inside a `Signed<T>` or a `Cert<T>`.
    Payload,
    /// `transpose(b)`: swaps the first two dimensions of a bundle.
    Transpose,
    /// `leader(e)`: the node `e mod n` (a node, not a line).
    Leader,
}

impl Builtin {
    /// Every built-in, in the order of the language reference.
    pub const ALL: &'static [Builtin] = &[
        Builtin::Broadcast,
        Builtin::Link,
        Builtin::Def,
        Builtin::Quorum,
        Builtin::Collect,
        Builtin::Gather,
        Builtin::Select,
        Builtin::Sync,
        Builtin::Delay,
        Builtin::Timer,
        Builtin::Pair,
        Builtin::Some,
        Builtin::Coin,
        Builtin::Sign,
        Builtin::Cert,
        Builtin::Payload,
        Builtin::Transpose,
        Builtin::Leader,
    ];

    /// The built-in called `name`, if any.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// The name it is called by in Rio source.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Broadcast => "broadcast",
            Builtin::Link => "link",
            Builtin::Def => "def",
            Builtin::Quorum => "quorum",
            Builtin::Collect => "collect",
            Builtin::Gather => "gather",
            Builtin::Select => "select",
            Builtin::Sync => "sync",
            Builtin::Delay => "delay",
            Builtin::Timer => "timer",
            Builtin::Pair => "pair",
            Builtin::Some => "some",
            Builtin::Coin => "coin",
            Builtin::Sign => "sign",
            Builtin::Cert => "cert",
            Builtin::Payload => "payload",
            Builtin::Transpose => "transpose",
            Builtin::Leader => "leader",
        }
    }

    /// A one-line usage, for help texts.
    pub fn usage(self) -> &'static str {
        match self {
            Builtin::Broadcast => "broadcast(v): send v from its node to every node",
            Builtin::Link => "link(v, j): send v from its node to node j",
            Builtin::Def => "def(v): a forceable copy of v",
            Builtin::Quorum => {
                "quorum(k, votes) or quorum(?, k, votes): a value backed by k distinct senders"
            }
            Builtin::Collect => {
                "collect(?, k, votes): the votes of the first k distinct senders, as a `Votes<T>`"
            }
            Builtin::Gather => {
                "gather(?, votes, deadline): the votes that arrived before deadline, as a `Votes<T>`"
            }
            Builtin::Select => "select(?, a, b, ...): the first available option",
            Builtin::Sync => "sync(v, s): v, once s is available too",
            Builtin::Delay => "delay(v, ms): v, ms milliseconds after it is available",
            Builtin::Timer => "timer(s, ms): a signal ms milliseconds after s",
            Builtin::Pair => "pair(a, b): both values, once both are available",
            Builtin::Some => "some(x): the value inside `Some`; never produced for `None`",
            Builtin::Coin => "coin(s): a random bool, drawn once s is available",
            Builtin::Sign => "sign(v): v signed by the node it lives at, a `Signed<T>`",
            Builtin::Cert => {
                "cert(k, votes) or cert(?, k, votes): k signatures from distinct signers on one value, a `Cert<T>`"
            }
            Builtin::Payload => "payload(x): the value of a `Signed<T>` or a `Cert<T>`",
            Builtin::Transpose => "transpose(b): swap the first two bundle dimensions",
            Builtin::Leader => "leader(e): the node e mod n (a node, not a line)",
        }
    }

    /// Whether it moves values between nodes (and so becomes a message):
    /// `broadcast` and `link`.
    pub fn is_cross_domain(self) -> bool {
        matches!(self, Builtin::Broadcast | Builtin::Link)
    }
}

impl fmt::Display for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Builtin;

    #[test]
    fn names_round_trip() {
        for b in Builtin::ALL {
            assert_eq!(Builtin::from_name(b.name()), Some(*b));
            assert!(b.usage().starts_with(b.name()));
        }
        assert_eq!(Builtin::from_name("Quorum"), None);
        assert_eq!(Builtin::from_name("f"), None);
    }
}
