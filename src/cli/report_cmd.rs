//! `aimc report`: several sweeps (direct mapping against HWA, devices, tile presets) in one
//! table and one plot (all of one metric: accuracy or perplexity).

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
    let mut first: Option<(aimc::sweep::Metric, &PathBuf)> = None;
    for r in &args.reports {
        for sweep in read_sweeps(r)? {
            match first {
                Some((m, at)) if m != sweep.metric => anyhow::bail!(
                    "{}: a sweep of the {}, but {} holds sweeps of the {}: one report compares one metric",
                    r.display(),
                    sweep.metric.name(),
                    at.display(),
                    m.name()
                ),
                Some(_) => {}
                None => first = Some((sweep.metric, r)),
            }
            results.push(sweep);
        }
    }
    let files = write_report(&results, &args.out)?;
    print!("{}", points_table(&results).to_text());
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
