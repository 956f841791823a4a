//! Word-level LSTM language model (Zaremba et al. 2014, as in the paper's LSTM-PTB): embedding
//! (digital), stacked LSTM layers (input and recurrent matrices on separate tiles), dropout,
//! decoder to the vocabulary (on tiles). Embedding and decoder start U(-0.1, 0.1), the decoder
//! bias at 0, as in PyTorch's word-language-model example (the recipe of the paper's LSTM).

use super::{Architecture, Interface, LanguageModel, Network, Task};
use crate::error::InvalidKey;
use crate::nn::linear::{LinearInit, analog_linear_with_init};
use crate::nn::{AnalogLinear, AnalogLstm, AnalogModule, LstmState, SeededDropout, analog_lstm};
use crate::onnx::write::{GraphWriter, ints};
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TiledMatrix};
use candle_core::{Module, ModuleT, Result, Tensor};
use candle_nn::{Embedding, Init, VarBuilder};

/// LSTM language-model options.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LstmLmConfig {
    pub vocab: usize,
    pub embedding: usize,
    pub hidden: usize,
    pub layers: usize,
    #[serde(default)]
    pub dropout: f32,
}

/// The language model.
#[derive(Debug)]
pub struct LstmLm {
    embedding: Embedding,
    layers: Vec<AnalogLstm>,
    dropout: SeededDropout,
    decoder: AnalogLinear,
}

impl LstmLm {
    /// Builds the model; names `embedding`, `lstm.{i}.weight_ih` ..., `decoder`.
    pub fn new(
        c: LstmLmConfig,
        vb: VarBuilder,
        tile: &TileConfig,
        mut rng: NoiseRng,
    ) -> Result<Self> {
        if c.layers == 0 || c.vocab == 0 || c.hidden == 0 || c.embedding == 0 {
            candle_core::bail!("LSTM LM sizes must be at least 1: {c:?}");
        }
        let uniform = Init::Uniform { lo: -0.1, up: 0.1 };
        let table = vb
            .pp("embedding")
            .get_with_hints((c.vocab, c.embedding), "weight", uniform)?;
        let embedding = Embedding::new(table, c.embedding);
        let layers = (0..c.layers)
            .map(|i| {
                let input = if i == 0 { c.embedding } else { c.hidden };
                analog_lstm(
                    input,
                    c.hidden,
                    vb.pp(format!("lstm.{i}")),
                    tile,
                    NoiseRng::new(rng.next_u64()),
                )
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            embedding,
            layers,
            dropout: SeededDropout::new(c.dropout, NoiseRng::new(rng.next_u64()))?,
            decoder: analog_linear_with_init(
                c.hidden,
                c.vocab,
                LinearInit {
                    weight: uniform,
                    bias: Some(Init::Const(0.0)),
                },
                vb.pp("decoder"),
                tile,
                NoiseRng::new(rng.next_u64()),
            )?,
        })
    }

    /// Starts a mini-batch: dropout masks, weight noise and tile noise from `seed`.
    pub fn set_batch_seed(&self, seed: u64) {
        crate::nn::seed_batch(self, &self.dropout, seed);
    }

    /// Zero states of every layer for batch size `b`.
    pub fn zero_states(&self, b: usize, like: &Tensor) -> Result<Vec<LstmState>> {
        self.layers.iter().map(|l| l.zero_state(b, like)).collect()
    }

    /// Logits [B, T, vocab] for tokens [B, T] (u32) from `states`, and the new states.
    pub fn forward_t(
        &self,
        tokens: &Tensor,
        states: &[LstmState],
        train: bool,
    ) -> Result<(Tensor, Vec<LstmState>)> {
        let mut x = self
            .dropout
            .forward_t(&self.embedding.forward(tokens)?, train)?;
        let mut new_states = Vec::with_capacity(self.layers.len());
        for (layer, state) in self.layers.iter().zip(states) {
            let (y, s) = layer.forward_t(&x, state, train)?;
            x = self.dropout.forward_t(&y, train)?;
            new_states.push(s);
        }
        Ok((self.decoder.forward_t(&x, train)?, new_states))
    }
}

impl AnalogModule for LstmLm {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        for l in &self.layers {
            l.visit_matrices(f);
        }
        self.decoder.visit_matrices(f);
    }
}

impl Architecture for LstmLmConfig {
    const TASK: Task = Task::Text;

    fn interface(&self) -> Interface {
        Interface::Text { vocab: self.vocab }
    }

    fn validate(&self) -> std::result::Result<(), InvalidKey> {
        for (key, ok, expected, found) in [
            (
                "model.vocab",
                self.vocab >= 2,
                "at least 2 words",
                self.vocab,
            ),
            ("model.hidden", self.hidden >= 1, "at least 1", self.hidden),
            (
                "model.embedding",
                self.embedding >= 1,
                "at least 1",
                self.embedding,
            ),
            ("model.layers", self.layers >= 1, "at least 1", self.layers),
        ] {
            if !ok {
                return Err(InvalidKey::new(key, expected, found));
            }
        }
        dropout_probability(self.dropout)
    }

    fn build(&self, vb: VarBuilder, tile: &TileConfig, rng: NoiseRng) -> Result<Box<dyn Network>> {
        Ok(Box::new(LstmLm::new(*self, vb, tile, rng)?))
    }
}

/// A dropout probability in [0, 1) (`model.dropout`).
pub(crate) fn dropout_probability(p: f32) -> std::result::Result<(), InvalidKey> {
    if (0.0..1.0).contains(&p) {
        Ok(())
    } else {
        Err(InvalidKey::new(
            "model.dropout",
            "a probability in [0, 1)",
            p,
        ))
    }
}

impl LanguageModel for LstmLm {
    fn zero_states(&self, b: usize, like: &Tensor) -> Result<Vec<LstmState>> {
        LstmLm::zero_states(self, b, like)
    }

    fn forward_t(
        &self,
        tokens: &Tensor,
        states: &[LstmState],
        train: bool,
    ) -> Result<(Tensor, Vec<LstmState>)> {
        LstmLm::forward_t(self, tokens, states, train)
    }

    fn set_batch_seed(&self, seed: u64) {
        LstmLm::set_batch_seed(self, seed)
    }
}

impl LstmLm {
    /// The inference pass as ONNX nodes from token ids [B, T] (int64) and zero states to the
    /// logits [B, T, vocab] (dropout is the identity there).
    fn write(&self, w: &mut GraphWriter, tokens: &str) -> crate::error::Result<String> {
        w.input_tokens();
        let x = w.embedding(tokens, self.embedding.embeddings())?;
        let perm = ints("perm", &[1, 0, 2]);
        let mut x = w.node("Transpose", &[&x], vec![perm.clone()]);
        for layer in &self.layers {
            x = w.lstm(&x, layer)?;
        }
        let x = w.node("Transpose", &[&x], vec![perm]);
        w.linear_nd(&x, &self.decoder)
    }
}

impl Network for LstmLm {
    fn write_onnx(&self, w: &mut GraphWriter, input: &str) -> Option<crate::error::Result<String>> {
        Some(self.write(w, input))
    }

    fn as_language_model(&self) -> Option<&dyn LanguageModel> {
        Some(self)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
