//! Short-term read noise of the weights, referred to the output (physics.md section 3): per
//! output i a Gaussian of std sigma_i = sigma_read sqrt(sum_j |w~_ij| x_j^2) (sigma_read = 0.0175,
//! key `read_noise`), redrawn at every MVM and added in variance to the output noise
//! (`output_noise.rs`). Its sums v_i = sum_j |w~_ij| x_j^2 are a side product of the array
//! (`array.rs`).

use super::stage::{KnobInfo, Stage, non_negative};
use crate::error::InvalidKey;
use candle_core::{Result, Tensor};
use serde::{Deserialize, Serialize};

/// `read_noise` of a `[tile]` section.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadNoiseConfig {
    /// sigma_read: sigma_i = sigma_read sqrt(sum_j |w_ij| x_j^2).
    #[serde(rename = "read_noise")]
    pub sigma: f64,
}

impl Default for ReadNoiseConfig {
    /// The standard tile's: 0.0175.
    fn default() -> Self {
        Self { sigma: 0.0175 }
    }
}

impl ReadNoiseConfig {
    /// Read noise of strength `sigma`, checked.
    pub fn new(sigma: f64) -> std::result::Result<Self, InvalidKey> {
        let c = Self { sigma };
        c.validate()?;
        Ok(c)
    }
}

const KNOBS: [KnobInfo; 1] = [KnobInfo {
    name: "read-noise",
    help: "Short-term read noise referred to the output",
}];

impl Stage for ReadNoiseConfig {
    fn name(&self) -> &'static str {
        "read_noise"
    }

    fn error_row(&self) -> Option<&'static str> {
        Some("read_noise")
    }

    fn is_exact(&self) -> bool {
        self.sigma == 0.0
    }

    fn switch_off(&mut self) {
        self.sigma = 0.0;
    }

    fn validate(&self) -> std::result::Result<(), InvalidKey> {
        non_negative("read_noise", self.sigma)?;
        Ok(())
    }

    fn knobs(&self) -> &'static [KnobInfo] {
        &KNOBS
    }

    fn set_knob(&mut self, _knob: &str, value: f64) -> std::result::Result<(), InvalidKey> {
        self.sigma = value;
        Ok(())
    }
}

/// The read-noise sums v = x^2 |W|^T [B, m] of DAC outputs `x` [B, n] and |weights| `w_abs`
/// [m, n], from tensor ops.
pub(crate) fn variance_sums(x: &Tensor, w_abs: &Tensor) -> Result<Tensor> {
    x.sqr()?.matmul(&w_abs.t()?)
}

/// The std of one output of a one-hot read-out from its single weight `w`:
/// sqrt(read^2 |w| + out^2), with the constants rounded and applied as candle's affine op does.
#[inline(always)]
pub(crate) fn one_hot_std(w: f32, out: f32, read: f32) -> f32 {
    let (r2, o2) = ((read as f64).powi(2) as f32, (out as f64).powi(2) as f32);
    ((w.abs() * r2 + 0.0) * 1.0 + o2).sqrt()
}
