//! `aimc report`: several sweeps (direct mapping against HWA, devices, tile presets) in one
//! table and one plot (all of one metric: accuracy or perplexity).

use aimc::commands::report::combine;
use aimc::report::sweep_report::points_table;
use clap::Args;
use std::path::PathBuf;

/// Combine the reports of several sweeps (directories written by `aimc sweep`, or their
/// sweep.json files) into one sweep.csv, sweep.json, summary.md and drift plot.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report directories (or sweep.json files).
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "reports/combined")]
    out: PathBuf,
}

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let (results, files) = combine(&args.reports, &args.out)?;
    print!("{}", points_table(&results).to_text());
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
