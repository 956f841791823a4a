//! The symmetric uniform quantiser of DAC and ADC (physics.md Eq. 5):
//! quant(z) = clip(round(z (2^q - 2) / (2b)) * 2b / (2^q - 2), -b, b), 2^q - 1 levels.

use crate::error::{Error, Result};

/// A q-bit quantiser over [-bound, bound].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantizer {
    pub bits: u32,
    pub bound: f32,
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
        Ok(Self {
            bits,
            bound: bound as f32,
        })
    }

    /// The step between levels: 2b / (2^q - 2); with 1 bit (one level, 0) the bound.
    pub fn step(&self) -> f32 {
        let levels_minus_one = (1u64 << self.bits) - 2;
        if levels_minus_one == 0 {
            self.bound
        } else {
            2.0 * self.bound / levels_minus_one as f32
        }
    }

    /// Number of distinct output levels, 2^q - 1.
    pub fn levels(&self) -> u64 {
        (1u64 << self.bits) - 1
    }

    /// quant(z) of Eq. 5.
    #[inline]
    pub fn apply(&self, z: f32) -> f32 {
        let step = self.step();
        ((z / step).round() * step).clamp(-self.bound, self.bound)
    }
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
        assert!((q.apply(0.3) - (0.3f32 * 127.0).round() / 127.0).abs() < 1e-7);
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
