//! One tile's matrix-vector multiplication with its periphery (physics.md section 3, Eq. 1-2,
//! 5, 14-18): y = alpha * ADC(F(DAC(x / alpha))), with
//! F_i = sum_j w_ij x_j + IRdrop_i + sigma_out xi_i + sigma_i xi'_i,
//! sigma_i = read_noise * sqrt(sum_j |w_ij| x_j^2) (short-term read noise referred to the output).
//! Weights are normalised (|w| <= 1 as programmed); the column scales gamma are applied by the
//! caller. Everything is a candle op, so training differentiates through it.

use super::config::{InputScaling, TileConfig};
use super::ops::{AdcStage, OutputNoise, adc, scaled_dac};
use super::quantize::Quantizer;
use crate::error::Result as AimcResult;
use crate::rng::NoiseRng;
use candle_core::{D, Result, Tensor};

/// The periphery of a tile, resolved from a [`TileConfig`].
#[derive(Debug, Clone, PartialEq)]
pub struct Periphery {
    pub dac: Option<Quantizer>,
    pub adc: AdcStage,
    pub out_noise: f32,
    pub read_noise: f32,
    /// gamma_ir * ir_drop_scale, if IR drop is on.
    pub ir_drop: Option<f32>,
    pub input_scaling: InputScaling,
    pub bm_max_iterations: u32,
}

/// Smallest input range used by dynamic scaling (an all-zero input vector).
const MIN_RANGE: f64 = 1e-12;

impl Periphery {
    /// The periphery of a validated configuration.
    pub fn new(c: &TileConfig) -> AimcResult<Self> {
        Ok(Self {
            dac: c.dac_quantizer()?,
            adc: AdcStage {
                quantizer: c.adc_quantizer()?,
                s_shape: c.adc_s_shape as f32,
            },
            out_noise: c.out_noise as f32,
            read_noise: c.read_noise as f32,
            ir_drop: c
                .ir_drop
                .then_some((c.ir_drop_gamma * c.ir_drop_scale) as f32),
            input_scaling: c.input_scaling,
            bm_max_iterations: c.bm_max_iterations,
        })
    }

    /// Whether any stage makes the result differ from the exact product.
    pub fn is_ideal(&self) -> bool {
        self.dac.is_none()
            && self.adc.quantizer.is_none()
            && self.out_noise == 0.0
            && self.read_noise == 0.0
            && self.ir_drop.is_none()
    }

    /// The IR-drop correction (Eq. 15-18) for DAC outputs `x` [B, n] and weights `w` [m, n]:
    /// a_i = gamma_ir n sum_j |w_ij||x_j|; c_i = 0.05 a^3 - 0.2 a^2 + 0.5 a;
    /// dy_i = -c_i sum_j w_ij x_j (1 - (1 - j/n)^2), j = 1..n.
    pub fn ir_drop_term(gamma_ir: f32, x: &Tensor, w: &Tensor) -> Result<Tensor> {
        let n = w.dim(1)?;
        let pos = Self::ir_positions(n, x)?;
        let a = (x.abs()?.matmul(&w.abs()?.t()?)? * (gamma_ir as f64 * n as f64))?;
        let c = Self::ir_coefficient(&a)?;
        let weighted = x.broadcast_mul(&pos)?.matmul(&w.t()?)?;
        (c * weighted)?.neg()
    }

    /// c(a) = 0.05 a^3 - 0.2 a^2 + 0.5 a (Eq. 17).
    fn ir_coefficient(a: &Tensor) -> Result<Tensor> {
        (a.powf(3.0)? * 0.05)? - (a.sqr()? * 0.2)? + (a * 0.5)?
    }

    /// The position weights 1 - (1 - j/n)^2, j = 1..n, as a [1, n] tensor like `x`.
    pub(crate) fn ir_positions(n: usize, x: &Tensor) -> Result<Tensor> {
        let pos: Vec<f32> = (1..=n)
            .map(|j| {
                let r = 1.0 - j as f32 / n as f32;
                1.0 - r * r
            })
            .collect();
        Tensor::from_vec(pos, (1, n), x.device())?.to_dtype(x.dtype())
    }

    /// The analog part and the ADC for DAC outputs `x` [B, n] and weights `w` [m, n]; noise
    /// from stream `seed`. The backward is straight-through (physics.md section 5): only the
    /// product x W^T is differentiated (the ADC zeroes it where saturated); the IR-drop
    /// correction and the noise enter as constants.
    pub fn analog(&self, x: &Tensor, w: &Tensor, seed: u64) -> Result<Tensor> {
        let mut y = x.matmul(&w.t()?)?;
        let w_abs = w.detach().abs()?;
        let side = self.side_products(x, w, &w_abs)?;
        if let Some(term) = side.ir_term {
            y = (y + term)?;
        }
        let noise = if let Some(sums) = side.read_var {
            OutputNoise::ReadVariance {
                sums,
                out: self.out_noise,
                read: self.read_noise,
            }
        } else {
            OutputNoise::Uniform(self.out_noise)
        };
        if self.adc.quantizer.is_none() && matches!(noise, OutputNoise::Uniform(s) if s == 0.0) {
            return Ok(y);
        }
        adc(&y, &noise, self.adc, seed)
    }

    /// The read-out of one-hot inputs (the identity matrix) through the analog part and the
    /// ADC, [n, m]: the same as `analog(eye(n), w, seed)`, computed without the matrix products
    /// (row j of the result is column j of the weights, and every sum has one term).
    pub fn one_hot_readout(&self, w: &Tensor, seed: u64) -> Result<Tensor> {
        let n = w.dim(1)?;
        let wt = w.t()?.contiguous()?;
        let mut y = wt.clone();
        if let Some(g) = self.ir_drop {
            // a_ji = gamma_ir n |w_ij|, weighted sum w_ij (1 - (1 - j/n)^2).
            let pos = Self::ir_positions(n, w)?.t()?;
            let a = (wt.abs()? * (g as f64 * n as f64))?;
            let c = Self::ir_coefficient(&a)?;
            y = (&y - (c * wt.broadcast_mul(&pos)?)?)?;
        }
        let noise = if self.read_noise > 0.0 {
            let var = ((wt.abs()? * (self.read_noise as f64).powi(2))?
                + (self.out_noise as f64).powi(2))?;
            OutputNoise::PerElement(var.sqrt()?)
        } else {
            OutputNoise::Uniform(self.out_noise)
        };
        if self.adc.quantizer.is_none() && matches!(noise, OutputNoise::Uniform(s) if s == 0.0) {
            return Ok(y);
        }
        adc(&y, &noise, self.adc, seed)
    }

    /// The whole tile: x [B, n] -> alpha * ADC(F(DAC(x / alpha))) [B, m]. `alpha_static` is the
    /// tile's input range for static scaling (a scalar tensor, learnable in training).
    pub fn forward(
        &self,
        x: &Tensor,
        w: &Tensor,
        alpha_static: &Tensor,
        seed: u64,
    ) -> Result<Tensor> {
        self.forward_scaled(x, w, alpha_static, None, seed)
    }

    /// [`Periphery::forward`] followed by the digital output scales `out_scale` [1, m], with
    /// alpha and the scales applied in one multiplication where the range is static.
    pub fn forward_scaled(
        &self,
        x: &Tensor,
        w: &Tensor,
        alpha_static: &Tensor,
        out_scale: Option<&Tensor>,
        seed: u64,
    ) -> Result<Tensor> {
        let scaled = |y: Tensor| match out_scale {
            Some(s) => y.broadcast_mul(s),
            None => Ok(y),
        };
        if self.is_ideal() {
            return scaled(x.matmul(&w.t()?)?);
        }
        let mut rng = NoiseRng::new(seed);
        let mut alpha = match self.input_scaling {
            InputScaling::Static => alpha_static.reshape((1, 1))?,
            InputScaling::Dynamic | InputScaling::Iterative => x
                .abs()?
                .max_keepdim(D::Minus1)?
                .clamp(MIN_RANGE, f64::MAX)?
                .detach(),
        };
        let mut round = 0;
        loop {
            let xq = scaled_dac(x, &alpha, self.dac)?;
            let z = self.analog(&xq, w, rng.next_u64())?;
            round += 1;
            let redo = match (self.input_scaling, self.adc.quantizer) {
                (InputScaling::Iterative, Some(q)) if round < self.bm_max_iterations => {
                    let saturated = z.abs()?.ge(q.bound as f64)?.max_keepdim(D::Minus1)?;
                    let any = saturated.to_dtype(candle_core::DType::F32)?;
                    if any.sum_all()?.to_scalar::<f32>()? > 0.0 {
                        // Double the range of the input vectors that saturated.
                        alpha = alpha.broadcast_mul(&(any + 1.0)?)?;
                        true
                    } else {
                        false
                    }
                }
                _ => false,
            };
            if !redo {
                return match out_scale {
                    Some(s) if alpha.elem_count() == 1 => z.broadcast_mul(&alpha.broadcast_mul(s)?),
                    _ => scaled(z.broadcast_mul(&alpha)?),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile::config::TileConfig;
    use candle_core::{DType, Device};

    #[test]
    fn one_hot_readout_equals_identity_inputs_through_the_tile() -> Result<()> {
        let mut rng = NoiseRng::new(1);
        let (m, n) = (12, 20);
        let w: Vec<f32> = (0..m * n)
            .map(|_| (rng.normal() * 0.4).clamp(-1.0, 1.0) as f32)
            .collect();
        let w = Tensor::from_vec(w, (m, n), &Device::Cpu)?;
        for config in [
            TileConfig::standard(),
            TileConfig {
                adc: false,
                ..TileConfig::standard()
            },
            TileConfig::ideal(),
        ] {
            let p = Periphery::new(&config).unwrap();
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
