//! Writing a network aimc built as an ONNX graph (issue 18, `aimc export` of built-in
//! architectures): a small graph builder whose layer methods take aimc's layers and write their
//! weights as they act (out_scale w: HWA's parametrisation folded; once programmed, the realised
//! weights times their output scales, `TiledMatrix::acting_weight`) with standard ops (opset 13):
//! Conv, Gemm, BatchNormalization (inference), Relu, Add, MaxPool, Pad, GlobalAveragePool,
//! Flatten; with `write_periphery`, each analog layer as its tiles with their deterministic
//! periphery (`write_periphery.rs`).

use super::export::acting;
use super::proto::attribute_proto::AttributeType;
use super::proto::tensor_proto::DataType;
use super::proto::tensor_shape_proto::{Dimension, dimension};
use super::proto::type_proto::{Tensor as TensorType, Value};
use super::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use super::write_periphery::Product;
use crate::error::Result;
use crate::nn::{AnalogConv2d, AnalogLinear, AnalogLstm};
use candle_core::{DType, Tensor};
use candle_nn::BatchNorm;
use prost::Message;

/// The opset the writer uses.
pub const OPSET: i64 = 13;

/// A graph being written: nodes in order, initializers, fresh value names.
#[derive(Debug, Default)]
pub struct GraphWriter {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    count: usize,
    /// The graph's input holds token ids (int64), not floats.
    tokens: bool,
    /// Graph inputs after the first (e.g. BERT's attention mask).
    extra_inputs: Vec<ValueInfoProto>,
    /// Analog layers written with their tiles' deterministic periphery (`write_periphery.rs`)
    /// instead of as one product with their acting weights.
    periphery: bool,
    /// LSTM layers written so far (each Scan body's names).
    lstm_layers: usize,
    /// The opset of the graph written into when not [`OPSET`] (an imported file's), for the
    /// ops whose form changed (Clip, Unsqueeze); and a prefix of every fresh name.
    target: Option<(i64, String)>,
}

/// An integer-list attribute.
pub fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Ints as i32),
        ints: v.to_vec(),
        ..Default::default()
    }
}

/// An integer attribute.
pub fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(v),
        ..Default::default()
    }
}

/// A float attribute.
pub fn float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Float as i32),
        f: Some(v),
        ..Default::default()
    }
}

/// A float tensor value info of shape `dims` (`None`: a symbolic dimension).
pub fn value_info(name: &str, dims: &[Option<usize>]) -> ValueInfoProto {
    typed_value_info(name, dims, DataType::Float)
}

/// The value info of initializer `t` (before IR 4 every initializer is also a graph input).
pub(super) fn initializer_info(t: &TensorProto) -> ValueInfoProto {
    let dims: Vec<Option<usize>> = t.dims.iter().map(|&d| Some(d as usize)).collect();
    let elem = match t.data_type {
        Some(d) if d == DataType::Int64 as i32 => DataType::Int64,
        _ => DataType::Float,
    };
    typed_value_info(t.name.as_deref().unwrap_or(""), &dims, elem)
}

/// A tensor value info of element type `elem` and shape `dims`.
fn typed_value_info(name: &str, dims: &[Option<usize>], elem: DataType) -> ValueInfoProto {
    let dim = dims
        .iter()
        .enumerate()
        .map(|(i, d)| Dimension {
            value: Some(match d {
                Some(n) => dimension::Value::DimValue(*n as i64),
                None => dimension::Value::DimParam(if i == 0 {
                    "batch".into()
                } else {
                    format!("d{i}")
                }),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(Value::TensorType(TensorType {
                elem_type: Some(elem as i32),
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl GraphWriter {
    /// A writer of nodes for a graph of opset `opset` whose names start with `prefix` (nodes
    /// put into an imported file: `export_periphery.rs`).
    pub fn for_graph(opset: i64, prefix: &str) -> Self {
        Self {
            target: Some((opset, prefix.to_string())),
            ..Self::default()
        }
    }

    /// The opset of the graph written.
    fn opset(&self) -> i64 {
        self.target.as_ref().map_or(OPSET, |t| t.0)
    }

    /// A fresh value name with `hint`.
    fn fresh(&mut self, hint: &str) -> String {
        self.count += 1;
        let prefix = self.target.as_ref().map_or("", |t| t.1.as_str());
        format!("{prefix}{hint}_{}", self.count)
    }

    /// `x` clipped to [`lo`, `hi`] (bounds as attributes before opset 11, as inputs from then).
    pub fn clip(&mut self, x: &str, lo: f32, hi: f32, hint: &str) -> Result<String> {
        if self.opset() < 11 {
            return Ok(self.node("Clip", &[x], vec![float("min", lo), float("max", hi)]));
        }
        let cpu = candle_core::Device::Cpu;
        let lo = self.init(&format!("{hint}.min"), &Tensor::new(lo, &cpu)?)?;
        let hi = self.init(&format!("{hint}.max"), &Tensor::new(hi, &cpu)?)?;
        Ok(self.node("Clip", &[x, &lo, &hi], vec![]))
    }

    /// `x` with size-1 axes `axes` inserted (an attribute before opset 13, an input from then).
    pub fn unsqueeze(&mut self, x: &str, axes: &[i64]) -> Result<String> {
        if self.opset() < 13 {
            return Ok(self.node("Unsqueeze", &[x], vec![ints("axes", axes)]));
        }
        let axes = self.init_i64("axes", &Tensor::new(axes, &candle_core::Device::Cpu)?)?;
        Ok(self.node("Unsqueeze", &[x, &axes], vec![]))
    }

    /// The nodes and initializers written so far, taken out, the node computing `value`
    /// renamed to output `name`.
    pub fn drain(&mut self, value: &str, name: &str) -> (Vec<NodeProto>, Vec<TensorProto>) {
        if let Some(last) = self.nodes.iter_mut().rev().find(|n| n.output[0] == value) {
            last.output[0] = name.to_string();
        }
        (
            std::mem::take(&mut self.nodes),
            std::mem::take(&mut self.initializers),
        )
    }

    /// Adds initializer `t` (f32) named after `hint`; returns its name.
    pub fn init(&mut self, hint: &str, t: &Tensor) -> Result<String> {
        let name = self.fresh(hint);
        let values = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        self.initializers.push(TensorProto {
            name: Some(name.clone()),
            dims: t.dims().iter().map(|&d| d as i64).collect(),
            data_type: Some(DataType::Float as i32),
            raw_data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
            ..Default::default()
        });
        Ok(name)
    }

    /// Adds initializer `t` (i64: shapes, pads) named after `hint`; returns its name.
    pub fn init_i64(&mut self, hint: &str, t: &Tensor) -> Result<String> {
        let name = self.fresh(hint);
        self.initializers.push(TensorProto {
            name: Some(name.clone()),
            dims: t.dims().iter().map(|&d| d as i64).collect(),
            data_type: Some(DataType::Int64 as i32),
            int64_data: t.to_dtype(DType::I64)?.flatten_all()?.to_vec1::<i64>()?,
            ..Default::default()
        });
        Ok(name)
    }

    /// Adds a node `op` of `inputs` and `attribute`s with `count` outputs; returns their names.
    pub fn node_outputs(
        &mut self,
        op: &str,
        inputs: &[&str],
        count: usize,
        attribute: Vec<AttributeProto>,
    ) -> Vec<String> {
        let outputs: Vec<String> = (0..count).map(|_| self.fresh(&op.to_lowercase())).collect();
        self.nodes.push(NodeProto {
            name: Some(outputs[0].clone()),
            op_type: Some(op.into()),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.clone(),
            attribute,
            ..Default::default()
        });
        outputs
    }

    /// The nodes and initializers written as a (sub)graph `name` with `input` and `output`.
    pub(super) fn into_graph(
        self,
        name: &str,
        input: Vec<ValueInfoProto>,
        output: Vec<ValueInfoProto>,
    ) -> GraphProto {
        GraphProto {
            name: Some(name.into()),
            node: self.nodes,
            initializer: self.initializers,
            input,
            output,
            ..Default::default()
        }
    }

    /// Adds a node `op` of `inputs` and `attribute`s; returns its output's name.
    pub fn node(&mut self, op: &str, inputs: &[&str], attribute: Vec<AttributeProto>) -> String {
        let output = self.fresh(&op.to_lowercase());
        self.nodes.push(NodeProto {
            name: Some(output.clone()),
            op_type: Some(op.into()),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            attribute,
            ..Default::default()
        });
        output
    }

    /// `x` through the convolution `conv` (its acting kernel, geometry and bias).
    pub fn conv(&mut self, x: &str, conv: &AnalogConv2d) -> Result<String> {
        let m = conv.matrix();
        let (kh, kw) = conv.kernel();
        let g = conv.geometry();
        let [pt, pl, pb, pr] = g.pads.map(|p| p as i64);
        let attrs = vec![
            ints("kernel_shape", &[kh as i64, kw as i64]),
            ints("strides", &[g.stride.0 as i64, g.stride.1 as i64]),
            ints("dilations", &[g.dilation.0 as i64, g.dilation.1 as i64]),
            ints("pads", &[pt, pl, pb, pr]),
        ];
        if self.periphery {
            let product = Product::Conv {
                channels: conv.in_channels(),
                kernel: vec![kh, kw],
                attrs,
                row_offset: 0,
            };
            let y = self.tiles(x, m, &product)?;
            return self.digital_bias(&y, conv.bias(), m.name(), &product);
        }
        let w = m.acting_weight()?;
        let w = w.reshape((w.dim(0)?, conv.in_channels(), kh, kw))?;
        let w = self.init(&format!("{}.weight", m.name()), &w)?;
        let mut inputs = vec![x.to_string(), w];
        if let Some(b) = conv.bias() {
            inputs.push(self.init(&format!("{}.bias", m.name()), b)?);
        }
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        Ok(self.node("Conv", &inputs, attrs))
    }

    /// `x` [B, in] through the linear layer `l` (its acting weights; a bias on the tiles split
    /// off).
    pub fn linear(&mut self, x: &str, l: &AnalogLinear) -> Result<String> {
        let m = l.matrix();
        if self.periphery {
            let y = self.tiles(x, m, &Product::Linear)?;
            return self.digital_bias(&y, l.bias(), m.name(), &Product::Linear);
        }
        let (w, tile_bias) = acting(m)?;
        let name = m.name().to_string();
        let w = self.init(&format!("{name}.weight"), &w)?;
        let mut args = vec![x.to_string(), w];
        if let Some(b) = tile_bias.as_ref().or(l.bias()) {
            args.push(self.init(&format!("{name}.bias"), b)?);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Ok(self.node("Gemm", &args, vec![int("transB", 1)]))
    }

    /// `x` through batch normalisation `bn` in inference mode.
    pub fn batch_norm(&mut self, x: &str, bn: &BatchNorm, hint: &str) -> Result<String> {
        let c = bn.running_mean().dim(0)?;
        let (scale, shift) = match bn.weight_and_bias() {
            Some((w, b)) => (w.clone(), b.clone()),
            None => (
                Tensor::ones(c, DType::F32, bn.running_mean().device())?,
                Tensor::zeros(c, DType::F32, bn.running_mean().device())?,
            ),
        };
        let s = self.init(&format!("{hint}.weight"), &scale)?;
        let b = self.init(&format!("{hint}.bias"), &shift)?;
        let m = self.init(&format!("{hint}.running_mean"), bn.running_mean())?;
        let v = self.init(&format!("{hint}.running_var"), bn.running_var())?;
        let eps = float("epsilon", bn.eps() as f32);
        Ok(self.node("BatchNormalization", &[x, &s, &b, &m, &v], vec![eps]))
    }

    /// Declares the graph's input token ids (int64).
    pub fn input_tokens(&mut self) {
        self.tokens = true;
    }

    /// Declares a further graph input `name` of int64 values of shape `dims`; returns its name.
    pub fn extra_token_input(&mut self, name: &str, dims: &[Option<usize>]) -> String {
        self.extra_inputs
            .push(typed_value_info(name, dims, DataType::Int64));
        name.to_string()
    }

    /// Writes the analog layers from here on with their tiles' deterministic periphery
    /// (`aimc export --periphery`).
    pub fn write_periphery(&mut self) {
        self.periphery = true;
    }

    /// The rows of embedding table `table` [V, E] for token ids `tokens`: [..., E].
    pub fn embedding(&mut self, tokens: &str, table: &Tensor) -> Result<String> {
        let table = self.init("embedding.weight", table)?;
        Ok(self.node("Gather", &[&table, tokens], vec![]))
    }

    /// `x` [T, B, in] through the LSTM layer `l` (gates reordered from aimc's i, f, g, o to
    /// ONNX's i, o, f, c; weights as they act): [T, B, hidden], from zero states. With the
    /// periphery, a Scan over time instead (`write_scan.rs`).
    pub fn lstm(&mut self, x: &str, l: &AnalogLstm) -> Result<String> {
        let (w_ih, w_hh, b_ih, b_hh) = l.parts();
        if self.periphery {
            self.lstm_layers += 1;
            return self.lstm_periphery(x, l, self.lstm_layers);
        }
        let h = l.hidden();
        let onnx_order = |t: &Tensor| -> Result<Tensor> {
            let g = |k: usize| t.narrow(0, k * h, h);
            Ok(Tensor::cat(&[g(0)?, g(3)?, g(1)?, g(2)?], 0)?)
        };
        let w = onnx_order(&w_ih.acting_weight()?)?.unsqueeze(0)?;
        let r = onnx_order(&w_hh.acting_weight()?)?.unsqueeze(0)?;
        let b = Tensor::cat(&[onnx_order(b_ih)?, onnx_order(b_hh)?], 0)?.unsqueeze(0)?;
        let name = w_ih.name().to_string();
        let w = self.init(&format!("{name}.W"), &w)?;
        let r = self.init(&format!("{name}.R"), &r)?;
        let b = self.init(&format!("{name}.B"), &b)?;
        let y = self.node("LSTM", &[x, &w, &r, &b], vec![int("hidden_size", h as i64)]);
        let axes = self.init_i64("axes", &Tensor::new(&[1i64], &candle_core::Device::Cpu)?)?;
        Ok(self.node("Squeeze", &[&y, &axes], vec![]))
    }

    /// `x` [..., in] through the linear layer `l` as MatMul and Add (any leading dimensions).
    pub fn linear_nd(&mut self, x: &str, l: &AnalogLinear) -> Result<String> {
        let m = l.matrix();
        if self.periphery {
            let y = self.tiles(x, m, &Product::Linear)?;
            return self.digital_bias(&y, l.bias(), m.name(), &Product::Linear);
        }
        let (w, tile_bias) = acting(m)?;
        let name = m.name().to_string();
        let w = self.init(&format!("{name}.weight"), &w.t()?.contiguous()?)?;
        let y = self.node("MatMul", &[x, &w], vec![]);
        match tile_bias.as_ref().or(l.bias()) {
            Some(b) => {
                let b = self.init(&format!("{name}.bias"), b)?;
                Ok(self.node("Add", &[&y, &b], vec![]))
            }
            None => Ok(y),
        }
    }

    /// `y` plus the digital bias `bias` [out] of layer `name`, if any, on the outputs' axis
    /// of `product`.
    pub(super) fn digital_bias(
        &mut self,
        y: &str,
        bias: Option<&Tensor>,
        name: &str,
        product: &Product,
    ) -> Result<String> {
        let Some(b) = bias else {
            return Ok(y.to_string());
        };
        let b = product.per_output(b)?;
        let b = self.init(&format!("{name}.bias"), &b)?;
        Ok(self.node("Add", &[y, &b], vec![]))
    }

    /// `x` [B, C, H, W] averaged over H and W: [B, C].
    pub fn global_average(&mut self, x: &str) -> String {
        let p = self.node("GlobalAveragePool", &[x], vec![]);
        self.node("Flatten", &[&p], vec![int("axis", 1)])
    }

    /// The model: input `input` of shape `dims`; output value `value`, renamed `output`, of
    /// shape `out_dims`.
    pub fn finish(
        mut self,
        (input, dims): (&str, &[Option<usize>]),
        (output, value, out_dims): (&str, &str, &[Option<usize>]),
    ) -> Vec<u8> {
        if let Some(last) = self.nodes.iter_mut().rev().find(|n| n.output[0] == value) {
            last.output[0] = output.to_string();
        }
        ModelProto {
            ir_version: Some(8),
            producer_name: Some("aimc".into()),
            producer_version: Some(env!("CARGO_PKG_VERSION").into()),
            opset_import: vec![OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(OPSET),
            }],
            graph: Some(GraphProto {
                name: Some("aimc".into()),
                node: self.nodes,
                initializer: self.initializers,
                input: std::iter::once(typed_value_info(
                    input,
                    dims,
                    if self.tokens {
                        DataType::Int64
                    } else {
                        DataType::Float
                    },
                ))
                .chain(self.extra_inputs)
                .collect(),
                output: vec![value_info(output, out_dims)],
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec()
    }
}
