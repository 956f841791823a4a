//! The symmetric uniform quantiser of DAC and ADC (physics.md Eq. 5):
//! quant(z) = clip(round(z (2^q - 2) / (2b)) * 2b / (2^q - 2), -b, b), 2^q - 1 levels.

use crate::error::{Error, Result};
use candle_core::Tensor;

/// A q-bit quantiser over [-bound, bound].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantizer {
    pub bits: u32,
    pub bound: f32,
    /// 2b / (2^q - 2), and its inverse (computed once: the quantiser runs per element).
    step: f32,
    inv_step: f32,
}

impl Quantizer {
    /// A quantiser with 1..=24 bits and a positive bound.
    pub fn new(bits: u32, bound: f64) -> Result<Self> {
        if !(1..=24).contains(&bits) {
            return Err(Error::invalid_argument(
                "quantiser bits",
                "1 to 24 bits",
                bits,
            ));
        }
        if !(bound.is_finite() && bound > 0.0) {
            return Err(Error::invalid_argument(
                "quantiser bound",
                "a finite bound > 0",
                bound,
            ));
        }
        let bound = bound as f32;
        let levels_minus_one = (1u64 << bits) - 2;
        let step = if levels_minus_one == 0 {
            bound
        } else {
            2.0 * bound / levels_minus_one as f32
        };
        Ok(Self {
            bits,
            bound,
            step,
            inv_step: 1.0 / step,
        })
    }

    /// The step between levels: 2b / (2^q - 2); with 1 bit (one level, 0) the bound.
    #[inline]
    pub fn step(&self) -> f32 {
        self.step
    }

    /// Number of distinct output levels, 2^q - 1.
    pub fn levels(&self) -> u64 {
        (1u64 << self.bits) - 1
    }

    /// 1 / step, the factor from values to level indices.
    #[inline]
    pub fn inv_step(&self) -> f32 {
        self.inv_step
    }

    /// quant(z) of Eq. 5 (level index round(z / step), computed as z * (1 / step)).
    #[inline]
    pub fn apply(&self, z: f32) -> f32 {
        (round_half_away(z * self.inv_step()) * self.step()).clamp(-self.bound, self.bound)
    }

    /// Quantises every element of `v` in place (vectorised).
    #[inline(always)]
    pub fn apply_slice(&self, v: &mut [f32]) {
        let (inv, step, b) = (self.inv_step(), self.step(), self.bound);
        for x in v {
            *x = (round_half_away(*x * inv) * step).clamp(-b, b);
        }
    }
}

/// The quantiser from tensor ops (any device), with the straight-through gradient of physics.md
/// section 5: `xc + (quant(xc) - xc).detach()` with xc = clip(x, -b, b), so the gradient passes
/// the rounding and is zero where clipped.
pub fn quantize_ste(x: &Tensor, q: Quantizer) -> candle_core::Result<Tensor> {
    let b = q.bound as f64;
    let xc = x.clamp(-b, b)?;
    let qv = ((&xc * q.inv_step() as f64)?.round()? * q.step() as f64)?.clamp(-b, b)?;
    &xc + (qv - &xc)?.detach()
}

/// Rounds to the nearest integer, halves away from zero (as `f32::round`), in plain arithmetic
/// that vectorises (`f32::round` is a library call on baseline x86-64). NaN stays NaN.
#[inline(always)]
pub fn round_half_away(x: f32) -> f32 {
    // Beyond 2^23 every f32 is an integer already.
    let c = x.clamp(-8_388_608.0, 8_388_608.0);
    // NaN goes in as 0 (its result is x, below), so that the conversion needs no NaN check
    // (`as i32` saturates and maps NaN to 0 element by element, which does not vectorise).
    let c = if c.is_nan() { 0.0 } else { c };
    // SAFETY: c is finite and within [-2^23, 2^23], where i32 holds every value.
    let t = unsafe { c.to_int_unchecked::<i32>() } as f32;
    let r = if (c - t).abs() >= 0.5 {
        t + 1f32.copysign(c)
    } else {
        t
    };
    // NaN stays NaN; beyond the clamp x is an integer already.
    if x.is_nan() || c != x { x } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_bit_dac_steps_and_levels() {
        let q = Quantizer::new(8, 1.0).unwrap();
        assert_eq!(q.levels(), 255);
        assert!((q.step() - 2.0 / 254.0).abs() < 1e-9);
        assert_eq!(q.apply(0.0), 0.0);
        assert_eq!(q.apply(1.0), 1.0);
        assert_eq!(q.apply(-3.0), -1.0);
        assert!((q.apply(0.3) - (0.3f32 * 127.0).round() / 127.0).abs() < 1e-6);
        // Half a step rounds away from zero.
        assert!((q.apply(0.5 * 2.0 / 254.0) - 2.0 / 254.0).abs() < 1e-7);
        // All outputs lie on the 255 levels k * 2/254, k = -127..=127.
        let mut seen = std::collections::BTreeSet::new();
        for i in -2000..=2000 {
            let v = q.apply(i as f32 / 1000.0);
            let k = (v * 127.0).round();
            assert!((v - k / 127.0).abs() < 1e-6);
            seen.insert(k as i32);
        }
        assert_eq!(seen.len(), 255);
    }

    #[test]
    fn eight_bit_adc_over_ten() {
        let q = Quantizer::new(8, 10.0).unwrap();
        assert!((q.step() - 20.0 / 254.0).abs() < 1e-6);
        assert_eq!(q.apply(12.0), 10.0);
        assert_eq!(q.apply(-10.04), -10.0);
        assert!((q.apply(0.05) - 20.0 / 254.0).abs() < 1e-6);
    }

    #[test]
    fn rounding_matches_std_round() {
        let mut x = -300.0f32;
        while x < 300.0 {
            assert_eq!(round_half_away(x), x.round(), "{x}");
            x += 0.125 / 3.0;
        }
        for x in [
            0.5f32, -0.5, 1.5, -2.5, 0.49999997, 8388607.5, 1e10, -1e10, 0.0, -0.0,
        ] {
            assert_eq!(round_half_away(x), x.round(), "{x}");
        }
        assert!(round_half_away(f32::NAN).is_nan());
    }

    #[test]
    fn refuses_zero_bits_and_bad_bounds() {
        assert!(
            Quantizer::new(0, 1.0)
                .unwrap_err()
                .to_string()
                .contains("1 to 24")
        );
        assert!(Quantizer::new(8, 0.0).is_err());
        assert!(Quantizer::new(8, -1.0).is_err());
        assert!(Quantizer::new(8, f64::NAN).is_err());
    }
}
