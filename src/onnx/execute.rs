//! Running an imported graph digitally, node by node in file order, on candle tensors: its
//! constants (initializers and folded values) and inputs go into a table of values, each node's
//! outputs come from its op (`ops.rs`). The reference against which the ONNX project's node
//! tests are checked, and the digital part of a network on tiles.

use super::attributes::Attributes;
use super::ops;
use super::read::OnnxModel;
use super::tensor::{Tensor as OnnxTensor, TensorData};
use crate::error::{Error, Result};
use candle_core::{DType, Device, Tensor};
use std::collections::{BTreeMap, HashMap};

/// An ONNX tensor as a candle tensor: f32 for floating-point data, i64 for integers.
pub fn to_candle(t: &OnnxTensor, device: &Device) -> candle_core::Result<Tensor> {
    match &t.data {
        TensorData::F32(v) => Tensor::from_slice(v, t.dims.as_slice(), device),
        TensorData::I64(v) => Tensor::from_slice(v, t.dims.as_slice(), device),
    }
}

/// A candle tensor as an ONNX tensor (f32 or i64 data).
pub fn from_candle(t: &Tensor) -> candle_core::Result<OnnxTensor> {
    let dims = t.dims().to_vec();
    let data = match t.dtype() {
        DType::I64 | DType::U32 | DType::U8 => {
            TensorData::I64(t.to_dtype(DType::I64)?.flatten_all()?.to_vec1::<i64>()?)
        }
        _ => TensorData::F32(t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?),
    };
    Ok(OnnxTensor { dims, data })
}

/// The outputs of `model` (with its constants `constants`) for `inputs` (by input name), in
/// the order of the graph's outputs.
pub fn run_graph(
    model: &OnnxModel,
    constants: &BTreeMap<String, OnnxTensor>,
    inputs: &HashMap<String, Tensor>,
    device: &Device,
) -> Result<Vec<Tensor>> {
    let file = model.file.display().to_string();
    let mut values: HashMap<String, Tensor> = inputs.clone();
    for (name, t) in constants {
        values.insert(name.clone(), to_candle(t, device)?);
    }
    for node in &model.nodes {
        if node.output.iter().all(|o| constants.contains_key(o)) {
            continue;
        }
        let a = Attributes::of(node, &file);
        let args: Vec<Option<Tensor>> = node
            .input
            .iter()
            .map(|name| {
                if name.is_empty() {
                    Ok(None)
                } else {
                    values
                        .get(name)
                        .cloned()
                        .map(Some)
                        .ok_or_else(|| a.error(format!("input `{name}` has no value")))
                }
            })
            .collect::<Result<_>>()?;
        let outputs = ops::run(node.op_type(), &args, &a, model.opset)?;
        for (name, t) in node.output.iter().zip(outputs) {
            if !name.is_empty() {
                values.insert(name.clone(), t);
            }
        }
    }
    model
        .outputs
        .iter()
        .map(|o| {
            values
                .get(o)
                .cloned()
                .ok_or_else(|| Error::data(&file, format!("graph output `{o}` has no value")))
        })
        .collect()
}
