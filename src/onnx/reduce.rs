//! The reductions ReduceMean and ReduceSum (ONNX operators of those names): over `axes`
//! (negative counted from the end; an attribute before opset 18 for ReduceMean and 13 for
//! ReduceSum, an optional input from then on), all axes when none are given unless
//! `noop_with_empty_axes`, the reduced axes kept with length 1 when `keepdims` (default 1).

use super::attributes::Attributes;
use super::shape::axis_of;
use crate::error::Result;
use candle_core::Tensor;

/// The reduction an op computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    Mean,
    Sum,
}

impl Reduction {
    /// The reduction of op `op`, if it is one aimc computes.
    pub fn of(op: &str) -> Option<Self> {
        match op {
            "ReduceMean" => Some(Self::Mean),
            "ReduceSum" => Some(Self::Sum),
            _ => None,
        }
    }

    /// The first opset in which the op takes its axes as an input.
    fn axes_input_since(self) -> i64 {
        match self {
            Self::Mean => 18,
            Self::Sum => 13,
        }
    }
}

/// `x` reduced by `r` as node `a` (opset `opset`) says, with the axes input `axes_input`.
pub fn reduce(
    r: Reduction,
    x: &Tensor,
    axes_input: Option<&Tensor>,
    a: &Attributes,
    opset: i64,
) -> Result<Tensor> {
    let t = |e: candle_core::Error| a.error(crate::error::Error::from(e));
    let axes = if opset >= r.axes_input_since() {
        match axes_input {
            Some(v) => v
                .flatten_all()
                .and_then(|f| f.to_dtype(candle_core::DType::I64))
                .and_then(|f| f.to_vec1::<i64>())
                .map_err(t)?,
            None => Vec::new(),
        }
    } else {
        a.ints("axes").unwrap_or_default()
    };
    if axes.is_empty() && a.int("noop_with_empty_axes", 0) != 0 {
        return Ok(x.clone());
    }
    let rank = x.rank();
    let mut axes: Vec<usize> = if axes.is_empty() {
        (0..rank).collect()
    } else {
        axes.iter()
            .map(|&v| axis_of(v, rank, a))
            .collect::<Result<_>>()?
    };
    axes.sort_unstable();
    axes.dedup();
    // Summed (or averaged) axis by axis from the last, each kept with length 1.
    let mut y = x.clone();
    for &d in axes.iter().rev() {
        y = match r {
            Reduction::Sum => y.sum_keepdim(d),
            Reduction::Mean => y.mean_keepdim(d),
        }
        .map_err(t)?;
    }
    if a.int("keepdims", 1) == 0 {
        let dims: Vec<usize> = (0..rank)
            .filter(|d| !axes.contains(d))
            .map(|d| y.dims()[d])
            .collect();
        y = y.reshape(dims).map_err(t)?;
    }
    Ok(y)
}
