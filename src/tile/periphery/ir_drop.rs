//! IR drop along the word lines (physics.md section 3, Eq. 15-18), n the occupied rows:
//! a_i = gamma_ir n sum_j |w~_ij||x_j|, c_i = 0.05 a_i^3 - 0.2 a_i^2 + 0.5 a_i,
//! dy_i = -c_i sum_j w~_ij x_j (1 - (1 - j/n)^2), with gamma_ir = 0.35 Ohm * 5 µS (keys `ir_drop`,
//! `ir_drop_scale`, `ir_drop_gamma`). The correction enters the backward as a constant
//! (straight-through). Its sums are side products of the array (`array.rs`); here are the
//! formula from tensor ops, the fused CPU pass that finishes it, and its one-hot closed form.

use super::stage::{KnobInfo, Stage, non_negative};
use crate::cpu_op::{f32_slice, par_rows, with_avx2};
use crate::error::InvalidKey;
use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use serde::{Deserialize, Serialize};

/// `ir_drop`, `ir_drop_scale`, `ir_drop_gamma` of a `[tile]` section.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IrDropConfig {
    #[serde(rename = "ir_drop")]
    pub on: bool,
    /// Multiplies gamma_ir (the sensitivity knob).
    #[serde(rename = "ir_drop_scale")]
    pub scale: f64,
    /// gamma_ir: wire resistance times g_max (0.35 Ohm * 5 µS).
    #[serde(rename = "ir_drop_gamma")]
    pub gamma: f64,
}

impl Default for IrDropConfig {
    /// The standard tile's: on, gamma_ir = 0.35 Ohm * 5 µS.
    fn default() -> Self {
        Self {
            on: true,
            scale: 1.0,
            gamma: 0.35 * 5e-6,
        }
    }
}

impl IrDropConfig {
    /// IR drop with gamma_ir = `gamma` (wire resistance times g_max), scaled by `scale`,
    /// checked.
    pub fn new(scale: f64, gamma: f64) -> std::result::Result<Self, InvalidKey> {
        let c = Self {
            on: true,
            scale,
            gamma,
        };
        c.validate()?;
        Ok(c)
    }

    /// gamma_ir times the scale, if IR drop is on.
    pub fn strength(&self) -> Option<f32> {
        self.on.then_some((self.gamma * self.scale) as f32)
    }
}

const KNOBS: [KnobInfo; 1] = [KnobInfo {
    name: "ir-drop-scale",
    help: "Scale of the IR-drop term",
}];

impl Stage for IrDropConfig {
    fn name(&self) -> &'static str {
        "ir_drop"
    }

    fn error_row(&self) -> Option<&'static str> {
        Some("ir_drop")
    }

    fn is_exact(&self) -> bool {
        !self.on
    }

    fn switch_off(&mut self) {
        self.on = false;
    }

    fn validate(&self) -> std::result::Result<(), InvalidKey> {
        non_negative("ir_drop_scale", self.scale)?;
        non_negative("ir_drop_gamma", self.gamma)?;
        Ok(())
    }

    fn knobs(&self) -> &'static [KnobInfo] {
        &KNOBS
    }

    fn set_knob(&mut self, _knob: &str, value: f64) -> std::result::Result<(), InvalidKey> {
        self.scale = value;
        Ok(())
    }
}

/// The position weights 1 - (1 - j/n)^2, j = 1..n.
pub(crate) fn positions(n: usize) -> Vec<f32> {
    (1..=n)
        .map(|j| {
            let r = 1.0 - j as f32 / n as f32;
            1.0 - r * r
        })
        .collect()
}

/// The position weights as a [1, n] tensor on the device and dtype of `like`.
fn positions_tensor(n: usize, like: &Tensor) -> Result<Tensor> {
    Tensor::from_vec(positions(n), (1, n), like.device())?.to_dtype(like.dtype())
}

/// c(a) = 0.05 a^3 - 0.2 a^2 + 0.5 a (Eq. 17).
fn coefficient(a: &Tensor) -> Result<Tensor> {
    (a.powf(3.0)? * 0.05)? - (a.sqr()? * 0.2)? + (a * 0.5)?
}

/// The correction dy [B, m] for DAC outputs `x` [B, n] and weights `w` [m, n], from tensor ops
/// (Eq. 15-18).
pub fn term(gamma_ir: f32, x: &Tensor, w: &Tensor) -> Result<Tensor> {
    let n = w.dim(1)?;
    let pos = positions_tensor(n, x)?;
    let a = (x.abs()?.matmul(&w.abs()?.t()?)? * (gamma_ir as f64 * n as f64))?;
    let c = coefficient(&a)?;
    let weighted = x.broadcast_mul(&pos)?.matmul(&w.t()?)?;
    (c * weighted)?.neg()
}

/// The correction of one output of a one-hot read-out, from its single term: weight `w` in
/// row `j`, k = gamma_ir n, a = k |w|, correction c(a) w (1 - (1 - j/n)^2) with `position` the
/// last factor. The operations and their order are those of `term` on an identity input (each
/// constant added or multiplied as candle's affine op does), so the numbers are the same.
#[inline(always)]
pub(crate) fn one_hot_correction(k: f32, w: f32, position: f32) -> f32 {
    let a = w.abs() * k + 0.0;
    let c = ((a.powf(3.0) * 0.05 + 0.0) - (a * a * 0.2 + 0.0)) + (a * 0.5 + 0.0);
    c * (w * position)
}

/// (y, a, weighted) -> y - c(k a) weighted with k = gamma_ir n: the fused end of the correction
/// from the sums a = |x| |W|^T and weighted = (x * positions) W^T, added to y in the same pass
/// (in parallel over rows). The gradient passes to y; the correction is a constant.
pub(crate) struct IrCorrected {
    pub k: f32,
}

impl CustomOp3 for IrCorrected {
    fn name(&self) -> &'static str {
        "aimc-ir-corrected"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (y, a, w) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?, f32_slice(s3, l3)?);
        if a.len() != y.len() || w.len() != y.len() {
            candle_core::bail!("aimc-ir-corrected: sums of other shapes than the outputs");
        }
        let m = l1.dims().last().copied().unwrap_or(1);
        let mut out = vec![0.0f32; y.len()];
        par_rows(&mut out, m, |start, block| {
            with_avx2(
                #[inline(always)]
                || {
                    let (y, a, w) = (&y[start..], &a[start..], &w[start..]);
                    for (((o, &y), &a), &w) in block.iter_mut().zip(y).zip(a).zip(w) {
                        let a = self.k * a;
                        *o = y + -(0.05 * a * a * a - 0.2 * a * a + 0.5 * a) * w;
                    }
                },
            )
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _y: &Tensor,
        _a: &Tensor,
        _weighted: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        Ok((Some(grad.clone()), None, None))
    }
}
