//! The deterministic periphery of aimc's tiles written with standard ONNX ops (`aimc export
//! --periphery`, issue 18), as `TiledMatrix::forward_t` computes it without noise (physics.md
//! section 3, Eq. 1-2, 5, 15-18): per tile, the input times 1/alpha (the tile's input range)
//! through the DAC, the product with the tile's normalised weights (an analog bias as a
//! constant: the bias row driven by DAC(1/alpha)), the IR-drop correction, the ADC's S-shape
//! and quantisation, then alpha times the output scales; the tiles of a column chunk summed
//! in row order, the column chunks concatenated. Every tile reads the whole input through
//! weights that are zero outside its rows, so a convolution split mid-channel needs no slicing.
//! The quantisers round half away from zero as aimc's do: sign(z) floor(|z| + 1/2) (which
//! differs from aimc's rounding only for |z| = 1/2 - 2^-25), the sign as clip(4 z, -1, 1) so
//! that files of opsets 7 and 8 (no Sign) take it too. Output and read noise are random
//! draws and are not written; dynamic and iterative input scaling are refused.

use super::proto::AttributeProto;
use super::write::{GraphWriter, int};
use crate::error::{Error, Result};
use crate::tile::periphery::Periphery;
use crate::tile::periphery::ir_drop::positions;
use crate::tile::tiled_matrix::TileBlock;
use crate::tile::{Quantizer, TiledMatrix};
use candle_core::{DType, Device, Tensor};
use std::collections::BTreeMap;

/// How a tile's weights meet the input.
#[derive(Debug, Clone)]
pub enum Product {
    /// x [..., in] MatMul W^T: outputs on the last axis.
    Linear,
    /// A convolution of x [B, C, H, W] (or [B, C, L]) with kernels [out, C, kh, kw] (or
    /// [out, C, k]) and the node attributes `attrs` (kernel shape, strides, dilations, pads):
    /// outputs on axis 1. The matrix's rows are the kernel's from `row_offset` on (a group's).
    Conv {
        channels: usize,
        kernel: Vec<usize>,
        attrs: Vec<AttributeProto>,
        row_offset: usize,
    },
}

impl Product {
    /// The axis of the outputs.
    fn out_axis(&self) -> i64 {
        match self {
            Product::Linear => -1,
            Product::Conv { .. } => 1,
        }
    }

    /// A per-output vector [m] shaped to broadcast against the outputs.
    pub(super) fn per_output(&self, v: &Tensor) -> Result<Tensor> {
        let m = v.elem_count();
        Ok(match self {
            Product::Linear => v.reshape(m)?,
            Product::Conv { kernel, .. } => {
                let mut dims = vec![1, m];
                dims.extend(kernel.iter().map(|_| 1));
                v.reshape(dims)?
            }
        })
    }

    /// Where a matrix of `inputs` rows lies in the product's weights: (first row, rows).
    fn placement(&self, inputs: usize) -> (usize, usize) {
        match self {
            Product::Linear => (0, inputs),
            Product::Conv {
                channels,
                kernel,
                row_offset,
                ..
            } => (*row_offset, channels * kernel.iter().product::<usize>()),
        }
    }
}

/// What the writer needs of one tile beyond its block: where the matrix's rows lie in the
/// product's weights (first row, rows), the tile's rows of inputs, whether it holds the analog
/// bias row and DAC(1/alpha), the value that row is driven with.
#[derive(Debug, Clone, Copy)]
struct TileInputs {
    offset: usize,
    total: usize,
    real: usize,
    bias_row: bool,
    dac_one: f32,
}

/// `w` [m, n] (columns = the tile's rows `rows`, the bias row excluded) placed in a zero
/// matrix of `inputs` columns: [m, inputs].
fn padded(w: &Tensor, start: usize, inputs: usize) -> Result<Tensor> {
    let (m, n) = w.dims2()?;
    let zeros = |k: usize| Tensor::zeros((m, k), DType::F32, &Device::Cpu);
    Ok(Tensor::cat(
        &[
            &zeros(start)?,
            &w.to_dtype(DType::F32)?,
            &zeros(inputs - start - n)?,
        ],
        1,
    )?)
}

/// A scalar initializer of `v`.
fn scalar(w: &mut GraphWriter, hint: &str, v: f32) -> Result<String> {
    w.init(hint, &Tensor::new(v, &Device::Cpu)?)
}

impl GraphWriter {
    /// `z` through quantiser `q`: clip(round(z / step) step, -b, b), z / step computed as
    /// z (1 / step) and rounding half away from zero (physics.md Eq. 5, `tile/quantize.rs`).
    fn quantize(&mut self, z: &str, q: Quantizer, hint: &str) -> Result<String> {
        let inv = scalar(self, &format!("{hint}.inv_step"), q.inv_step())?;
        let step = scalar(self, &format!("{hint}.step"), q.step())?;
        let (half, four) = (scalar(self, "half", 0.5)?, scalar(self, "four", 4.0)?);
        let levels = self.node("Mul", &[z, &inv], vec![]);
        // sign(l) as clip(4 l, -1, 1): exactly +-1 for |l| >= 1/4, and below 1/2 the floor is
        // 0 anyway (Sign exists from opset 9 only).
        let four_l = self.node("Mul", &[&levels, &four], vec![]);
        let sign = self.clip(&four_l, -1.0, 1.0, &format!("{hint}.sign"))?;
        let abs = self.node("Abs", &[&levels], vec![]);
        let shifted = self.node("Add", &[&abs, &half], vec![]);
        let floor = self.node("Floor", &[&shifted], vec![]);
        let rounded = self.node("Mul", &[&sign, &floor], vec![]);
        let y = self.node("Mul", &[&rounded, &step], vec![]);
        self.clip(&y, -q.bound, q.bound, hint)
    }

    /// `x` times weights `w` [m, inputs] in the form of `product`.
    fn product(&mut self, x: &str, w: &Tensor, hint: &str, product: &Product) -> Result<String> {
        match product {
            Product::Linear => {
                let w = self.init(hint, &w.t()?.contiguous()?)?;
                Ok(self.node("MatMul", &[x, &w], vec![]))
            }
            Product::Conv {
                channels,
                kernel,
                attrs,
                ..
            } => {
                let mut dims = vec![w.dim(0)?, *channels];
                dims.extend(kernel);
                let w = self.init(hint, &w.reshape(dims)?)?;
                Ok(self.node("Conv", &[x, &w], attrs.clone()))
            }
        }
    }

    /// `x` through the tiles of matrix `m` (its inputs: `m`'s inputs without the analog bias)
    /// with their noise-free periphery; the layer's digital bias is added by the caller.
    pub(super) fn tiles(&mut self, x: &str, m: &TiledMatrix, product: &Product) -> Result<String> {
        let p = m.periphery().clone();
        if !p.input_scaling.is_static() {
            return Err(Error::invalid_argument(
                "--periphery",
                "tiles with static input ranges (`input_scaling = \"static\"`, the standard \
                 tile's)",
                format!("{}: input_scaling = {:?}", m.name(), p.input_scaling.mode),
            ));
        }
        let inputs = m.weight().dim(1)?;
        // The sum of each column chunk's tiles, in row order, by the chunk's first column.
        let mut columns: BTreeMap<usize, String> = BTreeMap::new();
        for tile in m.tile_blocks()? {
            let hint = format!("{}.tile{}_{}", m.name(), tile.rows.start, tile.cols.start);
            let y = self.tile(x, &p, &tile, inputs, &hint, product)?;
            let y = match columns.remove(&tile.cols.start) {
                Some(acc) => self.node("Add", &[&acc, &y], vec![]),
                None => y,
            };
            columns.insert(tile.cols.start, y);
        }
        let mut columns: Vec<String> = columns.into_values().collect();
        if columns.len() == 1 {
            return Ok(columns.remove(0));
        }
        let parts: Vec<&str> = columns.iter().map(String::as_str).collect();
        Ok(self.node("Concat", &parts, vec![int("axis", product.out_axis())]))
    }

    /// `x` through one tile: alpha out_scale ADC(F(DAC(x / alpha))) without noise.
    fn tile(
        &mut self,
        x: &str,
        p: &Periphery,
        tile: &TileBlock,
        inputs: usize,
        hint: &str,
        product: &Product,
    ) -> Result<String> {
        let alpha = tile.input_range;
        let inv_alpha = 1.0 / alpha;
        let inv = scalar(self, &format!("{hint}.inv_range"), inv_alpha)?;
        let mut xq = self.node("Mul", &[x, &inv], vec![]);
        if let Some(q) = p.dac {
            xq = self.quantize(&xq, q, &format!("{hint}.dac"))?;
        }
        let real = tile.rows.end.min(inputs) - tile.rows.start;
        let (offset, total) = product.placement(inputs);
        let t = TileInputs {
            offset,
            total,
            real,
            bias_row: tile.rows.end > inputs,
            dac_one: p.dac.map_or(inv_alpha, |q| q.apply(inv_alpha)),
        };
        let w = tile.weights.to_dtype(DType::F32)?;
        let mut y = self.tile_product(&xq, &w, tile.rows.start, &t, hint, product)?;
        if let Some(gamma) = p.ir_drop {
            y = self.ir_drop(&y, &xq, &w, gamma, tile.rows.start, &t, hint, product)?;
        }
        if let Some(q) = p.adc.quantizer {
            if p.adc.s_shape > 0.0 {
                let (k, b) = (p.adc.s_shape, q.bound);
                let pre = scalar(self, &format!("{hint}.adc_in"), k / b)?;
                let post = scalar(self, &format!("{hint}.adc_out"), b / k.tanh())?;
                let s = self.node("Mul", &[&y, &pre], vec![]);
                let s = self.node("Tanh", &[&s], vec![]);
                y = self.node("Mul", &[&s, &post], vec![]);
            }
            y = self.quantize(&y, q, &format!("{hint}.adc"))?;
        }
        let scale = (tile.out_scale.to_dtype(DType::F32)? * alpha as f64)?;
        let scale = self.init(&format!("{hint}.scale"), &product.per_output(&scale)?)?;
        Ok(self.node("Mul", &[&y, &scale], vec![]))
    }

    /// `xq` times the tile's weights `w` [m, n] (its rows from `start`), with the analog bias
    /// row's constant contribution added.
    fn tile_product(
        &mut self,
        xq: &str,
        w: &Tensor,
        start: usize,
        t: &TileInputs,
        hint: &str,
        product: &Product,
    ) -> Result<String> {
        let w_in = padded(&w.narrow(1, 0, t.real)?, t.offset + start, t.total)?;
        let y = self.product(xq, &w_in, &format!("{hint}.weight"), product)?;
        if !t.bias_row {
            return Ok(y);
        }
        let row = (w.narrow(1, t.real, 1)? * t.dac_one as f64)?;
        let row = self.init(&format!("{hint}.bias_row"), &product.per_output(&row)?)?;
        Ok(self.node("Add", &[&y, &row], vec![]))
    }

    /// `y` with the IR-drop correction of DAC outputs `xq` through the tile's weights `w`
    /// [m, n] (Eq. 15-18): y - c(k a) ((xq positions) W^T), a = |xq| |W|^T, k = gamma_ir n,
    /// c(a) = 0.05 a^3 - 0.2 a^2 + 0.5 a, positions 1 - (1 - j/n)^2 folded into the weights.
    #[allow(clippy::too_many_arguments)]
    fn ir_drop(
        &mut self,
        y: &str,
        xq: &str,
        w: &Tensor,
        gamma: f32,
        start: usize,
        t: &TileInputs,
        hint: &str,
        product: &Product,
    ) -> Result<String> {
        let n = w.dim(1)?;
        let pos = Tensor::from_vec(positions(n), (1, n), &Device::Cpu)?;
        let abs_x = self.node("Abs", &[xq], vec![]);
        let abs_inputs = TileInputs {
            dac_one: t.dac_one.abs(),
            ..*t
        };
        let a = self.tile_product(
            &abs_x,
            &w.abs()?,
            start,
            &abs_inputs,
            &format!("{hint}.ir_abs"),
            product,
        )?;
        let weighted = self.tile_product(
            xq,
            &w.broadcast_mul(&pos)?,
            start,
            t,
            &format!("{hint}.ir_positions"),
            product,
        )?;
        let k = scalar(self, &format!("{hint}.ir_k"), gamma * n as f32)?;
        let ka = self.node("Mul", &[&a, &k], vec![]);
        let a2 = self.node("Mul", &[&ka, &ka], vec![]);
        let a3 = self.node("Mul", &[&a2, &ka], vec![]);
        let term = |w: &mut Self, v: &str, c: f32| -> Result<String> {
            let c = scalar(w, "ir_c", c)?;
            Ok(w.node("Mul", &[v, &c], vec![]))
        };
        let (c3, c2, c1) = (
            term(self, &a3, 0.05)?,
            term(self, &a2, 0.2)?,
            term(self, &ka, 0.5)?,
        );
        let c = self.node("Sub", &[&c3, &c2], vec![]);
        let c = self.node("Add", &[&c, &c1], vec![]);
        let dy = self.node("Mul", &[&c, &weighted], vec![]);
        Ok(self.node("Sub", &[y, &dy], vec![]))
    }
}
