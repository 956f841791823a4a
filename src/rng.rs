//! The seeded noise source behind every random draw in aimc.
//!
//! [`NoiseRng`] wraps Xoshiro256++ (portable, documented output stream), so the same seed gives
//! the same numbers on every machine. Independent streams are derived from a seed and a key path
//! (e.g. `[repeat, tile]`) by SplitMix64 mixing, so work split over threads draws the same numbers
//! whatever the thread count. Long runs of normal draws (a tile's noise, one per output) come
//! in blocks of [`NORMAL_BLOCK`], block k from stream `[k]` of their seed, drawn in parallel
//! ([`fill_normal_blocks`], [`for_each_normal_block`]): the same numbers on any number of threads.

use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Standard normal draws per block of [`fill_normal_blocks`]: large enough that a block
/// outweighs its scheduling and its stream's seeding, small enough (32 KiB of f32) to stay in
/// cache and to give 64 blocks to a 1024 x 512 output.
pub const NORMAL_BLOCK: usize = 8192;

/// Fills `out` with standard normal draws of `seed`: block k ([`NORMAL_BLOCK`] elements, the
/// last one shorter) from `NoiseRng::stream(seed, &[k])` as [`NoiseRng::fill_normal`] draws
/// them, the blocks drawn in parallel.
pub fn fill_normal_blocks(seed: u64, out: &mut [f32]) {
    for_each_normal_block(seed, out, |_, _| {});
}

/// [`fill_normal_blocks`], then `then(start, block)` on each block (its first element's index
/// and its draws) while it is in cache: a pass that consumes the noise where it is drawn.
pub fn for_each_normal_block(
    seed: u64,
    out: &mut [f32],
    then: impl Fn(usize, &mut [f32]) + Sync + Send,
) {
    out.par_chunks_mut(NORMAL_BLOCK)
        .enumerate()
        .for_each(|(k, block)| {
            let mut rng = NoiseRng::stream(seed, &[k as u64]);
            let inner = &mut rng.inner;
            crate::cpu_op::with_avx2(
                #[inline(always)]
                || crate::ziggurat::fill_normal_f32(block, || inner.random::<u64>()),
            );
            then(k * NORMAL_BLOCK, block);
        });
}

/// Seeded source of normal and uniform draws.
#[derive(Debug, Clone)]
pub struct NoiseRng {
    inner: Xoshiro256PlusPlus,
}

/// SplitMix64 finaliser: a bijective mix of 64 bits.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl NoiseRng {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Self {
        Self::stream(seed, &[])
    }

    /// An independent stream identified by `seed` and a key path, e.g. `[repeat, tile_index]`.
    /// Different keys give statistically independent streams; the same key the same stream.
    pub fn stream(seed: u64, key: &[u64]) -> Self {
        let mut h = splitmix64(seed);
        for &k in key {
            h = splitmix64(h ^ splitmix64(k.wrapping_add(0x632B_E59B_D9B4_E019)));
        }
        Self {
            inner: Xoshiro256PlusPlus::seed_from_u64(h),
        }
    }

    /// 0..n in a random order (Fisher-Yates).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            order.swap(i, (self.next_u64() % (i as u64 + 1)) as usize);
        }
        order
    }

    /// A standard normal draw, N(0, 1).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        self.inner.sample(StandardNormal)
    }

    /// A standard normal draw in single precision (ziggurat, see `ziggurat.rs`).
    #[inline]
    pub fn normal_f32(&mut self) -> f32 {
        let inner = &mut self.inner;
        crate::ziggurat::normal_f32(|| inner.random::<u64>())
    }

    /// A uniform draw in [0, 1).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        self.inner.random::<f64>()
    }

    /// A uniformly distributed 64-bit integer (e.g. the seed of a sub-stream).
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.inner.random::<u64>()
    }

    /// Fills `out` with standard normal draws.
    pub fn fill_normal(&mut self, out: &mut [f32]) {
        let inner = &mut self.inner;
        crate::ziggurat::fill_normal_f32(out, || inner.random::<u64>());
    }

    /// The underlying generator, for use with `rand_distr` distributions.
    pub fn generator(&mut self) -> &mut Xoshiro256PlusPlus {
        &mut self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(rng: &mut NoiseRng) -> Vec<f64> {
        (0..8).map(|_| rng.normal()).collect()
    }

    #[test]
    fn same_seed_same_numbers() {
        assert_eq!(draws(&mut NoiseRng::new(7)), draws(&mut NoiseRng::new(7)));
        assert_eq!(
            draws(&mut NoiseRng::stream(7, &[1, 2])),
            draws(&mut NoiseRng::stream(7, &[1, 2]))
        );
    }

    #[test]
    fn other_seed_or_key_other_numbers() {
        let a = draws(&mut NoiseRng::new(7));
        assert_ne!(a, draws(&mut NoiseRng::new(8)));
        assert_ne!(a, draws(&mut NoiseRng::stream(7, &[0])));
        assert_ne!(
            draws(&mut NoiseRng::stream(7, &[1, 2])),
            draws(&mut NoiseRng::stream(7, &[2, 1]))
        );
    }

    /// Blocks are the streams of their index, whatever the thread count.
    #[test]
    fn normal_blocks_are_keyed_streams_on_any_thread_count() {
        let len = 2 * NORMAL_BLOCK + 5;
        let mut want = vec![0.0f32; len];
        for (k, block) in want.chunks_mut(NORMAL_BLOCK).enumerate() {
            NoiseRng::stream(9, &[k as u64]).fill_normal(block);
        }
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut got = vec![0.0f32; len];
            pool.install(|| fill_normal_blocks(9, &mut got));
            assert_eq!(got, want, "{threads} threads");
        }
    }

    #[test]
    fn uniform_in_unit_interval() {
        let mut rng = NoiseRng::new(1);
        for _ in 0..10_000 {
            let u = rng.uniform();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
