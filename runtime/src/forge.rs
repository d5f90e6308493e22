//! Well-typed forgeries: what a Byzantine node may send.
//!
//! [`Forge`] makes an arbitrary value of a type; generated message enums
//! implement [`ForgeMessage`], so the simulator derives the adversary from
//! the protocol's own message types — nobody writes it by hand. Implement
//! `Forge` for your own value types (blocks, votes) to simulate Byzantine
//! nodes in protocols that carry them.

use rand::Rng as _;

/// The simulator's random number generator (seeded, portable).
pub type Rng = rand_chacha::ChaCha8Rng;

/// An arbitrary value of a type.
pub trait Forge: Sized {
    fn forge(rng: &mut Rng) -> Self;
}

/// Forgeries of a protocol's messages (generated for every `Message` enum).
pub trait ForgeMessage: Sized {
    /// Any well-typed message: a random variant, instance key and value
    /// (`None` for a protocol that sends no messages).
    fn forge_any(rng: &mut Rng) -> Option<Self>;
    /// The same message (variant and instance key) with a forged value: an
    /// equivocation.
    fn forge_like(&self, rng: &mut Rng) -> Self;
    /// The same message (variant and instance key) with its value replaced
    /// by `twin`'s alternative to it: the message a two-faced node sends to
    /// the group it lies to. Generated message enums implement it; the
    /// default forges a fresh value like [`ForgeMessage::forge_like`].
    fn forge_twin(&self, twin: &Twin, rng: &mut Rng) -> Self {
        let _ = twin;
        self.forge_like(rng)
    }
}

/// The second face of a two-faced Byzantine node: one forged alternative
/// per honest value, the same every time that value is sent, on any line
/// and in any instance. A node that lies this way behaves like a correct
/// node that saw different values, so its lies agree with each other: the
/// echo of a forged proposal carries the same forged proposal, a vote for
/// an honest value is a vote for the same alternative everywhere. That is
/// what a threshold one too small, or a decision rule that trusts a claim
/// it should check, needs to be exposed; per-message random forgeries
/// scatter and rarely reach any threshold.
///
/// The alternative of a value is drawn from a generator seeded with the
/// twin's seed, the value's type and its `Debug` text, so it is
/// deterministic (the same seed, the same trace) and needs no memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Twin {
    seed: u64,
}

impl Twin {
    pub fn new(seed: u64) -> Self {
        Twin { seed }
    }

    /// The alternative to `honest`: a forged value of its type that differs
    /// from it (after a few tries; a type with one value has no other).
    pub fn alt<T: Forge + PartialEq + std::fmt::Debug>(&self, honest: &T) -> T {
        use rand::SeedableRng as _;
        use std::hash::{Hash as _, Hasher as _};
        // `DefaultHasher::new` has fixed keys: deterministic within a build.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.seed.hash(&mut h);
        std::any::type_name::<T>().hash(&mut h);
        format!("{honest:?}").hash(&mut h);
        let mut rng = Rng::seed_from_u64(h.finish());
        let mut alt = T::forge(&mut rng);
        for _ in 0..8 {
            if alt != *honest {
                break;
            }
            alt = T::forge(&mut rng);
        }
        alt
    }
}

macro_rules! forge_int {
    ($($t:ty),*) => {$(
        impl Forge for $t {
            /// Small values mostly (so forgeries collide with honest ones),
            /// occasionally any value.
            fn forge(rng: &mut Rng) -> Self {
                if rng.gen_bool(0.75) { rng.gen_range(0..4) } else { rng.gen() }
            }
        }
    )*};
}

forge_int!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

impl Forge for bool {
    fn forge(rng: &mut Rng) -> Self {
        rng.gen()
    }
}

impl Forge for () {
    fn forge(_: &mut Rng) -> Self {}
}

impl<T: Forge> Forge for Option<T> {
    fn forge(rng: &mut Rng) -> Self {
        rng.gen_bool(0.8).then(|| T::forge(rng))
    }
}

impl<A: Forge, B: Forge> Forge for (A, B) {
    fn forge(rng: &mut Rng) -> Self {
        (A::forge(rng), B::forge(rng))
    }
}

impl<A: Forge, B: Forge, C: Forge> Forge for (A, B, C) {
    fn forge(rng: &mut Rng) -> Self {
        (A::forge(rng), B::forge(rng), C::forge(rng))
    }
}

impl<T: Forge> Forge for Vec<T> {
    fn forge(rng: &mut Rng) -> Self {
        let len = rng.gen_range(0..4);
        (0..len).map(|_| T::forge(rng)).collect()
    }
}

impl Forge for String {
    fn forge(rng: &mut Rng) -> Self {
        let len = rng.gen_range(0..8);
        (0..len)
            .map(|_| char::from(rng.gen_range(b'a'..=b'z')))
            .collect()
    }
}

impl<const N: usize> Forge for [u64; N] {
    /// Instance keys: small, near where honest nodes are.
    fn forge(rng: &mut Rng) -> Self {
        std::array::from_fn(|_| rng.gen_range(0..8))
    }
}
