//! The forward pass of one tile through its periphery, with gradients (training, and inference
//! off the fused CPU path; physics.md section 3, Eq. 1-2, 5, 14-18):
//! y = alpha * ADC(F(DAC(x / alpha))), F_i = sum_j w_ij x_j + IRdrop_i + sigma_out xi_i +
//! sigma_i xi'_i. The stages in signal order: input scaling (`input_scaling.rs`), DAC
//! (`dac.rs`), the array and its side products (`array.rs`, with `ir_drop.rs` and
//! `read_noise.rs`), output noise and ADC (`readout.rs`). Weights are normalised (|w| <= 1 as
//! programmed); the column scales are applied here when given. The backward is straight-through
//! (physics.md section 5): only x W^T is differentiated (zero where the DAC clipped or the ADC
//! saturated); IR drop and noise enter as constants.

use super::Periphery;
use super::array::side_products;
use super::dac::scaled_dac;
use super::output_noise::NoiseStd;
use super::readout::readout;
use crate::gemm::matmul_wt;
use crate::rng::NoiseRng;
use candle_core::{Result, Tensor};

impl Periphery {
    /// The analog part and the ADC for DAC outputs `x` [B, n] and weights `w` [m, n]; noise
    /// from stream `seed`.
    pub fn analog(&self, x: &Tensor, w: &Tensor, seed: u64) -> Result<Tensor> {
        let w_abs = w.detach().abs()?;
        let side = side_products(self.ir_drop, self.read_noise > 0.0, x, w, &w_abs)?;
        let y = side.corrected(matmul_wt(x, w)?)?;
        let noise = match side.read_var {
            Some(sums) => NoiseStd::ReadVariance {
                sums,
                out: self.out_noise,
                read: self.read_noise,
            },
            None => NoiseStd::Uniform(self.out_noise),
        };
        if self.adc.quantizer.is_none() && noise.is_zero() {
            return Ok(y);
        }
        readout(&y, &noise, self.adc, seed)
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
        let mut alpha = self.input_scaling.initial_range(x, alpha_static)?;
        let mut round = 0;
        loop {
            let xq = scaled_dac(x, &alpha, self.dac)?;
            let z = self.analog(&xq, w, rng.next_u64())?;
            round += 1;
            match self
                .input_scaling
                .next_range(&z, &alpha, &self.adc, round)?
            {
                Some(next) => alpha = next,
                None => {
                    return match out_scale {
                        Some(s) if alpha.elem_count() == 1 => {
                            z.broadcast_mul(&alpha.broadcast_mul(s)?)
                        }
                        _ => scaled(z.broadcast_mul(&alpha)?),
                    };
                }
            }
        }
    }
}
