//! Visiting every tiled matrix of a model: program all, read all at a time t, count tiles, seed
//! a mini-batch.

use crate::device::Device as AnalogDevice;
use crate::rng::NoiseRng;
use crate::tile::TiledMatrix;
use candle_core::Result;

/// A model (or layer) that holds weight matrices on tiles.
pub trait AnalogModule {
    /// Calls `f` on every tiled matrix, in a fixed order.
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix));
}

/// Every tiled matrix of `model`, in visiting order.
pub fn matrices(model: &dyn AnalogModule) -> Vec<&TiledMatrix> {
    let mut out = Vec::new();
    model.visit_matrices(&mut |m| out.push(m));
    out
}

/// Programs every matrix with `device`; matrix `k` draws from stream `[k]` of `seed`.
pub fn program_all(model: &dyn AnalogModule, device: &AnalogDevice, seed: u64) -> Result<()> {
    for (k, m) in matrices(model).into_iter().enumerate() {
        m.program(device, NoiseRng::stream(seed, &[k as u64]).next_u64())?;
    }
    Ok(())
}

/// Reads every matrix `t_s` seconds after programming; matrix `k` draws from stream `[k]` of `seed`.
pub fn read_all(model: &dyn AnalogModule, t_s: f64, seed: u64) -> Result<()> {
    for (k, m) in matrices(model).into_iter().enumerate() {
        m.read_at(t_s, NoiseRng::stream(seed, &[k as u64]).next_u64())?;
    }
    Ok(())
}

/// Number of tiles the model occupies.
pub fn tile_count(model: &dyn AnalogModule) -> usize {
    matrices(model).iter().map(|m| m.tile_count()).sum()
}

/// Starts a mini-batch of a model with one dropout: its masks and every matrix's weight and tile
/// noise drawn from `seed` (matrix k from stream [k], dropout from stream [u64::MAX]).
pub fn seed_batch(model: &dyn AnalogModule, dropout: &super::SeededDropout, seed: u64) {
    dropout.reseed(NoiseRng::stream(seed, &[u64::MAX]).next_u64());
    let mut k = 0u64;
    model.visit_matrices(&mut |m| {
        m.set_batch_seed(NoiseRng::stream(seed, &[k]).next_u64());
        k += 1;
    });
}
