//! `aimc tile error`: the MVM error of a tile configuration, with all its non-idealities and
//! with each alone.

use aimc::device::registry::resolve_device;
use aimc::report::TextTable;
use aimc::report::format::to_json;
use aimc::tile::TileConfig;
use aimc::tile::mvm_error::mvm_error_report;
use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum TileCommand {
    /// MVM error eps_M = ||y - y_ideal|| / ||y_ideal|| (W ~ N(0, 0.246), x ~ U(-1, 1)) for the
    /// configuration and for each non-ideality alone: dac_adc, out_noise, read_noise,
    /// prog_noise, ir_drop, drift (at --t-s, with the configured compensation).
    Error {
        /// A preset (standard, ideal) or a TOML file with a [tile] section.
        #[arg(long, default_value = "standard")]
        tile: String,
        /// Device name or .toml path (default: the tile's device).
        #[arg(long)]
        device: Option<String>,
        /// Rows (inputs) of the tile (default: the tile's).
        #[arg(long)]
        rows: Option<usize>,
        /// Columns (outputs) of the tile (default: the tile's).
        #[arg(long)]
        cols: Option<usize>,
        /// Input vectors averaged over.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Time after programming, s (drift and 1/f read noise).
        #[arg(long = "t-s", default_value_t = 0.0)]
        t_s: f64,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, value_enum, default_value = "table")]
        format: ErrorFormat,
    },
}

/// `--format` of `tile error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    Table,
    Json,
}

pub fn run(cmd: TileCommand) -> anyhow::Result<()> {
    match cmd {
        TileCommand::Error {
            tile,
            device,
            rows,
            cols,
            batch,
            t_s,
            seed,
            format,
        } => {
            let config = TileConfig::resolve(&tile)?
                .edit(|t| {
                    t.rows = rows.unwrap_or(t.rows);
                    t.cols = cols.unwrap_or(t.cols);
                    if let Some(d) = &device {
                        t.device = d.clone();
                    }
                })
                .map_err(|e| e.clone().as_argument(format!("--{}", e.key)))?;
            if !(t_s.is_finite() && t_s >= 0.0) {
                anyhow::bail!("invalid --t-s: expected a finite time >= 0 s, found {t_s}");
            }
            let spec = resolve_device(&config.device)?;
            let rows = mvm_error_report(&config, &spec, batch, t_s, seed)?;
            match format {
                ErrorFormat::Json => {
                    print!("{}", to_json(&serde_json::json!({ "results": rows })));
                }
                ErrorFormat::Table => {
                    let mut t = TextTable::new(&["nonideality", "eps_m"]);
                    for r in &rows {
                        t.push(vec![r.nonideality.clone(), format!("{:.5}", r.eps_m)]);
                    }
                    println!(
                        "tile {}x{}, device {}, t = {} s, {} inputs",
                        config.rows, config.cols, config.device, t_s, batch
                    );
                    print!("{}", t.to_text());
                }
            }
            Ok(())
        }
    }
}
