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
    /// Senders in order of their first vote, for `collect(?, k, votes)`
    /// (`None` when nothing collects this line: then states that differ
    /// only in arrival order are equal, which model checking relies on).
    order: Option<Vec<NodeId>>,
}

impl<T: Clone + Eq> QuorumTracker<T> {
    pub fn new(n: usize) -> Self {
        QuorumTracker {
            slots: vec![None; n],
            counts: Vec::new(),
            order: None,
        }
    }

    /// A tracker that also records the order of arrival (for lines read by
    /// `collect`).
    pub fn ordered(n: usize) -> Self {
        QuorumTracker {
            order: Some(Vec::new()),
            ..QuorumTracker::new(n)
        }
    }

    /// Forgets every vote (keeping `n` and whether order is recorded):
    /// for a line nobody will read again ([`crate::Node::forget_spent`]).
    pub fn forget(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = None);
        self.counts.clear();
        if let Some(order) = &mut self.order {
            order.clear();
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
                if let Some(order) = &mut self.order {
                    order.push(from);
                }
                Insert::New
            }
        }
    }

    /// The first value (in order of first vote) backed by at least `k`
    /// senders.
    pub fn reached(&self, k: usize) -> Option<&T> {
        self.counts.iter().find(|(_, c)| *c >= k).map(|(v, _)| v)
    }

    /// The votes of the first `k` senders to vote (in order of arrival),
    /// once `k` have voted: the value of `collect(?, k, votes)`. `None` on
    /// a tracker made without [`QuorumTracker::ordered`].
    pub fn first(&self, k: usize) -> Option<crate::Votes<T>> {
        let senders = self.order.as_ref()?.get(..k)?;
        let pairs = senders
            .iter()
            .map(|s| Some((*s, self.get(*s)?.clone())))
            .collect::<Option<Vec<_>>>()?;
        crate::Votes::from_pairs(pairs)
    }

    /// Every vote present, by sender: the value of `gather(?, votes,
    /// deadline)` when the deadline is reached.
    pub fn all(&self) -> crate::Votes<T> {
        let pairs = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(s, v)| Some((NodeId(u32::try_from(s).ok()?), v.clone()?)))
            .collect();
        // Senders are distinct slots, so this never fails.
        crate::Votes::from_pairs(pairs).unwrap_or_default()
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

impl<P: Clone + Eq + serde::Serialize> QuorumTracker<crate::Signed<P>> {
    /// The certificate of `cert(k, votes)`: the first value (in sender
    /// order) that `k` distinct signers signed for this purpose and key,
    /// with its `k` lowest signers (see [`crate::Cert::assemble`]).
    pub fn certified(&self, k: usize, purpose: u32, key: &[u64]) -> Option<crate::Cert<P>> {
        crate::Cert::assemble(k, purpose, key, self.slots.iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_senders_only() {
        let mut q = QuorumTracker::ordered(4);
        assert_eq!(q.insert(NodeId(0), 7), Insert::New);
        assert_eq!(q.insert(NodeId(0), 7), Insert::Duplicate);
        assert_eq!(q.insert(NodeId(0), 8), Insert::Conflict);
        assert_eq!(q.insert(NodeId(9), 7), Insert::OutOfRange);
        assert_eq!(q.reached(2), None);
        assert_eq!(q.insert(NodeId(1), 7), Insert::New);
        assert_eq!(q.reached(2), Some(&7));
        assert_eq!(q.votes(), 2);
        assert_eq!(q.get(NodeId(0)), Some(&7));
        assert_eq!(q.first(3), None);
        assert_eq!(q.insert(NodeId(3), 9), Insert::New);
        let all = q.first(3).expect("three voted");
        assert_eq!(
            all.senders().collect::<Vec<_>>(),
            vec![NodeId(0), NodeId(1), NodeId(3)]
        );
    }

    #[test]
    fn first_k_are_the_first_to_arrive() {
        let mut q = QuorumTracker::ordered(4);
        for (s, v) in [(3, 'c'), (0, 'a'), (3, 'x'), (2, 'b')] {
            q.insert(NodeId(s), v);
        }
        let first = q.first(2).expect("two voted");
        assert_eq!(first.into_vec(), vec![(NodeId(0), 'a'), (NodeId(3), 'c')]);
        assert_eq!(q.first(4), None);
        let mut plain = QuorumTracker::new(2);
        plain.insert(NodeId(0), 'a');
        assert_eq!(plain.first(1), None, "no order recorded");
    }
}
