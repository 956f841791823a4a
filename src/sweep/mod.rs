//! Time sweeps (physics.md section 6): a trained network programmed onto tiles again and again,
//! read at times after programming, evaluated with confidence intervals and A*.

pub mod metric;
pub mod run;
pub mod sensitivity;
pub mod stats;
pub mod target;
pub mod times;

pub use metric::Metric;
pub use run::{SweepPoint, SweepResult, SweepSpec, run_sweep};
pub use target::{SweepTarget, resolve};
pub use times::{SweepTime, parse_times};
