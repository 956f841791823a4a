//! The digital operations of an imported graph, on candle tensors (f32 for floating-point
//! values, i64 for integers), with ONNX's semantics: numpy-style broadcasting for the
//! element-wise ops, negative axes counted from the end. An op outside [`SUPPORTED`] is an error
//! naming the node, its op type and the supported ones.

use super::attributes::Attributes;
use crate::error::{Error, Result};
use candle_core::{DType, Tensor};

/// The operations computed digitally, each passing every ONNX backend node test of its own
/// whose values are tensors (`tests/onnx_node_tests.rs`).
pub const SUPPORTED: &[&str] = &[
    "Abs",
    "Add",
    "Concat",
    "Div",
    "Exp",
    "Flatten",
    "Identity",
    "Log",
    "Mul",
    "Neg",
    "Relu",
    "Reshape",
    "Sigmoid",
    "Sqrt",
    "Sub",
    "Sum",
    "Tanh",
    "Transpose",
];

/// A candle error of node `a`, as an aimc error naming it.
fn tensor_err(a: &Attributes, e: candle_core::Error) -> Error {
    a.error(Error::from(e))
}

/// The axis `axis` of a tensor of rank `rank` (negative counts from the end).
fn axis_of(axis: i64, rank: usize, a: &Attributes) -> Result<usize> {
    let r = rank as i64;
    let x = if axis < 0 { axis + r } else { axis };
    if (0..r.max(1)).contains(&x) {
        Ok(x as usize)
    } else {
        Err(a.error(format!("axis {axis} of a tensor of rank {rank}")))
    }
}

/// Runs op `op` of node `a` on `inputs` (None for an omitted optional input).
pub fn run(op: &str, inputs: &[Option<Tensor>], a: &Attributes) -> Result<Vec<Tensor>> {
    let input = |i: usize| -> Result<&Tensor> {
        inputs
            .get(i)
            .and_then(Option::as_ref)
            .ok_or_else(|| a.error(format!("input {i} missing")))
    };
    let unary = |f: fn(&Tensor) -> candle_core::Result<Tensor>| -> Result<Vec<Tensor>> {
        Ok(vec![f(input(0)?).map_err(|e| tensor_err(a, e))?])
    };
    let binary = |f: fn(&Tensor, &Tensor) -> candle_core::Result<Tensor>| -> Result<Vec<Tensor>> {
        Ok(vec![f(input(0)?, input(1)?).map_err(|e| tensor_err(a, e))?])
    };
    match op {
        "Abs" => unary(|x| x.abs()),
        "Neg" => unary(|x| x.neg()),
        "Exp" => unary(|x| x.exp()),
        "Log" => unary(|x| x.log()),
        "Sqrt" => unary(|x| x.sqrt()),
        "Relu" => unary(|x| x.relu()),
        "Tanh" => unary(|x| x.tanh()),
        "Sigmoid" => unary(candle_nn::ops::sigmoid),
        "Identity" => Ok(vec![input(0)?.clone()]),
        "Add" => binary(|x, y| x.broadcast_add(y)),
        "Sub" => binary(|x, y| x.broadcast_sub(y)),
        "Mul" => binary(|x, y| x.broadcast_mul(y)),
        "Div" => binary(|x, y| x.broadcast_div(y)),
        "Sum" => {
            let mut acc = input(0)?.clone();
            for i in 1..inputs.len() {
                acc = acc.broadcast_add(input(i)?).map_err(|e| tensor_err(a, e))?;
            }
            Ok(vec![acc])
        }
        "Flatten" => {
            let x = input(0)?;
            let rank = x.rank();
            let axis = a.int("axis", 1);
            let axis = if axis == rank as i64 {
                rank
            } else {
                axis_of(axis, rank, a)?
            };
            let outer: usize = x.dims()[..axis].iter().product();
            let inner: usize = x.dims()[axis..].iter().product();
            Ok(vec![
                x.reshape((outer, inner)).map_err(|e| tensor_err(a, e))?,
            ])
        }
        "Reshape" => {
            let x = input(0)?;
            let shape = input(1)?
                .to_dtype(DType::I64)
                .and_then(|s| s.flatten_all()?.to_vec1::<i64>())
                .map_err(|e| tensor_err(a, e))?;
            let dims = reshape_dims(x.dims(), &shape, a.int("allowzero", 0) != 0, a)?;
            Ok(vec![x.reshape(dims).map_err(|e| tensor_err(a, e))?])
        }
        "Transpose" => {
            let x = input(0)?;
            let perm: Vec<usize> = match a.ints("perm") {
                Some(p) => p
                    .iter()
                    .map(|&v| axis_of(v, x.rank(), a))
                    .collect::<Result<_>>()?,
                None => (0..x.rank()).rev().collect(),
            };
            Ok(vec![
                x.permute(perm)
                    .and_then(|t| t.contiguous())
                    .map_err(|e| tensor_err(a, e))?,
            ])
        }
        "Concat" => {
            let parts: Vec<&Tensor> = (0..inputs.len()).map(input).collect::<Result<_>>()?;
            let rank = parts.first().map_or(0, |t| t.rank());
            let axis = axis_of(a.int("axis", 0), rank, a)?;
            Ok(vec![
                Tensor::cat(&parts, axis).map_err(|e| tensor_err(a, e))?,
            ])
        }
        other => Err(a.error(format!(
            "operator `{other}` is not supported; supported: {}",
            SUPPORTED.join(", ")
        ))),
    }
}

/// The dimensions of a reshape of `dims` to `shape` (0 copies the input's dimension unless
/// `allowzero`, one -1 is inferred).
fn reshape_dims(
    dims: &[usize],
    shape: &[i64],
    allowzero: bool,
    a: &Attributes,
) -> Result<Vec<usize>> {
    let n: usize = dims.iter().product();
    let mut out = Vec::with_capacity(shape.len());
    let mut infer = None;
    for (i, &d) in shape.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            0 if !allowzero => out.push(
                *dims
                    .get(i)
                    .ok_or_else(|| a.error("0 in the shape past the input's rank"))?,
            ),
            d if d >= 0 => out.push(d as usize),
            _ => return Err(a.error(format!("shape {shape:?}"))),
        }
    }
    if let Some(i) = infer {
        let known: usize = out.iter().product();
        if known == 0 || !n.is_multiple_of(known) {
            return Err(a.error(format!("cannot reshape {dims:?} to {shape:?}")));
        }
        out[i] = n / known;
    }
    Ok(out)
}
