//! Sensitivity studies (physics.md section 6, paper Fig. 4/5): one non-ideality raised at a
//! time, the metric at one time after programming for each value. `tile-size` is the
//! tile-mapping study: tiles used and accuracy per tile size.

use super::run::{SweepPoint, SweepSpec, run_sweep_units};
use super::sensitivity_shard::{
    SensitivityShard, SensitivityStudy, ValueRun, assemble_sensitivity, unit,
};
use super::shard::Shard;
use super::times::SweepTime;
use crate::device::Device as AnalogDevice;
use crate::error::{Error, Result};
use crate::experiment::{Metric, RunTarget, TaskData};
use crate::models::map::map_model;
use crate::tile::{Knob, TileConfig};
use serde::{Deserialize, Serialize};

/// The metric at one knob value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityRow {
    pub value: f64,
    /// Tiles the network occupies with this configuration.
    pub tiles: usize,
    pub point: SweepPoint,
    /// Energy per inference on the study's hardware (`--hardware`), J.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_j: Option<f64>,
}

/// A whole sensitivity study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityResult {
    pub run: String,
    pub checkpoint: String,
    pub knob: Knob,
    pub device: String,
    pub time_label: String,
    pub time_s: f64,
    /// What `fp`, `chance` and the rows measure (accuracy when absent: older studies).
    #[serde(default)]
    pub metric: Metric,
    pub fp: f64,
    pub chance: f64,
    pub reps: usize,
    pub seed: u64,
    pub rows: Vec<SensitivityRow>,
    /// The hardware file the energies were computed for (`--hardware`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<String>,
}

/// What a sensitivity study evaluates.
#[derive(Debug, Clone)]
pub struct SensitivitySpec {
    pub knob: Knob,
    pub values: Vec<f64>,
    /// The device and the name it is reported under.
    pub device: (String, AnalogDevice),
    /// The tile the knob is applied to.
    pub tile: TileConfig,
    pub time: SweepTime,
    pub reps: usize,
    pub seed: u64,
}

impl SensitivitySpec {
    /// The study's description, as every shard of it records it.
    pub fn study(&self, target: &RunTarget, hardware: Option<String>) -> SensitivityStudy {
        SensitivityStudy {
            run: target.name.clone(),
            checkpoint: target.checkpoint.display().to_string(),
            knob: self.knob,
            values: self.values.clone(),
            device: self.device.0.clone(),
            tile: self.tile.clone(),
            time: self.time.clone(),
            reps: self.reps,
            seed: self.seed,
            hardware,
        }
    }

    /// The tile and device of every value (each checked).
    pub fn configs(&self) -> Result<Vec<(TileConfig, AnalogDevice)>> {
        self.values
            .iter()
            .map(|&v| self.knob.apply(v, &self.tile, &self.device.1))
            .collect()
    }
}

/// Runs the whole study: for each value the sweep of `target` at the study's time, the knob set
/// to the value, its repeats spread over `jobs` threads. `tick` follows every evaluation.
pub fn run_sensitivity(
    target: &RunTarget,
    spec: &SensitivitySpec,
    data: &TaskData,
    compute: &candle_core::Device,
    jobs: usize,
    tick: &mut dyn FnMut(&str),
) -> Result<SensitivityResult> {
    let whole = run_sensitivity_shard(target, spec, data, compute, Shard::WHOLE, jobs, tick)?;
    assemble_sensitivity(&whole.study, &whole.runs)
}

/// Runs the (value, repeat) units of `shard` (`sensitivity_shard.rs`): every value with a unit
/// of the shard is swept with the repeats the shard owns, the noise that of the sequential
/// study. Every value is checked before the first (long) evaluation.
pub fn run_sensitivity_shard(
    target: &RunTarget,
    spec: &SensitivitySpec,
    data: &TaskData,
    compute: &candle_core::Device,
    shard: Shard,
    jobs: usize,
    tick: &mut dyn FnMut(&str),
) -> Result<SensitivityShard> {
    if spec.values.is_empty() {
        return Err(Error::invalid_argument(
            "--values",
            "at least one value",
            "none",
        ));
    }
    let configs = spec.configs()?;
    let mut runs = Vec::new();
    for (index, (t, d)) in configs.into_iter().enumerate() {
        let owned: Vec<usize> = (0..spec.reps)
            .filter(|&rep| shard.owns(unit(index, rep, spec.reps)))
            .collect();
        if owned.is_empty() {
            continue;
        }
        let tiles = map_model(&target.experiment.config.model, t.geometry())?
            .totals
            .total_tiles;
        let sweep = SweepSpec {
            devices: vec![(spec.device.0.clone(), d)],
            tile: t,
            times: vec![spec.time.clone()],
            reps: spec.reps,
            seed: spec.seed,
        };
        let (study, units) = run_sweep_units(target, &sweep, data, compute, &owned, jobs, tick)?;
        runs.push(ValueRun {
            index,
            tiles,
            sweep: study,
            units,
            energy_j: None,
        });
    }
    Ok(SensitivityShard {
        study: spec.study(target, None),
        shard,
        runs,
    })
}

/// Parses `v1,v2,...`.
pub fn parse_values(list: &str) -> Result<Vec<f64>> {
    list.split(',')
        .map(|s| {
            s.trim().parse::<f64>().map_err(|_| {
                Error::invalid_argument("--values", "comma-separated numbers", format!("`{s}`"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse() {
        assert_eq!(parse_values("1, 2.5,3").unwrap(), vec![1.0, 2.5, 3.0]);
        assert!(parse_values("1,x").unwrap_err().to_string().contains("`x`"));
    }
}
