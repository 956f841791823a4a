//! A built network and what each task asks of it: an image classifier gives class logits of
//! images, a language model next-word logits with carried LSTM states, a sentence classifier
//! class logits of token ids with an attention mask. The task loops (training, evaluation, the
//! calibration of a direct mapping) use these interfaces, never a concrete architecture, so a new
//! architecture of a known task is its model file and one line of the architecture list.

use crate::nn::{AnalogModule, LstmState};
use crate::onnx::write::GraphWriter;
use crate::tile::TiledMatrix;
use candle_core::{Result, Tensor};
use std::any::Any;

/// A network that classifies images.
pub trait ImageClassifier {
    /// Class logits [B, K] of images [B, C, H, W].
    fn classify_t(&self, x: &Tensor, train: bool) -> Result<Tensor>;
    /// Starts a mini-batch's dropout masks from `seed` (a network without dropout ignores
    /// it), so that a resumed run draws the masks an uninterrupted one draws.
    fn seed_dropout(&self, _seed: u64) {}
}

/// A language model with recurrent states carried from window to window.
pub trait LanguageModel {
    /// Zero states of every layer for batch size `b` (dtype and device of `like`).
    fn zero_states(&self, b: usize, like: &Tensor) -> Result<Vec<LstmState>>;
    /// Logits [B, T, vocab] for tokens [B, T] (u32) from `states`, and the new states.
    fn forward_t(
        &self,
        tokens: &Tensor,
        states: &[LstmState],
        train: bool,
    ) -> Result<(Tensor, Vec<LstmState>)>;
    /// Starts a mini-batch: dropout masks, weight noise and tile noise from `seed`.
    fn set_batch_seed(&self, seed: u64);
}

/// A network that classifies token sequences.
pub trait SentenceClassifier {
    /// Class logits [B, labels] of token ids [B, T] (u32) with attention mask [B, T].
    fn classify_t(&self, ids: &Tensor, attention_mask: &Tensor, train: bool) -> Result<Tensor>;
    /// Starts a mini-batch: dropout masks, weight noise and tile noise from `seed`.
    fn set_batch_seed(&self, seed: u64);
}

/// A built network of any architecture: its tiled matrices, and the interface of its task.
pub trait Network: AnalogModule + std::fmt::Debug + Send + Sync {
    fn as_image_classifier(&self) -> Option<&dyn ImageClassifier> {
        None
    }
    fn as_language_model(&self) -> Option<&dyn LanguageModel> {
        None
    }
    fn as_sentence_classifier(&self) -> Option<&dyn SentenceClassifier> {
        None
    }
    /// The network as `Any` (to reach an architecture's own methods, e.g. in tests).
    fn as_any(&self) -> &dyn Any;

    /// Writes the network's inference pass (its weights as they act) into `w` from value
    /// `input`, returning the output's name; None when the architecture is not exported yet.
    fn write_onnx(
        &self,
        _w: &mut GraphWriter,
        _input: &str,
    ) -> Option<crate::error::Result<String>> {
        None
    }
}

/// A built network.
#[derive(Debug)]
pub struct Model {
    network: Box<dyn Network>,
    /// The architecture's name (`resnet`, ...), for messages.
    architecture: &'static str,
}

impl Model {
    /// A model of `network`, an architecture called `architecture`.
    pub fn new(network: Box<dyn Network>, architecture: &'static str) -> Self {
        Self {
            network,
            architecture,
        }
    }

    /// The architecture's name.
    pub fn architecture(&self) -> &'static str {
        self.architecture
    }

    /// The network as an image classifier, if it is one.
    pub fn image_classifier(&self) -> Option<&dyn ImageClassifier> {
        self.network.as_image_classifier()
    }

    /// The network as a language model, if it is one.
    pub fn language_model(&self) -> Option<&dyn LanguageModel> {
        self.network.as_language_model()
    }

    /// The network as a sentence classifier, if it is one.
    pub fn sentence_classifier(&self) -> Option<&dyn SentenceClassifier> {
        self.network.as_sentence_classifier()
    }

    /// Class logits [B, K] of images [B, C, H, W] (an error for networks of other tasks).
    pub fn classify_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        match self.image_classifier() {
            Some(c) => c.classify_t(x, train),
            None => candle_core::bail!("a {} network does not classify images", self.architecture),
        }
    }

    /// Starts a mini-batch's dropout masks of an image classifier from `seed`.
    pub fn seed_dropout(&self, seed: u64) {
        if let Some(c) = self.network.as_image_classifier() {
            c.seed_dropout(seed);
        }
    }

    /// The network as an ONNX model taking `input_dims` and giving `output_dims` (`None`:
    /// symbolic), if its architecture is exported; with `periphery`, each analog layer as its
    /// tiles with their deterministic periphery (`onnx/write_periphery.rs`).
    pub fn onnx_bytes(
        &self,
        input_dims: &[Option<usize>],
        output_dims: &[Option<usize>],
        periphery: bool,
    ) -> Option<crate::error::Result<Vec<u8>>> {
        let mut w = GraphWriter::default();
        if periphery {
            w.write_periphery();
        }
        let output = self.network.write_onnx(&mut w, "input")?;
        Some(output.map(|o| w.finish(("input", input_dims), ("logits", &o, output_dims))))
    }

    /// The network as its concrete type `T`, if it is one.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.network.as_any().downcast_ref::<T>()
    }
}

impl AnalogModule for Model {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        self.network.visit_matrices(f)
    }
}
