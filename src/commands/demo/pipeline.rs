//! The demo's five steps, each timed and shown with a progress bar: FP training, the sweep of the
//! directly mapped FP weights, HWA fine-tuning from the FP checkpoint, the sweep of the HWA
//! weights, then the report (`report.rs`).

use super::plan::DemoPlan;
use super::report::write_demo_report;
use crate::commands::cost::{CostReport, run_cost_on_tile};
use crate::cost::resolve_hardware;
use crate::device::resolve_device;
use crate::error::Result;
use crate::experiment::checkpoint::EpochRecord;
use crate::experiment::run_dir::{resolve, stage_dir};
use crate::experiment::task::load_image_data;
use crate::experiment::{Stage, TaskData};
use crate::models::map::map_model;
use crate::progress::{progress_bar, step_callback};
use crate::sweep::{SweepResult, SweepSpec, run_sweep};
use crate::tile::layout::ModelMap;
use crate::train::{TrainOptions, train};
use candle_core::Device;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Wall time of one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageTiming {
    pub step: String,
    pub seconds: f64,
}

/// Everything the demo measured.
#[derive(Debug, Clone, Serialize)]
pub struct DemoOutcome {
    pub experiment: String,
    pub description: String,
    /// The experiment file (`models/demo-fashion.toml` for the built-in one).
    pub experiment_file: String,
    pub quick: bool,
    pub train_images: usize,
    pub test_images: usize,
    pub fp_history: Vec<EpochRecord>,
    pub hwa_history: Vec<EpochRecord>,
    /// The sweep of the FP checkpoint, mapped directly.
    pub direct: SweepResult,
    /// The sweep of the HWA checkpoint.
    pub hwa: SweepResult,
    /// How the network lies on the experiment's tiles.
    pub map: ModelMap,
    /// What one inference of the HWA network costs on the HERMES core's figures, on the
    /// experiment's tile (`aimc cost`).
    pub cost: CostReport,
    pub timings: Vec<StageTiming>,
    /// The files of the report.
    #[serde(skip)]
    pub files: Vec<PathBuf>,
}

/// The hardware file the demo's cost section uses.
pub const DEMO_HARDWARE: &str = "hermes";

/// The sweeps' run names (the table's rows and the plot's legend).
pub const DIRECT_LABEL: &str = "direct mapping";
pub const HWA_LABEL: &str = "hardware-aware (HWA)";

/// Runs the demo of `plan` on `device`; progress bars and a line per step on stderr when
/// `progress`. Writes the checkpoints into `plan.run_dir` and the report into `plan.out_dir`.
pub fn run_demo(plan: &DemoPlan, device: &Device, progress: bool) -> Result<DemoOutcome> {
    let exp = &plan.experiment;
    let say = |step: usize, what: &str| {
        if progress {
            eprintln!("[{step}/5] {what}");
        }
    };
    let mut timings = Vec::new();
    let mut timed = |step: &str, start: Instant| {
        timings.push(StageTiming {
            step: step.into(),
            seconds: start.elapsed().as_secs_f64(),
        })
    };

    let start = Instant::now();
    let data = TaskData::Images(load_image_data(exp)?);
    timed("data", start);
    let train = |stage: Stage| {
        train(
            exp,
            &data,
            &TrainOptions {
                stage,
                out_dir: plan.run_dir.clone(),
                epochs: None,
                resume: false,
                device: device.clone(),
                progress,
            },
        )
    };

    say(1, &format!("floating-point training: {}", data.describe()));
    let start = Instant::now();
    let fp = train(Stage::Fp)?;
    timed("fp training", start);

    say(
        2,
        "direct mapping: the FP weights programmed onto tiles, read over time",
    );
    let start = Instant::now();
    let direct = sweep(plan, Stage::Fp, DIRECT_LABEL, &data, device, progress)?;
    timed("direct-mapping sweep", start);

    say(3, "hardware-aware fine-tuning from the FP checkpoint");
    let start = Instant::now();
    let hwa = train(Stage::Hwa)?;
    timed("hwa training", start);

    say(4, "the HWA weights programmed onto tiles, read over time");
    let start = Instant::now();
    let hwa_sweep = sweep(plan, Stage::Hwa, HWA_LABEL, &data, device, progress)?;
    timed("hwa sweep", start);

    say(5, "tile map and report");
    let start = Instant::now();
    let map = map_model(&exp.config.model, exp.config.tile.geometry())?;
    let cost = run_cost_on_tile(
        &plan.run_dir,
        &resolve_hardware(DEMO_HARDWARE)?,
        &exp.config.tile,
    )?;
    let mut outcome = DemoOutcome {
        experiment: exp.config.experiment.name.clone(),
        description: exp.config.experiment.description.clone(),
        experiment_file: exp.file.clone(),
        quick: plan.quick,
        train_images: data.sizes().0,
        test_images: data.sizes().1,
        fp_history: fp.history,
        hwa_history: hwa.history,
        direct,
        hwa: hwa_sweep,
        map,
        cost,
        timings: Vec::new(),
        files: Vec::new(),
    };
    timed("tile map and cost", start);
    outcome.timings = timings;
    outcome.files = write_demo_report(&outcome, plan)?;
    Ok(outcome)
}

/// Sweeps the checkpoint of `stage` on the experiment's tile and device.
fn sweep(
    plan: &DemoPlan,
    stage: Stage,
    label: &str,
    data: &TaskData,
    device: &Device,
    progress: bool,
) -> Result<SweepResult> {
    let target = resolve(&stage_dir(&plan.run_dir, stage))?;
    let tile = plan.experiment.config.tile.clone();
    let analog = resolve_device(&tile.device)?.device;
    let spec = SweepSpec {
        devices: vec![(tile.device.clone(), analog)],
        tile,
        times: plan.times.clone(),
        reps: plan.reps,
        seed: plan.seed,
    };
    let bar = progress_bar(
        &format!("{label} sweep"),
        (plan.reps * plan.times.len()) as u64,
        progress,
    );
    let mut result = run_sweep(&target, &spec, data, device, &mut step_callback(&bar))?;
    bar.finish_and_clear();
    result.run = label.into();
    Ok(result)
}
