//! `aimc cost`: energy, latency and area of one inference on the tiles of a hardware file.

use aimc::commands::cost::{CostRequest, cost};
use aimc::onnx::plan::GroupPolicy;
use aimc::report::OutputFormat;
use aimc::report::cost_report::{cost_summary, cost_table, plot_cost};
use aimc::report::format::to_json;
use clap::Args;
use std::path::PathBuf;

/// Per analog layer and in total: energy per inference split into DAC, array, ADC and digital,
/// latency (the tiles of a layer in parallel, layers one after another; and the interval when
/// layers are pipelined), tiles, chip area, TOPS/W and TOPS/mm2 (a multiply-accumulate counts 2
/// operations). The array energy comes from the hardware file's stated mean weight and input, or,
/// for a run directory, from the programmed network and its test inputs. Formulas: docs/cost.md.
#[derive(Debug, Args)]
pub struct CostArgs {
    /// A built-in model (resnet32, wrn16-4, wrn16-8, lstm-ptb, bert-base), a TOML file with a
    /// [model] section, an ONNX file, or a run directory / checkpoint (measured weights and
    /// inputs).
    model: String,
    /// Hardware: a shipped name (hermes) or a hardware TOML file (hardware/NAME.toml).
    #[arg(long, default_value = "hermes")]
    hardware: String,
    /// Tile size ROWSxCOLS [default: the hardware file's].
    #[arg(long)]
    tile: Option<String>,
    /// One inference: an image size HxW, or a token count [default: the model's data (32x32
    /// for the built-in image models, one token of a language model, 128 tokens of BERT) or an
    /// ONNX file's declared input].
    #[arg(long)]
    input: Option<String>,
    /// ADC bits [default: the hardware file's].
    #[arg(long)]
    adc_bits: Option<u32>,
    /// DAC (input) bits [default: the hardware file's].
    #[arg(long)]
    dac_bits: Option<u32>,
    /// How a grouped (or depthwise) convolution of an ONNX file lies on tiles.
    #[arg(long, value_enum, default_value = "per-group")]
    groups: GroupPolicy,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Also draw the energy breakdown per layer as PLOT.png and PLOT.svg.
    #[arg(long, value_name = "PLOT")]
    plot: Option<PathBuf>,
}

pub fn run(args: CostArgs) -> anyhow::Result<()> {
    let report = cost(&CostRequest {
        model: args.model.clone(),
        hardware: args.hardware,
        tile: args.tile,
        input: args.input,
        adc_bits: args.adc_bits,
        dac_bits: args.dac_bits,
        groups: args.groups,
    })?;
    let c = &report.cost;
    match args.format {
        OutputFormat::Json => print!("{}", to_json(&report)),
        OutputFormat::Csv => print!("{}", cost_table(c, false).to_csv()),
        OutputFormat::Table => {
            println!(
                "{} on {} ({}x{} tiles, {}-bit DAC, {}-bit ADC), per inference ({})",
                args.model,
                c.hardware,
                c.tile_rows,
                c.tile_cols,
                c.dac_bits,
                c.adc_bits,
                report.inference
            );
            println!("weights and inputs: {}", report.activity.describe);
            print!("{}", cost_table(c, true).to_text());
            for line in cost_summary(c) {
                println!("{line}");
            }
            println!("schedule: {}", report.schedule);
            println!("operations: {}", report.ops_counted);
        }
    }
    if let Some(stem) = args.plot {
        let title = format!(
            "{}: energy per inference by layer ({})",
            args.model, c.hardware
        );
        let files = plot_cost(c, &title, &stem)?;
        if args.format == OutputFormat::Table {
            println!("plot: {}, {}", files[0].display(), files[1].display());
        }
    }
    Ok(())
}
