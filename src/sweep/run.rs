//! The time sweep (physics.md section 6): for every device and repeat, program the network anew
//! (its own seed), then for every time read the devices at t (drift and fresh read noise on one
//! trajectory), apply drift compensation and evaluate the whole test set with those weights held
//! fixed. Per (device, time): mean, std, 95 % confidence interval, A* and iso-accuracy.
//! Seeds are keyed by (seed, device name, repeat, time), so adding a device or a time leaves the
//! others' numbers unchanged.

use super::jobs::{in_parallel, split};
use super::noise_cursor::NoiseCursor;
use super::noise_cursor::passes;
use super::shard::{Shard, SweepShard, SweepStudy, UnitValues, assemble};
use super::times::SweepTime;
use crate::device::Device as AnalogDevice;
use crate::error::Result;
use crate::experiment::calibrate::{direct_mapping_ranges, set_input_ranges};
use crate::experiment::evaluate::evaluate;
use crate::experiment::load::target_model;
use crate::experiment::{Metric, RunTarget, Stage, TaskData};
use crate::nn::seeded_init::fnv1a;
use crate::nn::{matrices, program_all, read_all};
use crate::rng::NoiseRng;
use crate::tile::TileConfig;
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

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
    run_sweep_jobs(target, spec, data, device, 1, tick)
}

/// [`run_sweep`] with its (device, repeat) units spread over `jobs` threads, each on its own
/// copy of the programmed network; the result is that of the sequential sweep, byte for byte.
pub fn run_sweep_jobs(
    target: &RunTarget,
    spec: &SweepSpec,
    data: &TaskData,
    device: &Device,
    jobs: usize,
    tick: &mut dyn FnMut(&str),
) -> Result<SweepResult> {
    let whole = run_sweep_shard(target, spec, data, device, Shard::WHOLE, jobs, tick)?;
    assemble(&whole.study, &whole.units)
}

/// Runs the units of `shard` of the sweep of `target` on `data` (`shard.rs`), spread over
/// `jobs` threads; `tick` is called after each evaluation.
pub fn run_sweep_shard(
    target: &RunTarget,
    spec: &SweepSpec,
    data: &TaskData,
    device: &Device,
    shard: Shard,
    jobs: usize,
    tick: &mut dyn FnMut(&str),
) -> Result<SweepShard> {
    let owned: Vec<usize> = (0..spec.devices.len() * spec.reps)
        .filter(|&u| shard.owns(u))
        .collect();
    let (study, units) = run_sweep_units(target, spec, data, device, &owned, jobs, tick)?;
    Ok(SweepShard {
        study,
        shard,
        units,
    })
}

/// Runs `units` (indices in device, repeat order) of the sweep of `target` on `data`: each
/// (device, repeat) programmed and evaluated at every time, with the noise of the sequential
/// sweep (`noise_cursor.rs`), spread over `jobs` threads (`jobs.rs`). The study and the units'
/// values in unit order; `tick` is called after each evaluation.
pub fn run_sweep_units(
    target: &RunTarget,
    spec: &SweepSpec,
    data: &TaskData,
    device: &Device,
    units: &[usize],
    jobs: usize,
    tick: &mut dyn FnMut(&str),
) -> Result<(SweepStudy, Vec<UnitValues>)> {
    let seconds: Vec<f64> = spec.times.iter().map(|t| t.seconds).collect();
    for (name, analog) in &spec.devices {
        crate::device::check_times(&format!("device `{name}`"), analog, &seconds)?;
    }
    let reference = Reference::measure(target, spec, data, device)?;
    let parts = in_parallel(&split(units, jobs), tick, |part, tick| {
        run_units(target, spec, data, device, &reference, part, tick)
    })?;
    let mut done: Vec<(usize, UnitValues)> = parts.into_iter().flatten().collect();
    done.sort_by_key(|(unit, _)| *unit);
    let values = done.into_iter().map(|(_, v)| v).collect();
    let study = SweepStudy {
        run: target.name.clone(),
        checkpoint: target.checkpoint.display().to_string(),
        stage: target.stage.clone(),
        metric: data.metric(),
        fp: reference.fp,
        chance: data.chance(),
        reps: spec.reps,
        seed: spec.seed,
        tile: spec.tile.clone(),
        devices: spec.devices.iter().map(|(n, _)| n.clone()).collect(),
        times: spec.times.clone(),
    };
    Ok((study, values))
}

/// The FP network of a sweep on the swept tile's geometry (its input ranges calibrate a direct
/// mapping tile by tile), its metric, and the forward passes one evaluation runs per matrix.
struct Reference {
    fp_model: crate::models::Model,
    fp: f64,
    passes: Vec<u64>,
    /// The input ranges of a direct mapping, calibrated on `fp_model` by the first job that
    /// needs them (calibration is a state of `fp_model`: one job at a time).
    ranges: Mutex<Option<Vec<Tensor>>>,
}

impl Reference {
    /// Builds the FP network and evaluates it once.
    fn measure(
        target: &RunTarget,
        spec: &SweepSpec,
        data: &TaskData,
        device: &Device,
    ) -> Result<Reference> {
        let (fp_model, _) = target_model(target, true, &spec.tile.digital(), device)?;
        let before = passes(&fp_model);
        let fp = evaluate(&fp_model, data, device)?;
        let passes = passes(&fp_model)
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect();
        Ok(Reference {
            fp_model,
            fp,
            passes,
            ranges: Mutex::new(None),
        })
    }

    /// Sets the input ranges of `model`, mapped directly, as calibrated on the FP network.
    fn calibrate(
        &self,
        model: &crate::models::Model,
        data: &TaskData,
        device: &Device,
    ) -> Result<()> {
        let mut ranges = self.ranges.lock().expect("lock");
        if ranges.is_none() {
            *ranges = Some(direct_mapping_ranges(&self.fp_model, data, device)?);
        }
        set_input_ranges(model, ranges.as_deref().unwrap_or_default())
    }
}

/// Programs and evaluates `units` (indices in device, repeat order) on one copy of the
/// network: each programmed anew (its own seed) and evaluated at every time; each unit's values
/// with its index.
fn run_units(
    target: &RunTarget,
    spec: &SweepSpec,
    data: &TaskData,
    device: &Device,
    reference: &Reference,
    units: &[usize],
    tick: &mut dyn FnMut(&str),
) -> Result<Vec<(usize, UnitValues)>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let (model, stage) = target_model(target, false, &spec.tile, device)?;
    if stage != Stage::Hwa.name() {
        reference.calibrate(&model, data, device)?;
    }
    let mut cursor = NoiseCursor::new(reference.passes.clone());
    let mut done = Vec::with_capacity(units.len());
    for &unit in units {
        let (name, analog) = &spec.devices[unit / spec.reps];
        let rep = unit % spec.reps;
        let key = fnv1a(name);
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
        done.push((
            unit,
            UnitValues {
                device: name.clone(),
                rep,
                values,
            },
        ));
    }
    for m in matrices(&model) {
        m.unprogram();
    }
    Ok(done)
}
