//! The statistical laws a device is made of (physics.md section 2), one file per family:
//! programming-noise sigma (`programming_noise.rs`), drift-exponent mean and std (`drift.rs`),
//! accumulated read noise (`read_noise.rs`), additive relaxation over time (`relaxation.rs`)
//! and stuck devices (`stuck.rs`). Each file holds the
//! law's forms (a closed set: an enum), their evaluation, the check of their values, and its
//! section of a device file, read and written back. The PCM model of the paper is one choice
//! of forms and constants (`pcm.rs`).
//!
//! Conductances are in µS, times in s. `g_hat = g / g_max` is the normalised conductance.

pub mod drift;
pub mod programming_noise;
pub mod read_noise;
pub mod relaxation;
pub mod stuck;

pub use drift::{ClippedLogLinear, DriftLaw};
pub use programming_noise::ProgNoiseLaw;
pub use read_noise::ReadNoiseLaw;
pub use stuck::StuckProbabilities;

use crate::fastmath::ln_f32;

/// Lower clamp of `g_hat` wherever its logarithm is taken (physics.md section 2).
pub const G_HAT_LOG_FLOOR: f32 = 1e-7;

/// ln(max(g_hat, 1e-7)) for each element, in single precision (the precision of the device
/// state), vectorised.
#[inline(always)]
pub fn ln_g_hat_into(g_hat: &[f32], out: &mut [f32]) {
    for (o, &g) in out.iter_mut().zip(g_hat) {
        *o = ln_f32(g.max(G_HAT_LOG_FLOOR));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_floor_applies() {
        let mut out = [0.0f32; 2];
        ln_g_hat_into(&[0.0, 1.0], &mut out);
        assert!((out[0] as f64 - (1e-7f64).ln()).abs() < 1e-5);
        assert_eq!(out[1], 0.0);
    }
}
