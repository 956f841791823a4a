//! Convolution and pooling over 1-D and 2-D inputs (`[N, C, W]`, `[N, C, H, W]`) with ONNX's
//! geometry: `kernel_shape`, `strides`, `dilations`, `pads` (begins, then ends) or `auto_pad`
//! (`SAME_UPPER`, `SAME_LOWER`, `VALID`), and for pooling `ceil_mode` and
//! `count_include_pad`. A 1-D input runs as a 2-D one of height 1.

use super::attributes::Attributes;
use crate::error::Result;
use crate::nn::im2col::{ConvGeometry, im2col};
use candle_core::{DType, Tensor};

/// The geometry of one spatial axis: kernel extent, stride, dilation, padding before and
/// after, and the output length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    pub kernel: usize,
    pub stride: usize,
    pub dilation: usize,
    pub pad_begin: usize,
    pub pad_end: usize,
    pub output: usize,
}

/// The geometry of every spatial axis of node `a` over spatial input lengths `input` and kernel
/// lengths `kernel`; `ceil_mode` rounds the output length up (pooling), keeping the last window
/// starting inside the input or its leading padding.
pub fn axes(a: &Attributes, input: &[usize], kernel: &[usize], ceil: bool) -> Result<Vec<Axis>> {
    let n = input.len();
    let list = |name: &str, default: i64| -> Result<Vec<usize>> {
        let v = a.ints(name).unwrap_or_else(|| vec![default; n]);
        if v.len() != n || v.iter().any(|&x| x < 1) {
            return Err(a.error(format!(
                "attribute `{name}` {v:?}: expected {n} values, each >= 1"
            )));
        }
        Ok(v.into_iter().map(|x| x as usize).collect())
    };
    let strides = list("strides", 1)?;
    let dilations = list("dilations", 1)?;
    let pads = match a.ints("pads") {
        Some(p) if p.len() == 2 * n && p.iter().all(|&x| x >= 0) => {
            p.into_iter().map(|x| x as usize).collect()
        }
        Some(p) => {
            return Err(a.error(format!(
                "attribute `pads` {p:?}: expected {} values, each >= 0",
                2 * n
            )));
        }
        None => vec![0; 2 * n],
    };
    let auto_pad = a.string("auto_pad").unwrap_or_else(|| "NOTSET".into());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (len, s, d, k) = (input[i], strides[i], dilations[i], kernel[i]);
        if k == 0 {
            return Err(a.error(format!("kernel length 0 on spatial axis {i}")));
        }
        let span = d * (k - 1) + 1;
        let (pad_begin, pad_end, output) = match auto_pad.as_str() {
            "NOTSET" => {
                let (pb, pe) = (pads[i], pads[n + i]);
                let padded = len + pb + pe;
                if padded < span {
                    return Err(a.error(format!(
                        "kernel span {span} longer than the padded input {padded} on axis {i}"
                    )));
                }
                let mut o = if ceil {
                    (padded - span).div_ceil(s) + 1
                } else {
                    (padded - span) / s + 1
                };
                if ceil && (o - 1) * s >= len + pb {
                    o -= 1;
                }
                (pb, pe, o)
            }
            "VALID" => {
                if len < span {
                    return Err(a.error(format!(
                        "kernel span {span} longer than the input {len} on axis {i}"
                    )));
                }
                (0, 0, (len - span) / s + 1)
            }
            "SAME_UPPER" | "SAME_LOWER" => {
                let o = len.div_ceil(s);
                let total = ((o - 1) * s + span).saturating_sub(len);
                let small = total / 2;
                if auto_pad == "SAME_UPPER" {
                    (small, total - small, o)
                } else {
                    (total - small, small, o)
                }
            }
            other => {
                return Err(a.error(format!(
                    "auto_pad `{other}`: expected NOTSET, SAME_UPPER, SAME_LOWER or VALID"
                )));
            }
        };
        out.push(Axis {
            kernel: k,
            stride: s,
            dilation: d,
            pad_begin,
            pad_end,
            output,
        });
    }
    Ok(out)
}

/// `x` as `[N, C, H, W]` (a 1-D input gains a height of 1), with its spatial lengths.
fn as_2d(x: &Tensor, a: &Attributes) -> Result<(Tensor, Vec<usize>)> {
    let t = |e: candle_core::Error| a.error(crate::error::Error::from(e));
    if x.dims().iter().skip(2).any(|&d| d == 0) {
        return Err(a.error(format!(
            "an input of shape {:?} with no spatial extent",
            x.dims()
        )));
    }
    match x.rank() {
        3 => Ok((x.unsqueeze(2).map_err(t)?, vec![x.dims()[2]])),
        4 => Ok((x.clone(), x.dims()[2..].to_vec())),
        r => Err(a.error(format!(
            "an input of rank {r} is not supported: only 1-D and 2-D inputs ([N, C, W], \
             [N, C, H, W]) are"
        ))),
    }
}

/// The 2-D axes (height, width) of `axes`, a 1-D list gaining a trivial height.
fn pair(axes: &[Axis]) -> (Axis, Axis) {
    let unit = Axis {
        kernel: 1,
        stride: 1,
        dilation: 1,
        pad_begin: 0,
        pad_end: 0,
        output: 1,
    };
    match axes {
        [w] => (unit, *w),
        [h, w] => (*h, *w),
        _ => unreachable!("as_2d admits 1-D and 2-D inputs only"),
    }
}

/// A convolution of ONNX's geometry set up on a 2-D input: the input as `[N, C, H, W]`, the
/// geometry of its unrolling, the kernel (kh, kw), the groups, and whether the input was 1-D.
#[derive(Debug, Clone)]
pub struct ConvSetup {
    pub x: Tensor,
    pub geometry: ConvGeometry,
    pub kernel: (usize, usize),
    pub groups: usize,
    pub one_d: bool,
}

/// The setup of ONNX `Conv` node `a` on `x` [N, C, ...] with weights of shape `w` [M, C /
/// group, k...]: the checks of ranks, channels and groups, and the geometry.
pub fn conv_setup(x: &Tensor, w: &[usize], a: &Attributes) -> Result<ConvSetup> {
    let rank = x.rank();
    let (x4, input) = as_2d(x, a)?;
    if w.len() != rank {
        return Err(a.error(format!(
            "weights of rank {} for an input of rank {rank}",
            w.len()
        )));
    }
    let kernel = w[2..].to_vec();
    let axes = axes(a, &input, &kernel, false)?;
    let (h, wd) = pair(&axes);
    let groups = a.int("group", 1).max(1) as usize;
    let c = x4.dims()[1];
    let m = w[0];
    if !m.is_multiple_of(groups) || w[1] * groups != c {
        return Err(a.error(format!(
            "{c} input channels, {m} filters of {} channels and {groups} groups do not fit",
            w[1]
        )));
    }
    Ok(ConvSetup {
        x: x4,
        geometry: ConvGeometry {
            stride: (h.stride, wd.stride),
            dilation: (h.dilation, wd.dilation),
            pads: [h.pad_begin, wd.pad_begin, h.pad_end, wd.pad_end],
        },
        kernel: (h.kernel, wd.kernel),
        groups,
        one_d: rank == 3,
    })
}

impl ConvSetup {
    /// The output of the convolution from the outputs of its groups ([N, M / group, Ho, Wo]
    /// each) and the bias [M]: concatenated over channels, biased, a 1-D input's height
    /// dropped.
    pub fn finish(&self, parts: &[Tensor], bias: Option<&Tensor>) -> candle_core::Result<Tensor> {
        let mut y = Tensor::cat(parts, 1)?;
        if let Some(b) = bias {
            y = y.broadcast_add(&b.reshape((1, b.elem_count(), 1, 1))?)?;
        }
        if self.one_d {
            y = y.squeeze(2)?;
        }
        y.contiguous()
    }
}

/// ONNX `Conv`: `x` [N, C, ...] with weights `w` [M, C / group, k...] and optional bias [M].
pub fn conv(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, a: &Attributes) -> Result<Tensor> {
    let t = |e: candle_core::Error| a.error(crate::error::Error::from(e));
    let s = conv_setup(x, w.dims(), a)?;
    let (kh, kw) = s.kernel;
    let (n, c) = (s.x.dims()[0], s.x.dims()[1]);
    let m = w.dims()[0];
    let (cg, mg) = (c / s.groups, m / s.groups);
    let w2 = w.reshape((m, cg * kh * kw)).map_err(t)?;
    let mut parts = Vec::with_capacity(s.groups);
    for g in 0..s.groups {
        let xg = s.x.narrow(1, g * cg, cg).map_err(t)?;
        let (cols, (ho, wo)) = im2col(&xg, kh, kw, s.geometry).map_err(t)?;
        let y = cols
            .matmul(&w2.narrow(0, g * mg, mg).and_then(|v| v.t()).map_err(t)?)
            .and_then(|y| y.reshape((n, ho, wo, mg)))
            .and_then(|y| y.permute((0, 3, 1, 2)))
            .map_err(t)?;
        parts.push(y);
    }
    s.finish(&parts, bias).map_err(t)
}

/// The kind of pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    Max,
    Average,
}

/// ONNX `MaxPool` (the values output only) and `AveragePool`.
pub fn pool(x: &Tensor, kind: Pool, a: &Attributes) -> Result<Tensor> {
    let t = |e: candle_core::Error| a.error(crate::error::Error::from(e));
    let rank = x.rank();
    let (x4, input) = as_2d(x, a)?;
    let kernel: Vec<usize> = match a.ints("kernel_shape") {
        Some(k) if k.len() == input.len() && k.iter().all(|&v| v >= 1) => {
            k.into_iter().map(|v| v as usize).collect()
        }
        k => {
            return Err(a.error(format!(
                "attribute `kernel_shape` {k:?}: expected {} values, each >= 1",
                input.len()
            )));
        }
    };
    let ceil = a.int("ceil_mode", 0) != 0;
    let axes = axes(a, &input, &kernel, ceil)?;
    let (ah, aw) = pair(&axes);
    let include_pad = a.int("count_include_pad", 0) != 0;
    let (_, _, hi, wi) = x4.dims4().map_err(t)?;
    // Windows inside the input, undilated: candle's pooling computes the same.
    let plain = |ax: &Axis, len: usize| {
        ax.pad_begin == 0
            && ax.pad_end == 0
            && ax.dilation == 1
            && ax.output == (len - ax.kernel) / ax.stride + 1
    };
    // candle's pooling computes the same, and differentiates it, when windows tile the input.
    let tiled = |ax: &Axis| ax.kernel == ax.stride;
    if plain(&ah, hi) && plain(&aw, wi) && tiled(&ah) && tiled(&aw) {
        let (k, s) = ((ah.kernel, aw.kernel), (ah.stride, aw.stride));
        let y = match kind {
            Pool::Max => x4.max_pool2d_with_stride(k, s),
            Pool::Average => x4.avg_pool2d_with_stride(k, s),
        };
        let y = y.map_err(t)?;
        return if rank == 3 {
            y.squeeze(2).map_err(t)
        } else {
            Ok(y)
        };
    }
    // Otherwise, differentiably: the input padded (with -inf for the maximum, 0 for the
    // average) far enough for every window, each kernel offset's values gathered by index,
    // combined; an average divides by the values each window counts.
    let (ho, wo) = (ah.output, aw.output);
    // After the input, as many values as the last window needs (at least the declared pads).
    let after = |ax: &Axis, len: usize, o: usize| {
        ((o - 1) * ax.stride + (ax.kernel - 1) * ax.dilation + 1).saturating_sub(ax.pad_begin + len)
    };
    let fill = match kind {
        Pool::Max => f64::NEG_INFINITY,
        Pool::Average => 0.0,
    };
    let padded = pad_axis(&x4, 2, ah.pad_begin, after(&ah, hi, ho), fill).map_err(t)?;
    let padded = pad_axis(&padded, 3, aw.pad_begin, after(&aw, wi, wo), fill).map_err(t)?;
    let index = |ax: &Axis, o: usize, k: usize| -> candle_core::Result<Tensor> {
        let v: Vec<u32> = (0..o)
            .map(|i| (i * ax.stride + k * ax.dilation) as u32)
            .collect();
        Tensor::new(v.as_slice(), x.device())
    };
    let mut acc: Option<Tensor> = None;
    for ky in 0..ah.kernel {
        let rows = padded
            .index_select(&index(&ah, ho, ky).map_err(t)?, 2)
            .map_err(t)?;
        for kx in 0..aw.kernel {
            let v = rows
                .index_select(&index(&aw, wo, kx).map_err(t)?, 3)
                .map_err(t)?;
            acc = Some(match (acc, kind) {
                (None, _) => v,
                (Some(a), Pool::Max) => a.maximum(&v).map_err(t)?,
                (Some(a), Pool::Average) => (a + v).map_err(t)?,
            });
        }
    }
    let mut y = acc.expect("kernels have at least one value");
    if kind == Pool::Average {
        // Values counted per window: inside the input, or inside the declared pads when
        // count_include_pad (not the extension of ceil_mode).
        let counted = |ax: &Axis, len: usize, o: usize| -> Vec<f32> {
            (0..o)
                .map(|i| {
                    (0..ax.kernel)
                        .filter(|k| {
                            let p =
                                (i * ax.stride + k * ax.dilation) as isize - ax.pad_begin as isize;
                            if include_pad {
                                p < (len + ax.pad_end) as isize
                            } else {
                                p >= 0 && (p as usize) < len
                            }
                        })
                        .count() as f32
                })
                .collect()
        };
        let (cy, cx) = (counted(&ah, hi, ho), counted(&aw, wi, wo));
        let counts: Vec<f32> = cy
            .iter()
            .flat_map(|a| cx.iter().map(move |b| (a * b).max(1.0)))
            .collect();
        let counts = Tensor::from_vec(counts, (1, 1, ho, wo), x.device())
            .and_then(|c| c.to_dtype(y.dtype()))
            .map_err(t)?;
        y = y.broadcast_div(&counts).map_err(t)?;
    }
    if rank == 3 {
        y = y.squeeze(2).map_err(t)?;
    }
    Ok(y)
}

/// `x` padded along `axis` with `begin` values `fill` before and `end` after.
pub fn pad_axis(
    x: &Tensor,
    axis: usize,
    begin: usize,
    end: usize,
    fill: f64,
) -> candle_core::Result<Tensor> {
    let block = |count: usize| -> candle_core::Result<Option<Tensor>> {
        if count == 0 {
            return Ok(None);
        }
        let mut dims = x.dims().to_vec();
        dims[axis] = count;
        Ok(Some(
            (Tensor::ones(dims, DType::F64, x.device())? * fill)?.to_dtype(x.dtype())?,
        ))
    };
    let parts: Vec<Tensor> = [block(begin)?, Some(x.clone()), block(end)?]
        .into_iter()
        .flatten()
        .collect();
    if parts.len() == 1 {
        Ok(x.clone())
    } else {
        Tensor::cat(&parts, axis)
    }
}
