//! `aimc train`: the FP and HWA stages of an experiment file, with checkpoints and resume.

use aimc::report::format::to_json;
use aimc::report::{OutputFormat, TextTable};
use aimc::train::experiment::Experiment;
use aimc::train::setup::load_task_data;
use aimc::train::stage::eval_name;
use aimc::train::trainer::{Stage, StageOutcome, TrainOptions, train};
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

pub(super) fn device(d: DeviceArg) -> anyhow::Result<candle_core::Device> {
    match d {
        DeviceArg::Cpu => Ok(candle_core::Device::Cpu),
        DeviceArg::Cuda if cfg!(feature = "cuda") => Ok(candle_core::Device::new_cuda(0)?),
        DeviceArg::Cuda => anyhow::bail!(
            "--device cuda: this binary was built without CUDA; rebuild with `cargo build --release --features cuda`"
        ),
    }
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    if args.epochs == Some(0) {
        anyhow::bail!("--epochs: expected at least 1, found 0");
    }
    let exp = Experiment::load(&args.experiment)?;
    let stages = match args.stage {
        StageArg::Fp => vec![Stage::Fp],
        StageArg::Hwa => vec![Stage::Hwa],
        StageArg::All if exp.config.hwa.is_some() => vec![Stage::Fp, Stage::Hwa],
        StageArg::All => vec![Stage::Fp],
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(&exp.config.experiment.name));
    let data = load_task_data(&exp)?;
    let device = device(args.device)?;
    let mut outcomes: Vec<(Stage, StageOutcome)> = Vec::new();
    for stage in stages {
        let opts = TrainOptions {
            stage,
            out_dir: out.clone(),
            epochs: args.epochs,
            resume: args.resume,
            device: device.clone(),
            progress: !args.quiet,
        };
        outcomes.push((stage, train(&exp, &data, &opts)?));
    }
    match args.format {
        OutputFormat::Json => {
            let v: Vec<serde_json::Value> = outcomes
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
            let metric = data.metric();
            let (m, e, items) = (
                metric.name(),
                eval_name(metric),
                exp.config.data.dataset.items(),
            );
            let mut t = TextTable::new(&[
                "stage",
                "epoch",
                "train_loss",
                &format!("train_{m}"),
                &format!("{e}_{m}"),
                &format!("{items}_per_s"),
            ]);
            for (s, o) in &outcomes {
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
                for (s, o) in &outcomes {
                    println!("{} checkpoint: {}", s.name(), o.checkpoint.display());
                }
            }
        }
    }
    Ok(())
}
