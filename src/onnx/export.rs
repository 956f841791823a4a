//! Writing an imported network back to ONNX with its trained values (issue 18, `aimc export`):
//! the file's own graph, each weight the network learned written in place of the file's: the
//! weights as they act (out_scale w, HWA's parametrisation folded, or a programmed chip's
//! realised weights; a convolution's groups and an
//! LSTM's directions reassembled; Gemm's alpha and beta undone; a bias on the tiles split off),
//! the biases, batch normalisations' parameters and running statistics, and the learned operands
//! of element-wise ops. An initializer that other nodes also read, or a weight the file computed
//! (folded), is written as a new initializer that the node reads instead. Every initializer is
//! stored inline, so the file stands alone.

use super::analog::{AnalogGraph, AnalogOp};
use super::proto::tensor_proto::{DataLocation, DataType};
use super::proto::{ModelProto, TensorProto};
use super::read::OnnxModel;
use crate::error::{Error, Result};
use candle_core::{DType, Tensor};
use prost::Message;
use std::path::Path;

/// A value the network learned: input `input` of node `node` (its index in the file).
#[derive(Debug, Clone)]
pub struct TrainedValue {
    pub node: usize,
    pub input: usize,
    pub value: Tensor,
}

/// The layer weights of `matrix` as they act: [out, in], and the bias column of a bias on the
/// tiles, if any.
pub(super) fn acting(m: &crate::tile::TiledMatrix) -> Result<(Tensor, Option<Tensor>)> {
    let inputs = m.weight().dim(1)?;
    let w = m.acting_weight()?;
    if w.dim(1)? > inputs {
        Ok((
            w.narrow(1, 0, inputs)?,
            Some(w.narrow(1, inputs, 1)?.squeeze(1)?),
        ))
    } else {
        Ok((w, None))
    }
}

impl AnalogGraph {
    /// Every value the network learned, in the shape and place its file reads it.
    pub fn trained_values(&self) -> Result<Vec<TrainedValue>> {
        let mut out = Vec::new();
        for step in &self.steps {
            let mut push = |input: usize, value: Tensor| {
                out.push(TrainedValue {
                    node: step.index,
                    input,
                    value: value.detach(),
                })
            };
            for (i, v) in &step.params.params {
                push(*i, v.clone());
            }
            match &step.analog {
                None => {}
                Some(AnalogOp::Conv {
                    layers,
                    bias,
                    weight_dims,
                    ..
                }) => {
                    let parts = layers
                        .iter()
                        .map(|l| Ok(acting(l.matrix())?.0))
                        .collect::<Result<Vec<_>>>()?;
                    push(1, Tensor::cat(&parts, 0)?.reshape(weight_dims.as_slice())?);
                    if let Some(b) = bias {
                        push(2, b.clone());
                    }
                }
                Some(AnalogOp::Gemm {
                    linear,
                    alpha,
                    beta,
                    trans_b,
                    bias,
                    ..
                }) => {
                    let (w, tile_bias) = acting(linear.matrix())?;
                    let w = (w / *alpha as f64)?;
                    push(1, if *trans_b { w } else { w.t()?.contiguous()? });
                    if let Some((b, dims)) = bias {
                        let b = tile_bias.unwrap_or_else(|| b.clone());
                        push(2, (b / *beta as f64)?.reshape(dims.as_slice())?);
                    }
                }
                Some(AnalogOp::MatMul(linear)) => {
                    push(1, acting(linear.matrix())?.0.t()?.contiguous()?);
                }
                Some(AnalogOp::Lstm { products, bias, .. }) => {
                    for which in 0..2 {
                        let parts = products
                            .iter()
                            .map(|p| {
                                let m = p[which].matrix();
                                Ok(acting(m)?.0)
                            })
                            .collect::<Result<Vec<_>>>()?;
                        push(1 + which, Tensor::stack(&parts, 0)?);
                    }
                    if let Some(b) = bias {
                        push(3, b.clone());
                    }
                }
            }
        }
        Ok(out)
    }
}

/// `t` as an inline f32 initializer named `name`.
fn initializer(name: &str, t: &Tensor) -> Result<TensorProto> {
    let values = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
    Ok(TensorProto {
        name: Some(name.to_string()),
        dims: t.dims().iter().map(|&d| d as i64).collect(),
        data_type: Some(DataType::Float as i32),
        raw_data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
        ..Default::default()
    })
}

/// The bytes of `model`'s file with `values` written in.
pub fn export_bytes(model: &OnnxModel, values: &[TrainedValue]) -> Result<Vec<u8>> {
    let file = model.file.display().to_string();
    let bytes = std::fs::read(&model.file).map_err(|e| Error::io(&model.file, e))?;
    let mut proto = ModelProto::decode(bytes.as_slice())
        .map_err(|e| Error::data(&file, format!("not an ONNX model: {e}")))?;
    let ir_version = proto.ir_version.unwrap_or(0);
    let graph = proto
        .graph
        .as_mut()
        .ok_or_else(|| Error::data(&file, "an ONNX model without a graph"))?;
    // Every initializer inline (external data read when the model was).
    for init in graph.initializer.iter_mut() {
        let name = init.name.clone().unwrap_or_default();
        if init.data_location == Some(DataLocation::External as i32)
            && let Some(t) = model.initializers.get(&name)
        {
            let t = super::execute::to_candle(t, &candle_core::Device::Cpu)?;
            *init = initializer(&name, &t)?;
        }
    }
    let readers = |graph: &super::proto::GraphProto, name: &str| {
        graph
            .node
            .iter()
            .flat_map(|n| n.input.iter())
            .filter(|i| *i == name)
            .count()
    };
    for v in values {
        let name = graph.node[v.node].input[v.input].clone();
        let own = readers(graph, &name) == 1;
        match graph
            .initializer
            .iter_mut()
            .find(|i| i.name.as_deref() == Some(&name))
        {
            Some(init) if own => *init = initializer(&name, &v.value)?,
            _ => {
                let fresh = format!("{name}.trained{}", v.node);
                graph.initializer.push(initializer(&fresh, &v.value)?);
                if ir_version < 4 {
                    // Before IR 4 every initializer is also a graph input.
                    let dims: Vec<Option<usize>> =
                        v.value.dims().iter().map(|&d| Some(d)).collect();
                    graph.input.push(super::write::value_info(&fresh, &dims));
                }
                graph.node[v.node].input[v.input] = fresh;
            }
        }
    }
    Ok(proto.encode_to_vec())
}

/// Writes `model` with the trained values of `graph` to `out` (atomically).
pub fn export_model(model: &OnnxModel, graph: &AnalogGraph, out: &Path) -> Result<()> {
    let bytes = export_bytes(model, &graph.trained_values()?)?;
    crate::fsutil::write_atomic(out, &bytes)
}
