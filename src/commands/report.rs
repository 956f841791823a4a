//! `aimc report`: several sweeps (directories of `aimc sweep` or their `sweep.json`) in one
//! table and one plot, all of one metric; or the shards of one sweep merged (`--merge`).

use crate::error::{Error, Result};
use crate::experiment::Metric;
use crate::report::sensitivity_report::write_sensitivity_report;
use crate::report::sweep_report::{read_sweeps, write_report};
use crate::sweep::sensitivity::SensitivityResult;
use crate::sweep::sensitivity_shard::{SensitivityShard, ValueRun, assemble_sensitivity};
use crate::sweep::shard::{read_split, shard_paths};
use crate::sweep::{SweepResult, merge_shards};
use std::path::{Path, PathBuf};

/// What the shards of one study merged into.
#[derive(Debug, Clone)]
pub enum Merged {
    Sweep(SweepResult),
    Sensitivity(SensitivityResult),
}

/// The shards of one study in `dir` (of `aimc sweep` or `aimc sensitivity`, told by the first
/// file) merged into `dir`'s report (`sweep/shard.rs`): every shard checked before any file is
/// written.
pub fn merge(dir: &Path) -> Result<(Merged, Vec<PathBuf>)> {
    let paths = shard_paths(dir)?;
    if of_sensitivity(&paths[0]) {
        let shards: Vec<SensitivityShard> = read_split(dir, &paths)?;
        let runs: Vec<ValueRun> = shards.iter().flat_map(|s| s.runs.clone()).collect();
        let result = assemble_sensitivity(&shards[0].study, &runs)?;
        let files = write_sensitivity_report(&result, dir)?;
        return Ok((Merged::Sensitivity(result), files));
    }
    let result = merge_shards(dir, &paths)?;
    let files = write_report(std::slice::from_ref(&result), dir)?;
    Ok((Merged::Sweep(result), files))
}

/// Whether the shard file at `path` is one of `aimc sensitivity` (its study names a knob); a
/// file that is no JSON is left to the sweep's reader to refuse.
fn of_sensitivity(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|v| v["study"].get("knob").is_some())
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
