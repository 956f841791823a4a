//! `aimc tile error`: the MVM error of a tile configuration, with all its non-idealities and
//! with each alone.

use super::train_cmd::DeviceArg;
use aimc::commands::tile_error::{TileErrorRequest, tile_error};
use aimc::report::TextTable;
use aimc::report::format::to_json;
use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum TileCommand {
    /// MVM error eps_M = ||y - y_ideal|| / ||y_ideal|| (W ~ N(0, 0.246), x ~ U(-1, 1)) for the
    /// configuration and for each non-ideality alone: dac_adc, out_noise, read_noise,
    /// prog_noise, ir_drop, drift (at --t-s, with the configured compensation).
    Error(ErrorArgs),
}

/// The arguments of `tile error`.
#[derive(Debug, Args)]
pub struct ErrorArgs {
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
    /// Where to compute (the tile's --device is the analog device).
    #[arg(long, value_enum, default_value = "cpu")]
    compute: DeviceArg,
}

/// `--format` of `tile error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    Table,
    Json,
}

pub fn run(cmd: TileCommand) -> anyhow::Result<()> {
    let TileCommand::Error(args) = cmd;
    let outcome = tile_error(&TileErrorRequest {
        tile: args.tile,
        device: args.device,
        rows: args.rows,
        cols: args.cols,
        batch: args.batch,
        t_s: args.t_s,
        seed: args.seed,
        compute: aimc::commands::compute_device(args.compute == DeviceArg::Cuda, "--compute")?,
    })?;
    let (t_s, batch) = (args.t_s, args.batch);
    match args.format {
        ErrorFormat::Json => {
            print!(
                "{}",
                to_json(&serde_json::json!({ "results": outcome.rows }))
            );
        }
        ErrorFormat::Table => {
            let mut t = TextTable::new(&["nonideality", "eps_m"]);
            for r in &outcome.rows {
                t.push(vec![r.nonideality.clone(), format!("{:.5}", r.eps_m)]);
            }
            let c = &outcome.config;
            let mapping = match &c.mapping {
                m if m.is_pair() => String::new(),
                m => format!(", mapping {m:?}"),
            };
            println!(
                "tile {}x{}, device {}{mapping}, t = {} s, {} inputs",
                c.rows, c.cols, c.device, t_s, batch
            );
            print!("{}", t.to_text());
        }
    }
    Ok(())
}
