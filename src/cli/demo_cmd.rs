//! `aimc demo`: the whole pipeline (FP training, direct mapping, HWA training, sweeps, report)
//! on the built-in experiment or any experiment file.

use super::train_cmd::DeviceArg;
use aimc::commands::demo::{DemoRequest, demo_table, duration, run_demo};
use aimc::report::OutputFormat;
use aimc::report::format::to_json;
use clap::Args;
use std::path::PathBuf;

/// The paper's pipeline end to end: train a network in floating point, program it directly onto
/// analog tiles and read it at 1 s, 1 h, 1 day and 1 year (with repeats), fine-tune it
/// hardware-aware, sweep it again, and write a report (table with A*, drift plot, device plot,
/// tile map) into reports/demo/. By default on a ResNet-8 and the Fashion-MNIST subset built
/// into the binary: about 8 minutes on a 2-core CPU, no files or network needed.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// An experiment file with an [hwa] section (e.g. models/wrn16-4-cifar100.toml, a GPU job)
    /// [default: the built-in models/demo-fashion.toml].
    #[arg(long)]
    experiment: Option<PathBuf>,
    /// A smaller version (1,024 training and 250 test images, 4 FP + 2 HWA epochs, 4 repeats):
    /// under a minute.
    #[arg(long)]
    quick: bool,
    /// Repeats per time [default: 5, quick 4].
    #[arg(long)]
    reps: Option<usize>,
    /// Times after programming (s, m, h, d, mo, y suffixes).
    #[arg(long, default_value = "1s,1h,1d,1y")]
    times: String,
    /// Seed of the sweeps (training uses the experiment's).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Report directory [default: reports/demo, reports/demo-quick, reports/demo-<experiment>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Checkpoint directory [default: runs/demo, runs/demo-quick, runs/demo-<experiment>].
    #[arg(long)]
    runs: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceArg,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
    /// What to print at the end (the files are written either way).
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let plan = DemoRequest {
        experiment: args.experiment,
        quick: args.quick,
        reps: args.reps,
        times: Some(args.times),
        seed: args.seed,
        out: args.out,
        runs: args.runs,
    }
    .plan()?;
    let device = super::train_cmd::device(args.device)?;
    let outcome = run_demo(&plan, &device, !args.quiet)?;
    let table = demo_table(&outcome);
    match args.format {
        OutputFormat::Json => print!("{}", to_json(&outcome)),
        OutputFormat::Csv => print!("{}", table.to_csv()),
        OutputFormat::Table => {
            println!(
                "\n{}: test accuracy (%) after programming, mean ± std over {} repeats",
                outcome.experiment, plan.reps
            );
            print!("{}", table.to_text());
            let total: f64 = outcome.timings.iter().map(|t| t.seconds).sum();
            println!("\ntotal time {}; the report:", duration(total));
            for f in &outcome.files {
                println!("  {}", f.display());
            }
        }
    }
    Ok(())
}
