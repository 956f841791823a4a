//! `AnalogLinear`: y = x W^T + b with W on tiles; b digital (or on the tiles with
//! `digital_bias = false`). Same signature as candle-nn's `linear`.

use super::visit::AnalogModule;
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TiledMatrix};
use candle_core::{ModuleT, Result, Tensor};
use candle_nn::VarBuilder;

/// A linear layer whose weight matrix lives on analog tiles.
#[derive(Debug)]
pub struct AnalogLinear {
    matrix: TiledMatrix,
    /// The digital bias (None when absent or held on the tiles).
    bias: Option<Tensor>,
}

impl AnalogLinear {
    /// A layer from weight [out, in] and optional bias [out].
    pub fn new(
        name: &str,
        weight: Tensor,
        bias: Option<Tensor>,
        tile: &TileConfig,
        rng: NoiseRng,
    ) -> Result<Self> {
        if tile.periphery.bias.digital || bias.is_none() {
            Ok(Self {
                matrix: TiledMatrix::new(name, weight, tile, rng)?,
                bias,
            })
        } else {
            Ok(Self {
                matrix: TiledMatrix::with_analog_bias(name, weight, bias, tile, rng)?,
                bias: None,
            })
        }
    }

    /// The tiled weight matrix.
    pub fn matrix(&self) -> &TiledMatrix {
        &self.matrix
    }

    /// The digital bias, if any.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }

    /// Takes the input ranges and output scales of the weight matrix from `vb` (see
    /// [`TiledMatrix::with_parameters`]).
    pub fn with_parameters(mut self, vb: &VarBuilder) -> Result<Self> {
        self.matrix = self.matrix.with_parameters(vb)?;
        Ok(self)
    }
}

/// A linear layer with parameters `weight` [out, in] and (if `bias`) `bias` [out] from `vb`,
/// initialised as candle-nn's `linear` when created.
pub fn analog_linear(
    in_dim: usize,
    out_dim: usize,
    bias: bool,
    vb: VarBuilder,
    tile: &TileConfig,
    rng: NoiseRng,
) -> Result<AnalogLinear> {
    let bound = 1.0 / (in_dim as f64).sqrt();
    let inits = LinearInit {
        weight: candle_nn::init::DEFAULT_KAIMING_NORMAL,
        bias: bias.then_some(candle_nn::Init::Uniform {
            lo: -bound,
            up: bound,
        }),
    };
    analog_linear_with_init(in_dim, out_dim, inits, vb, tile, rng)
}

/// How a linear layer's parameters are initialised when created (no bias when `bias` is None).
#[derive(Debug, Clone, Copy)]
pub struct LinearInit {
    pub weight: candle_nn::Init,
    pub bias: Option<candle_nn::Init>,
}

/// [`analog_linear`] with the initialisation `init`.
pub fn analog_linear_with_init(
    in_dim: usize,
    out_dim: usize,
    init: LinearInit,
    vb: VarBuilder,
    tile: &TileConfig,
    rng: NoiseRng,
) -> Result<AnalogLinear> {
    let w = vb.get_with_hints((out_dim, in_dim), "weight", init.weight)?;
    let b = match init.bias {
        Some(b) => Some(vb.get_with_hints(out_dim, "bias", b)?),
        None => None,
    };
    AnalogLinear::new(&vb.prefix(), w, b, tile, rng)?.with_parameters(&vb.pp("weight"))
}

// candle implements `ModuleT` for every `Module` (ignoring `train`); an analog layer needs the
// flag (training uses the digital weights, inference the programmed ones), so it implements
// `ModuleT`, and `forward` is the inference pass.
impl AnalogLinear {
    /// Inference: the programmed weights if programmed, else the digital ones.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_t(x, false)
    }
}

impl ModuleT for AnalogLinear {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let dims = x.dims().to_vec();
        let in_dim = *dims.last().expect("input has a feature dimension");
        let flat = x.reshape(((), in_dim))?;
        let y = self.matrix.forward_t(&flat, train)?;
        let y = match &self.bias {
            Some(b) => y.broadcast_add(b)?,
            None => y,
        };
        let mut out_dims = dims;
        *out_dims.last_mut().expect("non-empty") = y.dim(1)?;
        y.reshape(out_dims)
    }
}

impl AnalogModule for AnalogLinear {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        f(&self.matrix);
    }
}
