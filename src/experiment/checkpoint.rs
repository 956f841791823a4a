//! Checkpoints: one safetensors file holding the model's variables, the optimiser state
//! (`optimizer.*`) and, in the file's metadata, the training state (stage, epochs done, steps,
//! history), written atomically so that a crash never leaves a half-written checkpoint.

use super::metric::Metric;
use crate::error::{Error, Result};
use crate::fsutil::write_atomic;
use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The format tag written into every checkpoint.
pub const FORMAT: &str = "aimc-checkpoint/1";

/// One epoch's figures. The metric is the stage's (`TrainState::metric`): accuracy on the
/// training and test images, or perplexity on the training and validation text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub lr: f64,
    pub noise_scale: f64,
    /// Mean training loss.
    pub train_loss: f64,
    #[serde(alias = "train_accuracy")]
    pub train_metric: f64,
    /// The evaluation after the epoch (test images, or the validation text).
    #[serde(alias = "test_accuracy")]
    pub eval_metric: f64,
    /// Training throughput: images or words per second.
    #[serde(alias = "images_per_s")]
    pub items_per_s: f64,
}

/// The training state stored in a checkpoint's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    pub format: String,
    pub experiment: String,
    /// `fp` or `hwa`.
    pub stage: String,
    /// Epochs completed.
    pub epoch: usize,
    /// Optimiser steps taken.
    pub step: u64,
    /// Whether the analog weights are held normalised (HWA parametrisation).
    pub normalised: bool,
    /// What `history` measures (accuracy when absent: checkpoints before language models).
    #[serde(default)]
    pub metric: Metric,
    pub history: Vec<EpochRecord>,
}

/// A loaded checkpoint.
#[derive(Debug)]
pub struct Checkpoint {
    pub tensors: HashMap<String, Tensor>,
    pub state: TrainState,
}

/// Writes `tensors` and `state` to `path` atomically.
pub fn save(path: &Path, tensors: &[(String, Tensor)], state: &TrainState) -> Result<()> {
    let meta = HashMap::from([(
        "aimc".to_string(),
        serde_json::to_string(state).map_err(|e| Error::Tensor(e.to_string()))?,
    )]);
    let tensors: Vec<(String, Tensor)> = tensors
        .iter()
        .map(|(n, t)| Ok((n.clone(), t.to_device(&Device::Cpu)?.contiguous()?)))
        .collect::<Result<_, candle_core::Error>>()?;
    let bytes = safetensors::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), Some(meta))
        .map_err(|e| Error::Data {
            file: path.display().to_string(),
            message: format!("cannot serialise checkpoint: {e}"),
        })?;
    write_atomic(path, &bytes)
}

/// Reads a checkpoint written by [`save`].
pub fn load(path: &Path, device: &Device) -> Result<Checkpoint> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |message: String| Error::Data {
        file: file.clone(),
        message,
    };
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| bad(format!("not a safetensors checkpoint ({e})")))?;
    let json = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get("aimc"))
        .ok_or_else(|| {
            bad("no aimc training state in the metadata (not an aimc checkpoint)".into())
        })?;
    let state: TrainState =
        serde_json::from_str(json).map_err(|e| bad(format!("training state: {e}")))?;
    if state.format != FORMAT {
        return Err(bad(format!(
            "format `{}`, expected `{FORMAT}`",
            state.format
        )));
    }
    let tensors = candle_core::safetensors::load_buffer(&bytes, device)
        .map_err(|e| bad(format!("tensors: {}", Error::from(e))))?;
    Ok(Checkpoint { tensors, state })
}

/// Sets every variable of `varmap` from `tensors` (names as in the model). A missing tensor,
/// a tensor of another shape, or a model tensor the model does not have is an error naming it;
/// except input ranges saved for another tile geometry (other tiles per matrix): each tile then
/// starts from the largest saved range of its matrix.
pub fn load_into_varmap(
    varmap: &VarMap,
    tensors: &HashMap<String, Tensor>,
    file: &str,
) -> Result<()> {
    let data = varmap.data().lock().expect("lock");
    let bad = |message: String| Error::Data {
        file: file.to_string(),
        message,
    };
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let t = tensors
            .get(name)
            .ok_or_else(|| bad(format!("tensor `{name}` missing (shape {:?})", var.dims())))?;
        if name.ends_with(".input_range") && t.dims() != var.dims() {
            let largest = t.to_dtype(candle_core::DType::F32)?.max_all()?;
            var.set(
                &largest
                    .broadcast_as(var.shape())?
                    .to_dtype(var.dtype())?
                    .contiguous()?,
            )?;
            continue;
        }
        if t.dims() != var.dims() {
            return Err(bad(format!(
                "tensor `{name}` has shape {:?}, the model expects {:?}",
                t.dims(),
                var.dims()
            )));
        }
        var.set(&t.to_dtype(var.dtype())?.to_device(var.device())?)?;
    }
    let mut extra: Vec<&String> = tensors
        .keys()
        .filter(|n| !n.starts_with("optimizer.") && !data.contains_key(*n))
        .collect();
    extra.sort();
    if let Some(n) = extra.first() {
        return Err(bad(format!(
            "tensor `{n}` is not part of the model ({} unexpected tensors: another architecture?)",
            extra.len()
        )));
    }
    Ok(())
}

/// The variables of `varmap` as named tensors, sorted by name.
pub fn varmap_tensors(varmap: &VarMap) -> Vec<(String, Tensor)> {
    let data = varmap.data().lock().expect("lock");
    let mut out: Vec<(String, Tensor)> = data
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
