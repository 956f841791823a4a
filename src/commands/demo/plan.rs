//! What the demo runs: the experiment (the built-in one or any experiment file with an `[hwa]`
//! section), its quick reduction, the sweep's times and repeats, and where the files go.

use crate::error::{Error, Result};
use crate::experiment::{Experiment, ExperimentConfig};
use crate::sweep::{SweepTime, parse_times};
use std::path::{Path, PathBuf};

/// The name of the built-in experiment (the file of the same name in the repository).
pub const BUILTIN_EXPERIMENT: &str = "models/demo-fashion.toml";
const BUILTIN_TEXT: &str = include_str!("../../../models/demo-fashion.toml");

/// The built-in experiment: ResNet on the embedded Fashion-MNIST subset.
pub fn builtin_experiment() -> Result<Experiment> {
    Ok(Experiment {
        file: BUILTIN_EXPERIMENT.into(),
        base_dir: PathBuf::from("."),
        config: ExperimentConfig::parse(BUILTIN_EXPERIMENT, BUILTIN_TEXT)?,
    })
}

/// The sizes of the quick version.
const QUICK_TRAIN: usize = 1024;
const QUICK_TEST: usize = 250;
const QUICK_FP_EPOCHS: usize = 4;
const QUICK_HWA_EPOCHS: usize = 2;
const QUICK_CALIBRATION_BATCHES: usize = 4;
/// Repeats per time: the full demo's and the quick one's.
pub const REPS: usize = 5;
pub const QUICK_REPS: usize = 4;

/// The quick version of an experiment: at most 1,024 training and 250 test images, at most 4 FP
/// and 2 HWA epochs with the noise ramped over at most half an epoch, input ranges from at most
/// 4 batches. The name gets `-quick`. (With 1 HWA epoch, or 2 repeats, HWA did not beat direct
/// mapping at 1 day reliably.)
pub fn make_quick(c: &mut ExperimentConfig) {
    let cap = |n: usize, max: usize| if n == 0 { max } else { n.min(max) };
    c.experiment.name.push_str("-quick");
    c.data.train_subset = cap(c.data.train_subset, QUICK_TRAIN);
    c.data.test_subset = cap(c.data.test_subset, QUICK_TEST);
    c.fp.epochs = c.fp.epochs.min(QUICK_FP_EPOCHS);
    if let Some(h) = &mut c.hwa {
        h.epochs = h.epochs.min(QUICK_HWA_EPOCHS);
        h.noise.ramp_epochs = h.noise.ramp_epochs.min(0.5);
        h.input_range_init_batches = h.input_range_init_batches.min(QUICK_CALIBRATION_BATCHES);
    }
}

/// Everything the demo needs to run.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    pub experiment: Experiment,
    pub quick: bool,
    pub times: Vec<SweepTime>,
    pub reps: usize,
    /// The seed of the sweeps (training uses the experiment's).
    pub seed: u64,
    /// Checkpoints: `<run_dir>/fp`, `<run_dir>/hwa`.
    pub run_dir: PathBuf,
    /// The report.
    pub out_dir: PathBuf,
}

impl DemoPlan {
    /// The plan for `experiment` (the built-in one when `None`): times 1 s, 1 h, 1 d, 1 y;
    /// 5 repeats (4 when quick); checkpoints in `runs/demo[-quick]`, the report in
    /// `reports/demo[-quick]` (`-<experiment name>` added for another experiment).
    pub fn new(experiment: Option<&Path>, quick: bool) -> Result<Self> {
        let (mut experiment, suffix) = match experiment {
            None => (builtin_experiment()?, String::new()),
            Some(p) => {
                let e = Experiment::load(p)?;
                let name = format!("-{}", e.config.experiment.name);
                (e, name)
            }
        };
        if experiment.config.hwa.is_none() {
            return Err(Error::invalid_value(
                &experiment.file,
                "hwa",
                "an [hwa] section (the demo fine-tunes the network hardware-aware)",
                "none",
            ));
        }
        if quick {
            make_quick(&mut experiment.config);
        }
        let dir = format!("demo{suffix}{}", if quick { "-quick" } else { "" });
        Ok(Self {
            experiment,
            quick,
            times: parse_times("1s,1h,1d,1y")?,
            reps: if quick { QUICK_REPS } else { REPS },
            seed: 0,
            run_dir: PathBuf::from("runs").join(&dir),
            out_dir: PathBuf::from("reports").join(&dir),
        })
    }
}

/// A demo as the command line asks for it: the experiment (None: the built-in one), quick or
/// not, and the options that override the plan's defaults.
#[derive(Debug, Clone, Default)]
pub struct DemoRequest {
    pub experiment: Option<PathBuf>,
    pub quick: bool,
    pub reps: Option<usize>,
    /// Times after programming, e.g. `1s,1h,1d,1y`.
    pub times: Option<String>,
    pub seed: u64,
    pub out: Option<PathBuf>,
    pub runs: Option<PathBuf>,
}

impl DemoRequest {
    /// The plan of the request: the defaults of [`DemoPlan::new`] with its options applied.
    pub fn plan(&self) -> Result<DemoPlan> {
        let mut plan = DemoPlan::new(self.experiment.as_deref(), self.quick)?;
        if let Some(r) = self.reps {
            if r == 0 {
                return Err(Error::invalid_argument("--reps", "at least 1", 0));
            }
            plan.reps = r;
        }
        if let Some(t) = &self.times {
            plan.times = parse_times(t)?;
        }
        plan.seed = self.seed;
        if let Some(o) = &self.out {
            plan.out_dir = o.clone();
        }
        if let Some(r) = &self.runs {
            plan.run_dir = r.clone();
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_experiment_parses_and_quick_shrinks_it() {
        let full = builtin_experiment().unwrap();
        let hwa = full.config.hwa.clone().unwrap();
        let mut quick = full.config.clone();
        make_quick(&mut quick);
        assert_eq!(quick.data.train_subset, QUICK_TRAIN);
        assert_eq!(quick.data.test_subset, QUICK_TEST);
        assert!(quick.fp.epochs <= QUICK_FP_EPOCHS);
        let qh = quick.hwa.unwrap();
        assert_eq!(qh.epochs, QUICK_HWA_EPOCHS);
        // The recipe itself is unchanged.
        assert_eq!(qh.noise.kind, hwa.noise.kind);
        assert_eq!(qh.distillation, hwa.distillation);
        assert_eq!(quick.tile, full.config.tile);
        assert!(quick.experiment.name.ends_with("-quick"));
    }

    #[test]
    fn plans_put_quick_and_other_experiments_apart() {
        let full = DemoPlan::new(None, false).unwrap();
        let quick = DemoPlan::new(None, true).unwrap();
        assert_eq!(full.out_dir, Path::new("reports/demo"));
        assert_eq!(quick.out_dir, Path::new("reports/demo-quick"));
        assert_eq!(quick.run_dir, Path::new("runs/demo-quick"));
        assert_eq!((full.reps, quick.reps), (REPS, QUICK_REPS));
        let labels: Vec<_> = full.times.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["1s", "1h", "1d", "1y"]);
    }
}
