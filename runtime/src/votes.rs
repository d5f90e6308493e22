//! Collections of votes: what `collect(?, k, votes)` produces and a Rust
//! function (`fn highest(promises: Votes<Promise>) -> u64;`) takes.
//!
//! A [`Votes<T>`] holds one value per sender from distinct senders, ordered
//! by sender. It is a value like any other: it can be passed to functions,
//! sent on (a NEW-VIEW carrying 2f + 1 VIEW-CHANGEs) and collected again.
//! Its invariant — senders strictly increasing, so distinct — holds for
//! every value, including one decoded from a peer: decoding refuses a list
//! that breaks it. A received collection's senders are range-checked
//! against `n` by the generated node before it enters a line
//! ([`Votes::well_formed`]). Without signatures a relayed collection is
//! only its relayer's claim (see `spec/language.md`).

use crate::NodeId;
use serde::{Deserialize, Deserializer, Serialize};

/// Values from distinct senders, ordered by sender.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Votes<T> {
    entries: Vec<(NodeId, T)>,
}

impl<T> Default for Votes<T> {
    /// No votes.
    fn default() -> Self {
        Votes {
            entries: Vec::new(),
        }
    }
}

impl<T> Votes<T> {
    /// A collection from `(sender, value)` pairs in any order; `None` if a
    /// sender appears twice.
    pub fn from_pairs(mut entries: Vec<(NodeId, T)>) -> Option<Self> {
        entries.sort_by_key(|(s, _)| *s);
        if entries.windows(2).any(|w| match w {
            [a, b] => a.0 == b.0,
            _ => false,
        }) {
            return None;
        }
        Some(Votes { entries })
    }

    /// How many senders voted.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `(sender, value)` in sender order.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, &T)> + '_ {
        self.entries.iter().map(|(s, v)| (*s, v))
    }

    /// The values, in sender order.
    pub fn values(&self) -> impl Iterator<Item = &T> + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The senders, increasing.
    pub fn senders(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.entries.iter().map(|(s, _)| *s)
    }

    /// The vote of one sender.
    pub fn get(&self, sender: NodeId) -> Option<&T> {
        self.entries
            .binary_search_by_key(&sender, |(s, _)| *s)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    /// How many votes satisfy `pred`.
    pub fn count(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        self.values().filter(|v| pred(v)).count()
    }

    /// Whether every sender is a node of an `n`-node system. Checked by
    /// generated nodes on every collection a peer sends.
    pub fn well_formed(&self, n: usize) -> bool {
        self.entries.iter().all(|(s, _)| s.index() < n)
    }

    /// The `(sender, value)` pairs, in sender order.
    pub fn into_vec(self) -> Vec<(NodeId, T)> {
        self.entries
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Votes<T> {
    /// Refuses a list whose senders are not strictly increasing: a peer
    /// cannot smuggle two votes of one sender into a collection.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw<T> {
            entries: Vec<(NodeId, T)>,
        }
        let raw = Raw::<T>::deserialize(d)?;
        let increasing = raw.entries.windows(2).all(|w| match w {
            [a, b] => a.0 < b.0,
            _ => true,
        });
        if !increasing {
            return Err(serde::de::Error::custom(
                "a vote collection's senders must be strictly increasing",
            ));
        }
        Ok(Votes {
            entries: raw.entries,
        })
    }
}

impl<T: crate::Forge> crate::Forge for Votes<T> {
    /// Up to four distinct small senders with forged values.
    fn forge(rng: &mut crate::forge::Rng) -> Self {
        use rand::Rng as _;
        let mut entries = Vec::new();
        for s in 0..8u32 {
            if entries.len() < 4 && rng.gen_bool(0.4) {
                entries.push((NodeId(s), T::forge(rng)));
            }
        }
        Votes { entries }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_sorted_and_checked_on_decode() {
        let v = Votes::from_pairs(vec![(NodeId(2), 'b'), (NodeId(0), 'a')]).expect("distinct");
        assert_eq!(v.senders().collect::<Vec<_>>(), vec![NodeId(0), NodeId(2)]);
        assert_eq!(v.get(NodeId(2)), Some(&'b'));
        assert_eq!(v.get(NodeId(1)), None);
        assert_eq!(v.count(|c| *c == 'a'), 1);
        assert!(v.well_formed(3));
        assert!(!v.well_formed(2));
        assert!(Votes::from_pairs(vec![(NodeId(1), 1), (NodeId(1), 2)]).is_none());

        let json = serde_json::to_string(&v).expect("encodes");
        assert_eq!(serde_json::from_str::<Votes<char>>(&json).ok(), Some(v));
        for bad in [
            r#"{"entries":[[1,"a"],[1,"b"]]}"#,
            r#"{"entries":[[2,"a"],[1,"b"]]}"#,
        ] {
            assert!(serde_json::from_str::<Votes<char>>(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Hostile bytes never panic the decoder, and whatever decodes
        /// keeps the invariant (senders strictly increasing).
        #[test]
        fn decoding_hostile_input_keeps_the_invariant(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            if let Ok(v) = serde_json::from_slice::<Votes<u8>>(&bytes) {
                let s: Vec<NodeId> = v.senders().collect();
                proptest::prop_assert!(s.windows(2).all(|w| w.first() < w.get(1)));
            }
        }

        #[test]
        fn decoding_hostile_lists_keeps_the_invariant(pairs in proptest::collection::vec((0u32..6, proptest::prelude::any::<u8>()), 0..10)) {
            let json = format!(
                "{{\"entries\":[{}]}}",
                pairs.iter().map(|(s, v)| format!("[{s},{v}]")).collect::<Vec<_>>().join(",")
            );
            let increasing = pairs.windows(2).all(|w| w.first().map(|p| p.0) < w.get(1).map(|p| p.0));
            let decoded = serde_json::from_str::<Votes<u8>>(&json);
            proptest::prop_assert_eq!(decoded.is_ok(), increasing);
            let distinct = {
                let mut s: Vec<u32> = pairs.iter().map(|p| p.0).collect();
                s.sort_unstable();
                s.windows(2).all(|w| w.first() != w.get(1))
            };
            let built = Votes::from_pairs(pairs.iter().map(|(s, v)| (NodeId(*s), *v)).collect());
            proptest::prop_assert_eq!(built.is_some(), distinct);
        }
    }
}
