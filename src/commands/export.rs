//! `aimc export`: a trained network as an ONNX file with its trained weights (issue 18; for now
//! imported networks: their own graph with the values they learned, `onnx/export.rs`).

use crate::error::{Error, Result};
use crate::experiment::load::target_model;
use crate::experiment::run_dir::resolve;
use crate::models::ModelConfig;
use crate::models::onnx_classifier::OnnxClassifier;
use crate::onnx::export::export_model;
use crate::onnx::read_model;
use std::path::Path;

/// Writes the network of `target` (a run directory, stage directory, checkpoint or an imported
/// network's experiment file) to `out` as ONNX.
pub fn export(target: &Path, out: &Path) -> Result<()> {
    let target = resolve(target)?;
    let exp = &target.experiment;
    let ModelConfig::Onnx(config) = &exp.config.model else {
        return Err(Error::invalid_argument(
            "TARGET",
            "a network imported from ONNX (export of built-in architectures is not there yet)",
            format!("a `{}` network ({})", exp.config.model.name(), exp.file),
        ));
    };
    let device = candle_core::Device::Cpu;
    let (model, _) = target_model(&target, false, &exp.config.tile, &device)?;
    let net = model
        .downcast_ref::<OnnxClassifier>()
        .ok_or_else(|| Error::Tensor("an onnx model that is not an OnnxClassifier".into()))?;
    let onnx = read_model(Path::new(&config.file))?;
    export_model(&onnx, net.graph(), out)
}
