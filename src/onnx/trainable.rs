//! The digital nodes of an imported graph that learn in training (issue 18), with their
//! parameters as variables of the graph's `VarBuilder` (named under the node's first output):
//! - `BatchNormalization`: scale and shift trained (`weight`, `bias`), the running statistics
//!   (`running_mean`, `running_var`, kept out of the optimiser) updated in training mode from the
//!   batch, whose statistics then normalise (population variance, ONNX's `momentum`:
//!   running = running momentum + batch (1 - momentum)); or everything frozen
//!   ([`BatchNormMode::Frozen`]: the file's constants, inference mode always);
//! - `Add`, `Sub`, `Mul`, `Div` with an initializer of more than one value as an operand (a bias
//!   or a scale, e.g. a convolution's bias written as an Add): that operand (`param{i}`);
//! - `Dropout`: active in training (seeded masks), the identity otherwise.

use super::attributes::Attributes;
use super::proto::NodeProto;
use super::tensor::{Tensor as OnnxTensor, TensorData};
use crate::error::{Error, Result};
use crate::nn::SeededDropout;
use crate::rng::NoiseRng;
use candle_core::{Tensor, Var};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether an imported graph's batch normalisations learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchNormMode {
    /// Scale and shift trained, running statistics updated in training mode.
    #[default]
    Trainable,
    /// The file's statistics and affine parameters as they are.
    Frozen,
}

/// What a digital node does in training beyond its op.
#[derive(Debug)]
enum TrainOp {
    /// Batch statistics normalise; they update the running ones.
    BatchNorm {
        running_mean: Var,
        running_var: Var,
        eps: f64,
        momentum: f64,
    },
    Dropout(SeededDropout),
}

/// The learning parts of one digital node: inputs replaced by variables, and its training
/// behaviour.
#[derive(Debug, Default)]
pub struct NodeParams {
    /// (input index, variable).
    pub(super) params: Vec<(usize, Tensor)>,
    train: Option<TrainOp>,
}

/// The variable `name` of `vb` holding `t` (see `analog::variable`).
fn variable(vb: &VarBuilder, name: &str, t: &OnnxTensor) -> Result<Tensor> {
    super::analog::variable(vb, name, t, &t.dims)
}

impl NodeParams {
    /// The learning parts of digital node `node` (of the model in `file`): `constants` are the
    /// graph's constants, `initializers` says which of them the file stores as weights.
    pub fn of(
        node: &NodeProto,
        file: &str,
        constants: &BTreeMap<String, OnnxTensor>,
        initializers: &dyn Fn(&str) -> bool,
        batch_norm: BatchNormMode,
        vb: &VarBuilder,
        rng: NoiseRng,
    ) -> Result<Self> {
        let a = Attributes::of(node, file);
        let f32_constant = |i: usize| {
            node.input
                .get(i)
                .and_then(|n| constants.get(n))
                .filter(|t| matches!(t.data, TensorData::F32(_)))
        };
        let mut out = Self::default();
        match node.op_type() {
            "BatchNormalization" if batch_norm == BatchNormMode::Trainable => {
                let (Some(scale), Some(shift), Some(mean), Some(var)) = (
                    f32_constant(1),
                    f32_constant(2),
                    f32_constant(3),
                    f32_constant(4),
                ) else {
                    // Statistics computed in the graph: nothing to learn.
                    return Ok(out);
                };
                out.params.push((1, variable(vb, "weight", scale)?));
                out.params.push((2, variable(vb, "bias", shift)?));
                let running_mean = variable(vb, "running_mean", mean)?;
                let running_var = variable(vb, "running_var", var)?;
                out.params.push((3, running_mean.clone()));
                out.params.push((4, running_var.clone()));
                out.train = Some(TrainOp::BatchNorm {
                    running_mean: Var::from_tensor(&running_mean)?,
                    running_var: Var::from_tensor(&running_var)?,
                    eps: a.float("epsilon", 1e-5) as f64,
                    momentum: a.float("momentum", 0.9) as f64,
                });
            }
            "Add" | "Sub" | "Mul" | "Div" => {
                for i in 0..2 {
                    let name = node.input.get(i).map_or("", String::as_str);
                    if let Some(t) = f32_constant(i).filter(|t| t.len() > 1 && initializers(name)) {
                        out.params.push((i, variable(vb, &format!("param{i}"), t)?));
                    }
                }
            }
            "Dropout" => {
                let ratio = match node.input.get(1).and_then(|n| constants.get(n)) {
                    Some(OnnxTensor {
                        data: TensorData::F32(v),
                        ..
                    }) if v.len() == 1 => v[0],
                    _ => a.float("ratio", 0.5),
                };
                let dropout = SeededDropout::new(ratio, rng).map_err(|e| a.error(e))?;
                out.train = Some(TrainOp::Dropout(dropout));
            }
            _ => {}
        }
        Ok(out)
    }

    /// Restarts the node's dropout masks from `seed`, if it is a dropout.
    pub fn seed_dropout(&self, seed: u64) {
        if let Some(TrainOp::Dropout(d)) = &self.train {
            d.reseed(seed);
        }
    }

    /// Whether input `i` is one of the node's variables.
    pub fn replaces(&self, i: usize) -> bool {
        self.params.iter().any(|(k, _)| *k == i)
    }

    /// Puts the node's variables into its arguments.
    pub fn substitute(&self, args: &mut [Option<Tensor>]) {
        for (i, v) in &self.params {
            if let Some(slot) = args.get_mut(*i) {
                *slot = Some(v.clone());
            }
        }
    }

    /// The node's outputs in training mode, when it behaves otherwise in training (None: its
    /// op as in inference).
    pub fn run_train(
        &self,
        args: &[Option<Tensor>],
        a: &Attributes,
    ) -> Option<Result<Vec<Tensor>>> {
        let t = |e: candle_core::Error| a.error(Error::from(e));
        let x = args.first().and_then(Option::as_ref)?;
        match self.train.as_ref()? {
            TrainOp::Dropout(d) => {
                if a.output_count() > 1 {
                    return Some(Err(
                        a.error("the mask output of Dropout in training is not supported")
                    ));
                }
                Some(d.forward_t(x, true).map(|y| vec![y]).map_err(t))
            }
            TrainOp::BatchNorm {
                running_mean,
                running_var,
                eps,
                momentum,
            } => Some(
                batch_norm_train(x, args, running_mean, running_var, *eps, *momentum)
                    .map(|y| vec![y])
                    .map_err(t),
            ),
        }
    }
}

/// Batch normalisation of `x` [N, C, ...] by its batch statistics (scale and shift in
/// `args[1]`, `args[2]`), updating the running statistics.
fn batch_norm_train(
    x: &Tensor,
    args: &[Option<Tensor>],
    running_mean: &Var,
    running_var: &Var,
    eps: f64,
    momentum: f64,
) -> candle_core::Result<Tensor> {
    // Channels first, everything else flattened: [C, N * spatial] (as candle-nn's batch norm).
    let c = x.dim(1)?;
    let transposed = x.transpose(0, 1)?;
    let dims = transposed.dims().to_vec();
    let flat = transposed.flatten_from(1)?.contiguous()?;
    let mean = flat.mean_keepdim(1)?;
    let centred = flat.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim(1)?;
    let arg = |i: usize| {
        args.get(i)
            .and_then(Option::as_ref)
            .ok_or_else(|| candle_core::Error::Msg(format!("batch norm input {i} missing")))
    };
    let (scale, shift) = (arg(1)?.reshape((c, 1))?, arg(2)?.reshape((c, 1))?);
    let y = centred
        .broadcast_div(&(&var + eps)?.sqrt()?)?
        .broadcast_mul(&scale)?
        .broadcast_add(&shift)?
        .reshape(dims)?
        .transpose(0, 1)?;
    let update = |running: &Var, batch: &Tensor| -> candle_core::Result<()> {
        let batch = batch.detach().flatten_all()?;
        running.set(&((running.as_tensor() * momentum)? + (batch * (1.0 - momentum))?)?)
    };
    update(running_mean, &mean)?;
    update(running_var, &var)?;
    Ok(y)
}
