//! `aimc sensitivity`: the metric at one time after programming while one non-ideality is
//! raised (or the tile size changed).

use aimc::report::OutputFormat;
use aimc::report::format::to_json;
use aimc::report::sensitivity_report::{sensitivity_table, write_sensitivity_report};
use aimc::sweep::sensitivity::{parse_values, run_sensitivity};
use aimc::sweep::times::parse_time;
use aimc::sweep::{SweepTime, resolve};
use aimc::tile::Knob;
use aimc::tile::TileConfig;
use aimc::train::setup::load_task_data;
use clap::Args;
use std::path::PathBuf;

/// Raise one non-ideality at a time (paper Fig. 4/5) and record the accuracy (perplexity) at one time after
/// programming for each value; `tile-size` gives the tiles used and the accuracy per tile size.
/// Writes sensitivity.csv, sensitivity.json, summary.md and sensitivity.png/svg.
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
    /// Report directory [default: reports/<run>-<stage>-<knob>].
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long)]
    quiet: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub fn run(args: SensitivityArgs) -> anyhow::Result<()> {
    if args.reps == 0 {
        anyhow::bail!("--reps: expected at least 1, found 0");
    }
    let values = parse_values(&args.values)?;
    let time = SweepTime {
        seconds: parse_time(&args.time)?,
        label: args.time.trim().to_string(),
    };
    let target = resolve(&args.target)?;
    let tile = match &args.tile {
        Some(t) => TileConfig::resolve(t)?,
        None => target.experiment.config.tile.clone(),
    };
    let device_name = args.device.clone().unwrap_or_else(|| tile.device.clone());
    let device = aimc::device::resolve_device(&device_name)?.device;
    for &v in &values {
        args.knob.apply(v, &tile, &device)?;
    }
    let data = load_task_data(&target.experiment)?;
    let bar = aimc::progress::progress_bar(
        "sensitivity",
        (values.len() * args.reps) as u64,
        !args.quiet,
    );
    let result = run_sensitivity(
        &target,
        args.knob,
        &values,
        (&device_name, &device),
        &tile,
        &time,
        (args.reps, args.seed),
        &data,
        &candle_core::Device::Cpu,
        &mut aimc::progress::step_callback(&bar),
    )?;
    bar.finish_and_clear();
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from("reports").join(format!("{}-{}", target.name, args.knob.name()))
    });
    let files = write_sensitivity_report(&result, &out)?;
    match args.format {
        OutputFormat::Json => print!("{}", to_json(&result)),
        OutputFormat::Csv => print!("{}", sensitivity_table(&result).to_csv()),
        OutputFormat::Table => {
            print!("{}", sensitivity_table(&result).to_text());
            for f in files {
                println!("wrote {}", f.display());
            }
        }
    }
    Ok(())
}
