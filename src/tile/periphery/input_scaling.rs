//! The input range alpha of a tile (physics.md section 3): y = alpha ADC(F(DAC(x / alpha))).
//! `static`: one alpha per tile (`input_range`, learned in HWA training, then frozen); `dynamic`:
//! alpha = max_j |x_j| of each input vector (noise management); `iterative`: dynamic, then the
//! range of the vectors that saturated the ADC doubled and the MVM redone, at most
//! `bm_max_iterations` rounds (bound management). Not a non-ideality by itself: every row of
//! `aimc tile error` keeps it as configured.

use super::adc::Adc;
use super::stage::{Stage, positive};
use crate::error::InvalidKey;
use candle_core::{D, DType, Result, Tensor};
use serde::{Deserialize, Serialize};

/// How the input range alpha of a tile is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum InputScaling {
    /// One alpha per tile, fixed (learned in HWA training): `input_range`.
    Static,
    /// alpha = max_j |x_j| of each input vector (noise management).
    Dynamic,
    /// Dynamic, then doubled and redone for input vectors that saturate the ADC.
    Iterative,
}

/// `input_scaling`, `input_range`, `bm_max_iterations` of a `[tile]` section.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InputScalingConfig {
    #[serde(rename = "input_scaling")]
    pub mode: InputScaling,
    /// Static input range alpha (initial value; learned in HWA training).
    #[serde(rename = "input_range")]
    pub range: f64,
    /// Most rounds of iterative bound management.
    #[serde(rename = "bm_max_iterations")]
    pub max_iterations: u32,
}

impl Default for InputScalingConfig {
    /// The standard tile's: static, alpha = 1 before it is learned; 5 rounds when iterative.
    fn default() -> Self {
        Self {
            mode: InputScaling::Static,
            range: 1.0,
            max_iterations: 5,
        }
    }
}

/// Smallest input range used by dynamic scaling (an all-zero input vector).
const MIN_RANGE: f64 = 1e-12;

impl Stage for InputScalingConfig {
    fn name(&self) -> &'static str {
        "input_scaling"
    }

    fn validate(&self) -> std::result::Result<(), InvalidKey> {
        positive("input_range", self.range)?;
        if self.max_iterations == 0 {
            return Err(InvalidKey::new(
                "bm_max_iterations",
                "at least 1 iteration",
                0,
            ));
        }
        Ok(())
    }
}

impl InputScalingConfig {
    /// Input scaling `mode` with static range `range` and at most `max_iterations` rounds of
    /// bound management, checked.
    pub fn new(
        mode: InputScaling,
        range: f64,
        max_iterations: u32,
    ) -> std::result::Result<Self, InvalidKey> {
        let c = Self {
            mode,
            range,
            max_iterations,
        };
        c.validate()?;
        Ok(c)
    }

    /// Whether one alpha per tile is used (the fused inference pass needs it).
    pub fn is_static(&self) -> bool {
        self.mode == InputScaling::Static
    }

    /// The first round's ranges for inputs `x` [B, n]: the tile's `alpha_static` as [1, 1], or
    /// max_j |x_j| per row [B, 1] (no gradient).
    pub(crate) fn initial_range(&self, x: &Tensor, alpha_static: &Tensor) -> Result<Tensor> {
        match self.mode {
            InputScaling::Static => alpha_static.reshape((1, 1)),
            InputScaling::Dynamic | InputScaling::Iterative => Ok(x
                .abs()?
                .max_keepdim(D::Minus1)?
                .clamp(MIN_RANGE, f64::MAX)?
                .detach()),
        }
    }

    /// After `round` rounds with ranges `alpha` gave ADC outputs `z`: the ranges of the next
    /// round (doubled for the vectors that saturated), or `None` when done.
    pub(crate) fn next_range(
        &self,
        z: &Tensor,
        alpha: &Tensor,
        adc: &Adc,
        round: u32,
    ) -> Result<Option<Tensor>> {
        let (InputScaling::Iterative, Some(q)) = (self.mode, adc.quantizer) else {
            return Ok(None);
        };
        if round >= self.max_iterations {
            return Ok(None);
        }
        let saturated = z.abs()?.ge(q.bound as f64)?.max_keepdim(D::Minus1)?;
        let any = saturated.to_dtype(DType::F32)?;
        if any.sum_all()?.to_scalar::<f32>()? > 0.0 {
            Ok(Some(alpha.broadcast_mul(&(any + 1.0)?)?))
        } else {
            Ok(None)
        }
    }
}
