//! What a sweep evaluates: a run directory (its HWA checkpoint if there is one, else the FP one)
//! or a checkpoint file, with the resolved experiment written beside it and the FP reference
//! (the run's FP checkpoint, evaluated digitally).

use crate::error::{Error, Result};
use crate::train::experiment::Experiment;
use std::path::{Path, PathBuf};

/// A checkpoint to sweep.
#[derive(Debug, Clone)]
pub struct SweepTarget {
    /// `<run>-<stage>`, e.g. `resnet8-fashion-small-hwa`: names the report directory.
    pub name: String,
    pub checkpoint: PathBuf,
    /// `fp` or `hwa` (the directory the checkpoint is in).
    pub stage: String,
    pub experiment: Experiment,
    /// The FP checkpoint of the same run (the checkpoint itself for an FP run).
    pub fp_checkpoint: PathBuf,
}

const FILE: &str = "checkpoint.safetensors";

/// Resolves `arg`: a run directory (`<run>/hwa/` preferred over `<run>/fp/`), a stage directory
/// or a checkpoint file.
pub fn resolve(arg: &Path) -> Result<SweepTarget> {
    let checkpoint = if arg.is_file() {
        arg.to_path_buf()
    } else if arg.join(FILE).is_file() {
        arg.join(FILE)
    } else if arg.join("hwa").join(FILE).is_file() {
        arg.join("hwa").join(FILE)
    } else if arg.join("fp").join(FILE).is_file() {
        arg.join("fp").join(FILE)
    } else {
        return Err(Error::data(
            arg.display(),
            "no checkpoint: expected a run directory (with hwa/ or fp/ checkpoint.safetensors), \
             a stage directory or a checkpoint file (`aimc train` writes them)",
        ));
    };
    let stage_dir = checkpoint.parent().unwrap_or(Path::new(".")).to_path_buf();
    let config = stage_dir.join("config.toml");
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
    let fp = run_dir.join("fp").join(FILE);
    let fp_checkpoint = if fp.is_file() { fp } else { checkpoint.clone() };
    Ok(SweepTarget {
        name: format!("{run}-{stage}"),
        checkpoint,
        stage,
        experiment,
        fp_checkpoint,
    })
}
