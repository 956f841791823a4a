//! The digital operations of an imported graph, on candle tensors (f32 for floating-point
//! values, i64 for integers), with ONNX's semantics: numpy-style broadcasting for the
//! element-wise ops, negative axes counted from the end. An op outside [`SUPPORTED`] is an error
//! naming the node, its op type and the supported ones.

use super::attributes::Attributes;
use super::reduce::{Reduction, reduce};
use super::shape::{axis_of, range_values, reshape_dims, shape_slice, squeeze_dims};
use super::spatial::{self, Pool};
use crate::error::{Error, Result};
use candle_core::{DType, Tensor};

/// The operations computed digitally, each passing every ONNX backend node test of its own
/// whose values are tensors (`tests/onnx_node_tests.rs`).
pub const SUPPORTED: &[&str] = &[
    "Abs",
    "Add",
    "AveragePool",
    "BatchNormalization",
    "Clip",
    "Concat",
    "Conv",
    "Div",
    "Dropout",
    "Erf",
    "Exp",
    "Flatten",
    "Floor",
    "Gather",
    "Gemm",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "Identity",
    "LRN",
    "LSTM",
    "LeakyRelu",
    "Log",
    "LogSoftmax",
    "MatMul",
    "MaxPool",
    "Mul",
    "Neg",
    "Pad",
    "Range",
    "ReduceMean",
    "ReduceSum",
    "Relu",
    "Reshape",
    "Shape",
    "Sigmoid",
    "Sign",
    "Softmax",
    "Sqrt",
    "Squeeze",
    "Sub",
    "Sum",
    "Tanh",
    "Transpose",
    "Unsqueeze",
];

/// A candle error of node `a`, as an aimc error naming it.
fn tensor_err(a: &Attributes, e: candle_core::Error) -> Error {
    a.error(Error::from(e))
}

/// An error of node `a` for a feature of a supported op that aimc does not compute.
fn unsupported(a: &Attributes, what: &str) -> Error {
    a.error(format!("{what} is not supported"))
}

/// The integer values of tensor `v` (an axes or flag input), flattened.
fn ints_of(v: &Tensor, a: &Attributes) -> Result<Vec<i64>> {
    v.flatten_all()
        .and_then(|f| f.to_dtype(DType::I64))
        .and_then(|f| f.to_vec1::<i64>())
        .map_err(|e| tensor_err(a, e))
}

/// Runs op `op` of node `a` on `inputs` (None for an omitted optional input), in the semantics
/// of opset `opset`.
pub fn run(op: &str, inputs: &[Option<Tensor>], a: &Attributes, opset: i64) -> Result<Vec<Tensor>> {
    let t = |e: candle_core::Error| tensor_err(a, e);
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
        "Erf" => unary(|x| x.erf()),
        "Floor" => unary(|x| x.floor()),
        "Sign" => unary(|x| x.sign()),
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
        "Softmax" | "LogSoftmax" => {
            let x = input(0)?;
            let rank = x.rank();
            let log = op == "LogSoftmax";
            let f = |v: &Tensor, d: usize| -> candle_core::Result<Tensor> {
                if log {
                    candle_nn::ops::log_softmax(v, d)
                } else {
                    candle_nn::ops::softmax(v, d)
                }
            };
            if opset >= 13 {
                let axis = axis_of(a.int("axis", -1), rank, a)?;
                Ok(vec![f(x, axis).map_err(t)?])
            } else {
                // Before opset 13: over the input seen as 2-D, split at `axis` (default 1).
                let axis = axis_of(a.int("axis", 1), rank, a)?;
                let outer: usize = x.dims()[..axis].iter().product();
                let flat = x
                    .reshape((outer, x.elem_count() / outer.max(1)))
                    .map_err(t)?;
                Ok(vec![
                    f(&flat, 1).and_then(|y| y.reshape(x.dims())).map_err(t)?,
                ])
            }
        }
        "Conv" => Ok(vec![spatial::conv(
            input(0)?,
            input(1)?,
            inputs.get(2).and_then(Option::as_ref),
            a,
        )?]),
        "MaxPool" | "AveragePool" => {
            if a.output_count() > 1 {
                return Err(unsupported(a, "the indices output of MaxPool"));
            }
            let kind = if op == "MaxPool" {
                Pool::Max
            } else {
                Pool::Average
            };
            Ok(vec![spatial::pool(input(0)?, kind, a)?])
        }
        "LSTM" => super::lstm::lstm(inputs, a),
        "LRN" => {
            // y = x / (bias + alpha / size * sum of x^2 over the channels c - floor((size - 1)
            // / 2) ..= c + ceil((size - 1) / 2))^beta (ONNX operator LRN).
            let x = input(0)?;
            let size = a.int("size", 0);
            if size < 1 || x.rank() < 2 {
                return Err(a.error(format!(
                    "attribute `size` {size} on an input of rank {}: expected size >= 1 and a \
                     channel axis",
                    x.rank()
                )));
            }
            let size = size as usize;
            let (alpha, beta, bias) = (
                a.float("alpha", 1e-4) as f64,
                a.float("beta", 0.75) as f64,
                a.float("bias", 1.0) as f64,
            );
            let c = x.dims()[1];
            let (before, after) = ((size - 1) / 2, (size - 1).div_ceil(2));
            let squares = x
                .sqr()
                .and_then(|q| q.pad_with_zeros(1, before, after))
                .map_err(t)?;
            let mut sum = squares.narrow(1, 0, c).map_err(t)?;
            for k in 1..size {
                sum = (sum + squares.narrow(1, k, c).map_err(t)?).map_err(t)?;
            }
            let y = sum
                .affine(alpha / size as f64, bias)
                .and_then(|d| d.powf(beta))
                .and_then(|d| x.div(&d))
                .map_err(t)?;
            Ok(vec![y])
        }
        "Dropout" => {
            let training = inputs.get(2).and_then(Option::as_ref);
            if let Some(tm) = training
                && ints_of(tm, a)?.first().is_some_and(|&v| v != 0)
            {
                return Err(unsupported(a, "dropout in training mode"));
            }
            let x = input(0)?;
            let mask = Tensor::ones(x.dims(), DType::U8, x.device()).map_err(t)?;
            Ok(vec![x.clone(), mask])
        }
        "GlobalAveragePool" | "GlobalMaxPool" => {
            let x = input(0)?;
            let mut y = x.clone();
            for d in (2..x.rank()).rev() {
                y = if op == "GlobalAveragePool" {
                    y.mean_keepdim(d)
                } else {
                    y.max_keepdim(d)
                }
                .map_err(t)?;
            }
            Ok(vec![y])
        }
        "BatchNormalization" => {
            if a.int("training_mode", 0) != 0 {
                return Err(unsupported(a, "batch normalisation in training mode"));
            }
            let x = input(0)?;
            let c = x.dims().get(1).copied().unwrap_or(1);
            let mut shape = vec![1; x.rank()];
            if x.rank() > 1 {
                shape[1] = c;
            }
            let p = |i: usize| input(i)?.reshape(shape.as_slice()).map_err(t);
            let eps = a.float("epsilon", 1e-5) as f64;
            let (scale, bias, mean, var) = (p(1)?, p(2)?, p(3)?, p(4)?);
            // y = scale (x - mean) / sqrt(var + eps) + bias, as x a + b per channel: two
            // passes over x.
            let gain = (var + eps)
                .and_then(|v| v.sqrt())
                .and_then(|v| scale.div(&v))
                .map_err(t)?;
            let shift = (bias - mean.mul(&gain).map_err(t)?).map_err(t)?;
            let y = x
                .broadcast_mul(&gain)
                .and_then(|v| v.broadcast_add(&shift))
                .map_err(t)?;
            Ok(vec![y])
        }
        "MatMul" => {
            let (x, w) = (input(0)?, input(1)?);
            let x2 = if x.rank() == 1 {
                x.unsqueeze(0).map_err(t)?
            } else {
                x.clone()
            };
            let w2 = if w.rank() == 1 {
                w.unsqueeze(1).map_err(t)?
            } else {
                w.clone()
            };
            let mut y = x2.broadcast_matmul(&w2).map_err(t)?;
            if w.rank() == 1 {
                y = y.squeeze(y.rank() - 1).map_err(t)?;
            }
            if x.rank() == 1 {
                y = y.squeeze(y.rank().saturating_sub(2)).map_err(t)?;
            }
            Ok(vec![y])
        }
        "Gemm" => {
            let trans = |v: &Tensor, flag: &str| -> Result<Tensor> {
                if a.int(flag, 0) != 0 {
                    v.t().map_err(t)
                } else {
                    Ok(v.clone())
                }
            };
            let (x, w) = (trans(input(0)?, "transA")?, trans(input(1)?, "transB")?);
            let mut y = (x.matmul(&w).map_err(t)? * a.float("alpha", 1.0) as f64).map_err(t)?;
            if let Some(Some(c)) = inputs.get(2) {
                let c = (c * a.float("beta", 1.0) as f64).map_err(t)?;
                y = y.broadcast_add(&c).map_err(t)?;
            }
            Ok(vec![y])
        }
        "Pad" => Ok(vec![pad(inputs, a, opset)?]),
        "Shape" => {
            let x = input(0)?;
            let dims = shape_slice(x.dims(), a);
            let n = dims.len();
            Ok(vec![Tensor::from_vec(dims, n, x.device()).map_err(t)?])
        }
        "Range" => {
            let x = input(0)?;
            let scalar = |i: usize| -> Result<f64> {
                let v = input(i)?;
                match v
                    .flatten_all()
                    .and_then(|f| f.to_dtype(DType::F64)?.to_vec1::<f64>())
                {
                    Ok(values) if values.len() == 1 => Ok(values[0]),
                    Ok(values) => Err(a.error(format!(
                        "input {i} holds {} values; expected a scalar",
                        values.len()
                    ))),
                    Err(e) => Err(tensor_err(a, e)),
                }
            };
            let values = range_values(scalar(0)?, scalar(1)?, scalar(2)?, a)?;
            let n = values.len();
            let y = Tensor::from_vec(values, n, x.device())
                .and_then(|y| y.to_dtype(x.dtype()))
                .map_err(t)?;
            Ok(vec![y])
        }
        op if Reduction::of(op).is_some() => {
            let r = Reduction::of(op).expect("matched above");
            let axes = inputs.get(1).and_then(Option::as_ref);
            Ok(vec![reduce(r, input(0)?, axes, a, opset)?])
        }
        "Gather" => {
            // out = data indexed along `axis` by `indices` (negative ones counted from the end):
            // shape data[..axis] ++ indices ++ data[axis + 1..].
            let (data, indices) = (input(0)?, input(1)?);
            let axis = axis_of(a.int("axis", 0), data.rank(), a)?;
            let len = data.dims()[axis] as i64;
            let idx = ints_of(indices, a)?;
            if let Some(bad) = idx.iter().find(|&&i| i < -len || i >= len) {
                return Err(a.error(format!(
                    "index {bad} out of range for axis {axis} of length {len}"
                )));
            }
            let idx: Vec<u32> = idx
                .iter()
                .map(|&i| if i < 0 { (i + len) as u32 } else { i as u32 })
                .collect();
            let flat = Tensor::new(idx.as_slice(), data.device()).map_err(t)?;
            let picked = data.index_select(&flat, axis).map_err(t)?;
            let mut dims = data.dims()[..axis].to_vec();
            dims.extend_from_slice(indices.dims());
            dims.extend_from_slice(&data.dims()[axis + 1..]);
            Ok(vec![picked.reshape(dims).map_err(t)?])
        }
        "LeakyRelu" => {
            let x = input(0)?;
            let alpha = a.float("alpha", 0.01) as f64;
            let y = (x.relu().map_err(t)? + (x.minimum(0.0).map_err(t)? * alpha).map_err(t)?)
                .map_err(t)?;
            Ok(vec![y])
        }
        "Clip" => {
            let mut y = input(0)?.clone();
            let device = y.device().clone();
            let bound = |i: usize, attr: &str| -> Result<Option<Tensor>> {
                if opset >= 11 {
                    Ok(inputs.get(i).and_then(Option::as_ref).cloned())
                } else if a.has(attr) {
                    let v = a.float(attr, 0.0);
                    Ok(Some(Tensor::new(v, &device).map_err(t)?))
                } else {
                    Ok(None)
                }
            };
            if let Some(lo) = bound(1, "min")? {
                y = y
                    .broadcast_maximum(&lo.to_dtype(y.dtype()).map_err(t)?)
                    .map_err(t)?;
            }
            if let Some(hi) = bound(2, "max")? {
                y = y
                    .broadcast_minimum(&hi.to_dtype(y.dtype()).map_err(t)?)
                    .map_err(t)?;
            }
            Ok(vec![y])
        }
        "Squeeze" | "Unsqueeze" => {
            let x = input(0)?;
            let axes = match (opset >= 13, inputs.get(1).and_then(Option::as_ref)) {
                (true, Some(v)) => Some(ints_of(v, a)?),
                (true, None) => None,
                (false, _) => a.ints("axes"),
            };
            let dims = squeeze_dims(x.dims(), axes, op == "Unsqueeze", a)?;
            Ok(vec![x.reshape(dims).map_err(t)?])
        }
        other => Err(a.error(format!(
            "operator `{other}` is not supported; supported: {}",
            SUPPORTED.join(", ")
        ))),
    }
}

/// ONNX `Pad` in `constant` mode: pads per axis before and after (negative: cropping), with
/// the constant value (0 by default); opset 2 to 10 from attributes, from 11 from inputs, from
/// 18 with an optional list of axes. Other modes are refused by name.
fn pad(inputs: &[Option<Tensor>], a: &Attributes, opset: i64) -> Result<Tensor> {
    let t = |e: candle_core::Error| tensor_err(a, e);
    let get = |i: usize| inputs.get(i).and_then(Option::as_ref);
    let x = get(0).ok_or_else(|| a.error("input 0 missing"))?;
    let mode = a.string("mode").unwrap_or_else(|| "constant".into());
    if mode != "constant" {
        return Err(unsupported(a, &format!("Pad mode `{mode}`")));
    }
    let rank = x.rank();
    let (pads, value, axes) = if opset >= 11 {
        let pads = ints_of(get(1).ok_or_else(|| a.error("input `pads` missing"))?, a)?;
        let value = match get(2) {
            Some(v) => v
                .flatten_all()
                .and_then(|v| v.to_dtype(DType::F64))
                .and_then(|v| v.to_vec1::<f64>())
                .map_err(t)?
                .first()
                .copied()
                .unwrap_or(0.0),
            None => 0.0,
        };
        let axes = match get(3) {
            Some(v) => ints_of(v, a)?
                .into_iter()
                .map(|ax| axis_of(ax, rank, a))
                .collect::<Result<Vec<_>>>()?,
            None => (0..rank).collect(),
        };
        (pads, value, axes)
    } else {
        let pads = a
            .ints("pads")
            .ok_or_else(|| a.error("attribute `pads` missing"))?;
        (pads, a.float("value", 0.0) as f64, (0..rank).collect())
    };
    let n = axes.len();
    if pads.len() != 2 * n {
        return Err(a.error(format!(
            "{} pads for {n} axes: expected {}",
            pads.len(),
            2 * n
        )));
    }
    let mut y = x.clone();
    for (k, &ax) in axes.iter().enumerate() {
        let (begin, end) = (pads[k], pads[k + n]);
        let len = y.dims()[ax] as i64;
        if begin + end + len < 0 {
            return Err(a.error(format!(
                "pads {begin}, {end} crop more than the {len} values of axis {ax}"
            )));
        }
        let crop_begin = (-begin).max(0);
        let crop_end = (-end).max(0);
        if crop_begin + crop_end > 0 {
            let keep = (len - crop_begin - crop_end).max(0) as usize;
            y = y.narrow(ax, crop_begin as usize, keep).map_err(t)?;
        }
        y = spatial::pad_axis(&y, ax, begin.max(0) as usize, end.max(0) as usize, value)
            .map_err(t)?;
    }
    Ok(y)
}
