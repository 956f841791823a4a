//! Training (physics.md section 5): the optimisers (SGD, AdamW) over named parameters, losses
//! (cross-entropy and distillation), gradient clipping, the HWA mechanisms applied to a model,
//! what every stage shares (`stage.rs`: settings, model, teacher, checkpoints each epoch) and the
//! loops over the data of each task: images (`trainer.rs`), text (`lm_trainer.rs`), sentences
//! (`sentence_trainer.rs`). What a stage is configured with, checkpoints and the run directory
//! belong to the experiment layer.

pub mod adamw;
pub mod distill;
pub mod epoch_tally;
pub mod grad_clip;
pub mod hwa;
pub mod lm_epoch;
pub mod lm_trainer;
pub mod optimizer;
pub mod sentence_trainer;
pub mod sgd;
pub mod stage;
pub mod trainer;

pub use optimizer::{Optimizer, Param};
pub use sgd::SgdMomentum;
pub use stage::{StageOutcome, TrainOptions};
pub use trainer::train;
