//! `aimc demo`: the paper's pipeline end to end on one experiment. Train in floating point, map
//! the FP weights directly onto tiles and sweep them over time, fine-tune hardware-aware, sweep
//! again, and write one report: the comparison table with A*, the drift plot, the device plot and
//! the tile map. The default experiment (`models/demo-fashion.toml`, built into the binary) runs
//! on the Fashion-MNIST subset the binary carries, so a fresh machine needs nothing else.

mod pipeline;
mod plan;
mod report;

pub use pipeline::{DemoOutcome, StageTiming, run_demo};
pub use plan::{BUILTIN_EXPERIMENT, DemoPlan, DemoRequest, builtin_experiment, make_quick};
pub use report::{demo_table, duration, write_demo_report};
