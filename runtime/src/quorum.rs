//! Quorum trackers: one vote slot per sender, counted by value.
//!
//! A sender's second vote on the same line is never counted: an identical
//! one is a duplicate (the network may duplicate), a different one is a
//! conflict — evidence that the sender is faulty.

use crate::NodeId;

/// What inserting a vote did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insert {
    /// A first vote from this sender.
    New,
    /// The same vote again: ignored.
    Duplicate,
    /// A different vote from a sender that already voted: ignored, and
    /// evidence of a faulty sender.
    Conflict,
    /// A sender outside `0..n`: ignored.
    OutOfRange,
}

/// Votes on one line, one per sender, with a count per distinct value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QuorumTracker<T> {
    slots: Vec<Option<T>>,
    /// Distinct values and how many senders voted for each (few in practice,
    /// so a vector beats a map).
    counts: Vec<(T, usize)>,
}

impl<T: Clone + Eq> QuorumTracker<T> {
    pub fn new(n: usize) -> Self {
        QuorumTracker {
            slots: vec![None; n],
            counts: Vec::new(),
        }
    }

    pub fn insert(&mut self, from: NodeId, v: T) -> Insert {
        let Some(slot) = self.slots.get_mut(from.index()) else {
            return Insert::OutOfRange;
        };
        match slot {
            Some(old) if *old == v => Insert::Duplicate,
            Some(_) => Insert::Conflict,
            None => {
                match self.counts.iter_mut().find(|(x, _)| *x == v) {
                    Some((_, c)) => *c += 1,
                    None => self.counts.push((v.clone(), 1)),
                }
                *slot = Some(v);
                Insert::New
            }
        }
    }

    /// The first value (in order of first vote) backed by at least `k`
    /// senders.
    pub fn reached(&self, k: usize) -> Option<&T> {
        self.counts.iter().find(|(_, c)| *c >= k).map(|(v, _)| v)
    }

    /// The vote of one sender.
    pub fn get(&self, from: NodeId) -> Option<&T> {
        self.slots.get(from.index()).and_then(Option::as_ref)
    }

    /// How many senders voted.
    pub fn votes(&self) -> usize {
        self.counts.iter().map(|(_, c)| c).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_senders_only() {
        let mut q = QuorumTracker::new(4);
        assert_eq!(q.insert(NodeId(0), 7), Insert::New);
        assert_eq!(q.insert(NodeId(0), 7), Insert::Duplicate);
        assert_eq!(q.insert(NodeId(0), 8), Insert::Conflict);
        assert_eq!(q.insert(NodeId(9), 7), Insert::OutOfRange);
        assert_eq!(q.reached(2), None);
        assert_eq!(q.insert(NodeId(1), 7), Insert::New);
        assert_eq!(q.reached(2), Some(&7));
        assert_eq!(q.votes(), 2);
        assert_eq!(q.get(NodeId(0)), Some(&7));
    }
}
