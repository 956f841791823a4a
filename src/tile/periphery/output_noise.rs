//! Output noise (physics.md section 3, Eq. 14): Gaussian noise added to every output before the
//! ADC, sigma_out = 0.04 in units of the normalised output (key `out_noise`), redrawn at every
//! MVM. With read noise on (`read_noise.rs`) the two add in variance:
//! std_i = sqrt(sigma_out^2 + sigma_read^2 v_i), v_i = sum_j |w_ij| x_j^2.
//! The noise is drawn from our seeded stream in element order, the same on every path.

use super::stage::{KnobInfo, Stage, non_negative};
use crate::error::InvalidKey;
use crate::rng::fill_normal_blocks;
use candle_core::{Result, Tensor};
use serde::{Deserialize, Serialize};

/// `out_noise` of a `[tile]` section.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputNoiseConfig {
    /// sigma_out, in units of the normalised output.
    #[serde(rename = "out_noise")]
    pub sigma: f64,
}

impl Default for OutputNoiseConfig {
    /// The standard tile's: 0.04.
    fn default() -> Self {
        Self { sigma: 0.04 }
    }
}

impl OutputNoiseConfig {
    /// Output noise of std `sigma`, checked.
    pub fn new(sigma: f64) -> std::result::Result<Self, InvalidKey> {
        let c = Self { sigma };
        c.validate()?;
        Ok(c)
    }
}

const KNOBS: [KnobInfo; 1] = [KnobInfo {
    name: "out-noise",
    help: "Output noise sigma_out",
}];

impl Stage for OutputNoiseConfig {
    fn name(&self) -> &'static str {
        "out_noise"
    }

    fn error_row(&self) -> Option<&'static str> {
        Some("out_noise")
    }

    fn is_exact(&self) -> bool {
        self.sigma == 0.0
    }

    fn switch_off(&mut self) {
        self.sigma = 0.0;
    }

    fn validate(&self) -> std::result::Result<(), InvalidKey> {
        non_negative("out_noise", self.sigma)?;
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

/// The standard deviation of the noise added before the ADC.
#[derive(Debug, Clone)]
pub enum NoiseStd {
    /// The same std for every output.
    Uniform(f32),
    /// One std per output (same shape as the outputs).
    PerElement(Tensor),
    /// std = sqrt(out^2 + read^2 v) per output, from the read-noise sums v.
    ReadVariance { sums: Tensor, out: f32, read: f32 },
}

impl NoiseStd {
    /// Whether the noise is zero everywhere (nothing is drawn).
    pub fn is_zero(&self) -> bool {
        matches!(self, NoiseStd::Uniform(s) if *s == 0.0)
    }

    /// `y` plus the noise drawn from stream `seed`, from tensor ops (any device); the noise is
    /// a constant for the gradient.
    pub fn add_composite(&self, y: &Tensor, seed: u64) -> Result<Tensor> {
        let n = y.elem_count();
        let draw = || -> Result<Tensor> {
            let mut xi = vec![0.0f32; n];
            fill_normal_blocks(seed, &mut xi);
            Tensor::from_vec(xi, y.shape(), y.device())?.to_dtype(y.dtype())
        };
        match self {
            NoiseStd::Uniform(std) if *std > 0.0 => y + (draw()? * *std as f64)?.detach(),
            NoiseStd::Uniform(_) => Ok(y.clone()),
            NoiseStd::PerElement(std) => y + (draw()? * std)?.detach(),
            NoiseStd::ReadVariance { sums, out, read } => {
                let std = ((sums * (*read as f64).powi(2))? + (*out as f64).powi(2))?.sqrt()?;
                y + (draw()? * std)?.detach()
            }
        }
    }
}

/// The standard deviations of a CPU pass: [`NoiseStd`] with its tensors as slices.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StdSlice<'a> {
    Uniform(f32),
    PerElement(&'a [f32]),
    ReadVariance {
        sums: &'a [f32],
        out: f32,
        read: f32,
    },
}

impl StdSlice<'_> {
    /// The number of stds (None: one for all).
    pub fn len(&self) -> Option<usize> {
        match self {
            StdSlice::Uniform(_) => None,
            StdSlice::PerElement(s) => Some(s.len()),
            StdSlice::ReadVariance { sums, .. } => Some(sums.len()),
        }
    }

    /// The stds from output `start` on.
    pub fn range(&self, start: usize) -> Self {
        match *self {
            StdSlice::Uniform(s) => StdSlice::Uniform(s),
            StdSlice::PerElement(s) => StdSlice::PerElement(&s[start..]),
            StdSlice::ReadVariance { sums, out, read } => StdSlice::ReadVariance {
                sums: &sums[start..],
                out,
                read,
            },
        }
    }
}

/// The noise pass: `xi` (standard normal draws, one per output) becomes y + std xi.
#[inline(always)]
pub(crate) fn add_noise(y: &[f32], std: StdSlice<'_>, xi: &mut [f32]) {
    match std {
        StdSlice::Uniform(s) => {
            for (x, &y) in xi.iter_mut().zip(y) {
                *x = y + s * *x;
            }
        }
        StdSlice::PerElement(s) => {
            for ((x, &y), &s) in xi.iter_mut().zip(y).zip(s) {
                *x = y + s * *x;
            }
        }
        StdSlice::ReadVariance { sums, out, read } => {
            let (o2, r2) = (out * out, read * read);
            for ((x, &y), &v) in xi.iter_mut().zip(y).zip(sums) {
                *x = y + (o2 + r2 * v).sqrt() * *x;
            }
        }
    }
}
