//! `aimc sweep`: accuracy (or perplexity) over time after programming, with repeats, as a report.

use aimc::commands::sweep::{SweepRequest, sweep};
use aimc::report::OutputFormat;
use aimc::report::format::to_json;
use aimc::report::sweep_report::points_table;
use aimc::tile::DriftCompensation;
use clap::Args;
use std::path::PathBuf;

/// Program a trained network onto analog tiles again and again and evaluate it at times after
/// programming: per device and time the mean accuracy (perplexity for a language model), its std
/// and 95 % confidence interval, A* and iso-accuracy. Writes sweep.csv, sweep.json, summary.md and drift.png/svg into the report
/// directory.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A run directory of `aimc train` (its HWA checkpoint, else the FP one), a stage directory
    /// or a checkpoint file.
    target: PathBuf,
    /// Device to program (repeat the flag for several) [default: the experiment tile's device].
    #[arg(long = "device")]
    devices: Vec<String>,
    /// Tile preset (ideal, standard) or a TOML file with a [tile] section [default: the
    /// experiment's tile].
    #[arg(long)]
    tile: Option<String>,
    /// Times after programming (s, m, h, d, mo, y suffixes).
    #[arg(long, default_value = "1s,1h,1d,1y")]
    times: String,
    /// Repeats per device and time (each programs the network anew).
    #[arg(long, default_value_t = 10)]
    reps: usize,
    /// Drift compensation [default: the tile's].
    #[arg(long, value_enum)]
    compensation: Option<DriftCompensation>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Report directory [default: reports/<run>-<stage>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// What to print (the files are written either way).
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    let outcome = sweep(&SweepRequest {
        target: args.target,
        devices: args.devices,
        tile: args.tile,
        times: args.times,
        reps: args.reps,
        compensation: args.compensation,
        seed: args.seed,
        out: args.out,
        progress: !args.quiet,
    })?;
    let results = &outcome.results;
    match args.format {
        OutputFormat::Json => print!("{}", to_json(results)),
        OutputFormat::Csv => print!("{}", points_table(results).to_csv()),
        OutputFormat::Table => {
            let r = &results[0];
            println!(
                "{}: FP {} {:.4}, chance {:.4}",
                r.run,
                r.metric.name(),
                r.fp,
                r.chance
            );
            print!("{}", points_table(results).to_text());
            for f in &outcome.files {
                println!("wrote {}", f.display());
            }
        }
    }
    Ok(())
}
