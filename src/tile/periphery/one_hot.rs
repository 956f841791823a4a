//! The read-out of drift compensation (physics.md section 4): one-hot inputs (the identity
//! matrix) through the analog part and the ADC of the tile, computed without the matrix
//! products: row j of the result is column j of the weights, every sum has one term, so IR drop
//! (`ir_drop.rs`) and read noise (`read_noise.rs`) take their one-hot closed forms.

use super::Periphery;
use super::ir_drop::one_hot_term;
use super::output_noise::NoiseStd;
use super::read_noise::one_hot_std;
use super::readout::readout;
use candle_core::{Result, Tensor};

impl Periphery {
    /// The read-out of one-hot inputs through weights `w` [m, n], [n, m]: the same as
    /// `analog(eye(n), w, seed)`.
    pub fn one_hot_readout(&self, w: &Tensor, seed: u64) -> Result<Tensor> {
        let wt = w.t()?.contiguous()?;
        let mut y = wt.clone();
        if let Some(g) = self.ir_drop {
            y = (&y - one_hot_term(g, &wt)?)?;
        }
        let noise = if self.read_noise > 0.0 {
            NoiseStd::PerElement(one_hot_std(&wt, self.out_noise, self.read_noise)?)
        } else {
            NoiseStd::Uniform(self.out_noise)
        };
        if self.adc.quantizer.is_none() && noise.is_zero() {
            return Ok(y);
        }
        readout(&y, &noise, self.adc, seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NoiseRng;
    use crate::tile::TileConfig;
    use candle_core::{DType, Device};

    #[test]
    fn one_hot_readout_equals_identity_inputs_through_the_tile() -> Result<()> {
        let mut rng = NoiseRng::new(1);
        let (m, n) = (12, 20);
        let w: Vec<f32> = (0..m * n)
            .map(|_| (rng.normal() * 0.4).clamp(-1.0, 1.0) as f32)
            .collect();
        let w = Tensor::from_vec(w, (m, n), &Device::Cpu)?;
        let no_adc = TileConfig::standard()
            .edit(|t| t.periphery.adc.on = false)
            .unwrap();
        for config in [TileConfig::standard(), no_adc, TileConfig::ideal()] {
            let p = Periphery::new(&config.periphery).unwrap();
            let eye = Tensor::eye(n, DType::F32, &Device::Cpu)?;
            let general = p.analog(&eye, &w, 5)?.flatten_all()?.to_vec1::<f32>()?;
            let fast = p.one_hot_readout(&w, 5)?.flatten_all()?.to_vec1::<f32>()?;
            let step = p.adc.quantizer.map_or(0.0, |q| q.step());
            for (a, b) in general.iter().zip(&fast) {
                assert!(
                    (a - b).abs() <= 1e-5 || (a - b).abs() <= step * 1.01,
                    "{config:?}: {a} vs {b}"
                );
            }
            let exact = general
                .iter()
                .zip(&fast)
                .filter(|(a, b)| (*a - *b).abs() <= 1e-5)
                .count();
            assert!(exact * 100 >= general.len() * 99);
        }
        Ok(())
    }
}
