//! The simulator's event queue and its choosers.

use rand::Rng as _;
use rio_runtime::forge::Rng;
use rio_runtime::{Chooser, NodeId};
use std::collections::BTreeMap;

/// A calendar queue: a ring of FIFO buckets for the next [`WINDOW`] ms (a
/// bitmap finds the next non-empty one) and an ordered map beyond. Pops in
/// (time, scheduling order), like a heap keyed by (time, sequence number),
/// without moving events around.
pub(crate) struct Calendar<E> {
    ring: Vec<std::collections::VecDeque<E>>,
    /// Bit `k` set: bucket `k` is non-empty.
    bits: u64,
    /// The ring covers times `[base, base + WINDOW)`.
    base: u64,
    far: BTreeMap<u64, std::collections::VecDeque<E>>,
}

const WINDOW: u64 = 64;

impl<E> Calendar<E> {
    pub(crate) fn new() -> Self {
        Calendar {
            ring: (0..WINDOW)
                .map(|_| std::collections::VecDeque::new())
                .collect(),
            bits: 0,
            base: 0,
            far: BTreeMap::new(),
        }
    }

    fn slot(t: u64) -> usize {
        (t % WINDOW) as usize
    }

    pub(crate) fn push(&mut self, t: u64, e: E) {
        let t = t.max(self.base);
        if t < self.base.saturating_add(WINDOW) {
            let k = Self::slot(t);
            if let Some(b) = self.ring.get_mut(k) {
                b.push_back(e);
                self.bits |= 1 << k;
            }
        } else {
            self.far.entry(t).or_default().push_back(e);
        }
    }

    /// Moves `base` to `t` and pulls the far events that entered the window
    /// (they were scheduled before any ring event of the same time).
    fn advance(&mut self, t: u64) {
        self.base = t;
        while let Some(entry) = self.far.first_entry() {
            if *entry.key() >= self.base.saturating_add(WINDOW) {
                break;
            }
            let k = Self::slot(*entry.key());
            let events = entry.remove();
            if let Some(b) = self.ring.get_mut(k) {
                b.extend(events);
                self.bits |= 1 << k;
            }
        }
    }

    /// The earliest pending time.
    pub(crate) fn next_time(&mut self) -> Option<u64> {
        if self.bits == 0 {
            let t = *self.far.keys().next()?;
            self.advance(t);
        }
        let offset = self
            .bits
            .rotate_right((self.base % WINDOW) as u32)
            .trailing_zeros();
        Some(self.base + u64::from(offset))
    }

    pub(crate) fn pop(&mut self) -> Option<E> {
        let t = self.next_time()?;
        if t != self.base {
            self.advance(t);
        }
        let k = Self::slot(t);
        let b = self.ring.get_mut(k)?;
        let e = b.pop_front();
        if b.is_empty() {
            self.bits &= !(1 << k);
        }
        e
    }
}

pub(crate) struct SeededChooser(pub(crate) Rng);

impl Chooser for SeededChooser {
    fn choose(&mut self, _node: NodeId, _point: &'static str, available: &[bool]) -> usize {
        let options: Vec<usize> = available
            .iter()
            .enumerate()
            .filter(|(_, a)| **a)
            .map(|(k, _)| k)
            .collect();
        let pick = self.0.gen_range(0..options.len().max(1));
        options.get(pick).copied().unwrap_or(0)
    }
}

pub(crate) struct ForcedChooser(pub(crate) std::collections::VecDeque<usize>);

impl Chooser for ForcedChooser {
    fn choose(&mut self, _node: NodeId, _point: &'static str, available: &[bool]) -> usize {
        self.0
            .pop_front()
            .unwrap_or_else(|| available.iter().position(|a| *a).unwrap_or(0))
    }
}
