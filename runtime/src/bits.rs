//! Fixed-size bit sets, sized by the generated code to the number of rules
//! (no limit of 64 or 128 rules): which rules of an instance have fired,
//! which must fire before the instance is finished, which are dirty.

/// A set of small integers below `64 * W`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bits<const W: usize>([u64; W]);

impl<const W: usize> Default for Bits<W> {
    fn default() -> Self {
        Self::EMPTY
    }
}

// Word loops run over `0..W`, a constant, so they unroll; indexing by
// `i < W` cannot fail.
#[allow(clippy::indexing_slicing, clippy::needless_range_loop)]
impl<const W: usize> Bits<W> {
    /// The empty set.
    pub const EMPTY: Self = Bits([0; W]);

    /// The set whose words are `words` (bit `i` is bit `i % 64` of word
    /// `i / 64`); for the constant tables of generated code.
    pub const fn from_words(words: [u64; W]) -> Self {
        Bits(words)
    }

    /// The set holding only `i` (empty if `i` is out of range).
    #[allow(clippy::indexing_slicing)] // const fn; checked against `W`
    pub const fn single(i: usize) -> Self {
        let mut w = [0; W];
        if i / 64 < W {
            w[i / 64] = 1 << (i % 64);
        }
        Bits(w)
    }

    #[inline(always)]
    pub fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Adds `i`; returns whether it was new. Out of range: ignored.
    #[inline(always)]
    pub fn insert(&mut self, i: usize) -> bool {
        match self.0.get_mut(i / 64) {
            Some(w) => {
                let b = 1 << (i % 64);
                let new = *w & b == 0;
                *w |= b;
                new
            }
            None => false,
        }
    }

    #[inline]
    pub fn remove(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w &= !(1 << (i % 64));
        }
    }

    #[inline(always)]
    pub fn union_with(&mut self, other: &Self) {
        for i in 0..W {
            self.0[i] |= other.0[i];
        }
    }

    #[inline(always)]
    pub fn intersect_with(&mut self, other: &Self) {
        for i in 0..W {
            self.0[i] &= other.0[i];
        }
    }

    /// The set of `tasks` (those out of range are left out); for constant
    /// tables: `const { Bits::<1>::of(&[READY, DLVR]) }`.
    #[allow(clippy::indexing_slicing)] // const fn; checked against `W`
    pub const fn of(tasks: &[usize]) -> Self {
        let mut w = [0u64; W];
        let mut k = 0;
        while k < tasks.len() {
            let i = tasks[k];
            if i / 64 < W {
                w[i / 64] |= 1 << (i % 64);
            }
            k += 1;
        }
        Bits(w)
    }

    /// The set `0..k` (clamped to the capacity).
    #[allow(clippy::indexing_slicing)] // const fn; `i < W` bounds it
    pub const fn below(k: usize) -> Self {
        let mut w = [0u64; W];
        let mut i = 0;
        while i < W {
            let lo = i * 64;
            w[i] = if k >= lo + 64 {
                u64::MAX
            } else if k > lo {
                (1u64 << (k - lo)) - 1
            } else {
                0
            };
            i += 1;
        }
        Bits(w)
    }

    #[inline(always)]
    pub fn subtract(&mut self, other: &Self) {
        for i in 0..W {
            self.0[i] &= !other.0[i];
        }
    }

    /// Whether every element of `other` is in `self`.
    #[inline(always)]
    pub fn is_superset(&self, other: &Self) -> bool {
        let mut ok = true;
        for i in 0..W {
            ok &= self.0[i] & other.0[i] == other.0[i];
        }
        ok
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        let mut any = 0;
        for i in 0..W {
            any |= self.0[i];
        }
        any == 0
    }

    /// Removes and returns the smallest element.
    #[inline(always)]
    pub fn pop_first(&mut self) -> Option<usize> {
        if W == 1 {
            // The common case (up to 64 tasks): one word, no loop.
            let w = self.0.first_mut()?;
            if *w == 0 {
                return None;
            }
            let t = w.trailing_zeros() as usize;
            *w &= *w - 1;
            return Some(t);
        }
        for (k, w) in self.0.iter_mut().enumerate() {
            if *w != 0 {
                let t = w.trailing_zeros() as usize;
                *w &= *w - 1;
                return Some(k * 64 + t);
            }
        }
        None
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn past_64_and_128() {
        let mut b = Bits::<3>::EMPTY;
        for i in [0, 63, 64, 127, 128, 191] {
            assert!(b.insert(i));
            assert!(!b.insert(i));
        }
        assert!(!b.insert(192), "out of range is ignored");
        assert_eq!(Bits::<3>::below(130).len(), 130);
        assert_eq!(Bits::<3>::below(1000).len(), 192);
        assert_eq!(Bits::<1>::below(0).len(), 0);
        assert_eq!(Bits::<1>::below(64).len(), 64);
        assert_eq!(Bits::<2>::of(&[1, 70, 200]), {
            let mut x = Bits::<2>::EMPTY;
            x.insert(1);
            x.insert(70);
            x
        });
        assert_eq!(b.len(), 6);
        let mut got = Vec::new();
        while let Some(i) = b.pop_first() {
            got.push(i);
        }
        assert_eq!(got, [0, 63, 64, 127, 128, 191]);
        assert_eq!(Bits::<2>::single(100), {
            let mut x = Bits::<2>::EMPTY;
            x.insert(100);
            x
        });
    }

    proptest! {
        #[test]
        fn behaves_like_a_set(ops in proptest::collection::vec((0usize..200, 0u8..3), 0..100)) {
            let mut b = Bits::<4>::EMPTY;
            let mut s = std::collections::BTreeSet::new();
            for (i, op) in ops {
                match op {
                    0 => { prop_assert_eq!(b.insert(i), s.insert(i)); }
                    1 => { b.remove(i); s.remove(&i); }
                    _ => prop_assert_eq!(b.contains(i), s.contains(&i)),
                }
            }
            prop_assert_eq!(b.len(), s.len());
            let mut all = Bits::<4>::EMPTY;
            for i in 0..256 { all.insert(i); }
            prop_assert!(all.is_superset(&b));
            let mut rest = all;
            rest.subtract(&b);
            prop_assert_eq!(rest.len(), 256 - s.len());
            let mut popped = Vec::new();
            while let Some(i) = b.pop_first() { popped.push(i); }
            prop_assert_eq!(popped, s.into_iter().collect::<Vec<_>>());
        }
    }
}
