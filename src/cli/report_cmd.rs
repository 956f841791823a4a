//! `aimc report`: several sweeps (direct mapping against HWA, devices, tile presets) in one
//! table and one plot (all of one metric: accuracy or perplexity).

use aimc::commands::report::{Merged, combine, merge};
use aimc::report::sensitivity_report::sensitivity_table;
use aimc::report::sweep_report::points_table;
use clap::Args;
use std::path::PathBuf;

/// Combine the reports of several sweeps (directories written by `aimc sweep`, or their
/// sweep.json files) into one sweep.csv, sweep.json, summary.md and drift plot; or, with
/// --merge DIR, the shards of one study (`aimc sweep --shard I/N --out DIR` or `aimc sensitivity
/// --shard I/N --out DIR`) into DIR's report, the files the unsharded command writes.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report directories (or sweep.json files).
    #[arg(required_unless_present = "merge", conflicts_with = "merge")]
    reports: Vec<PathBuf>,
    /// Merge the shards in DIR (all of 1..N, of one sweep or sensitivity study) into DIR's report.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    merge: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "reports/combined")]
    out: PathBuf,
}

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let files = match &args.merge {
        Some(dir) => {
            let (merged, files) = merge(dir)?;
            match merged {
                Merged::Sweep(r) => print!("{}", points_table(&[r]).to_text()),
                Merged::Sensitivity(r) => print!("{}", sensitivity_table(&r).to_text()),
            }
            files
        }
        None => {
            let (results, files) = combine(&args.reports, &args.out)?;
            print!("{}", points_table(&results).to_text());
            files
        }
    };
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
