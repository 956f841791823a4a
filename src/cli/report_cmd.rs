//! `aimc report`: several sweeps (direct mapping against HWA, devices, tile presets) in one
//! table and one plot.

use aimc::report::sweep_report::{points_table, read_sweeps, write_report};
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
    let mut results = Vec::new();
    for r in &args.reports {
        results.extend(read_sweeps(r)?);
    }
    let files = write_report(&results, &args.out)?;
    print!("{}", points_table(&results).to_text());
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
