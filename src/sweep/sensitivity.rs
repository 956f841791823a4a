//! Sensitivity studies (physics.md section 6, paper Fig. 4/5): one non-ideality raised at a
//! time, the metric at one time after programming for each value. `tile-size` is the
//! tile-mapping study: tiles used and accuracy per tile size.

use super::run::{SweepPoint, SweepSpec, run_sweep};
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

/// Runs the study: for each value the sweep of `target` at `time` on `tile` with `device`
/// (named `device_name`), the knob set to the value. `tick` follows every evaluation.
#[allow(clippy::too_many_arguments)]
pub fn run_sensitivity(
    target: &RunTarget,
    knob: Knob,
    values: &[f64],
    (device_name, device): (&str, &AnalogDevice),
    tile: &TileConfig,
    time: &SweepTime,
    (reps, seed): (usize, u64),
    data: &TaskData,
    compute: &candle_core::Device,
    tick: &mut dyn FnMut(&str),
) -> Result<SensitivityResult> {
    // Every value is checked before the first (long) evaluation.
    let configs = values
        .iter()
        .map(|&v| knob.apply(v, tile, device))
        .collect::<Result<Vec<_>>>()?;
    let mut rows = Vec::new();
    let mut last = None;
    for (&value, (t, d)) in values.iter().zip(configs) {
        let tiles = map_model(&target.experiment.config.model, t.geometry())?
            .totals
            .total_tiles;
        let spec = SweepSpec {
            devices: vec![(device_name.to_string(), d)],
            tile: t,
            times: vec![time.clone()],
            reps,
            seed,
        };
        let r = run_sweep(target, &spec, data, compute, tick)?;
        rows.push(SensitivityRow {
            value,
            tiles,
            point: r.points[0].clone(),
            energy_j: None,
        });
        last = Some(r);
    }
    let r =
        last.ok_or_else(|| Error::invalid_argument("--values", "at least one value", "none"))?;
    Ok(SensitivityResult {
        run: r.run,
        checkpoint: r.checkpoint,
        knob,
        device: device_name.to_string(),
        time_label: time.label.clone(),
        time_s: time.seconds,
        metric: r.metric,
        fp: r.fp,
        chance: r.chance,
        reps,
        seed,
        rows,
        hardware: None,
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
