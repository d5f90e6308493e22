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
