//! Shape arithmetic shared by constant folding (`fold.rs`) and the executor (`ops.rs`): axes
//! counted from the end, ONNX Reshape's target shape, Squeeze and Unsqueeze, Shape's slice of
//! the dimensions and Range's values.

use super::attributes::Attributes;
use super::tensor::{MAX_ELEMENTS, element_count};
use crate::error::Result;

/// The axis `axis` of a tensor of rank `rank` (negative counts from the end).
pub fn axis_of(axis: i64, rank: usize, a: &Attributes) -> Result<usize> {
    let r = rank as i64;
    let x = if axis < 0 { axis + r } else { axis };
    if (0..r.max(1)).contains(&x) {
        Ok(x as usize)
    } else {
        Err(a.error(format!("axis {axis} of a tensor of rank {rank}")))
    }
}

/// The dimensions of a reshape of `dims` to `shape` (ONNX Reshape: 0 copies the input's
/// dimension unless `allowzero`, one -1 is inferred), checked to hold the same element count.
pub fn reshape_dims(
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
    let known = element_count(&out).ok_or_else(|| {
        a.error(format!(
            "shape {shape:?}: more than {MAX_ELEMENTS} elements"
        ))
    })?;
    if let Some(i) = infer {
        if known == 0 || !n.is_multiple_of(known) {
            return Err(a.error(format!("cannot reshape {dims:?} to {shape:?}")));
        }
        out[i] = n / known;
    }
    if element_count(&out) != Some(n) {
        return Err(a.error(format!("cannot reshape {dims:?} to {shape:?}")));
    }
    Ok(out)
}

/// The dimensions of `dims` after ONNX Squeeze (`unsqueeze` false: drop the size-1 `axes`, or
/// every size-1 axis when there are none) or Unsqueeze (insert size-1 `axes` of the result).
pub fn squeeze_dims(
    dims: &[usize],
    axes: Option<Vec<i64>>,
    unsqueeze: bool,
    a: &Attributes,
) -> Result<Vec<usize>> {
    let mut dims = dims.to_vec();
    if unsqueeze {
        let axes = axes.ok_or_else(|| a.error("no axes"))?;
        let rank = dims.len() + axes.len();
        let mut axes: Vec<usize> = axes
            .iter()
            .map(|&v| axis_of(v, rank, a))
            .collect::<Result<_>>()?;
        axes.sort_unstable();
        for v in axes {
            dims.insert(v, 1);
        }
        return Ok(dims);
    }
    let rank = dims.len();
    let drop: Vec<usize> = match axes {
        Some(axes) => axes
            .iter()
            .map(|&v| axis_of(v, rank, a))
            .collect::<Result<_>>()?,
        None => (0..rank).filter(|&i| dims[i] == 1).collect(),
    };
    if drop.iter().any(|&i| dims[i] != 1) {
        return Err(a.error(format!("squeeze of axes {drop:?} of shape {dims:?}")));
    }
    Ok((0..rank)
        .filter(|i| !drop.contains(i))
        .map(|i| dims[i])
        .collect())
}

/// ONNX `Shape` of a tensor of dimensions `dims`: the dimensions `start..end` (attributes
/// since opset 15; negative counted from the end, clamped to the rank) as int64.
pub fn shape_slice(dims: &[usize], a: &Attributes) -> Vec<i64> {
    let rank = dims.len() as i64;
    let at = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
    let (start, end) = (at(a.int("start", 0)), at(a.int("end", rank)));
    dims.get(start..end.max(start))
        .unwrap_or_default()
        .iter()
        .map(|&d| d as i64)
        .collect()
}

/// ONNX `Range`: the values start + i delta, i = 0 .. max(ceil((limit - start) / delta), 0),
/// from scalars `start`, `limit`, `delta` (all integers or all floats); the count is checked
/// against the element limit.
pub fn range_values(start: f64, limit: f64, delta: f64, a: &Attributes) -> Result<Vec<f64>> {
    if delta == 0.0 || !(start.is_finite() && limit.is_finite() && delta.is_finite()) {
        return Err(a.error(format!(
            "Range({start}, {limit}, {delta}): expected finite values and a delta other than 0"
        )));
    }
    let n = ((limit - start) / delta).ceil().max(0.0);
    if n > MAX_ELEMENTS as f64 {
        return Err(a.error(format!(
            "Range({start}, {limit}, {delta}) has {n} elements, more than {MAX_ELEMENTS}"
        )));
    }
    Ok((0..n as usize).map(|i| start + i as f64 * delta).collect())
}
