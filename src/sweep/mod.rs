//! Time sweeps (physics.md section 6): a trained network programmed onto tiles again and again,
//! read at times after programming, evaluated with confidence intervals and A*; and sensitivity
//! studies, one non-ideality raised at a time.

pub mod jobs;
pub mod noise_cursor;
pub mod run;
pub mod sensitivity;
pub mod sensitivity_shard;
pub mod shard;
pub mod stats;
pub mod times;

pub use run::{SweepPoint, SweepResult, SweepSpec, run_sweep, run_sweep_jobs, run_sweep_shard};
pub use shard::{Shard, SweepShard, merge_shards};
pub use times::{SweepTime, parse_times};
