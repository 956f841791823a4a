//! The tile's inference pass fused into few memory passes (CPU, static input range): the same
//! arithmetic as [`Periphery::forward`] followed by the output scales, without gradients.
//! DAC(x / alpha) in one pass (`dac.rs`); after the matrix products (`array.rs`), IR drop in one
//! pass; noise, ADC and the digital output scale (alpha * gamma_i * compensation_i) in one
//! kernel (`readout.rs`), which draws the noise block by block as it consumes it. Every pass
//! runs in parallel over blocks of rows.

use super::Periphery;
use super::array::side_products;
use super::dac::ScaledDacOp;
use super::readout::InferenceReadout;
use crate::gemm::matmul_wt;
use crate::rng::NoiseRng;
use candle_core::{Result, Tensor};

impl Periphery {
    /// Whether [`Periphery::forward_inference`] applies (static input range; iterative bound
    /// management and dynamic ranges take the general path).
    pub fn has_fused_inference(&self) -> bool {
        self.input_scaling.is_static()
    }

    /// Inference of one tile with static input range `alpha`: x [B, n] (CPU, f32), normalised
    /// weights `w` [m, n] and their absolute values, digital output scale per column
    /// `out_scale` [m] (gamma_i * compensation_i); returns alpha * out_scale * ADC(F(DAC(x / alpha))).
    /// Draws the same noise as [`Periphery::forward`] with the same `seed`.
    pub fn forward_inference(
        &self,
        x: &Tensor,
        w: &Tensor,
        w_abs: &Tensor,
        alpha: f32,
        out_scale: &[f32],
        seed: u64,
    ) -> Result<Tensor> {
        if self.is_ideal() {
            // alpha cancels: alpha * ((x / alpha) W^T) = x W^T.
            let scale = Tensor::from_slice(out_scale, (1, out_scale.len()), x.device())?;
            return x.matmul(&w.t()?)?.broadcast_mul(&scale);
        }
        let x = x.contiguous()?;
        // The general path draws the DAC round's noise seed first from the same stream.
        let noise_seed = NoiseRng::new(seed).next_u64();
        let (y, var) = self.inference_products(&x, w, w_abs, alpha)?;
        y.apply_op2_no_bwd(
            &var,
            &InferenceReadout {
                adc: self.adc,
                out_noise: self.out_noise,
                read_noise: self.read_noise,
                seed: noise_seed,
                col_scale: out_scale.iter().map(|s| s * alpha).collect(),
            },
        )
    }

    /// DAC and the matrix products of the inference pass: (y with IR drop, read-noise sums;
    /// y again when there is no read noise).
    fn inference_products(
        &self,
        x: &Tensor,
        w: &Tensor,
        w_abs: &Tensor,
        alpha: f32,
    ) -> Result<(Tensor, Tensor)> {
        let alpha = Tensor::new(&[alpha], x.device())?;
        let xq = x.apply_op2_no_bwd(&alpha, &ScaledDacOp(self.dac))?;
        let side = side_products(self.ir_drop, self.read_noise > 0.0, &xq, w, w_abs)?;
        let y = side.corrected(matmul_wt(&xq, w)?)?;
        let var = side.read_var.unwrap_or_else(|| y.clone());
        Ok((y, var))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile::TileConfig;
    use candle_core::Device;

    fn randn(shape: (usize, usize), std: f64, seed: u64) -> Tensor {
        let mut rng = NoiseRng::new(seed);
        let v: Vec<f32> = (0..shape.0 * shape.1)
            .map(|_| (rng.normal() * std) as f32)
            .collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    /// The fused pass equals the general one, up to rounding (which may move a value across an
    /// ADC level in rare cases: at most one step, in under 0.5% of the outputs).
    #[test]
    fn fused_inference_equals_the_general_path() -> Result<()> {
        let standard = TileConfig::standard();
        let edit = |f: &dyn Fn(&mut crate::tile::TileSettings)| standard.edit(f).unwrap();
        for config in [
            standard.clone(),
            edit(&|t| {
                t.periphery.read_noise.sigma = 0.0;
                t.periphery.ir_drop.on = false;
            }),
            edit(&|t| {
                t.periphery.adc.on = false;
                t.periphery.dac.on = false;
            }),
            edit(&|t| t.periphery.adc.s_shape = 2.0),
            TileConfig::ideal(),
        ] {
            let p = Periphery::new(&config.periphery).unwrap();
            let x = randn((64, 40), 0.6, 1);
            let w = randn((24, 40), 0.3, 2).clamp(-1.0, 1.0)?;
            let gamma: Vec<f32> = (0..24).map(|i| 0.5 + i as f32 / 24.0).collect();
            let alpha = 1.3f32;
            let g = Tensor::from_vec(gamma.clone(), (1, 24), &Device::Cpu)?;
            let general = p
                .forward(&x, &w, &Tensor::new(alpha, &Device::Cpu)?, 9)?
                .broadcast_mul(&g)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            let fused = p
                .forward_inference(&x, &w, &w.abs()?, alpha, &gamma, 9)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            let step = p.adc.quantizer.map_or(0.0, |q| q.step()) * alpha * 1.5;
            let mut flips = 0;
            for (i, (a, b)) in general.iter().zip(&fused).enumerate() {
                let d = (a - b).abs();
                if d > 1e-5 * a.abs().max(1.0) {
                    assert!(d <= step * gamma[i % 24] + 1e-5, "{config:?}: {a} vs {b}");
                    flips += 1;
                }
            }
            assert!(flips * 200 < general.len(), "{flips} level flips");
        }
        Ok(())
    }
}
