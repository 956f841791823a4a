//! `aimc sensitivity`: the metric at one time after programming while one non-ideality is raised
//! (or the tile size changed), written as a report (`sensitivity.csv`, `sensitivity.json`,
//! `summary.md`, the plot).

use crate::commands::cost::costs_on_tiles;
use crate::commands::sweep::{ShardOutcome, write_shard};
use crate::cost::Hardware;
use crate::cost::resolve_hardware;
use crate::device::resolve_device;
use crate::error::{Error, Result};
use crate::experiment::load_task_data;
use crate::experiment::run_dir::resolve;
use crate::experiment::{RunTarget, TaskData};
use crate::progress::{progress_bar, step_callback};
use crate::report::sensitivity_report::write_sensitivity_report;
use crate::sweep::SweepTime;
use crate::sweep::sensitivity::{
    SensitivityResult, SensitivitySpec, parse_values, run_sensitivity_shard,
};
use crate::sweep::sensitivity_shard::{SensitivityShard, assemble_sensitivity};
use crate::sweep::shard::{Shard, read_json};
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
    /// Evaluations run in parallel, each on its own copy of the network (`sweep/jobs.rs`).
    pub jobs: usize,
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
    let (target, spec, hardware, data) = prepare(req)?;
    let bar = progress_bar(
        "sensitivity",
        (spec.values.len() * spec.reps) as u64,
        req.progress,
    );
    let mut whole = run_sensitivity_shard(
        &target,
        &spec,
        &data,
        &candle_core::Device::Cpu,
        Shard::WHOLE,
        req.jobs,
        &mut step_callback(&bar),
    )?;
    bar.finish_and_clear();
    add_energies(hardware.as_ref(), &target, &spec, &mut whole)?;
    let result = assemble_sensitivity(&whole.study, &whole.runs)?;
    let files = write_sensitivity_report(&result, &out_dir(req, &target))?;
    Ok(SensitivityOutcome { result, files })
}

/// Runs shard `shard` of the study of `req` and writes it into the report directory
/// (atomically); a shard whose file is there already is kept unless `force`.
pub fn sensitivity_shard(
    req: &SensitivityRequest,
    shard: Shard,
    force: bool,
) -> Result<ShardOutcome> {
    let (target, spec, hardware, data) = prepare(req)?;
    let out = out_dir(req, &target);
    let file = out.join(shard.file_name());
    if file.is_file() && !force {
        let done: SensitivityShard = read_json(&file, "aimc sensitivity")?;
        return Ok(ShardOutcome {
            file,
            kept: true,
            units: done.runs.iter().map(|r| r.units.len()).sum(),
        });
    }
    let units = (0..spec.values.len() * spec.reps)
        .filter(|&u| shard.owns(u))
        .count();
    let bar = progress_bar("sensitivity", units as u64, req.progress);
    let mut part = run_sensitivity_shard(
        &target,
        &spec,
        &data,
        &candle_core::Device::Cpu,
        shard,
        req.jobs,
        &mut step_callback(&bar),
    )?;
    bar.finish_and_clear();
    add_energies(hardware.as_ref(), &target, &spec, &mut part)?;
    write_shard(&out, &file, &part)?;
    Ok(ShardOutcome {
        file,
        kept: false,
        units,
    })
}

/// The report directory of `req`.
fn out_dir(req: &SensitivityRequest, target: &RunTarget) -> PathBuf {
    req.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-{}", target.name, req.knob.name()))
    })
}

/// The energy per inference of every value `part` evaluated, on the tile of that value.
fn add_energies(
    hardware: Option<&Hardware>,
    target: &RunTarget,
    spec: &SensitivitySpec,
    part: &mut SensitivityShard,
) -> Result<()> {
    let Some(hw) = hardware else {
        return Ok(());
    };
    let configs = spec.configs()?;
    let tiles: Vec<TileConfig> = part
        .runs
        .iter()
        .map(|r| configs[r.index].0.clone())
        .collect();
    let costs = costs_on_tiles(hw, &target.experiment, &tiles)?;
    for (run, c) in part.runs.iter_mut().zip(costs) {
        run.energy_j = Some(c.energy_total);
    }
    part.study.hardware = Some(hw.name.clone());
    Ok(())
}

/// The target, the study, the hardware and the data of `req`, every argument checked.
fn prepare(
    req: &SensitivityRequest,
) -> Result<(RunTarget, SensitivitySpec, Option<Hardware>, TaskData)> {
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
    let spec = SensitivitySpec {
        knob: req.knob,
        values,
        device: (device_name, device),
        tile,
        time,
        reps: req.reps,
        seed: req.seed,
    };
    spec.configs()?;
    let hardware = req.hardware.as_deref().map(resolve_hardware).transpose()?;
    let data = load_task_data(&target.experiment)?;
    Ok((target, spec, hardware, data))
}
