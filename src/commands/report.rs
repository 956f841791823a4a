//! `aimc report`: several sweeps (directories of `aimc sweep` or their `sweep.json`) in one
//! table and one plot, all of one metric; or the shards of one sweep merged (`--merge`).

use crate::error::{Error, Result};
use crate::experiment::Metric;
use crate::report::sweep_report::{read_sweeps, write_report};
use crate::sweep::{SweepResult, merge_shards};
use std::path::{Path, PathBuf};

/// The shards of one sweep in `dir` merged into `dir`'s report (`sweep/shard.rs`): every shard
/// checked before any file is written.
pub fn merge(dir: &Path) -> Result<(Vec<SweepResult>, Vec<PathBuf>)> {
    let results = vec![merge_shards(dir)?];
    let files = write_report(&results, dir)?;
    Ok((results, files))
}

/// The sweeps of `reports`, combined into `out`: the results and the files written.
pub fn combine(reports: &[PathBuf], out: &Path) -> Result<(Vec<SweepResult>, Vec<PathBuf>)> {
    let mut results = Vec::new();
    let mut first: Option<(Metric, &PathBuf)> = None;
    for r in reports {
        for sweep in read_sweeps(r)? {
            match first {
                Some((m, at)) if m != sweep.metric => {
                    return Err(Error::data(
                        r.display(),
                        format!(
                            "a sweep of the {}, but {} holds sweeps of the {}: one report compares one metric",
                            sweep.metric.name(),
                            at.display(),
                            m.name()
                        ),
                    ));
                }
                Some(_) => {}
                None => first = Some((sweep.metric, r)),
            }
            results.push(sweep);
        }
    }
    let files = write_report(&results, out)?;
    Ok((results, files))
}
