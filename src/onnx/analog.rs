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
use super::trainable::{BatchNormMode, NodeParams};
use crate::error::{Error, Result};
use crate::nn::im2col::ConvGeometry;
use crate::nn::{AnalogConv2d, AnalogLinear, AnalogModule};
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TiledMatrix};
use candle_core::{ModuleT, Tensor};
use candle_nn::{Init, VarBuilder};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What an analog node computes with its layers (and, for the export of its trained values,
/// how the file wrote them).
#[derive(Debug)]
pub(super) enum AnalogOp {
    /// A convolution, one layer per group; `value_bias`: the bias is not a constant but a
    /// value of the graph, added after the layers; `bias`: the constant bias, a variable;
    /// `weight_dims`: the file's kernel shape.
    Conv {
        layers: Vec<AnalogConv2d>,
        value_bias: bool,
        bias: Option<Tensor>,
        weight_dims: Vec<usize>,
    },
    /// `Gemm`: transA, the layer, and beta C when it is not the layer's bias; alpha, beta,
    /// transB, the bias variable (beta C) and C's shape as the file has them.
    Gemm {
        trans_a: bool,
        linear: AnalogLinear,
        add: Option<Tensor>,
        alpha: f32,
        beta: f32,
        trans_b: bool,
        bias: Option<(Tensor, Vec<usize>)>,
    },
    /// `MatMul` by a constant matrix.
    MatMul(AnalogLinear),
    /// `LSTM`: (input, recurrent) products of each direction, the hidden size, and the bias B
    /// when a constant (a variable; digital, as the built-in LSTM's).
    Lstm {
        products: Vec<[AnalogLinear; 2]>,
        hidden: usize,
        bias: Option<Tensor>,
    },
}

/// One computed node: the node (and its index in the model) and, for an analog node, its
/// layers; for a digital node, what it learns.
#[derive(Debug)]
pub(super) struct Step {
    pub(super) index: usize,
    pub(super) node: NodeProto,
    pub(super) analog: Option<AnalogOp>,
    pub(super) params: NodeParams,
}

/// How a graph is built: where grouped convolutions go, whether batch normalisations learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GraphOptions {
    pub groups: GroupPolicy,
    pub batch_norm: BatchNormMode,
}

/// An imported graph built on tiles.
#[derive(Debug)]
pub struct AnalogGraph {
    /// The model file (for messages).
    file: String,
    opset: i64,
    /// The nodes still computed after constant folding, in file order.
    pub(super) steps: Vec<Step>,
    /// The constants the digital nodes read, on the device.
    constants: HashMap<String, Tensor>,
    /// The graph's inputs (name, shape with `None` for symbolic dimensions) and outputs.
    pub inputs: Vec<(String, Vec<Option<usize>>)>,
    pub outputs: Vec<String>,
}

/// The variable `name` of `vb` with the values of `t` (created with them; a variable that
/// exists already, e.g. loaded from a checkpoint, keeps its values).
pub(super) fn variable(
    vb: &VarBuilder,
    name: &str,
    t: &OnnxTensor,
    dims: &[usize],
) -> Result<Tensor> {
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

/// Part `i` of `t` along its first axis, in parts of `n` (a new tensor of n x the rest).
fn first_axis(t: &OnnxTensor, i: usize, n: usize) -> OnnxTensor {
    let TensorData::F32(v) = &t.data else {
        unreachable!("weights are f32 (checked by `constant`)")
    };
    let row: usize = t.dims[1..].iter().product();
    let mut dims = t.dims.clone();
    dims[0] = n;
    OnnxTensor {
        dims,
        data: TensorData::F32(v[i * n * row..(i + 1) * n * row].to_vec()),
    }
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
    /// Restarts the dropout masks of every dropout node from `seed` (stream [node index]),
    /// per mini-batch, so that a resumed run draws the masks an uninterrupted one draws.
    pub fn seed_dropout(&self, seed: u64) {
        for step in &self.steps {
            step.params
                .seed_dropout(NoiseRng::stream(seed, &[step.index as u64]).next_u64());
        }
    }

    /// Builds `model` (with its folded `constants`) on tiles of `tile`: the weights of its
    /// analog nodes and the parameters of its learning digital nodes (`trainable.rs`) from `vb`
    /// (named by each node's first output), the tiles' noise and dropout seeded by `rng`.
    pub fn build(
        model: &OnnxModel,
        constants: &BTreeMap<String, OnnxTensor>,
        options: GraphOptions,
        vb: VarBuilder,
        tile: &TileConfig,
        rng: NoiseRng,
    ) -> Result<Self> {
        let file = model.file.display().to_string();
        let plan = plan_graph(model, constants, options.groups)?;
        let analog_nodes: BTreeSet<usize> = plan.analog.iter().map(|a| a.node).collect();
        let seed = { rng }.next_u64();
        let device = vb.device().clone();
        let mut steps = Vec::new();
        let mut used: Vec<&String> = Vec::new();
        for (k, node) in model.nodes.iter().enumerate() {
            if node.output.iter().all(|o| constants.contains_key(o)) {
                continue;
            }
            let key = node
                .output
                .first()
                .cloned()
                .unwrap_or_else(|| k.to_string());
            let vb_node = vb.pp(key);
            let mut params = NodeParams::default();
            let analog = if analog_nodes.contains(&k) {
                let layer_rng = NoiseRng::stream(seed, &[k as u64]);
                let op = analog_op(node, &file, constants, &vb_node, tile, layer_rng)?;
                // The input stays a value, as do the LSTM's bias, states and peepholes.
                used.extend(node.input.first());
                if let AnalogOp::Lstm { bias, .. } = &op {
                    let skip = if bias.is_some() { 4 } else { 3 };
                    used.extend(node.input.iter().skip(skip));
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
                let initializer = |n: &str| model.initializers.contains_key(n);
                let node_rng = NoiseRng::stream(seed, &[k as u64, 1]);
                params = NodeParams::of(
                    node,
                    &file,
                    constants,
                    &initializer,
                    options.batch_norm,
                    &vb_node,
                    node_rng,
                )?;
                used.extend(
                    (node.input.iter().enumerate())
                        .filter(|(i, _)| !params.replaces(*i))
                        .map(|(_, n)| n),
                );
                None
            };
            steps.push(Step {
                index: k,
                node: node.clone(),
                analog,
                params,
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
            let mut args: Vec<Option<Tensor>> = node
                .input
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    if name.is_empty() {
                        Ok(None)
                    } else if step.analog.is_some() || step.params.replaces(i) {
                        // An analog node's weights are its layers', a learning node's
                        // parameters its variables: not values.
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
            step.params.substitute(&mut args);
            let outputs = match &step.analog {
                Some(op) => run_analog(op, &args, &a, train)?,
                None => match train.then(|| step.params.run_train(&args, &a)).flatten() {
                    Some(outputs) => outputs?,
                    None => ops::run(node.op_type(), &args, &a, self.opset)?,
                },
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
            let mg = m / g;
            // Each group's kernel [M / g, C / g, kh, kw] its own variable (the layer's weight,
            // which HWA training remaps in place): `weight`, or `weight.group{i}`.
            let layers = (0..g)
                .map(|i| -> Result<AnalogConv2d> {
                    let (label, key) = if g == 1 {
                        (name.clone(), "weight".to_string())
                    } else {
                        (format!("{name}.group{i}"), format!("weight.group{i}"))
                    };
                    let w = variable(vb, &key, &first_axis(weight, i, mg), &[mg, c, kh, kw])?;
                    let bg = bias.as_ref().map(|b| b.narrow(0, i * mg, mg)).transpose()?;
                    let geometry = ConvGeometry::from(crate::nn::Conv2dGeometry::default());
                    let conv = AnalogConv2d::new(&label, w, bg, geometry, tile, stream(i as u64))?;
                    Ok(conv.with_parameters(&vb.pp(key))?)
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(AnalogOp::Conv {
                layers,
                value_bias,
                bias,
                weight_dims: dims.clone(),
            })
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
                    let b = variable(vb, "bias", &scaled(c, beta), &[out])?;
                    (Some((b, c.dims.clone())), None)
                }
                Some(_) => (None, Some(beta)),
                None => (None, None),
            };
            let layer_bias = bias.as_ref().map(|(b, _)| b.clone());
            let linear = AnalogLinear::new(&name, w, layer_bias, tile, stream(0))?
                .with_parameters(&vb.pp("weight"))?;
            Ok(AnalogOp::Gemm {
                trans_a: a.int("transA", 0) != 0,
                linear,
                add: add.map(|b| Tensor::new(b, vb.device())).transpose()?,
                alpha,
                beta,
                trans_b: a.int("transB", 0) != 0,
                bias,
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
            // W [directions, 4 hidden, input] and R [directions, 4 hidden, hidden]: each
            // direction's matrices their own variables (the layers' weights).
            let r = constant(constants, node.input.get(2), &a)?;
            let dirs = weight.dims[0];
            let products = (0..dirs)
                .map(|d| -> Result<[AnalogLinear; 2]> {
                    let layer = |which: &str, m: &OnnxTensor, i: u64| -> Result<AnalogLinear> {
                        let vb = vb.pp(format!("dir{d}.{which}"));
                        let w = variable(&vb, "weight", &first_axis(m, d, 1), &m.dims[1..])?;
                        let label = format!("{name}.dir{d}.{which}");
                        let layer =
                            AnalogLinear::new(&label, w, None, tile, stream(2 * d as u64 + i))?;
                        Ok(layer.with_parameters(&vb.pp("weight"))?)
                    };
                    Ok([layer("input", weight, 0)?, layer("recurrent", r, 1)?])
                })
                .collect::<Result<Vec<_>>>()?;
            let bias = match node.input.get(3).and_then(|n| constants.get(n)) {
                Some(b) if matches!(b.data, TensorData::F32(_)) => {
                    Some(variable(vb, "B", b, &b.dims)?)
                }
                _ => None,
            };
            Ok(AnalogOp::Lstm {
                products,
                hidden: r.dims[2],
                bias,
            })
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
        AnalogOp::Conv {
            layers, value_bias, ..
        } => {
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
            ..
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
        AnalogOp::Lstm {
            products,
            hidden,
            bias,
        } => {
            let mut args = args.to_vec();
            if let Some(b) = bias {
                args.resize(args.len().max(4), None);
                args[3] = Some(b.clone());
            }
            lstm_with(&args, a, (products.len(), *hidden), &|d, recurrent, v| {
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
