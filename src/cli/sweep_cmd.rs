//! `aimc sweep`: accuracy (or perplexity) over time after programming, with repeats, as a report.

use aimc::report::OutputFormat;
use aimc::report::format::to_json;
use aimc::report::sweep_report::{points_table, write_report};
use aimc::sweep::{SweepSpec, parse_times, resolve, run_sweep};
use aimc::tile::{DriftCompensation, TileConfig};
use aimc::train::setup::load_task_data;
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
    if args.reps == 0 {
        anyhow::bail!("--reps: expected at least 1, found 0");
    }
    let times = parse_times(&args.times)?;
    let target = resolve(&args.target)?;
    let mut tile = match &args.tile {
        Some(t) => TileConfig::resolve(t)?,
        None => target.experiment.config.tile.clone(),
    };
    if let Some(c) = args.compensation {
        tile = tile.edit(|t| t.periphery.drift_compensation.mode = c)?;
    }
    let devices = if args.devices.is_empty() {
        vec![tile.device.clone()]
    } else {
        args.devices.clone()
    };
    let devices = devices
        .into_iter()
        .map(|d| Ok((d.clone(), aimc::device::resolve_device(&d)?.device)))
        .collect::<aimc::Result<Vec<_>>>()?;
    let spec = SweepSpec {
        devices,
        tile,
        times,
        reps: args.reps,
        seed: args.seed,
    };
    let data = load_task_data(&target.experiment)?;
    let total = (spec.devices.len() * spec.reps * spec.times.len()) as u64;
    let bar = aimc::progress::progress_bar("sweep", total, !args.quiet);
    let result = run_sweep(
        &target,
        &spec,
        &data,
        &candle_core::Device::Cpu,
        &mut aimc::progress::step_callback(&bar),
    )?;
    bar.finish_and_clear();
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(&target.name));
    let results = vec![result];
    let files = write_report(&results, &out)?;
    match args.format {
        OutputFormat::Json => print!("{}", to_json(&results)),
        OutputFormat::Csv => print!("{}", points_table(&results).to_csv()),
        OutputFormat::Table => {
            let r = &results[0];
            println!(
                "{}: FP {} {:.4}, chance {:.4}",
                r.run,
                r.metric.name(),
                r.fp,
                r.chance
            );
            print!("{}", points_table(&results).to_text());
            for f in files {
                println!("wrote {}", f.display());
            }
        }
    }
    Ok(())
}
