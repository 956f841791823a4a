//! The time sweep (physics.md section 6): for every device and repeat, program the network anew
//! (its own seed), then for every time read the devices at t (drift and fresh read noise on one
//! trajectory), apply drift compensation and evaluate the whole test set with those weights held
//! fixed. Per (device, time): mean, std, 95 % confidence interval, A* and iso-accuracy.
//! Seeds are keyed by (seed, device name, repeat, time), so adding a device or a time leaves the
//! others' numbers unchanged.

use super::noise_cursor::NoiseCursor;
use super::shard::{Shard, SweepShard, SweepStudy, UnitValues, assemble};
use super::times::SweepTime;
use crate::device::Device as AnalogDevice;
use crate::error::Result;
use crate::experiment::calibrate::calibrate_direct_mapping;
use crate::experiment::evaluate::evaluate;
use crate::experiment::load::target_model;
use crate::experiment::{Metric, RunTarget, Stage, TaskData};
use crate::nn::seeded_init::fnv1a;
use crate::nn::{matrices, program_all, read_all};
use crate::rng::NoiseRng;
use crate::tile::TileConfig;
use candle_core::Device;
use serde::{Deserialize, Serialize};

/// What to sweep.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// The devices, each with the name it is reported under.
    pub devices: Vec<(String, AnalogDevice)>,
    /// The tile the network is programmed onto (its drift compensation applies).
    pub tile: TileConfig,
    pub times: Vec<SweepTime>,
    pub reps: usize,
    pub seed: u64,
}

/// The metric at one (device, time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    pub device: String,
    pub time_label: String,
    pub time_s: f64,
    /// The metric of each repeat.
    pub values: Vec<f64>,
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// A* of the mean (Eq. 3).
    pub a_star: f64,
    pub iso_accurate: bool,
}

/// A whole sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// `<run>-<stage>`.
    pub run: String,
    pub checkpoint: String,
    pub stage: String,
    /// `accuracy` (higher is better) or `perplexity` (lower is better).
    pub metric: Metric,
    /// The metric of the FP model (digital).
    pub fp: f64,
    /// The chance level: 1 / classes, or the vocabulary size for the perplexity.
    pub chance: f64,
    pub reps: usize,
    pub seed: u64,
    /// The tile configuration programmed (device field aside).
    pub tile: TileConfig,
    pub points: Vec<SweepPoint>,
}

/// Runs the sweep of `target` on `data`; `tick` is called after each evaluation.
pub fn run_sweep(
    target: &RunTarget,
    spec: &SweepSpec,
    data: &TaskData,
    device: &Device,
    tick: &mut dyn FnMut(&str),
) -> Result<SweepResult> {
    let whole = run_sweep_shard(target, spec, data, device, Shard::WHOLE, tick)?;
    assemble(&whole.study, &whole.units)
}

/// Runs the units of `shard` of the sweep of `target` on `data` (`shard.rs`): each (device,
/// repeat) it owns programmed and evaluated at every time, with the noise of the sequential
/// sweep (`noise_cursor.rs`); `tick` is called after each evaluation.
pub fn run_sweep_shard(
    target: &RunTarget,
    spec: &SweepSpec,
    data: &TaskData,
    device: &Device,
    shard: Shard,
    tick: &mut dyn FnMut(&str),
) -> Result<SweepShard> {
    let seconds: Vec<f64> = spec.times.iter().map(|t| t.seconds).collect();
    for (name, analog) in &spec.devices {
        crate::device::check_times(&format!("device `{name}`"), analog, &seconds)?;
    }
    // The digital network on the swept tile's geometry (its input ranges calibrate a direct
    // mapping tile by tile).
    let digital = spec.tile.digital();
    let (fp_model, _) = target_model(target, true, &digital, device)?;
    let metric = data.metric();
    let fp = evaluate(&fp_model, data, device)?;
    let chance = data.chance();
    let (model, stage) = target_model(target, false, &spec.tile, device)?;
    if stage != Stage::Hwa.name() {
        calibrate_direct_mapping(&fp_model, &model, data, device)?;
    }
    drop(fp_model);
    let mut cursor = NoiseCursor::default();
    let mut units = Vec::new();
    for (d, (name, analog)) in spec.devices.iter().enumerate() {
        let key = fnv1a(name);
        for rep in 0..spec.reps {
            let unit = d * spec.reps + rep;
            if !shard.owns(unit) {
                continue;
            }
            program_all(
                &model,
                analog,
                NoiseRng::stream(spec.seed, &[key, rep as u64]).next_u64(),
            )?;
            let mut values = Vec::with_capacity(spec.times.len());
            for (k, t) in spec.times.iter().enumerate() {
                let read_seed =
                    NoiseRng::stream(spec.seed, &[key, rep as u64, t.seconds.to_bits()]).next_u64();
                read_all(&model, t.seconds, read_seed)?;
                let index = (unit * spec.times.len() + k) as u64;
                values.push(cursor.evaluate_at(&model, index, || evaluate(&model, data, device))?);
                tick(&format!("{name} rep {} t = {}", rep + 1, t.label));
            }
            units.push(UnitValues {
                device: name.clone(),
                rep,
                values,
            });
        }
    }
    for m in matrices(&model) {
        m.unprogram();
    }
    Ok(SweepShard {
        study: SweepStudy {
            run: target.name.clone(),
            checkpoint: target.checkpoint.display().to_string(),
            stage: target.stage.clone(),
            metric,
            fp,
            chance,
            reps: spec.reps,
            seed: spec.seed,
            tile: spec.tile.clone(),
            devices: spec.devices.iter().map(|(n, _)| n.clone()).collect(),
            times: spec.times.clone(),
        },
        shard,
        units,
    })
}
