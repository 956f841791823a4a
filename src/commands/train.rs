//! `aimc train`: the FP and HWA stages of an experiment file (physics.md section 5), each with a
//! checkpoint per epoch in the run directory, resumable.

use crate::error::{Error, Result};
use crate::experiment::{Experiment, Metric, Stage, load_task_data};
use crate::train::{StageOutcome, TrainOptions, train as train_stage};
use candle_core::Device;
use std::path::PathBuf;

/// Which stages to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stages {
    Fp,
    Hwa,
    /// FP, then HWA if the experiment has an `[hwa]` section.
    All,
}

/// A training run, as the command line gives it.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    pub experiment: PathBuf,
    pub stages: Stages,
    /// The run directory; None: `runs/<experiment name>`.
    pub out: Option<PathBuf>,
    /// Overrides each stage's epochs.
    pub epochs: Option<usize>,
    pub resume: bool,
    pub device: Device,
    /// Progress bars and a line per epoch.
    pub progress: bool,
}

/// What the stages produced.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// What the histories measure.
    pub metric: Metric,
    /// What a stage counts per second: `images`, `words` or `sentences`.
    pub items: &'static str,
    pub stages: Vec<(Stage, StageOutcome)>,
}

/// Runs the stages of `req`.
pub fn train(req: &TrainRequest) -> Result<TrainOutcome> {
    if req.epochs == Some(0) {
        return Err(Error::invalid_argument("--epochs", "at least 1", 0));
    }
    let exp = Experiment::load(&req.experiment)?;
    let stages = match req.stages {
        Stages::Fp => vec![Stage::Fp],
        Stages::Hwa => vec![Stage::Hwa],
        Stages::All if exp.config.hwa.is_some() => vec![Stage::Fp, Stage::Hwa],
        Stages::All => vec![Stage::Fp],
    };
    let out = req
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(&exp.config.experiment.name));
    let data = load_task_data(&exp)?;
    let mut outcomes = Vec::new();
    for stage in stages {
        let opts = TrainOptions {
            stage,
            out_dir: out.clone(),
            epochs: req.epochs,
            resume: req.resume,
            device: req.device.clone(),
            progress: req.progress,
        };
        outcomes.push((stage, train_stage(&exp, &data, &opts)?));
    }
    Ok(TrainOutcome {
        metric: data.metric(),
        items: exp.config.data.dataset.items(),
        stages: outcomes,
    })
}
