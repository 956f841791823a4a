//! The read-out of drift compensation (physics.md section 4): one-hot inputs (the identity
//! matrix) through the analog part and the ADC of the tile, computed without the matrix
//! products: row j of the result is column j of the weights, every sum has one term, so IR drop
//! (`ir_drop.rs`) and read noise (`read_noise.rs`) take their one-hot closed forms.

use super::Periphery;
use super::ir_drop::{one_hot_correction, positions};
use super::output_noise::StdSlice;
use super::read_noise::one_hot_std;
use super::readout::kernel;
use candle_core::Result;

impl Periphery {
    /// The read-out of one-hot inputs through weights `w` [m, n] (row-major, `m` columns of
    /// `n` rows each), as [n, m]: the same numbers as `analog(eye(n), w, seed)` up to the
    /// order of terms in the matrix products. Plain Rust on the host, on any device, so that
    /// tiles are read in parallel without candle ops.
    pub fn one_hot_readout(&self, w: &[f32], m: usize, n: usize, seed: u64) -> Result<Vec<f32>> {
        if w.len() != m * n {
            candle_core::bail!("one-hot read-out: {} weights for {m} x {n}", w.len());
        }
        if w.is_empty() {
            return Ok(Vec::new());
        }
        // wt [n, m]: row j holds the weights of input j.
        let mut wt = vec![0.0f32; n * m];
        for (i, row) in w.chunks_exact(n).enumerate() {
            for (j, &v) in row.iter().enumerate() {
                wt[j * m + i] = v;
            }
        }
        let y = match self.ir_drop {
            None => wt.clone(),
            Some(gamma_ir) => {
                let k = (gamma_ir as f64 * n as f64) as f32;
                let rows = wt.chunks_exact(m).zip(positions(n));
                rows.flat_map(|(w, position)| {
                    w.iter()
                        .map(move |&w| w - one_hot_correction(k, w, position))
                })
                .collect()
            }
        };
        if self.read_noise > 0.0 {
            let std: Vec<f32> = wt
                .iter()
                .map(|&w| one_hot_std(w, self.out_noise, self.read_noise))
                .collect();
            kernel(&y, StdSlice::PerElement(&std), Some(seed), &self.adc, None)
        } else if self.out_noise > 0.0 {
            kernel(
                &y,
                StdSlice::Uniform(self.out_noise),
                Some(seed),
                &self.adc,
                None,
            )
        } else if self.adc.quantizer.is_some() {
            kernel(&y, StdSlice::Uniform(0.0), None, &self.adc, None)
        } else {
            Ok(y)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NoiseRng;
    use crate::tile::TileConfig;
    use candle_core::{DType, Device, Tensor};

    #[test]
    fn one_hot_readout_equals_identity_inputs_through_the_tile() -> Result<()> {
        let mut rng = NoiseRng::new(1);
        let (m, n) = (12, 20);
        let w: Vec<f32> = (0..m * n)
            .map(|_| (rng.normal() * 0.4).clamp(-1.0, 1.0) as f32)
            .collect();
        let host = w.clone();
        let w = Tensor::from_vec(w, (m, n), &Device::Cpu)?;
        let no_adc = TileConfig::standard()
            .edit(|t| t.periphery.adc.on = false)
            .unwrap();
        for config in [TileConfig::standard(), no_adc, TileConfig::ideal()] {
            let p = Periphery::new(&config.periphery).unwrap();
            let eye = Tensor::eye(n, DType::F32, &Device::Cpu)?;
            let general = p.analog(&eye, &w, 5)?.flatten_all()?.to_vec1::<f32>()?;
            let fast = p.one_hot_readout(&host, m, n, 5)?;
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

    /// Without noise and ADC the read-out is the tensor formula of the analog part on the
    /// identity (Eq. 15-18 through `ir_drop::term`), to the bit.
    #[test]
    fn one_hot_ir_drop_equals_the_tensor_formula() -> Result<()> {
        let (m, n) = (9, 14);
        let mut w = vec![0.0f32; m * n];
        NoiseRng::new(2).fill_normal(&mut w);
        let exact = TileConfig::ideal()
            .edit(|t| {
                t.periphery.ir_drop =
                    crate::tile::periphery::IrDropConfig::new(30.0, 0.35 * 5e-6).unwrap()
            })
            .unwrap();
        let p = Periphery::new(&exact.periphery).unwrap();
        let g = p.ir_drop.expect("IR drop on");
        let (eye, wt) = (
            Tensor::eye(n, DType::F32, &Device::Cpu)?,
            Tensor::from_slice(&w, (m, n), &Device::Cpu)?,
        );
        let want = (eye.matmul(&wt.t()?)? + super::super::ir_drop::term(g, &eye, &wt)?)?;
        let got = p.one_hot_readout(&w, m, n, 0)?;
        assert_eq!(got, want.flatten_all()?.to_vec1::<f32>()?);
        assert_ne!(
            got,
            wt.t()?.flatten_all()?.to_vec1::<f32>()?,
            "IR drop has an effect"
        );
        Ok(())
    }
}
