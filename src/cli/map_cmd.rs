//! `aimc map`: how a model lies on tiles.

use aimc::commands::map::map;
use aimc::onnx::plan::GroupPolicy;
use aimc::report::OutputFormat;
use aimc::report::format::to_json;
use aimc::report::map_table::map_table;
use clap::Args;

/// Per analog layer: name, kind, matrix size (inputs x outputs; a convolution is C_in*kh*kw x
/// C_out), tile grid, tiles and utilisation; then totals of tiles, mapped and digital parameters
/// (and, for an ONNX file, the digital operations by count).
#[derive(Debug, Args)]
pub struct MapArgs {
    /// A built-in model (resnet32, wrn16-4, wrn16-8, lstm-ptb, bert-base), a TOML file with a
    /// [model] section (e.g. models/NAME.toml) or an ONNX file (NAME.onnx).
    model: String,
    /// Tile size ROWSxCOLS.
    #[arg(long, default_value = "512x512")]
    tile: String,
    /// How a grouped (or depthwise) convolution of an ONNX file lies on tiles.
    #[arg(long, value_enum, default_value = "per-group")]
    groups: GroupPolicy,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub fn run(args: MapArgs) -> anyhow::Result<()> {
    let map = map(&args.model, &args.tile, args.groups)?;
    if args.format == OutputFormat::Json {
        print!("{}", to_json(&map));
        return Ok(());
    }
    let t = map_table(&map);
    let tot = &map.totals;
    if args.format == OutputFormat::Csv {
        print!("{}", t.to_csv());
    } else {
        println!(
            "{} on {}x{} tiles",
            args.model, map.tile_rows, map.tile_cols
        );
        print!("{}", t.to_text());
        println!(
            "total: {} tiles, {} mapped parameters, {} digital parameters, utilisation {:.3}",
            tot.total_tiles, tot.mapped_parameters, tot.digital_parameters, tot.utilisation
        );
        if !map.digital_ops.is_empty() {
            let ops: Vec<String> = map
                .digital_ops
                .iter()
                .map(|(op, n)| format!("{op} {n}"))
                .collect();
            println!("digital ops: {}", ops.join(", "));
        }
    }
    Ok(())
}
