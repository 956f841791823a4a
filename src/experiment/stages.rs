//! The `[fp]` and `[hwa]` sections of an experiment (physics.md section 5): epochs, batch size,
//! optimiser, schedule, gradient clipping; for the hardware-aware stage the weight noise and its
//! ramp, drop-connect, clipping, remapping, learned output scales and input ranges, the
//! crossbar-aware learning rates and distillation from the FP model. The training itself is in
//! `train/`.

use super::data_section::yes;
use super::optimizer::{OptimizerConfig, SgdConfig};
use super::schedule::Schedule;
use serde::{Deserialize, Serialize};

/// `[fp]`: the floating-point stage (the `ideal` tile preset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FpStage {
    pub epochs: usize,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    #[serde(default = "default_schedule")]
    pub schedule: Schedule,
    /// Largest global gradient norm (0 = no clipping; the language model's is 0.25).
    #[serde(default)]
    pub grad_clip: f64,
}

fn default_batch() -> usize {
    128
}

fn default_schedule() -> Schedule {
    Schedule::Cosine { min_lr: 0.0 }
}

/// Which weight noise the HWA stage injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseKind {
    /// The built-in PCM device's programming noise plus read noise (physics.md section 5).
    Pcm,
    /// The same, from the device of the `[tile]` section.
    Device,
    /// w~ + sigma xi.
    Additive,
    /// w~ (1 + sigma xi).
    Multiplicative,
    None,
}

/// `[hwa.noise]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoiseConfig {
    pub kind: NoiseKind,
    /// Final noise scale (multiplies the device noise, or sigma).
    pub scale: f64,
    /// Epochs over which the scale ramps linearly from 0 (0 = full scale from the start).
    pub ramp_epochs: f64,
    /// sigma of the additive and multiplicative kinds.
    pub sigma: f64,
    /// Accumulated read noise of the device kinds, seconds after programming.
    pub read_time_s: f64,
}

impl Default for NoiseConfig {
    fn default() -> Self {
        Self {
            kind: NoiseKind::Pcm,
            scale: 3.0,
            ramp_epochs: 10.0,
            sigma: 0.02,
            read_time_s: 20.0,
        }
    }
}

/// `[hwa]`: the hardware-aware stage, started from the FP checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HwaStage {
    pub epochs: usize,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    #[serde(default = "default_hwa_optimizer")]
    pub optimizer: OptimizerConfig,
    #[serde(default = "default_schedule")]
    pub schedule: Schedule,
    /// Largest global gradient norm (0 = no clipping).
    #[serde(default)]
    pub grad_clip: f64,
    #[serde(default)]
    pub noise: NoiseConfig,
    /// Probability of dropping each weight per mini-batch.
    #[serde(default)]
    pub drop_connect: f64,
    /// Clip the normalised analog weights to [-1, 1] after every step.
    #[serde(default = "yes")]
    pub clip: bool,
    /// Recompute the output scales (max |w~| = 1 per column) after every epoch.
    #[serde(default)]
    pub remap_every_epoch: bool,
    #[serde(default = "yes")]
    pub learn_out_scales: bool,
    #[serde(default = "yes")]
    pub learn_input_ranges: bool,
    /// Batches over which the input ranges are initialised from data (0 = keep the start value).
    #[serde(default = "default_init_batches")]
    pub input_range_init_batches: usize,
    /// The initial range is min(abs-max, this many standard deviations) of a tile's inputs.
    #[serde(default = "default_std_factor")]
    pub input_range_std_factor: f64,
    /// Scale each analog weight's learning rate by sqrt(3 / n_in) of its tiles.
    #[serde(default = "yes")]
    pub lr_scaling: bool,
    #[serde(default)]
    pub distillation: Distillation,
}

fn default_hwa_optimizer() -> OptimizerConfig {
    OptimizerConfig::Sgd(SgdConfig {
        lr: 0.01,
        ..super::SgdConfig::default()
    })
}

fn default_init_batches() -> usize {
    10
}

fn default_std_factor() -> f64 {
    3.0
}

/// Knowledge-distillation options.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Distillation {
    pub enabled: bool,
    pub temperature: f64,
    /// Weight w of the distillation term; 1 - w goes to the cross-entropy.
    pub weight: f64,
}

impl Default for Distillation {
    fn default() -> Self {
        Self {
            enabled: true,
            temperature: 10.0,
            weight: 0.75,
        }
    }
}
