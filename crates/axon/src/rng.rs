//! The one seeded random generator the library shares: initialisation, shuffling, dropout and
//! random tensors all draw from an [`Rng`] made from a `u64` seed, so a run is repeated exactly by
//! giving the same seed. The algorithm is xoshiro256++ (fixed, unlike `rand`'s `StdRng`, which
//! may change between releases), and normal draws use `rand_distr`'s ziggurat.

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;

/// A seeded pseudo-random generator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rng(Xoshiro256PlusPlus);

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn seed(seed: u64) -> Self {
        Rng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// Uniform on `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    /// A uniform 64-bit word (a seed for a counter-based generator).
    pub fn next_u64(&mut self) -> u64 {
        self.0.random::<u64>()
    }

    /// Uniform on `[lo, hi)`.
    pub fn uniform_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal N(0, 1).
    pub fn normal(&mut self) -> f64 {
        self.0.sample(StandardNormal)
    }

    /// Uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n)
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        items.shuffle(&mut self.0);
    }

    /// The generator's whole state as a short JSON string, for checkpoints.
    pub fn to_state(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The generator saved by [`Rng::to_state`].
    pub fn from_state(state: &str) -> crate::Result<Rng> {
        serde_json::from_str(state)
            .map_err(|e| crate::Error::invalid("rng state", state, e.to_string()))
    }

    /// A generator for a separate stream (a worker, a fold), derived from this one: the result
    /// is fixed by this generator's seed, and the two streams do not overlap in practice.
    pub fn split(&mut self) -> Rng {
        let mut child = self.0.clone();
        child.jump();
        // Advance self as well, so that successive splits differ.
        self.0.jump();
        self.0.long_jump();
        Rng(child)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (Rng::seed(7), Rng::seed(7));
        for _ in 0..100 {
            assert_eq!(a.uniform().to_bits(), b.uniform().to_bits());
            assert_eq!(a.normal().to_bits(), b.normal().to_bits());
        }
        assert_ne!(Rng::seed(8).uniform(), Rng::seed(7).uniform());
    }

    #[test]
    fn splits_differ() {
        let mut r = Rng::seed(1);
        let (mut a, mut b) = (r.split(), r.split());
        assert_ne!(a.uniform(), b.uniform());
    }
}
