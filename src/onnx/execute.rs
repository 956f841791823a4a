//! Running an imported graph in floating point: the graph on the `ideal` tile preset
//! (`analog.rs`, the same code path as on any tile), against which the ONNX project's node
//! tests and reference outputs are checked; and the conversions between ONNX and candle
//! tensors.

use super::analog::{AnalogGraph, GraphOptions};
use super::read::OnnxModel;
use super::tensor::{Tensor as OnnxTensor, TensorData};
use crate::error::Result;
use crate::nn::seeded_var_builder;
use crate::rng::NoiseRng;
use crate::tile::TileConfig;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
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
/// the order of the graph's outputs: the graph on the `ideal` tile preset, its analog nodes'
/// weights those of the file.
pub fn run_graph(
    model: &OnnxModel,
    constants: &BTreeMap<String, OnnxTensor>,
    inputs: &HashMap<String, Tensor>,
    device: &Device,
) -> Result<Vec<Tensor>> {
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 0, DType::F32, device);
    let graph = AnalogGraph::build(
        model,
        constants,
        GraphOptions::default(),
        vb,
        &TileConfig::ideal(),
        NoiseRng::new(0),
    )?;
    graph.forward(inputs, false)
}
