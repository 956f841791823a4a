//! `aimc sweep`: accuracy (or perplexity) over time after programming, with repeats, as a report.

use crate::cli::split_args::SplitArgs;
use aimc::commands::sweep::{ShardOutcome, SweepRequest, SweepTarget, sweep, sweep_shard};
use aimc::experiment::imported::ImportedSpec;
use aimc::report::OutputFormat;
use aimc::report::format::to_json;
use aimc::report::sweep_report::points_table;
use aimc::sweep::Shard;
use aimc::tile::DriftCompensation;
use clap::Args;
use std::path::PathBuf;

/// Program a trained network onto analog tiles again and again and evaluate it at times after
/// programming: per device and time the mean accuracy (perplexity for a language model), its std
/// and 95 % confidence interval, A* and iso-accuracy. Writes sweep.csv, sweep.json, summary.md and drift.png/svg into the report
/// directory.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A run directory of `aimc train` (its HWA checkpoint, else the FP one), a stage directory,
    /// a checkpoint file, or the experiment file of an imported network (`architecture =
    /// "onnx"`: its own weights, mapped directly).
    #[arg(required_unless_present = "model", conflicts_with = "model")]
    target: Option<PathBuf>,
    /// An image classifier in an ONNX file, swept with its own weights mapped directly (instead
    /// of TARGET; needs --dataset).
    #[arg(long)]
    model: Option<PathBuf>,
    /// With --model: the image dataset (e.g. mnist, fashion-mnist, cifar10; see `aimc data
    /// list`).
    #[arg(long)]
    dataset: Option<String>,
    /// With --model: the dataset's directory [default: the data directory's].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// With --model: pixels in [0, 1] are multiplied by this (255 for a graph taking 0..255)
    /// [default: 1].
    #[arg(long, allow_negative_numbers = true)]
    scale: Option<f64>,
    /// With --model: subtracted per channel after scaling (one value, or one per channel)
    /// [default: 0].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    mean: Option<Vec<f64>>,
    /// With --model: divides per channel after the mean [default: 1].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    std: Option<Vec<f64>>,
    /// With --model: the graph's input layout, nchw or nhwc [default: nchw].
    #[arg(long)]
    layout: Option<String>,
    /// With --model: evaluate only the first N test images (0 = all).
    #[arg(long, default_value_t = 0)]
    test_subset: usize,
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
    #[command(flatten)]
    split: SplitArgs,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// What to print (the files are written either way).
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub fn run(args: SweepArgs) -> anyhow::Result<()> {
    let model_flags = [
        ("--dataset", args.dataset.is_some()),
        ("--data-dir", args.data_dir.is_some()),
        ("--scale", args.scale.is_some()),
        ("--mean", args.mean.is_some()),
        ("--std", args.std.is_some()),
        ("--layout", args.layout.is_some()),
        ("--test-subset", args.test_subset > 0),
    ];
    if args.model.is_none()
        && let Some((flag, _)) = model_flags.iter().find(|(_, given)| *given)
    {
        return Err(aimc::error::Error::invalid_argument(
            *flag,
            "--model FILE.onnx with it (it describes an imported network's data)",
            "a sweep of TARGET",
        )
        .into());
    }
    let target = match (args.target, args.model) {
        (Some(path), _) => SweepTarget::Path(path),
        (None, Some(model)) => SweepTarget::Imported(ImportedSpec {
            model,
            dataset: args.dataset.ok_or_else(|| {
                aimc::error::Error::invalid_argument(
                    "--dataset",
                    "the image dataset to evaluate --model on (e.g. mnist)",
                    "nothing",
                )
            })?,
            data_dir: args.data_dir,
            scale: args.scale,
            mean: args.mean,
            std: args.std,
            layout: args.layout,
            test_subset: args.test_subset,
            train_subset: 0,
        }),
        (None, None) => unreachable!("clap requires TARGET or --model"),
    };
    let shard = args.split.shard()?;
    let request = SweepRequest {
        target,
        devices: args.devices,
        tile: args.tile,
        times: args.times,
        reps: args.reps,
        compensation: args.compensation,
        seed: args.seed,
        out: args.out,
        jobs: args.split.jobs()?,
        progress: !args.quiet,
    };
    if let Some(shard) = shard {
        let done = sweep_shard(&request, shard, args.split.force)?;
        print_shard(shard, &done);
        return Ok(());
    }
    let outcome = sweep(&request)?;
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

/// The line a shard run prints: its units and its file, written or kept.
pub fn print_shard(shard: Shard, done: &ShardOutcome) {
    let what = if done.kept {
        "kept (there already; --force runs it again)"
    } else {
        "wrote"
    };
    println!(
        "shard {}/{}: {} units, {what} {}",
        shard.index,
        shard.count,
        done.units,
        done.file.display()
    );
}
