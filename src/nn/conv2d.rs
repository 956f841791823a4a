//! `AnalogConv2d`: a 2-D convolution unrolled onto tiles (im2col, rows ordered C, kh, kw as in
//! physics.md section 3): the weight [C_out, C_in, kh, kw] becomes a (C_in kh kw) x C_out matrix,
//! each output pixel one input vector. Bias digital.

use super::visit::AnalogModule;
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TiledMatrix};
use candle_core::{ModuleT, Result, Tensor};
use candle_nn::VarBuilder;

/// Stride and padding of a convolution (dilation 1, one group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dGeometry {
    pub stride: usize,
    pub padding: usize,
}

impl Default for Conv2dGeometry {
    fn default() -> Self {
        Self {
            stride: 1,
            padding: 0,
        }
    }
}

/// A convolution whose kernel lives on analog tiles.
#[derive(Debug)]
pub struct AnalogConv2d {
    matrix: TiledMatrix,
    bias: Option<Tensor>,
    in_channels: usize,
    kernel: (usize, usize),
    geometry: ConvGeometry,
}

pub use super::im2col::{ConvGeometry, im2col, im2col_columns};

impl AnalogConv2d {
    /// A convolution from weight [C_out, C_in, kh, kw] and optional bias [C_out], of any
    /// stride, padding and dilation (`Conv2dGeometry`: square, symmetric, undilated;
    /// `ConvGeometry`: any).
    pub fn new(
        name: &str,
        weight: Tensor,
        bias: Option<Tensor>,
        geometry: impl Into<ConvGeometry>,
        tile: &TileConfig,
        rng: NoiseRng,
    ) -> Result<Self> {
        let geometry = geometry.into();
        let (_, c_in, kh, kw) = weight.dims4()?;
        let matrix = TiledMatrix::new(name, weight, tile, rng)?.with_kind("conv2d");
        Ok(Self {
            matrix,
            bias,
            in_channels: c_in,
            kernel: (kh, kw),
            geometry,
        })
    }

    /// The tiled kernel matrix.
    pub fn matrix(&self) -> &TiledMatrix {
        &self.matrix
    }

    /// Input channels.
    pub fn in_channels(&self) -> usize {
        self.in_channels
    }

    /// Kernel height and width.
    pub fn kernel(&self) -> (usize, usize) {
        self.kernel
    }

    /// Stride, dilation and padding.
    pub fn geometry(&self) -> ConvGeometry {
        self.geometry
    }

    /// The digital bias, if any.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }

    /// Takes the input ranges and output scales of the kernel matrix from `vb` (see
    /// [`TiledMatrix::with_parameters`]).
    pub fn with_parameters(mut self, vb: &VarBuilder) -> Result<Self> {
        self.matrix = self.matrix.with_parameters(vb)?;
        Ok(self)
    }

    /// The convolution of `x` [B, C_in, H, W] with `geometry` in place of the layer's own (an
    /// imported graph's automatic padding depends on the input size).
    pub fn forward_geometry_t(
        &self,
        x: &Tensor,
        geometry: ConvGeometry,
        train: bool,
    ) -> Result<Tensor> {
        let (b, _, h, w) = x.dims4()?;
        let (kh, kw) = self.kernel;
        let (ho, wo) = geometry.output_size((h, w), (kh, kw))?;
        // Each tile row unrolls its own input columns.
        let columns = |start, len| Ok(im2col_columns(x, kh, kw, geometry, (start, len))?.0);
        let y = self
            .matrix
            .forward_columns_t(&columns, b * ho * wo, train)?;
        let c_out = y.dim(1)?;
        let y = y.reshape((b, ho, wo, c_out))?.permute((0, 3, 1, 2))?;
        match &self.bias {
            Some(bias) => y.broadcast_add(&bias.reshape((1, c_out, 1, 1))?),
            None => Ok(y),
        }
    }
}

/// A convolution with parameters `weight` [out, in, k, k] and `bias` [out] from `vb`,
/// initialised as candle-nn's `conv2d` when created.
pub fn analog_conv2d(
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    geometry: Conv2dGeometry,
    vb: VarBuilder,
    tile: &TileConfig,
    rng: NoiseRng,
) -> Result<AnalogConv2d> {
    let bound = 1.0 / ((in_channels * kernel * kernel) as f64).sqrt();
    let init = candle_nn::Init::Uniform {
        lo: -bound,
        up: bound,
    };
    let b = vb.get_with_hints(out_channels, "bias", init)?;
    let conv = analog_conv2d_no_bias(in_channels, out_channels, kernel, geometry, vb, tile, rng)?;
    Ok(AnalogConv2d {
        bias: Some(b),
        ..conv
    })
}

/// A convolution without bias, parameter `weight` [out, in, k, k] from `vb`.
pub fn analog_conv2d_no_bias(
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    geometry: Conv2dGeometry,
    vb: VarBuilder,
    tile: &TileConfig,
    rng: NoiseRng,
) -> Result<AnalogConv2d> {
    let w = vb.get_with_hints(
        (out_channels, in_channels, kernel, kernel),
        "weight",
        candle_nn::init::DEFAULT_KAIMING_NORMAL,
    )?;
    let mut conv = AnalogConv2d::new(&vb.prefix(), w, None, geometry, tile, rng)?;
    conv.matrix = conv.matrix.with_parameters(&vb.pp("weight"))?;
    Ok(conv)
}

// candle implements `ModuleT` for every `Module` (ignoring `train`); an analog layer needs the
// flag (training uses the digital weights, inference the programmed ones), so it implements
// `ModuleT`, and `forward` is the inference pass.
impl AnalogConv2d {
    /// Inference: the programmed weights if programmed, else the digital ones.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_t(x, false)
    }
}

impl ModuleT for AnalogConv2d {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.forward_geometry_t(x, self.geometry, train)
    }
}

impl AnalogModule for AnalogConv2d {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        f(&self.matrix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn randn(shape: &[usize], seed: u64) -> Result<Tensor> {
        let mut v = vec![0f32; shape.iter().product()];
        NoiseRng::new(seed).fill_normal(&mut v);
        Tensor::from_vec(v, shape, &Device::Cpu)
    }

    /// A kernel split over several tile rows (27 inputs on tiles of 8 rows, a channel's 9
    /// columns straddling tiles) unrolls each tile's columns on its own: the output equals the
    /// full unrolling through the same matrix, and so does the input's gradient (up to the
    /// order of the sums).
    #[test]
    fn per_tile_unrolling_equals_the_full_unrolling() -> Result<()> {
        let config = TileConfig::ideal()
            .edit(|t| {
                t.rows = 8;
                t.cols = 3;
            })
            .unwrap();
        let x = Var::from_tensor(&randn(&[2, 3, 6, 5], 1)?)?;
        let w = randn(&[4, 3, 3, 3], 2)?;
        let g = Conv2dGeometry {
            stride: 1,
            padding: 1,
        };
        let conv = AnalogConv2d::new("c", w, None, g, &config, NoiseRng::new(0))?;
        let y = conv.forward_t(x.as_tensor(), true)?;
        let (cols, (ho, wo)) = im2col(x.as_tensor(), 3, 3, g)?;
        let reference = conv
            .matrix()
            .forward_t(&cols, true)?
            .reshape((2, ho, wo, 4))?
            .permute((0, 3, 1, 2))?;
        let (a, b) = (y.flatten_all()?, reference.flatten_all()?);
        assert_eq!(a.to_vec1::<f32>()?, b.to_vec1::<f32>()?);
        let weights = randn(&[a.elem_count()], 3)?;
        let grad = |t: &Tensor| -> Result<Vec<f32>> {
            let grads = (t * &weights)?.sum_all()?.backward()?;
            grads.get(&x).expect("grad").flatten_all()?.to_vec1::<f32>()
        };
        for (u, v) in grad(&a)?.iter().zip(&grad(&b)?) {
            assert!((u - v).abs() <= 1e-5 * v.abs().max(1.0), "{u} vs {v}");
        }
        Ok(())
    }
}
