//! The mechanics of generated nodes, kept here and tested once: instances
//! of number families (heights, rounds, slots) with their garbage
//! collection, the queue of instances to wake, timer keys, and checked key
//! arithmetic. Generated code holds only declarations and rule bodies.

use crate::bits::Bits;
use crate::{NodeId, TimerId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The lines of one instance plus its tasks (rules and timer starters):
/// which run at this node, which have fired, and which must fire before
/// the instance is finished.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Instance<L, const W: usize> {
    pub lines: L,
    pub fired: Bits<W>,
    /// Tasks that run at this node for this instance's key.
    pub here: Bits<W>,
    /// The rules among them: the instance is finished once they fired.
    pub need: Bits<W>,
}

impl<L, const W: usize> Instance<L, W> {
    /// `here` is the set of tasks running here, `rules` the set of all
    /// rule tasks (timer starters are not needed for completion).
    pub fn new(lines: L, here: Bits<W>, rules: &Bits<W>) -> Self {
        let mut need = here;
        need.intersect_with(rules);
        Instance {
            lines,
            fired: Bits::EMPTY,
            here,
            need,
        }
    }
    /// The tasks of `tasks` that run here and have not fired yet.
    #[inline]
    pub fn pending(&self, tasks: &Bits<W>) -> Bits<W> {
        let mut t = *tasks;
        t.intersect_with(&self.here);
        t.subtract(&self.fired);
        t
    }
    /// Every rule that runs here has fired: nothing can change any more.
    #[inline]
    pub fn is_finished(&self) -> bool {
        self.fired.is_superset(&self.need)
    }
}

/// The live instances of the families with `A` number indices, keyed by
/// their index tuple, and the keys already finished.
///
/// A finished instance is dropped and its key remembered, so late messages
/// for it are ignored rather than re-creating it. For one index the
/// finished keys are compacted into a low-water mark: every key below
/// `low` is finished, so memory stays flat when a protocol runs forever.
///
/// **Floor.** Progress also bounds what is remembered below it: once an
/// instance whose first index is `h` finished, every key whose first index
/// is more than `window` below `h` counts as finished ([`Family::floor`]).
/// Its done keys are dropped, and so are instances below it that are still
/// live (an instance with a rule that can never fire: a nil round, a read of
/// `x[-1]`): they would otherwise be kept forever. So memory stays bounded
/// for every arity, even when some instances never finish, at the cost of
/// never finishing an instance more than `window` behind this node's
/// progress (messages for it are ignored, as for any finished instance).
///
/// **Window.** A peer may only open instances near the protocol's progress:
/// each index of a key from a message must be at most `window` above the
/// highest value that index had in a finished instance
/// ([`Family::in_window`]); generated nodes refuse other keys and count
/// them as evidence. Live instances opened by messages are therefore at most
/// `(window + 1)^A` plus those below the progress mark, whatever peers send.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Family<const A: usize, I> {
    live: BTreeMap<[u64; A], I>,
    done: BTreeSet<[u64; A]>,
    low: u64,
    /// Keys whose first index is below it are finished (see the type's
    /// documentation).
    floor: u64,
    /// The highest value of each index among finished instances.
    high: [u64; A],
    window: u64,
    /// Finished instances kept readable, at most `keep` (the highest keys):
    /// for families whose lines finer families read (a round of height `h`
    /// reads `block[h]` after height `h` finished here).
    retired: BTreeMap<[u64; A], I>,
    keep: usize,
}

/// How many finished instances a family keeps readable for finer families
/// by default ([`Family::retaining`]; generated nodes use it for families
/// whose lines finer families read).
pub const DEFAULT_RETAINED: usize = 64;

/// The default [`Family`] window: how far ahead of the highest finished
/// instance a peer may open one (per index).
pub const DEFAULT_WINDOW: u64 = 1024;

impl<const A: usize, I> Default for Family<A, I> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const A: usize, I> Family<A, I> {
    pub fn new() -> Self {
        Family {
            live: BTreeMap::new(),
            done: BTreeSet::new(),
            low: 0,
            floor: 0,
            high: [0; A],
            window: DEFAULT_WINDOW,
            retired: BTreeMap::new(),
            keep: 0,
        }
    }

    /// Keeps the last `keep` finished instances readable
    /// ([`Family::get_or_retired`]); the default keeps none.
    pub fn retaining(mut self, keep: usize) -> Self {
        self.keep = keep;
        self
    }

    /// The live instance at `key`, or the finished one if it is still kept:
    /// what a finer family reads.
    #[inline]
    pub fn get_or_retired(&self, key: &[u64; A]) -> Option<&I> {
        self.live.get(key).or_else(|| self.retired.get(key))
    }

    /// Sets the window (see the type's documentation).
    pub fn set_window(&mut self, window: u64) {
        self.window = window;
    }

    /// Whether a peer may open the instance at `key`: each index at most
    /// `window` above the highest finished value of that index.
    #[inline]
    pub fn in_window(&self, key: &[u64; A]) -> bool {
        key.iter()
            .zip(self.high.iter())
            .all(|(k, h)| *k <= h.saturating_add(self.window))
    }

    #[inline]
    pub fn get(&self, key: &[u64; A]) -> Option<&I> {
        self.live.get(key)
    }

    #[inline]
    pub fn get_mut(&mut self, key: &[u64; A]) -> Option<&mut I> {
        self.live.get_mut(key)
    }

    /// Whether the instance at `key` was finished (and dropped).
    pub fn is_finished(&self, key: &[u64; A]) -> bool {
        key.first().is_some_and(|k| *k < self.floor)
            || (A == 1 && key.first().is_some_and(|k| *k < self.low))
            || self.done.contains(key)
    }

    /// Keys whose first index is below the floor count as finished: the
    /// highest finished first index minus the window.
    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// Raises the floor to `high[0] - window` and forgets what is below it.
    fn raise_floor(&mut self) {
        let Some(h) = self.high.first() else { return };
        let floor = h.saturating_sub(self.window);
        if floor <= self.floor {
            return;
        }
        self.floor = floor;
        let mut edge = [0u64; A];
        if let Some(first) = edge.first_mut() {
            *first = floor;
        }
        self.done = self.done.split_off(&edge);
        self.live = self.live.split_off(&edge);
        if A == 1 && self.low < floor {
            self.low = floor;
            self.compact_low();
        }
    }

    /// The live instance at `key`, created by `make` if there is none yet;
    /// `None` if that instance is finished. The flag says whether it was
    /// created now.
    #[inline]
    pub fn open(&mut self, key: [u64; A], make: impl FnOnce() -> I) -> Option<(&mut I, bool)> {
        if self.live.contains_key(&key) {
            return self.live.get_mut(&key).map(|i| (i, false));
        }
        if self.is_finished(&key) {
            return None;
        }
        Some((self.live.entry(key).or_insert_with(make), true))
    }

    /// Drops the instance at `key` (keeping it readable if the family
    /// retains finished instances) and remembers that it is finished.
    pub fn finish(&mut self, key: [u64; A]) {
        let gone = self.live.remove(&key);
        if let (Some(inst), true) = (gone, self.keep > 0) {
            self.retired.insert(key, inst);
            while self.retired.len() > self.keep {
                self.retired.pop_first();
            }
        }
        for (h, k) in self.high.iter_mut().zip(key.iter()) {
            *h = (*h).max(*k);
        }
        if self.is_finished(&key) {
            self.raise_floor();
            return;
        }
        self.done.insert(key);
        if A == 1 {
            self.compact_low();
        }
        self.raise_floor();
    }

    /// Moves the low-water mark over the finished keys just above it (one
    /// index).
    fn compact_low(&mut self) {
        let mut probe = [0u64; A];
        loop {
            if let Some(first) = probe.first_mut() {
                *first = self.low;
            }
            if !self.done.remove(&probe) {
                break;
            }
            self.low = self.low.saturating_add(1);
        }
    }

    /// The low-water mark of a one-index family: every key below it is
    /// finished here. Always 0 for other arities (their finished keys are
    /// not compacted). What durable state compacts by
    /// ([`crate::Node::low_water`]).
    pub fn low(&self) -> u64 {
        // For one index the floor never passes the mark (`raise_floor`).
        if A == 1 {
            self.low
        } else {
            0
        }
    }

    /// Marks every key below `below` finished (one-index families; a no-op
    /// for others): a node restarted on compacted durable state must not
    /// reopen instances whose records were dropped. Live instances below
    /// the mark are dropped; the window moves with the mark.
    pub fn finish_below(&mut self, below: u64) {
        if A != 1 || below <= self.low {
            return;
        }
        self.low = below;
        self.live
            .retain(|k, _| k.first().is_some_and(|k| *k >= below));
        self.retired
            .retain(|k, _| k.first().is_some_and(|k| *k >= below));
        self.done.retain(|k| k.first().is_some_and(|k| *k >= below));
        if let Some(h) = self.high.first_mut() {
            *h = (*h).max(below - 1);
        }
        // Keys finished just above the new mark compact into it.
        self.compact_low();
    }

    /// Appends to `buf` the live keys whose index `pos` equals `value` for
    /// every `(pos, value)` in `fixed` (all live keys if `fixed` is empty).
    pub fn keys_matching(&self, fixed: &[(usize, u64)], buf: &mut Vec<[u64; A]>) {
        let matches = |k: &[u64; A]| fixed.iter().all(|(p, v)| k.get(*p) == Some(v));
        match fixed.first() {
            // A fixed first index is a range of the ordered map.
            Some((0, v)) => {
                let mut lo = [0u64; A];
                let mut hi = [u64::MAX; A];
                if let (Some(l), Some(h)) = (lo.first_mut(), hi.first_mut()) {
                    *l = *v;
                    *h = *v;
                }
                buf.extend(
                    self.live
                        .range(lo..=hi)
                        .map(|(k, _)| *k)
                        .filter(|k| matches(k)),
                );
            }
            _ => buf.extend(self.live.keys().copied().filter(|k| matches(k))),
        }
    }

    /// Live instances in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u64; A], &I)> {
        self.live.iter()
    }
    /// The live instances, then the finished ones kept readable
    /// ([`Family::retaining`]): what a choice over the family reads.
    pub fn iter_readable(&self) -> impl Iterator<Item = (&[u64; A], &I)> {
        self.live.iter().chain(self.retired.iter())
    }
    /// The live instances, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut I> {
        self.live.values_mut()
    }

    /// The number of live instances.
    pub fn live(&self) -> usize {
        self.live.len()
    }

    /// Keys held in memory: live instances, finished keys above the
    /// low-water mark, and finished instances kept readable.
    pub fn retained(&self) -> usize {
        self.live.len() + self.done.len() + self.retired.len()
    }
}

/// Instances to wake, each with the rules to re-run there, in the order
/// they were woken (deterministic).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Wakes<const A: usize, const W: usize> {
    queue: VecDeque<([u64; A], Bits<W>)>,
}

impl<const A: usize, const W: usize> Default for Wakes<A, W> {
    fn default() -> Self {
        Wakes {
            queue: VecDeque::new(),
        }
    }
}

impl<const A: usize, const W: usize> Wakes<A, W> {
    /// Marks `rules` dirty at `key` (merged with the last entry if it is
    /// for the same key).
    #[inline]
    pub fn push(&mut self, key: [u64; A], rules: Bits<W>) {
        if let Some((k, b)) = self.queue.back_mut() {
            if *k == key {
                b.union_with(&rules);
                return;
            }
        }
        self.queue.push_back((key, rules));
    }

    #[inline]
    pub fn pop(&mut self) -> Option<([u64; A], Bits<W>)> {
        self.queue.pop_front()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// The state of one timer of one instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TimerState {
    /// Not started: its argument is not available yet.
    #[default]
    Idle,
    /// Started; waiting for the driver.
    Armed,
    /// Fired: the timer's line has its value.
    Fired,
}

/// Armed timers: which timer of which instance each [`TimerId`] stands for.
/// Ids are a sequence, so any key fits (no packing of indices into bits).
/// Keys shorter than `A` are padded with zeros; the timer's number says
/// which family it belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Timers<const A: usize> {
    next: u64,
    armed: BTreeMap<u64, (u32, [u64; A])>,
}

impl<const A: usize> Timers<A> {
    /// Records timer `timer` of the instance at `key`; returns the id to
    /// give the driver.
    pub fn arm(&mut self, timer: u32, key: &[u64]) -> TimerId {
        let mut k = [0u64; A];
        for (d, s) in k.iter_mut().zip(key) {
            *d = *s;
        }
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.armed.insert(id, (timer, k));
        TimerId(id)
    }

    /// The timer and instance key `id` stands for, once (`None` for an id
    /// this node did not arm, or one already fired).
    pub fn fire(&mut self, id: TimerId) -> Option<(u32, [u64; A])> {
        self.armed.remove(&id.0)
    }

    /// Timers armed and not fired yet.
    pub fn pending(&self) -> usize {
        self.armed.len()
    }
}

/// The first `N` indices of a padded timer key.
#[inline]
pub fn prefix<const N: usize, const A: usize>(key: &[u64; A]) -> [u64; N] {
    let mut out = [0u64; N];
    for (d, s) in out.iter_mut().zip(key.iter()) {
        *d = *s;
    }
    out
}

/// Sets a one-shot line: `New` the first time, `Duplicate` for the same
/// value again, `Conflict` (evidence against whoever sent it; the line
/// keeps its first value) for a different one.
#[inline]
pub fn set_once<T: PartialEq>(slot: &mut Option<T>, value: T) -> crate::Insert {
    match slot {
        None => {
            *slot = Some(value);
            crate::Insert::New
        }
        Some(old) if *old == value => crate::Insert::Duplicate,
        Some(_) => crate::Insert::Conflict,
    }
}

/// Stores a value sent (or computed) on a one-shot line: the stored value
/// the first time; `None` for the same value again, and `None` plus
/// evidence against `from` for a different one (the line keeps its first
/// value).
#[inline]
pub fn store<'a, T: PartialEq, M, O>(
    slot: &'a mut Option<T>,
    value: T,
    from: NodeId,
    line: &'static str,
    out: &mut crate::Effects<M, O>,
) -> Option<&'a T> {
    match set_once(slot, value) {
        crate::Insert::New => slot.as_ref(),
        crate::Insert::Conflict => {
            out.faulty(from, line);
            None
        }
        crate::Insert::Duplicate | crate::Insert::OutOfRange => None,
    }
}

/// Counts `from`'s vote on a bundle of votes: whether it is a new vote; a
/// second, different vote is evidence against `from` and not counted.
#[inline]
pub fn vote<T: Clone + Eq, M, O>(
    votes: &mut crate::QuorumTracker<T>,
    value: T,
    from: NodeId,
    line: &'static str,
    out: &mut crate::Effects<M, O>,
) -> bool {
    match votes.insert(from, value) {
        crate::Insert::New => true,
        crate::Insert::Conflict => {
            out.faulty(from, line);
            false
        }
        crate::Insert::Duplicate | crate::Insert::OutOfRange => false,
    }
}

/// A node's identity checked against `n`.
pub fn check_node(protocol: &'static str, me: NodeId, n: usize) -> Result<(), crate::ParamError> {
    if me.index() < n {
        Ok(())
    } else {
        Err(crate::ParamError {
            protocol,
            constraint: "me < n",
        })
    }
}

/// `constant + Σ coeff·value`, exactly; `None` on overflow (for checks of
/// parameters against a `where` clause with arbitrary coefficients).
pub fn affine(constant: i64, terms: &[(i64, usize)]) -> Option<i128> {
    terms.iter().try_fold(i128::from(constant), |acc, (c, x)| {
        acc.checked_add(i128::from(*c).checked_mul(i128::try_from(*x).ok()?)?)
    })
}

/// `constant + Σ coeff·value` where a value may be missing (an out-of-range
/// floor division below): `None` if one is, or on overflow. What generated
/// code computes for thresholds and `where` clauses with floor division
/// (`n / 2 + 1`).
pub fn lin_value(constant: i64, terms: &[(i64, Option<i128>)]) -> Option<i128> {
    terms.iter().try_fold(i128::from(constant), |acc, (c, x)| {
        acc.checked_add(i128::from(*c).checked_mul((*x)?)?)
    })
}

/// `⌊x / d⌋` (Euclidean, as in the checker); `None` if `x` is, or `d ≤ 0`.
pub fn floor_div(x: Option<i128>, d: i64) -> Option<i128> {
    if d <= 0 {
        return None;
    }
    x?.checked_div_euclid(i128::from(d))
}

/// A parameter as a [`lin_value`] term.
#[inline]
pub fn param(x: usize) -> Option<i128> {
    i128::try_from(x).ok()
}

/// A `where` clause with floor division: `x ≥ 0`, computed by
/// [`lin_value`].
pub fn check_clause(
    protocol: &'static str,
    constraint: &'static str,
    x: Option<i128>,
) -> Result<(), crate::ParamError> {
    if x.is_some_and(|x| x >= 0) {
        Ok(())
    } else {
        Err(crate::ParamError {
            protocol,
            constraint,
        })
    }
}

/// A quorum threshold with floor division, computed once by
/// [`lin_value`]: in `0..=usize::MAX`.
pub fn threshold_value(
    protocol: &'static str,
    constraint: &'static str,
    x: Option<i128>,
) -> Result<usize, crate::ParamError> {
    x.and_then(threshold).ok_or(crate::ParamError {
        protocol,
        constraint,
    })
}

/// One clause of a `where` clause: `(constant, [(coeff, param)], text)`.
pub type Clause<'a> = (i64, &'a [(i64, usize)], &'static str);

/// Checks a protocol's `where` clause: each `(constant, terms, text)` must
/// be `constant + Σ coeff·param ≥ 0` (computed exactly).
pub fn check_where(
    protocol: &'static str,
    clauses: &[Clause<'_>],
) -> Result<(), crate::ParamError> {
    for (constant, terms, constraint) in clauses {
        if affine(*constant, terms).is_none_or(|x| x < 0) {
            return Err(crate::ParamError {
                protocol,
                constraint,
            });
        }
    }
    Ok(())
}

/// A quorum threshold over the parameters, computed once: `k` must be in
/// `0..=usize::MAX`.
pub fn threshold_of(
    protocol: &'static str,
    constraint: &'static str,
    constant: i64,
    terms: &[(i64, usize)],
) -> Result<usize, crate::ParamError> {
    affine(constant, terms)
        .and_then(threshold)
        .ok_or(crate::ParamError {
            protocol,
            constraint,
        })
}

/// An instance index computed by key arithmetic (`s + 1`, `r - 1`): `None`
/// when it falls outside `0..=u64::MAX` (such an instance does not exist).
#[inline]
pub fn index(x: i128) -> Option<u64> {
    u64::try_from(x).ok()
}

/// A quorum threshold computed from parameters: `None` if negative or too
/// large (such a quorum is never reached).
#[inline]
pub fn threshold(x: i128) -> Option<usize> {
    usize::try_from(x).ok()
}

/// `collect(?, k, x[*][i])` over a number dimension: the available values
/// of indices below `bound`, the family's index bound (each index once), as
/// a collection with the index in place of the sender, the lowest `k`
/// indices; `None` while fewer than `k` are available.
pub fn collect_indices<'a, T: Clone + 'a>(
    values: impl Iterator<Item = (u64, Option<&'a T>)>,
    bound: usize,
    k: usize,
) -> Option<crate::Votes<T>> {
    let bound = u64::try_from(bound).ok()?;
    let mut got: Vec<(u64, &T)> = values
        .filter(|(j, _)| *j < bound)
        .filter_map(|(j, v)| v.map(|v| (j, v)))
        .collect();
    got.sort_unstable_by_key(|(j, _)| *j);
    got.dedup_by_key(|(j, _)| *j);
    if got.len() < k {
        return None;
    }
    let pairs = got
        .into_iter()
        .take(k)
        .map(|(j, v)| Some((NodeId(u32::try_from(j).ok()?), v.clone())))
        .collect::<Option<Vec<_>>>()?;
    crate::Votes::from_pairs(pairs)
}

/// The node `leader(x)` names: `x mod n`. `None` only if `n` is zero (which
/// the parameter check refuses).
#[inline]
pub fn leader(x: i128, n: usize) -> Option<NodeId> {
    let n = i128::try_from(n).ok()?;
    let k = x.checked_rem_euclid(n)?;
    u32::try_from(k).ok().map(NodeId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collection_over_indices_takes_the_lowest_k_below_n() {
        let vals = [
            (5u64, Some(50u64)),
            (1, Some(10)),
            (3, None),
            (0, Some(0)),
            (9, Some(90)),
        ];
        let it = || vals.iter().map(|(j, v)| (*j, v.as_ref()));
        // Index 9 is not below n = 6, index 3 has no value yet.
        assert_eq!(collect_indices(it(), 6, 4), None);
        let got = collect_indices(it(), 6, 2).expect("two available");
        assert_eq!(got.into_vec(), vec![(NodeId(0), 0), (NodeId(1), 10)]);
        let got = collect_indices(it(), 6, 3).expect("three available");
        assert_eq!(
            got.senders().collect::<Vec<_>>(),
            vec![NodeId(0), NodeId(1), NodeId(5)]
        );
        // An index twice (a live and a finished instance) counts once.
        let dup = [(2u64, Some(1u64)), (2, Some(1))];
        assert_eq!(
            collect_indices(dup.iter().map(|(j, v)| (*j, v.as_ref())), 4, 2),
            None
        );
    }

    #[test]
    fn retired_instances_stay_readable_up_to_the_bound() {
        let mut f: Family<1, u64> = Family::new().retaining(2);
        for k in 0..4u64 {
            f.open([k], || k * 10);
            f.finish([k]);
        }
        // Finished: not live, not reopened, but the last two still readable.
        assert!(f.get(&[3]).is_none());
        assert!(f.open([3], || 0).is_none());
        assert_eq!(f.get_or_retired(&[3]), Some(&30));
        assert_eq!(f.get_or_retired(&[2]), Some(&20));
        assert_eq!(f.get_or_retired(&[1]), None, "evicted: at most 2 kept");
        assert_eq!(f.retained(), 2);
        // Without retention nothing is kept.
        let mut g: Family<1, u64> = Family::new();
        g.open([0], || 1);
        g.finish([0]);
        assert_eq!(g.get_or_retired(&[0]), None);
    }
    use proptest::prelude::*;

    #[test]
    fn finished_keys_are_not_reopened_and_compact() {
        let mut f: Family<1, u32> = Family::new();
        for k in 0..1000u64 {
            let (i, created) = f.open([k], || 7).expect("open");
            assert!(created);
            *i += 1;
            assert!(!f.open([k], || 0).expect("again").1);
            f.finish([k]);
            assert!(f.open([k], || 0).is_none(), "finished stays finished");
        }
        assert_eq!(f.retained(), 0, "compacted into the low-water mark");
        // Out of order: retained until the gap closes.
        f.open([1001], || 0);
        f.finish([1001]);
        assert_eq!(f.retained(), 1);
        f.open([1000], || 0);
        f.finish([1000]);
        assert_eq!(f.retained(), 0);
    }

    #[test]
    fn finishing_below_a_mark_restores_a_compacted_node() {
        let mut f: Family<1, u32> = Family::new();
        f.set_window(10);
        f.open([3], || 0);
        f.open([7], || 0);
        f.finish([7]);
        f.finish_below(5);
        assert_eq!(f.low(), 5);
        assert!(f.open([4], || 0).is_none(), "below the mark: finished");
        assert!(
            f.get(&[3]).is_none(),
            "live instances below the mark dropped"
        );
        assert!(
            f.in_window(&[17]) && !f.in_window(&[18]),
            "window above the highest finished key"
        );
        f.open([5], || 0);
        f.open([6], || 0);
        f.finish([6]);
        f.finish([5]);
        assert_eq!(f.low(), 8, "5, 6 and 7 compact into the mark");
        f.finish_below(2);
        assert_eq!(f.low(), 8, "the mark never moves back");
        let mut g: Family<2, u32> = Family::new();
        g.finish_below(9);
        assert_eq!(g.low(), 0, "only one-index families have a mark");
        assert!(g.open([0, 0], || 0).is_some());
    }

    #[test]
    fn floor_division_values_are_exact_and_checked() {
        // n / 2 + 1 at n = 7.
        let half = floor_div(lin_value(0, &[(1, param(7))]), 2);
        assert_eq!(lin_value(1, &[(1, half)]), Some(4));
        assert_eq!(
            floor_div(Some(-7), 2),
            Some(-4),
            "Euclidean, as the checker"
        );
        assert_eq!(floor_div(Some(7), 0), None);
        assert_eq!(lin_value(0, &[(1, None)]), None);
        assert_eq!(lin_value(i64::MAX, &[(i64::MAX, Some(i128::MAX))]), None);
        assert!(threshold_value("P", "k", Some(-1)).is_err());
        assert_eq!(threshold_value("P", "k", Some(3)).ok(), Some(3));
        assert!(check_clause("P", "c", Some(-1)).is_err());
        assert!(check_clause("P", "c", None).is_err());
        assert!(check_clause("P", "c", Some(0)).is_ok());
    }

    #[test]
    fn the_floor_bounds_memory_when_instances_never_finish() {
        // One index: instance 0 never finishes (a rule that cannot fire),
        // so the low-water mark alone would keep every later key.
        let mut f: Family<1, ()> = Family::new();
        f.set_window(16);
        f.open([0], || ());
        for k in 1..1000u64 {
            f.open([k], || ());
            f.finish([k]);
        }
        assert!(f.retained() <= 17, "retained {}", f.retained());
        assert!(f.get(&[0]).is_none(), "the stuck instance was dropped");
        assert!(f.open([0], || ()).is_none(), "and counts as finished");
        assert!(
            f.open([990], || ()).is_none(),
            "finished keys above the floor stay finished"
        );
        assert_eq!(f.low(), 1000);
        // Two indices: heights with several rounds each, one round of every
        // height stuck (a nil round).
        let mut g: Family<2, ()> = Family::new();
        g.set_window(8);
        for h in 0..500u64 {
            g.open([h, 9], || ());
            for r in 0..3u64 {
                g.open([h, r], || ());
                g.finish([h, r]);
            }
        }
        assert!(g.retained() <= 9 * 4, "retained {}", g.retained());
        assert!(
            g.open([100, 1], || ()).is_none(),
            "below the floor: finished"
        );
        assert!(g.open([499, 7], || ()).is_some(), "near progress: opens");
    }

    #[test]
    fn the_window_follows_progress() {
        let mut f: Family<2, ()> = Family::new();
        f.set_window(10);
        assert!(f.in_window(&[10, 10]));
        assert!(!f.in_window(&[11, 0]));
        assert!(!f.in_window(&[0, 11]));
        assert!(!f.in_window(&[u64::MAX, u64::MAX]));
        f.open([5, 3], || ());
        f.finish([5, 3]);
        assert!(f.in_window(&[15, 13]));
        assert!(!f.in_window(&[16, 0]));
        f.set_window(u64::MAX);
        assert!(f.in_window(&[u64::MAX, u64::MAX]), "saturating");
    }

    #[test]
    fn keys_matching_uses_fixed_positions() {
        let mut f: Family<2, ()> = Family::new();
        for h in 0..3u64 {
            for r in 0..3u64 {
                f.open([h, r], || ());
            }
        }
        let mut buf = Vec::new();
        f.keys_matching(&[(0, 1)], &mut buf);
        assert_eq!(buf, [[1, 0], [1, 1], [1, 2]]);
        buf.clear();
        f.keys_matching(&[(1, 2)], &mut buf);
        assert_eq!(buf, [[0, 2], [1, 2], [2, 2]]);
        buf.clear();
        f.keys_matching(&[(0, u64::MAX)], &mut buf);
        assert!(buf.is_empty());
    }

    #[test]
    fn timer_keys_round_trip_at_any_width() {
        let mut t: Timers<2> = Timers::default();
        let a = t.arm(0, &[1, 0]);
        let b = t.arm(1, &[u64::MAX, 1 << 40]);
        let c = t.arm(2, &[5]);
        assert_eq!(t.fire(b), Some((1, [u64::MAX, 1 << 40])));
        assert_eq!(t.fire(a), Some((0, [1, 0])));
        assert_eq!(t.fire(a), None, "once");
        assert_eq!(t.fire(c).map(|(_, k)| prefix::<1, 2>(&k)), Some([5]));
        assert_eq!(t.fire(TimerId(999)), None);
    }

    #[test]
    fn store_and_vote_report_conflicts() {
        let mut fx: crate::Effects<(), ()> = crate::Effects::default();
        let mut slot = None;
        assert_eq!(store(&mut slot, 1, NodeId(2), "x", &mut fx), Some(&1));
        assert_eq!(store(&mut slot, 1, NodeId(2), "x", &mut fx), None);
        assert!(fx.evidence.is_empty());
        assert_eq!(store(&mut slot, 5, NodeId(3), "x", &mut fx), None);
        assert_eq!(fx.evidence.len(), 1);
        let mut q = crate::QuorumTracker::new(4);
        assert!(vote(&mut q, 7, NodeId(0), "v", &mut fx));
        assert!(!vote(&mut q, 7, NodeId(0), "v", &mut fx));
        assert!(!vote(&mut q, 8, NodeId(0), "v", &mut fx));
        assert_eq!(fx.evidence.len(), 2);
        assert!(check_node("P", NodeId(3), 4).is_ok());
        assert!(check_node("P", NodeId(4), 4).is_err());
    }

    #[test]
    fn lines_are_set_once() {
        let mut slot = None;
        assert_eq!(set_once(&mut slot, 3), crate::Insert::New);
        assert_eq!(set_once(&mut slot, 3), crate::Insert::Duplicate);
        assert_eq!(set_once(&mut slot, 4), crate::Insert::Conflict);
        assert_eq!(slot, Some(3));
    }

    #[test]
    fn key_arithmetic_is_checked() {
        assert_eq!(index(i128::from(u64::MAX) + 1), None);
        assert_eq!(index(-1), None);
        assert_eq!(threshold(-1), None);
        assert_eq!(leader(i128::from(u64::MAX) * 2, 4), Some(NodeId(2)));
        assert_eq!(leader(-1, 4), Some(NodeId(3)));
        assert_eq!(leader(5, 0), None);
        assert_eq!(affine(-1, &[(1, 4), (-3, 1)]), Some(0));
        assert!(check_where("P", &[(-1, &[(1, 4), (-3, 1)], "n > 3 * f")]).is_ok());
        assert_eq!(
            check_where("P", &[(-1, &[(1, 3), (-3, 1)], "n > 3 * f")]).map_err(|e| e.constraint),
            Err("n > 3 * f")
        );
        assert_eq!(
            threshold_of("P", "k", -5, &[(1, 3)]).map_err(|e| e.constraint),
            Err("k")
        );
        assert_eq!(threshold_of("P", "k", 0, &[(1, 3), (-1, 1)]), Ok(2));
        assert_eq!(
            affine(
                0,
                &[
                    (i64::MAX, usize::MAX),
                    (i64::MAX, usize::MAX),
                    (i64::MAX, usize::MAX)
                ]
            ),
            None
        );
    }

    proptest! {
        #[test]
        fn family_matches_a_model(ops in proptest::collection::vec((0u64..20, any::<bool>()), 0..200)) {
            let mut f: Family<1, u64> = Family::new();
            let mut live = std::collections::BTreeMap::new();
            let mut done = std::collections::BTreeSet::new();
            for (k, finish) in ops {
                if finish {
                    f.finish([k]);
                    live.remove(&k);
                    done.insert(k);
                } else {
                    let got = f.open([k], || k).map(|(i, c)| (*i, c));
                    let want = if done.contains(&k) { None } else {
                        let created = !live.contains_key(&k);
                        live.insert(k, k);
                        Some((k, created))
                    };
                    prop_assert_eq!(got, want);
                }
                prop_assert_eq!(f.live(), live.len());
            }
        }
    }
}
