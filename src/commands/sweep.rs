//! `aimc sweep`: a trained network programmed onto tiles again and again and evaluated at times
//! after programming (physics.md section 6), written as a report (`sweep.csv`, `sweep.json`,
//! `summary.md`, the drift plot).

use crate::device::resolve_device;
use crate::error::{Error, Result};
use crate::experiment::imported::ImportedSpec;
use crate::experiment::load_task_data;
use crate::experiment::run_dir::{imported_target, resolve};
use crate::experiment::{RunTarget, TaskData};
use crate::progress::{progress_bar, step_callback};
use crate::report::sweep_report::write_report;
use crate::sweep::shard::read_shard;
use crate::sweep::{Shard, SweepResult, SweepSpec, parse_times, run_sweep_jobs, run_sweep_shard};
use crate::tile::{DriftCompensation, TileConfig};
use std::path::{Path, PathBuf};

/// What to sweep, as the command line gives it.
#[derive(Debug, Clone)]
pub struct SweepRequest {
    /// A run directory, a stage directory, a checkpoint file or an imported network's experiment
    /// file.
    pub target: SweepTarget,
    /// Devices to program (names or files); empty: the tile's device.
    pub devices: Vec<String>,
    /// A tile preset or file; None: the experiment's tile.
    pub tile: Option<String>,
    /// Times after programming, e.g. `1s,1h,1d,1y`.
    pub times: String,
    pub reps: usize,
    /// Overrides the tile's drift compensation.
    pub compensation: Option<DriftCompensation>,
    pub seed: u64,
    /// The report directory; None: `reports/<run>-<stage>`.
    pub out: Option<PathBuf>,
    /// Evaluations run in parallel, each on its own copy of the network (`sweep/jobs.rs`).
    pub jobs: usize,
    /// Show a progress bar.
    pub progress: bool,
}

/// What is swept: a path (run directory, checkpoint, experiment file), or an imported network
/// and its data given by flags.
#[derive(Debug, Clone)]
pub enum SweepTarget {
    Path(PathBuf),
    Imported(ImportedSpec),
}

/// What a sweep produced.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    pub results: Vec<SweepResult>,
    /// The files of the report.
    pub files: Vec<PathBuf>,
}

/// Runs the sweep of `req` on the CPU and writes its report.
pub fn sweep(req: &SweepRequest) -> Result<SweepOutcome> {
    let (target, spec, data) = prepare(req)?;
    let total = (spec.devices.len() * spec.reps * spec.times.len()) as u64;
    let bar = progress_bar("sweep", total, req.progress);
    let result = run_sweep_jobs(
        &target,
        &spec,
        &data,
        &candle_core::Device::Cpu,
        req.jobs,
        &mut step_callback(&bar),
    )?;
    bar.finish_and_clear();
    let out = req
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&target.name));
    let results = vec![result];
    let files = write_report(&results, &out)?;
    Ok(SweepOutcome { results, files })
}

/// What a shard did.
#[derive(Debug, Clone)]
pub struct ShardOutcome {
    /// `shard-I-of-N.json` in the report directory.
    pub file: PathBuf,
    /// The file was there already and was kept (no `force`).
    pub kept: bool,
    /// (device, repeat) units this shard evaluated.
    pub units: usize,
}

/// Runs shard `shard` of the sweep of `req` and writes its values into the report directory
/// (atomically); a shard whose file is there already is kept unless `force`.
pub fn sweep_shard(req: &SweepRequest, shard: Shard, force: bool) -> Result<ShardOutcome> {
    let (target, spec, data) = prepare(req)?;
    let out = req
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&target.name));
    let file = out.join(shard.file_name());
    if file.is_file() && !force {
        let done = read_shard(&file)?;
        return Ok(ShardOutcome {
            file,
            kept: true,
            units: done.units.len(),
        });
    }
    let units = (0..spec.devices.len() * spec.reps)
        .filter(|&u| shard.owns(u))
        .count();
    let bar = progress_bar("sweep", (units * spec.times.len()) as u64, req.progress);
    let part = run_sweep_shard(
        &target,
        &spec,
        &data,
        &candle_core::Device::Cpu,
        shard,
        req.jobs,
        &mut step_callback(&bar),
    )?;
    bar.finish_and_clear();
    write_shard(&out, &file, &part)?;
    Ok(ShardOutcome {
        file,
        kept: false,
        units: part.units.len(),
    })
}

/// Writes a shard as JSON into `file` in the report directory `out` (atomically).
pub fn write_shard(out: &Path, file: &Path, part: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(part)
        .map_err(|e| Error::Tensor(format!("serialising the shard: {e}")))?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    crate::fsutil::write_atomic(file, (json + "\n").as_bytes())
}

/// The target, the sweep and the data of `req`, every argument checked.
fn prepare(req: &SweepRequest) -> Result<(RunTarget, SweepSpec, TaskData)> {
    if req.reps == 0 {
        return Err(Error::invalid_argument("--reps", "at least 1", 0));
    }
    let times = parse_times(&req.times)?;
    let target = match &req.target {
        SweepTarget::Path(p) => resolve(p)?,
        SweepTarget::Imported(spec) => imported_target(spec.experiment()?)?,
    };
    let mut tile = match &req.tile {
        Some(t) => TileConfig::resolve(t)?,
        None => target.experiment.config.tile.clone(),
    };
    if let Some(c) = req.compensation {
        tile = tile
            .edit(|t| t.periphery.drift_compensation.mode = c)
            .map_err(|e| e.as_argument("--compensation"))?;
    }
    let devices = if req.devices.is_empty() {
        vec![tile.device.clone()]
    } else {
        req.devices.clone()
    };
    let devices = devices
        .into_iter()
        .map(|d| Ok((d.clone(), resolve_device(&d)?.device)))
        .collect::<Result<Vec<_>>>()?;
    let spec = SweepSpec {
        devices,
        tile,
        times,
        reps: req.reps,
        seed: req.seed,
    };
    let data = load_task_data(&target.experiment)?;
    Ok((target, spec, data))
}
