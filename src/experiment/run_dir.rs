//! The run directory of `aimc train`, in one place: `<run>/<stage>/` for the stages `fp` and
//! `hwa`, each with `checkpoint.safetensors` (model, optimiser state, training state),
//! `config.toml` (the resolved experiment) and `history.csv`. And what a sweep or a study
//! evaluates: a run directory (its HWA checkpoint if there is one, else the FP one), a stage
//! directory or a checkpoint file, with the experiment written beside it and the FP reference
//! (the run's FP checkpoint, evaluated digitally).

use super::file::Experiment;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The two training stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stage {
    /// Floating point, on the `ideal` tile.
    Fp,
    /// Hardware-aware, on the experiment's tile, from the FP checkpoint.
    Hwa,
}

impl Stage {
    /// `fp` or `hwa`: the stage's directory.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Fp => "fp",
            Stage::Hwa => "hwa",
        }
    }
}

/// The checkpoint of a stage.
const CHECKPOINT: &str = "checkpoint.safetensors";
/// The resolved experiment beside each checkpoint.
const CONFIG: &str = "config.toml";
/// The per-epoch history of a stage.
const HISTORY: &str = "history.csv";

/// The directory of `stage` in run directory `out`.
pub fn stage_dir(out: &Path, stage: Stage) -> PathBuf {
    out.join(stage.name())
}

/// The checkpoint file of `stage` in run directory `out`.
pub fn checkpoint_path(out: &Path, stage: Stage) -> PathBuf {
    stage_dir(out, stage).join(CHECKPOINT)
}

/// The resolved experiment of `stage` in run directory `out`.
pub fn config_path(out: &Path, stage: Stage) -> PathBuf {
    stage_dir(out, stage).join(CONFIG)
}

/// The history of `stage` in run directory `out`.
pub fn history_path(out: &Path, stage: Stage) -> PathBuf {
    stage_dir(out, stage).join(HISTORY)
}

/// A trained network to evaluate: a checkpoint, or an imported network as its file holds it.
#[derive(Debug, Clone)]
pub struct RunTarget {
    /// `<run>-<stage>`, e.g. `resnet8-fashion-small-hwa`: names the report directory.
    pub name: String,
    /// The checkpoint, or the imported network's file (`imported`).
    pub checkpoint: PathBuf,
    /// The weights are those the network is built with (an imported network's experiment
    /// file was given): evaluated as an FP network mapped directly.
    pub imported: bool,
    /// `fp` or `hwa` (the directory the checkpoint is in).
    pub stage: String,
    pub experiment: Experiment,
    /// The FP checkpoint of the same run (the checkpoint itself for an FP run).
    pub fp_checkpoint: PathBuf,
}

/// Resolves `arg`: a run directory (`<run>/hwa/` preferred over `<run>/fp/`), a stage directory,
/// a checkpoint file, or the experiment file of a network that holds trained weights (an
/// imported one).
pub fn resolve(arg: &Path) -> Result<RunTarget> {
    if arg.is_file() && arg.extension().is_some_and(|e| e == "toml") {
        return imported_target(Experiment::load(arg)?);
    }
    let checkpoint = if arg.is_file() {
        arg.to_path_buf()
    } else if arg.join(CHECKPOINT).is_file() {
        arg.join(CHECKPOINT)
    } else if checkpoint_path(arg, Stage::Hwa).is_file() {
        checkpoint_path(arg, Stage::Hwa)
    } else if checkpoint_path(arg, Stage::Fp).is_file() {
        checkpoint_path(arg, Stage::Fp)
    } else {
        return Err(Error::data(
            arg.display(),
            "no checkpoint: expected a run directory (with hwa/ or fp/ checkpoint.safetensors), \
             a stage directory or a checkpoint file (`aimc train` writes them)",
        ));
    };
    let stage_dir = checkpoint.parent().unwrap_or(Path::new(".")).to_path_buf();
    let config = stage_dir.join(CONFIG);
    if !config.is_file() {
        return Err(Error::data(
            config.display(),
            "missing: the resolved experiment that `aimc train` writes beside each checkpoint",
        ));
    }
    let experiment = Experiment::load(&config)?;
    let stage = stage_dir
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("run")
        .to_string();
    let run_dir = stage_dir.parent().unwrap_or(Path::new("."));
    let run = run_dir
        .file_name()
        .and_then(|s| s.to_str())
        .map(str::to_string)
        .unwrap_or_else(|| experiment.config.experiment.name.clone());
    let fp = checkpoint_path(run_dir, Stage::Fp);
    let fp_checkpoint = if fp.is_file() { fp } else { checkpoint.clone() };
    Ok(RunTarget {
        name: format!("{run}-{stage}"),
        checkpoint,
        imported: false,
        stage,
        experiment,
        fp_checkpoint,
    })
}

/// The target of `experiment`, whose network must hold trained weights when built (an imported
/// one).
pub fn imported_target(experiment: Experiment) -> Result<RunTarget> {
    let model = &experiment.config.model;
    let Some(weights) = model.trained_weights_file() else {
        return Err(Error::data(
            &experiment.file,
            format!(
                "a `{}` network has no trained weights until `aimc train` trains it: give the \
                 run directory (an experiment file is a target only for an imported network, \
                 architecture \"onnx\")",
                model.name()
            ),
        ));
    };
    let weights = PathBuf::from(weights);
    Ok(RunTarget {
        name: format!("{}-{}", experiment.config.experiment.name, Stage::Fp.name()),
        checkpoint: weights.clone(),
        imported: true,
        stage: Stage::Fp.name().to_string(),
        experiment,
        fp_checkpoint: weights,
    })
}
