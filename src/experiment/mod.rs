//! The experiment layer, between the networks and data below and training and studies above
//! (physics.md sections 5 and 6): the experiment file (`file.rs`, with its `[data]`, `[fp]` and
//! `[hwa]` sections and the optimiser and schedule they name), the pairing of task and model
//! (`task.rs`: which data fit which network, the task's data, its metric in `metric.rs`), the
//! evaluation of a network on its task (`evaluate.rs`), the calibration of a direct mapping,
//! checkpoints, the run-directory layout (`run_dir.rs`), loading a model from a run, and the
//! experiment of an imported network given on the command line (`imported.rs`).
//!
//! A new architecture of a known task needs nothing here (its interface says what it needs); a
//! new task is a variant of [`TaskData`] with its loading, evaluation and calibration here.

pub mod calibrate;
pub mod checkpoint;
pub mod data_section;
pub mod evaluate;
pub mod file;
pub mod imported;
pub mod load;
pub mod metric;
pub mod optimizer;
pub mod perplexity;
pub mod run_dir;
pub mod schedule;
pub mod sentence_eval;
pub mod stages;
pub mod task;

pub use data_section::DataConfig;
pub use file::{Experiment, ExperimentConfig, ExperimentMeta};
pub use metric::Metric;
pub use optimizer::{AdamWConfig, OptimizerConfig, SgdConfig};
pub use run_dir::{RunTarget, Stage};
pub use schedule::Schedule;
pub use stages::{Distillation, FpStage, HwaStage, NoiseConfig, NoiseKind};
pub use task::{ImageData, SentenceData, TaskData, TextData, load_task_data};
