//! `aimc sensitivity`: the metric at one time after programming while one non-ideality is raised
//! (or the tile size changed), written as a report (`sensitivity.csv`, `sensitivity.json`,
//! `summary.md`, the plot).

use crate::commands::cost::costs_on_tiles;
use crate::cost::resolve_hardware;
use crate::device::resolve_device;
use crate::error::{Error, Result};
use crate::experiment::load_task_data;
use crate::experiment::run_dir::resolve;
use crate::progress::{progress_bar, step_callback};
use crate::report::sensitivity_report::write_sensitivity_report;
use crate::sweep::SweepTime;
use crate::sweep::sensitivity::{SensitivityResult, parse_values, run_sensitivity};
use crate::sweep::times::parse_time;
use crate::tile::{Knob, TileConfig};
use std::path::PathBuf;

/// A sensitivity study, as the command line gives it.
#[derive(Debug, Clone)]
pub struct SensitivityRequest {
    /// A run directory, a stage directory or a checkpoint file.
    pub target: PathBuf,
    pub knob: Knob,
    /// The knob's values, comma-separated.
    pub values: String,
    /// The time after programming, e.g. `1h`.
    pub time: String,
    pub reps: usize,
    /// The device; None: the tile's.
    pub device: Option<String>,
    /// A tile preset or file; None: the experiment's tile.
    pub tile: Option<String>,
    pub seed: u64,
    /// A hardware file (name or path): the energy per inference of each value beside its
    /// metric, and the trade-off plot.
    pub hardware: Option<String>,
    /// The report directory; None: `reports/<run>-<stage>-<knob>`.
    pub out: Option<PathBuf>,
    /// Show a progress bar.
    pub progress: bool,
}

/// What a study produced.
#[derive(Debug, Clone)]
pub struct SensitivityOutcome {
    pub result: SensitivityResult,
    /// The files of the report.
    pub files: Vec<PathBuf>,
}

/// Runs the study of `req` on the CPU (every value checked first) and writes its report.
pub fn sensitivity(req: &SensitivityRequest) -> Result<SensitivityOutcome> {
    if req.reps == 0 {
        return Err(Error::invalid_argument("--reps", "at least 1", 0));
    }
    let values = parse_values(&req.values)?;
    let time = SweepTime {
        seconds: parse_time(&req.time)?,
        label: req.time.trim().to_string(),
    };
    let target = resolve(&req.target)?;
    let tile = match &req.tile {
        Some(t) => TileConfig::resolve(t)?,
        None => target.experiment.config.tile.clone(),
    };
    let device_name = req.device.clone().unwrap_or_else(|| tile.device.clone());
    let device = resolve_device(&device_name)?.device;
    let configs = values
        .iter()
        .map(|&v| Ok(req.knob.apply(v, &tile, &device)?.0))
        .collect::<Result<Vec<_>>>()?;
    let hardware = req.hardware.as_deref().map(resolve_hardware).transpose()?;
    let data = load_task_data(&target.experiment)?;
    let bar = progress_bar(
        "sensitivity",
        (values.len() * req.reps) as u64,
        req.progress,
    );
    let mut result = run_sensitivity(
        &target,
        req.knob,
        &values,
        (&device_name, &device),
        &tile,
        &time,
        (req.reps, req.seed),
        &data,
        &candle_core::Device::Cpu,
        &mut step_callback(&bar),
    )?;
    bar.finish_and_clear();
    if let Some(hw) = hardware {
        let costs = costs_on_tiles(&hw, &target.experiment, &configs)?;
        for (row, c) in result.rows.iter_mut().zip(costs) {
            row.energy_j = Some(c.energy_total);
        }
        result.hardware = Some(hw.name.clone());
    }
    let out = req.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-{}", target.name, req.knob.name()))
    });
    let files = write_sensitivity_report(&result, &out)?;
    Ok(SensitivityOutcome { result, files })
}
