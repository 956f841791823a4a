//! `aimc export`: a trained network as an ONNX file.

use aimc::commands::export::{Programmed, export};
use clap::Args;
use std::path::PathBuf;

/// Write a trained network as an ONNX file with its trained weights (as they act: HWA's output
/// scales folded in), readable by onnxruntime and any ONNX tool: ResNet and WRN (taking images
/// as aimc feeds them, normalised when the experiment normalises), the LSTM language model (token
/// ids to next-word logits, from zero states), BERT (token ids and attention mask to class
/// logits), and networks imported from ONNX (their own graph, the values they learned written
/// in).
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A run directory of `aimc train` (its HWA checkpoint, else the FP one), a stage directory,
    /// a checkpoint file, or an imported network's experiment file.
    target: PathBuf,
    /// The ONNX file to write.
    #[arg(long)]
    out: PathBuf,
    /// Write the weights one programmed chip holds at --time (programming noise, drift and
    /// read noise drawn once: repeat 1 of `aimc sweep` with the same device, time and seed),
    /// drift compensation folded into the output scales.
    #[arg(long)]
    programmed: bool,
    /// With --programmed: the device [default: the experiment tile's].
    #[arg(long, requires = "programmed")]
    device: Option<String>,
    /// With --programmed: the time after programming (s, m, h, d, mo, y suffixes).
    #[arg(long, default_value = "1s")]
    time: String,
    /// With --programmed: the seed (as `aimc sweep --seed`).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write each analog layer as its tiles with their deterministic periphery on the
    /// experiment's `[tile]`: input ranges, DAC, IR drop, ADC and output scales in standard ONNX
    /// ops (output and read noise, being random, left out), so that the file computes aimc's
    /// noise-free tile output (the LSTM language model's layers as a Scan over time; an imported
    /// graph's LSTM nodes are refused). The tiles' input ranges must be static.
    #[arg(long)]
    periphery: bool,
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let programmed = if args.programmed {
        let device = match args.device {
            Some(d) => d,
            None => aimc::experiment::run_dir::resolve(&args.target)?
                .experiment
                .config
                .tile
                .device
                .clone(),
        };
        Some(Programmed {
            device,
            time: args.time,
            seed: args.seed,
        })
    } else {
        None
    };
    export(&args.target, &args.out, programmed.as_ref(), args.periphery)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
