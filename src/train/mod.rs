//! Training: optimisers and learning-rate schedules (the training loop, HWA noise injection,
//! distillation and checkpoints follow).

pub mod schedule;
pub mod sgd;

pub use schedule::Schedule;
pub use sgd::{SgdConfig, SgdMomentum};
