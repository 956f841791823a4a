//! An imported graph on tiles (physics.md section 3): the nodes its plan (`plan.rs`) puts on
//! tiles become analog layers of `nn/` on the tile configuration given, with the file's weights
//! as variables of a `VarBuilder` (so that checkpoints and training see them):
//! - `Conv`: one [`AnalogConv2d`] per group (the [`GroupPolicy`]); a 1-D convolution runs as a
//!   2-D one of height 1; the bias digital, as the built-in convolutions have it;
//! - `Gemm` (alpha folded into the weights, beta C as the layer's bias when C is a vector, else
//!   added digitally; transA digital) and `MatMul` with a constant weight: an [`AnalogLinear`];
//! - `LSTM`: the input and recurrent products of each direction, an [`AnalogLinear`] each
//!   (biases, gates and peepholes digital, `lstm.rs`).
//!
//! Every other node runs digitally (`ops.rs`), node by node in file order. On the `ideal`
//! preset this is the floating-point reference: one code path for both.

use super::attributes::Attributes;
use super::execute::to_candle;
use super::lstm::lstm_with;
use super::ops;
use super::plan::{GroupPolicy, plan_graph};
use super::proto::NodeProto;
use super::read::{OnnxModel, node_label};
use super::spatial::conv_setup;
use super::tensor::{Tensor as OnnxTensor, TensorData};
use crate::error::{Error, Result};
use crate::nn::im2col::ConvGeometry;
use crate::nn::{AnalogConv2d, AnalogLinear, AnalogModule};
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TiledMatrix};
use candle_core::{ModuleT, Tensor};
use candle_nn::{Init, VarBuilder};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What an analog node computes with its layers.
#[derive(Debug)]
enum AnalogOp {
    /// A convolution, one layer per group; `value_bias`: the bias is not a constant but a
    /// value of the graph, added after the layers.
    Conv {
        layers: Vec<AnalogConv2d>,
        value_bias: bool,
    },
    /// `Gemm`: transA, the layer, and beta C when it is not the layer's bias.
    Gemm {
        trans_a: bool,
        linear: AnalogLinear,
        add: Option<Tensor>,
    },
    /// `MatMul` by a constant matrix.
    MatMul(AnalogLinear),
    /// `LSTM`: (input, recurrent) products of each direction, and W and R as variables.
    Lstm {
        products: Vec<[AnalogLinear; 2]>,
        w: Tensor,
        r: Tensor,
    },
}

/// One computed node: the node and, for an analog node, its layers.
#[derive(Debug)]
struct Step {
    node: NodeProto,
    analog: Option<AnalogOp>,
}

/// An imported graph built on tiles.
#[derive(Debug)]
pub struct AnalogGraph {
    /// The model file (for messages).
    file: String,
    opset: i64,
    /// The nodes still computed after constant folding, in file order.
    steps: Vec<Step>,
    /// The constants the digital nodes read, on the device.
    constants: HashMap<String, Tensor>,
    /// The graph's inputs (name, shape with `None` for symbolic dimensions) and outputs.
    pub inputs: Vec<(String, Vec<Option<usize>>)>,
    pub outputs: Vec<String>,
}

/// The variable `name` of `vb` with the values of `t` (created with them; a variable that
/// exists already, e.g. loaded from a checkpoint, keeps its values).
fn variable(vb: &VarBuilder, name: &str, t: &OnnxTensor, dims: &[usize]) -> Result<Tensor> {
    let fresh = !vb.contains_tensor(name);
    let v = vb.get_with_hints(dims, name, Init::Const(0.0))?;
    if fresh {
        let values = to_candle(t, vb.device())?.reshape(dims)?;
        v.slice_set(&values, 0, 0)?;
    }
    Ok(v)
}

/// The f32 constant `name` of `constants`.
fn constant<'a>(
    constants: &'a BTreeMap<String, OnnxTensor>,
    name: Option<&String>,
    a: &Attributes,
) -> Result<&'a OnnxTensor> {
    name.and_then(|n| constants.get(n))
        .filter(|t| matches!(t.data, TensorData::F32(_)))
        .ok_or_else(|| a.error("expected a constant floating-point weight"))
}

/// `t` transposed (a matrix), as a new tensor.
fn transposed(t: &OnnxTensor) -> OnnxTensor {
    let (r, c) = (t.dims[0], t.dims[1]);
    let TensorData::F32(v) = &t.data else {
        unreachable!("weights are f32 (checked by `constant`)")
    };
    let mut out = vec![0f32; r * c];
    for i in 0..r {
        for j in 0..c {
            out[j * r + i] = v[i * c + j];
        }
    }
    OnnxTensor {
        dims: vec![c, r],
        data: TensorData::F32(out),
    }
}

/// `t` times `s`.
fn scaled(t: &OnnxTensor, s: f32) -> OnnxTensor {
    let TensorData::F32(v) = &t.data else {
        unreachable!("weights are f32 (checked by `constant`)")
    };
    OnnxTensor {
        dims: t.dims.clone(),
        data: TensorData::F32(v.iter().map(|x| x * s).collect()),
    }
}

impl AnalogGraph {
    /// Builds `model` (with its folded `constants`) on tiles of `tile`: the weights of its
    /// analog nodes from `vb` (named by each node's first output), the tiles' noise seeded by
    /// `rng`.
    pub fn build(
        model: &OnnxModel,
        constants: &BTreeMap<String, OnnxTensor>,
        groups: GroupPolicy,
        vb: VarBuilder,
        tile: &TileConfig,
        rng: NoiseRng,
    ) -> Result<Self> {
        let file = model.file.display().to_string();
        let plan = plan_graph(model, constants, groups)?;
        let analog_nodes: BTreeSet<usize> = plan.analog.iter().map(|a| a.node).collect();
        let seed = { rng }.next_u64();
        let device = vb.device().clone();
        let mut steps = Vec::new();
        let mut used: Vec<&String> = Vec::new();
        for (k, node) in model.nodes.iter().enumerate() {
            if node.output.iter().all(|o| constants.contains_key(o)) {
                continue;
            }
            let analog = if analog_nodes.contains(&k) {
                let key = node
                    .output
                    .first()
                    .cloned()
                    .unwrap_or_else(|| k.to_string());
                let layer_rng = NoiseRng::stream(seed, &[k as u64]);
                let op = analog_op(node, &file, constants, &vb.pp(key), tile, layer_rng)?;
                // The input stays a value, as do the LSTM's bias, states and peepholes.
                used.extend(node.input.first());
                if let AnalogOp::Lstm { .. } = op {
                    used.extend(node.input.iter().skip(3));
                }
                if let AnalogOp::Gemm { add: Some(_), .. }
                | AnalogOp::Conv {
                    value_bias: true, ..
                } = op
                {
                    used.extend(node.input.get(2));
                }
                Some(op)
            } else {
                used.extend(node.input.iter());
                None
            };
            steps.push(Step {
                node: node.clone(),
                analog,
            });
        }
        let mut digital = HashMap::new();
        for name in used {
            if let Some(t) = constants.get(name) {
                digital.insert(name.clone(), to_candle(t, &device)?);
            }
        }
        Ok(Self {
            file,
            opset: model.opset,
            steps,
            constants: digital,
            inputs: model.inputs.clone(),
            outputs: model.outputs.clone(),
        })
    }

    /// The outputs of the graph (in the order of its outputs) for `inputs` by name; `train`
    /// selects the analog layers' training pass.
    pub fn forward(&self, inputs: &HashMap<String, Tensor>, train: bool) -> Result<Vec<Tensor>> {
        let mut values: HashMap<&str, Tensor> = HashMap::with_capacity(self.steps.len() * 2);
        for (name, t) in inputs.iter().chain(self.constants.iter()) {
            values.insert(name.as_str(), t.clone());
        }
        for step in &self.steps {
            let node = &step.node;
            let a = Attributes::of(node, &self.file);
            let args: Vec<Option<Tensor>> = node
                .input
                .iter()
                .map(|name| {
                    if name.is_empty() {
                        Ok(None)
                    } else if step.analog.is_some() {
                        // An analog node's weights are its layers', not values.
                        Ok(values.get(name.as_str()).cloned())
                    } else {
                        values
                            .get(name.as_str())
                            .cloned()
                            .map(Some)
                            .ok_or_else(|| a.error(format!("input `{name}` has no value")))
                    }
                })
                .collect::<Result<_>>()?;
            let outputs = match &step.analog {
                None => ops::run(node.op_type(), &args, &a, self.opset)?,
                Some(op) => run_analog(op, &args, &a, train)?,
            };
            for (name, t) in node.output.iter().zip(outputs) {
                if !name.is_empty() {
                    values.insert(name.as_str(), t);
                }
            }
        }
        self.outputs
            .iter()
            .map(|o| {
                values.get(o.as_str()).cloned().ok_or_else(|| {
                    Error::data(&self.file, format!("graph output `{o}` has no value"))
                })
            })
            .collect()
    }
}

/// The analog layers of `node` (a node of the plan), its weights from `vb`.
fn analog_op(
    node: &NodeProto,
    file: &str,
    constants: &BTreeMap<String, OnnxTensor>,
    vb: &VarBuilder,
    tile: &TileConfig,
    rng: NoiseRng,
) -> Result<AnalogOp> {
    let a = Attributes::of(node, file);
    let name = node_label(node);
    let seed = { rng }.next_u64();
    let stream = |i: u64| NoiseRng::stream(seed, &[i]);
    let weight = constant(constants, node.input.get(1), &a)?;
    match node.op_type() {
        "Conv" => {
            let dims = &weight.dims;
            let w = variable(vb, "weight", weight, dims)?;
            let bias_name = node.input.get(2).filter(|n| !n.is_empty());
            let bias = match bias_name.and_then(|n| constants.get(n)) {
                Some(b) if matches!(b.data, TensorData::F32(_)) => {
                    Some(variable(vb, "bias", b, &[dims[0]])?)
                }
                _ => None,
            };
            let value_bias = bias_name.is_some() && bias.is_none();
            let g = a.int("group", 1).max(1) as usize;
            let (m, c) = (dims[0], dims[1]);
            let (kh, kw) = match dims.len() {
                3 => (1, dims[2]),
                _ => (dims[2], dims[3]),
            };
            let w4 = w.reshape((m, c, kh, kw))?;
            let mg = m / g;
            let layers = (0..g)
                .map(|i| {
                    let label = if g == 1 {
                        name.clone()
                    } else {
                        format!("{name}.group{i}")
                    };
                    let bg = bias.as_ref().map(|b| b.narrow(0, i * mg, mg)).transpose()?;
                    let vbg = if g == 1 {
                        vb.pp("weight")
                    } else {
                        vb.pp(format!("weight.group{i}"))
                    };
                    AnalogConv2d::new(
                        &label,
                        w4.narrow(0, i * mg, mg)?,
                        bg,
                        ConvGeometry::from(crate::nn::Conv2dGeometry::default()),
                        tile,
                        stream(i as u64),
                    )?
                    .with_parameters(&vbg)
                })
                .collect::<candle_core::Result<Vec<_>>>()?;
            Ok(AnalogOp::Conv { layers, value_bias })
        }
        "Gemm" => {
            let alpha = a.float("alpha", 1.0);
            let beta = a.float("beta", 1.0);
            let w = if a.int("transB", 0) != 0 {
                scaled(weight, alpha)
            } else {
                scaled(&transposed(weight), alpha)
            };
            let (out, inp) = (w.dims[0], w.dims[1]);
            let w = variable(vb, "weight", &w, &[out, inp])?;
            let c = node
                .input
                .get(2)
                .filter(|n| !n.is_empty())
                .map(|n| (n, constants.get(n)));
            let (bias, add) = match c {
                Some((_, Some(c)))
                    if c.len() == out
                        && matches!(c.data, TensorData::F32(_))
                        && c.dims.iter().rev().skip(1).all(|&d| d == 1) =>
                {
                    (Some(variable(vb, "bias", &scaled(c, beta), &[out])?), None)
                }
                Some(_) => (None, Some(beta)),
                None => (None, None),
            };
            let linear = AnalogLinear::new(&name, w, bias, tile, stream(0))?
                .with_parameters(&vb.pp("weight"))?;
            Ok(AnalogOp::Gemm {
                trans_a: a.int("transA", 0) != 0,
                linear,
                add: add.map(|b| Tensor::new(b, vb.device())).transpose()?,
            })
        }
        "MatMul" => {
            let w = transposed(weight);
            let w = variable(vb, "weight", &w, &w.dims.clone())?;
            let linear = AnalogLinear::new(&name, w, None, tile, stream(0))?
                .with_parameters(&vb.pp("weight"))?;
            Ok(AnalogOp::MatMul(linear))
        }
        "LSTM" => {
            let r = constant(constants, node.input.get(2), &a)?;
            let w = variable(vb, "W", weight, &weight.dims)?;
            let r = variable(vb, "R", r, &r.dims)?;
            let dirs = w.dim(0)?;
            let products = (0..dirs)
                .map(|d| -> candle_core::Result<[AnalogLinear; 2]> {
                    let layer = |which: &str, m: &Tensor, i: u64| {
                        AnalogLinear::new(
                            &format!("{name}.dir{d}.{which}"),
                            m.get(d)?,
                            None,
                            tile,
                            stream(2 * d as u64 + i),
                        )?
                        .with_parameters(&vb.pp(format!("dir{d}.{which}")))
                    };
                    Ok([layer("input", &w, 0)?, layer("recurrent", &r, 1)?])
                })
                .collect::<candle_core::Result<Vec<_>>>()?;
            let (w, r) = (w.clone(), r.clone());
            Ok(AnalogOp::Lstm { products, w, r })
        }
        other => Err(a.error(format!("{other} has no analog layer"))),
    }
}

/// The outputs of analog node `a` with layers `op` on its inputs `args` (weights omitted).
fn run_analog(
    op: &AnalogOp,
    args: &[Option<Tensor>],
    a: &Attributes,
    train: bool,
) -> Result<Vec<Tensor>> {
    let t = |e: candle_core::Error| a.error(Error::from(e));
    let x = args
        .first()
        .and_then(Option::as_ref)
        .ok_or_else(|| a.error("input 0 missing"))?;
    match op {
        AnalogOp::Conv { layers, value_bias } => {
            // A tile matrix is inputs (C k) x outputs (M / group).
            let (_, mg) = layers[0].matrix().matrix_size();
            let c = layers[0].in_channels();
            let (kh, kw) = layers[0].kernel();
            let w_dims = if x.rank() == 3 {
                vec![mg * layers.len(), c, kw]
            } else {
                vec![mg * layers.len(), c, kh, kw]
            };
            let s = conv_setup(x, &w_dims, a)?;
            let parts = layers
                .iter()
                .enumerate()
                .map(|(g, l)| l.forward_geometry_t(&s.x.narrow(1, g * c, c)?, s.geometry, train))
                .collect::<candle_core::Result<Vec<_>>>()
                .map_err(t)?;
            let bias = args.get(2).and_then(Option::as_ref).filter(|_| *value_bias);
            Ok(vec![s.finish(&parts, bias).map_err(t)?])
        }
        AnalogOp::Gemm {
            trans_a,
            linear,
            add,
        } => {
            let x = if *trans_a {
                x.t().map_err(t)?
            } else {
                x.clone()
            };
            let mut y = linear.forward_t(&x, train).map_err(t)?;
            if let (Some(beta), Some(Some(c))) = (add, args.get(2)) {
                y = y
                    .broadcast_add(&c.broadcast_mul(beta).map_err(t)?)
                    .map_err(t)?;
            }
            Ok(vec![y])
        }
        AnalogOp::MatMul(linear) => {
            let y = if x.rank() == 1 {
                linear
                    .forward_t(&x.unsqueeze(0).map_err(t)?, train)
                    .and_then(|y| y.squeeze(0))
            } else {
                linear.forward_t(x, train)
            };
            Ok(vec![y.map_err(t)?])
        }
        AnalogOp::Lstm { products, w, r } => {
            let mut inputs = args.to_vec();
            inputs.resize(inputs.len().max(3), None);
            inputs[1] = Some(w.clone());
            inputs[2] = Some(r.clone());
            lstm_with(&inputs, a, &|d, recurrent, v| {
                products[d][recurrent as usize].forward_t(v, train)
            })
        }
    }
}

impl AnalogModule for AnalogGraph {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        for step in &self.steps {
            match &step.analog {
                Some(AnalogOp::Conv { layers, .. }) => {
                    layers.iter().for_each(|l| l.visit_matrices(f))
                }
                Some(AnalogOp::Gemm { linear, .. }) | Some(AnalogOp::MatMul(linear)) => {
                    linear.visit_matrices(f)
                }
                Some(AnalogOp::Lstm { products, .. }) => {
                    products.iter().flatten().for_each(|l| l.visit_matrices(f))
                }
                None => {}
            }
        }
    }
}
