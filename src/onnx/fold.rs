//! Constant folding: the values of a graph that depend on initializers and constants alone,
//! computed once when the model is read. Exporters often write weights as the output of a small
//! subgraph (a `Transpose` or `Reshape` of an initializer, `ConstantOfShape` of a shape constant
//! as in the ONNX project's `light_*` models); folded, they are constant weights that can go on
//! tiles. Folded here: Constant, ConstantOfShape, Identity, Cast, Reshape, Transpose, Squeeze,
//! Unsqueeze, Concat, Gather and Shape; any other node, or one with a non-constant input, is
//! left to the graph.

use super::attributes::Attributes;
use super::read::OnnxModel;
use super::shape::{reshape_dims, shape_slice, squeeze_dims};
use super::tensor::{MAX_ELEMENTS, Tensor, TensorData, element_count};
use crate::error::Result;
use std::collections::BTreeMap;

/// Every constant value of `model`: its initializers and the outputs of the foldable nodes whose
/// inputs are all constant.
pub fn fold_constants(model: &OnnxModel) -> Result<BTreeMap<String, Tensor>> {
    let file = model.file.display().to_string();
    let base = model.file.parent().unwrap_or(std::path::Path::new("."));
    let mut values = model.initializers.clone();
    for node in &model.nodes {
        let inputs: Option<Vec<&Tensor>> = node
            .input
            .iter()
            .filter(|i| !i.is_empty())
            .map(|i| values.get(i))
            .collect();
        let Some(inputs) = inputs else {
            continue;
        };
        let a = Attributes::of(node, &file);
        let out = match node.op_type() {
            "Constant" => Some(constant(&a, base)?),
            "ConstantOfShape" => {
                let shape = dims_of(inputs.first().copied(), &a)?;
                let fill = a.tensor("value", base)?;
                let n = element_count(&shape).ok_or_else(|| {
                    a.error(format!(
                        "shape {shape:?}: more than {MAX_ELEMENTS} elements"
                    ))
                })?;
                Some(Tensor {
                    data: match fill.map(|t| t.data) {
                        Some(TensorData::I64(v)) => {
                            TensorData::I64(vec![v.first().copied().unwrap_or(0); n])
                        }
                        Some(TensorData::F32(v)) => {
                            TensorData::F32(vec![v.first().copied().unwrap_or(0.0); n])
                        }
                        None => TensorData::F32(vec![0.0; n]),
                    },
                    dims: shape,
                })
            }
            "Identity" => inputs.first().map(|t| (*t).clone()),
            "Cast" => inputs.first().map(|t| cast(t, a.int("to", 1))),
            "Shape" => inputs.first().map(|t| {
                let dims = shape_slice(&t.dims, &a);
                Tensor {
                    dims: vec![dims.len()],
                    data: TensorData::I64(dims),
                }
            }),
            "Reshape" => match inputs.as_slice() {
                [data, shape] => Some(reshape(data, &shape.to_i64(), &a)?),
                _ => None,
            },
            "Transpose" => inputs
                .first()
                .map(|t| transpose(t, a.ints("perm"), &a))
                .transpose()?,
            "Unsqueeze" | "Squeeze" => {
                let axes = a.ints("axes").or_else(|| inputs.get(1).map(|t| t.to_i64()));
                inputs
                    .first()
                    .map(|t| squeeze(t, axes, node.op_type() == "Unsqueeze", &a))
                    .transpose()?
            }
            "Concat" => Some(concat(&inputs, a.int("axis", 0), &a)?),
            "Gather" => match inputs.as_slice() {
                [data, indices] => Some(gather(data, indices, a.int("axis", 0), &a)?),
                _ => None,
            },
            _ => None,
        };
        if let (Some(t), Some(name)) = (out, node.output.first()) {
            values.insert(name.clone(), t);
        }
    }
    Ok(values)
}

/// The value of a `Constant` node.
fn constant(a: &Attributes, base: &std::path::Path) -> Result<Tensor> {
    if let Some(t) = a.tensor("value", base)? {
        return Ok(t);
    }
    if a.has("value_float") {
        return Ok(Tensor {
            dims: vec![],
            data: TensorData::F32(vec![a.float("value_float", 0.0)]),
        });
    }
    if a.has("value_int") {
        return Ok(Tensor {
            dims: vec![],
            data: TensorData::I64(vec![a.int("value_int", 0)]),
        });
    }
    if let Some(v) = a.ints("value_ints") {
        return Ok(Tensor {
            dims: vec![v.len()],
            data: TensorData::I64(v),
        });
    }
    Err(a.error("a constant without a value, value_float, value_int or value_ints"))
}

/// The dimensions a shape tensor holds.
fn dims_of(shape: Option<&Tensor>, a: &Attributes) -> Result<Vec<usize>> {
    let shape = shape.ok_or_else(|| a.error("no shape input"))?;
    shape
        .to_i64()
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| a.error(format!("negative dimension {d}"))))
        .collect()
}

/// `t` converted to ONNX data type `to` (floats to f32, integers and bools to i64).
fn cast(t: &Tensor, to: i64) -> Tensor {
    use super::proto::tensor_proto::DataType;
    let float = [
        DataType::Float,
        DataType::Double,
        DataType::Float16,
        DataType::Bfloat16,
    ]
    .iter()
    .any(|d| *d as i64 == to);
    Tensor {
        dims: t.dims.clone(),
        data: if float {
            TensorData::F32(t.to_f32())
        } else if to == DataType::Bool as i64 {
            TensorData::I64(t.to_f32().iter().map(|&v| (v != 0.0) as i64).collect())
        } else {
            TensorData::I64(t.to_i64())
        },
    }
}

/// `t` with shape `shape` (0 copies the input's dimension, one -1 is inferred).
fn reshape(t: &Tensor, shape: &[i64], a: &Attributes) -> Result<Tensor> {
    Ok(Tensor {
        dims: reshape_dims(&t.dims, shape, false, a)?,
        data: t.data.clone(),
    })
}

/// The row-major strides of `dims`.
fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}

/// Gathers the elements of `data` at the flat indices `index`.
fn pick(data: &TensorData, index: &[usize]) -> TensorData {
    match data {
        TensorData::F32(v) => TensorData::F32(index.iter().map(|&i| v[i]).collect()),
        TensorData::I64(v) => TensorData::I64(index.iter().map(|&i| v[i]).collect()),
    }
}

/// `t` with its axes permuted by `perm` (default: reversed).
fn transpose(t: &Tensor, perm: Option<Vec<i64>>, a: &Attributes) -> Result<Tensor> {
    let rank = t.dims.len();
    let perm: Vec<usize> = match perm {
        Some(p) => p.iter().map(|&x| x as usize).collect(),
        None => (0..rank).rev().collect(),
    };
    let mut sorted = perm.clone();
    sorted.sort_unstable();
    if sorted != (0..rank).collect::<Vec<_>>() {
        return Err(a.error(format!("perm {perm:?} for a tensor of rank {rank}")));
    }
    let dims: Vec<usize> = perm.iter().map(|&p| t.dims[p]).collect();
    let (src, dst) = (strides(&t.dims), strides(&dims));
    let index: Vec<usize> = (0..t.len())
        .map(|flat| {
            perm.iter()
                .enumerate()
                .map(|(k, &p)| (flat / dst[k]) % dims[k] * src[p])
                .sum()
        })
        .collect();
    Ok(Tensor {
        data: pick(&t.data, &index),
        dims,
    })
}

/// `t` with `axes` inserted (`unsqueeze`) or removed (all size-1 axes when `axes` is None).
fn squeeze(t: &Tensor, axes: Option<Vec<i64>>, unsqueeze: bool, a: &Attributes) -> Result<Tensor> {
    Ok(Tensor {
        dims: squeeze_dims(&t.dims, axes, unsqueeze, a)?,
        data: t.data.clone(),
    })
}

/// The tensors `parts` joined along `axis`.
fn concat(parts: &[&Tensor], axis: i64, a: &Attributes) -> Result<Tensor> {
    let first = parts.first().ok_or_else(|| a.error("no inputs"))?;
    let rank = first.dims.len();
    let axis = (if axis < 0 { axis + rank as i64 } else { axis }) as usize;
    if axis >= rank {
        return Err(a.error(format!("axis {axis} of rank {rank}")));
    }
    let outer: usize = first.dims[..axis].iter().product();
    let mut dims = first.dims.clone();
    dims[axis] = parts
        .iter()
        .map(|p| p.dims.get(axis).copied().unwrap_or(0))
        .sum();
    let float = parts.iter().any(|p| matches!(p.data, TensorData::F32(_)));
    let (mut f, mut i) = (Vec::new(), Vec::new());
    for o in 0..outer {
        for p in parts {
            if p.dims.len() != rank {
                return Err(a.error("inputs of different ranks"));
            }
            let block: usize = p.dims[axis..].iter().product();
            let range = o * block..(o + 1) * block;
            if float {
                f.extend_from_slice(&p.to_f32()[range]);
            } else {
                i.extend_from_slice(&p.to_i64()[range]);
            }
        }
    }
    Ok(Tensor {
        dims,
        data: if float {
            TensorData::F32(f)
        } else {
            TensorData::I64(i)
        },
    })
}

/// The slices of `data` along `axis` at `indices` (negative indices count from the end).
fn gather(data: &Tensor, indices: &Tensor, axis: i64, a: &Attributes) -> Result<Tensor> {
    let rank = data.dims.len();
    let axis = (if axis < 0 { axis + rank as i64 } else { axis }) as usize;
    let size = *data
        .dims
        .get(axis)
        .ok_or_else(|| a.error(format!("axis {axis} of rank {rank}")))?;
    let outer: usize = data.dims[..axis].iter().product();
    let inner: usize = data.dims[axis + 1..].iter().product();
    let mut index = Vec::new();
    let picks: Vec<usize> = indices
        .to_i64()
        .iter()
        .map(|&k| {
            let k = if k < 0 { k + size as i64 } else { k };
            usize::try_from(k)
                .ok()
                .filter(|&k| k < size)
                .ok_or_else(|| a.error(format!("index {k} outside 0..{size}")))
        })
        .collect::<Result<_>>()?;
    for o in 0..outer {
        for &k in &picks {
            let start = (o * size + k) * inner;
            index.extend(start..start + inner);
        }
    }
    let mut dims = data.dims[..axis].to_vec();
    dims.extend_from_slice(&indices.dims);
    dims.extend_from_slice(&data.dims[axis + 1..]);
    Ok(Tensor {
        data: pick(&data.data, &index),
        dims,
    })
}
