//! `AnalogLstm`: one LSTM layer whose input and recurrent matrices are separate tiled matrices
//! (physics.md section 3); gates i, f, g, o (PyTorch order), biases digital.
//! c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t).

use super::visit::AnalogModule;
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TiledMatrix};
use candle_core::{D, Result, Tensor};
use candle_nn::VarBuilder;

/// Hidden and cell state, each [B, hidden].
#[derive(Debug, Clone)]
pub struct LstmState {
    pub h: Tensor,
    pub c: Tensor,
}

impl LstmState {
    /// The states cut from the graph that computed them: carried to the next window without
    /// back-propagation into (or memory of) the windows before.
    pub fn detach_all(states: Vec<LstmState>) -> Vec<LstmState> {
        states
            .into_iter()
            .map(|s| LstmState {
                h: s.h.detach(),
                c: s.c.detach(),
            })
            .collect()
    }
}

/// One LSTM layer on tiles.
#[derive(Debug)]
pub struct AnalogLstm {
    w_ih: TiledMatrix,
    w_hh: TiledMatrix,
    b_ih: Tensor,
    b_hh: Tensor,
    hidden: usize,
}

impl AnalogLstm {
    /// A layer from W_ih [4h, in], W_hh [4h, h], b_ih and b_hh [4h].
    pub fn new(
        name: &str,
        w_ih: Tensor,
        w_hh: Tensor,
        b_ih: Tensor,
        b_hh: Tensor,
        tile: &TileConfig,
        rng: NoiseRng,
    ) -> Result<Self> {
        let hidden = w_hh.dim(1)?;
        if w_ih.dim(0)? != 4 * hidden || w_hh.dim(0)? != 4 * hidden {
            candle_core::bail!(
                "{name}: LSTM weights must have 4 * hidden = {} rows",
                4 * hidden
            );
        }
        let seed = { rng }.next_u64();
        Ok(Self {
            w_ih: TiledMatrix::new(
                &format!("{name}.weight_ih"),
                w_ih,
                tile,
                NoiseRng::stream(seed, &[0]),
            )?
            .with_kind("lstm_input"),
            w_hh: TiledMatrix::new(
                &format!("{name}.weight_hh"),
                w_hh,
                tile,
                NoiseRng::stream(seed, &[1]),
            )?
            .with_kind("lstm_recurrent"),
            b_ih,
            b_hh,
            hidden,
        })
    }

    /// Hidden size.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The input and recurrent matrices and their biases (gates i, f, g, o).
    pub fn parts(&self) -> (&TiledMatrix, &TiledMatrix, &Tensor, &Tensor) {
        (&self.w_ih, &self.w_hh, &self.b_ih, &self.b_hh)
    }

    /// A zero state for batch size `b`.
    pub fn zero_state(&self, b: usize, like: &Tensor) -> Result<LstmState> {
        let z = Tensor::zeros((b, self.hidden), like.dtype(), like.device())?;
        Ok(LstmState { h: z.clone(), c: z })
    }

    /// Runs the layer over x [B, T, in] from `state`; returns the outputs [B, T, hidden] and the
    /// final state. The input projection of all steps is one batched pass through the tiles.
    pub fn forward_t(
        &self,
        x: &Tensor,
        state: &LstmState,
        train: bool,
    ) -> Result<(Tensor, LstmState)> {
        let (b, t, d) = x.dims3()?;
        let xs = self
            .w_ih
            .forward_t(&x.reshape((b * t, d))?, train)?
            .broadcast_add(&self.b_ih)?
            .reshape((b, t, 4 * self.hidden))?;
        let mut h = state.h.clone();
        let mut c = state.c.clone();
        let mut outs = Vec::with_capacity(t);
        for step in 0..t {
            let gates = (xs.narrow(1, step, 1)?.squeeze(1)?
                + self.w_hh.forward_t(&h, train)?.broadcast_add(&self.b_hh)?)?;
            let chunks = gates.chunk(4, D::Minus1)?;
            let i = candle_nn::ops::sigmoid(&chunks[0])?;
            let f = candle_nn::ops::sigmoid(&chunks[1])?;
            let g = chunks[2].tanh()?;
            let o = candle_nn::ops::sigmoid(&chunks[3])?;
            c = ((f * &c)? + (i * g)?)?;
            h = (o * c.tanh()?)?;
            outs.push(h.clone());
        }
        Ok((Tensor::stack(&outs, 1)?, LstmState { h, c }))
    }
}

/// An LSTM layer with PyTorch's parameter names (`weight_ih`, `weight_hh`, `bias_ih`,
/// `bias_hh`) from `vb`, initialised U(-1/sqrt(h), 1/sqrt(h)) when created.
pub fn analog_lstm(
    input: usize,
    hidden: usize,
    vb: VarBuilder,
    tile: &TileConfig,
    rng: NoiseRng,
) -> Result<AnalogLstm> {
    let k = 1.0 / (hidden as f64).sqrt();
    let init = candle_nn::Init::Uniform { lo: -k, up: k };
    let w_ih = vb.get_with_hints((4 * hidden, input), "weight_ih", init)?;
    let w_hh = vb.get_with_hints((4 * hidden, hidden), "weight_hh", init)?;
    let b_ih = vb.get_with_hints(4 * hidden, "bias_ih", init)?;
    let b_hh = vb.get_with_hints(4 * hidden, "bias_hh", init)?;
    let mut lstm = AnalogLstm::new(&vb.prefix(), w_ih, w_hh, b_ih, b_hh, tile, rng)?;
    lstm.w_ih = lstm.w_ih.with_parameters(&vb.pp("weight_ih"))?;
    lstm.w_hh = lstm.w_hh.with_parameters(&vb.pp("weight_hh"))?;
    Ok(lstm)
}

impl AnalogModule for AnalogLstm {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        f(&self.w_ih);
        f(&self.w_hh);
    }
}
