//! Training (physics.md section 5): optimisers and schedules, losses (cross-entropy and
//! distillation), checkpoints, experiment files and the FP / HWA training loops (images, text).

pub mod adamw;
pub mod checkpoint;
pub mod distill;
pub mod epoch_tally;
pub mod evaluate;
pub mod experiment;
pub mod grad_clip;
pub mod hwa;
pub mod lm_epoch;
pub mod lm_trainer;
pub mod optimizer;
pub mod perplexity;
pub mod plateau;
pub mod schedule;
pub mod sentence_eval;
pub mod sentence_trainer;
pub mod setup;
pub mod sgd;
pub mod stage;
pub mod trainer;

pub use optimizer::{Optimizer, OptimizerConfig, Param};
pub use schedule::Schedule;
pub use sgd::{SgdConfig, SgdMomentum};
