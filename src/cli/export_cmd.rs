//! `aimc export`: a trained network as an ONNX file.

use aimc::commands::export::export;
use clap::Args;
use std::path::PathBuf;

/// Write a trained network as an ONNX file with its trained weights (as they act: HWA's output
/// scales folded in), readable by onnxruntime and any ONNX tool: ResNet and WRN (taking images
/// as aimc feeds them, normalised when the experiment normalises), and networks imported from
/// ONNX (their own graph, the values they learned written in).
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A run directory of `aimc train` (its HWA checkpoint, else the FP one), a stage directory,
    /// a checkpoint file, or an imported network's experiment file.
    target: PathBuf,
    /// The ONNX file to write.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    export(&args.target, &args.out)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
