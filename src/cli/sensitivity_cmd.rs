//! `aimc sensitivity`: the metric at one time after programming while one non-ideality is
//! raised (or the tile size changed).

use crate::cli::split_args::SplitArgs;
use crate::cli::sweep_cmd::print_shard;
use aimc::commands::sensitivity::{SensitivityRequest, sensitivity, sensitivity_shard};
use aimc::report::OutputFormat;
use aimc::report::format::to_json;
use aimc::report::sensitivity_report::sensitivity_table;
use aimc::tile::Knob;
use clap::Args;
use std::path::PathBuf;

/// Raise one non-ideality at a time (paper Fig. 4/5) and record the accuracy (perplexity) at one time after
/// programming for each value; `tile-size` gives the tiles used and the accuracy per tile size.
/// Writes sensitivity.csv, sensitivity.json, summary.md and sensitivity.png/svg; with
/// --hardware also the energy per inference of each value and tradeoff.png/svg.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// A run directory of `aimc train`, a stage directory or a checkpoint file.
    target: PathBuf,
    #[arg(long, value_enum)]
    knob: Knob,
    /// Values of the knob, comma-separated (e.g. 4,6,8).
    #[arg(long)]
    values: String,
    /// Time after programming.
    #[arg(long, default_value = "1h")]
    time: String,
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Device [default: the experiment tile's device].
    #[arg(long)]
    device: Option<String>,
    /// Tile preset or file [default: the experiment's tile].
    #[arg(long)]
    tile: Option<String>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Hardware (a shipped name such as hermes, or a hardware TOML file): adds the energy per
    /// inference of each value (`aimc cost` on the tile of that value) and the plot of the
    /// metric against the energy (tradeoff.png/svg).
    #[arg(long)]
    hardware: Option<String>,
    /// Report directory [default: reports/<run>-<stage>-<knob>].
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    split: SplitArgs,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub fn run(args: SensitivityArgs) -> anyhow::Result<()> {
    let shard = args.split.shard()?;
    let request = SensitivityRequest {
        target: args.target,
        knob: args.knob,
        values: args.values,
        time: args.time,
        reps: args.reps,
        device: args.device,
        tile: args.tile,
        seed: args.seed,
        hardware: args.hardware,
        out: args.out,
        jobs: args.split.jobs()?,
        progress: !args.quiet,
    };
    if let Some(shard) = shard {
        let done = sensitivity_shard(&request, shard, args.split.force)?;
        print_shard(shard, &done);
        return Ok(());
    }
    let outcome = sensitivity(&request)?;
    let result = &outcome.result;
    match args.format {
        OutputFormat::Json => print!("{}", to_json(result)),
        OutputFormat::Csv => print!("{}", sensitivity_table(result).to_csv()),
        OutputFormat::Table => {
            print!("{}", sensitivity_table(result).to_text());
            for f in &outcome.files {
                println!("wrote {}", f.display());
            }
        }
    }
    Ok(())
}
