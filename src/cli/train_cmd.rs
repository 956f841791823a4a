//! `aimc train`: the FP and HWA stages of an experiment file, with checkpoints and resume.

use aimc::commands::compute_device;
use aimc::commands::train::{Stages, TrainRequest, train};
use aimc::report::format::to_json;
use aimc::report::{OutputFormat, TextTable};
use aimc::train::stage::eval_name;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Which stages to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StageArg {
    /// Floating point, on the ideal tile.
    Fp,
    /// Hardware-aware, from the FP checkpoint.
    Hwa,
    /// FP, then HWA if the experiment has an [hwa] section.
    All,
}

/// Where to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum DeviceArg {
    Cpu,
    /// The first CUDA GPU (needs a build with `--features cuda`).
    Cuda,
}

/// Train the network of an experiment file (models/*.toml): the floating-point stage, then the
/// hardware-aware stage from its checkpoint. Each epoch writes <OUT>/<stage>/checkpoint.safetensors
/// (model, optimiser state, history), config.toml (the resolved experiment) and history.csv.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The experiment file, e.g. models/wrn16-4-fashion.toml.
    experiment: PathBuf,
    #[arg(long, value_enum, default_value = "all")]
    stage: StageArg,
    /// The run directory [default: runs/<experiment name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Epochs of each stage run (overrides the file).
    #[arg(long)]
    epochs: Option<usize>,
    /// Continue each stage from its checkpoint (same seed: the same result as one run).
    #[arg(long)]
    resume: bool,
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceArg,
    /// No progress bar or per-epoch lines.
    #[arg(long)]
    quiet: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

/// The compute device of `d`.
pub(super) fn device(d: DeviceArg) -> anyhow::Result<candle_core::Device> {
    Ok(compute_device(d == DeviceArg::Cuda, "--device")?)
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let outcome = train(&TrainRequest {
        experiment: args.experiment,
        stages: match args.stage {
            StageArg::Fp => Stages::Fp,
            StageArg::Hwa => Stages::Hwa,
            StageArg::All => Stages::All,
        },
        out: args.out,
        epochs: args.epochs,
        resume: args.resume,
        device: device(args.device)?,
        progress: !args.quiet,
    })?;
    match args.format {
        OutputFormat::Json => {
            let v: Vec<serde_json::Value> = outcome
                .stages
                .iter()
                .map(|(s, o)| {
                    serde_json::json!({
                        "stage": s.name(),
                        "checkpoint": o.checkpoint.display().to_string(),
                        "metric": o.metric,
                        "history": o.history,
                    })
                })
                .collect();
            print!("{}", to_json(&v));
        }
        format => {
            let metric = outcome.metric;
            let (m, e, items) = (metric.name(), eval_name(metric), outcome.items);
            let mut t = TextTable::new(&[
                "stage",
                "epoch",
                "train_loss",
                &format!("train_{m}"),
                &format!("{e}_{m}"),
                &format!("{items}_per_s"),
            ]);
            for (s, o) in &outcome.stages {
                for r in &o.history {
                    t.push(vec![
                        s.name().into(),
                        r.epoch.to_string(),
                        format!("{:.4}", r.train_loss),
                        format!("{:.4}", r.train_metric),
                        format!("{:.4}", r.eval_metric),
                        format!("{:.0}", r.items_per_s),
                    ]);
                }
            }
            if format == OutputFormat::Csv {
                print!("{}", t.to_csv());
            } else {
                print!("{}", t.to_text());
                for (s, o) in &outcome.stages {
                    println!("{} checkpoint: {}", s.name(), o.checkpoint.display());
                }
            }
        }
    }
    Ok(())
}
