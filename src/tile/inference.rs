//! The tile's inference pass fused into few memory passes (CPU, static input range): the same
//! arithmetic as [`Periphery::forward`] followed by the output scales, without gradients.
//! DAC(x / alpha) in one pass; after the matrix products, IR drop in one pass; noise, ADC and the
//! digital output scale (alpha * gamma_i * compensation_i) in one pass.

use super::ops::{AdcStage, ScaledDacOp, f32_slice, s_shape};
use super::periphery::Periphery;
use crate::rng::NoiseRng;
use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

/// (y, var) -> ADC(y + std xi) * scale[col], std = sqrt(out_noise^2 + read_noise^2 var)
/// (`var` ignored without read noise).
struct Readout {
    stage: AdcStage,
    out_noise: f32,
    read_noise: f32,
    /// The standard normal draws, one per output (empty without noise); taken by the forward.
    xi: std::sync::Mutex<Vec<f32>>,
    col_scale: Vec<f32>,
}

impl CustomOp2 for Readout {
    fn name(&self) -> &'static str {
        "aimc-readout"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let y = f32_slice(s1, l1)?;
        let var = f32_slice(s2, l2)?;
        let m = self.col_scale.len();
        // Noise: z = y + std xi, in element order of the stream.
        let drawn = std::mem::take(&mut *self.xi.lock().expect("lock"));
        let mut z = if !drawn.is_empty() {
            let mut xi = drawn;
            if xi.len() != y.len() {
                candle_core::bail!("aimc-readout: {} draws for {} outputs", xi.len(), y.len());
            }
            if self.read_noise > 0.0 {
                let (o2, r2) = (
                    self.out_noise * self.out_noise,
                    self.read_noise * self.read_noise,
                );
                for ((x, &y), &v) in xi.iter_mut().zip(y).zip(var) {
                    *x = y + (o2 + r2 * v).sqrt() * *x;
                }
            } else {
                let s = self.out_noise;
                for (x, &y) in xi.iter_mut().zip(y) {
                    *x = y + s * *x;
                }
            }
            xi
        } else {
            y.to_vec()
        };
        if let Some(q) = self.stage.quantizer {
            let k = self.stage.s_shape;
            if k > 0.0 {
                for v in z.iter_mut() {
                    *v = s_shape(*v, k, q.bound);
                }
            }
            q.apply_slice(&mut z);
        }
        for row in z.chunks_mut(m) {
            for (v, s) in row.iter_mut().zip(&self.col_scale) {
                *v *= s;
            }
        }
        Ok((CpuStorage::F32(z), l1.shape().clone()))
    }
}

impl Periphery {
    /// Whether [`Periphery::forward_inference`] applies (static input range; iterative bound
    /// management and dynamic ranges take the general path).
    pub fn has_fused_inference(&self) -> bool {
        self.input_scaling == super::config::InputScaling::Static
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
        let outputs = x.dim(0)? * w.dim(0)?;
        // The general path draws the DAC round's noise seed first from the same stream.
        let adc_seed = NoiseRng::new(seed).next_u64();
        let noisy = self.out_noise > 0.0 || self.read_noise > 0.0;
        // The noise is drawn on a second thread while this one runs the matrix products.
        let (xi, products) = std::thread::scope(|scope| {
            let draws = scope.spawn(|| {
                let mut xi = vec![0.0f32; if noisy { outputs } else { 0 }];
                NoiseRng::new(adc_seed).fill_normal(&mut xi);
                xi
            });
            let products = self.inference_products(&x, w, w_abs, alpha);
            (draws.join().expect("noise thread"), products)
        });
        let (y, var) = products?;
        y.apply_op2_no_bwd(
            &var,
            &Readout {
                stage: self.adc,
                out_noise: self.out_noise,
                read_noise: self.read_noise,
                xi: std::sync::Mutex::new(xi),
                col_scale: out_scale.iter().map(|s| s * alpha).collect(),
            },
        )
    }

    /// DAC and the matrix products of the inference pass: (y with IR drop, read-noise variance;
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
        let mut y = xq.matmul(&w.t()?)?;
        let side = self.side_products(&xq, w, w_abs)?;
        if let Some(term) = side.ir_term {
            y = (y + term)?;
        }
        let var = side.read_var.unwrap_or_else(|| y.clone());
        Ok((y, var))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile::config::TileConfig;
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
        for config in [
            TileConfig::standard(),
            TileConfig {
                read_noise: 0.0,
                ir_drop: false,
                ..TileConfig::standard()
            },
            TileConfig {
                adc: false,
                dac: false,
                ..TileConfig::standard()
            },
            TileConfig {
                adc_s_shape: 2.0,
                ..TileConfig::standard()
            },
            TileConfig::ideal(),
        ] {
            let p = Periphery::new(&config).unwrap();
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
