//! BERT encoder (Devlin et al. 2019) with every Linear on tiles (query, key, value, attention
//! output, both FFN layers, pooler, classifier); embeddings, LayerNorm, softmax and the attention
//! products digital (physics.md section 3). Parameter names are Hugging Face `BertModel`'s.
//! LayerNorm and softmax use candle's unfused ops, which keep their gradients.

use super::{Architecture, Interface, Network, SentenceClassifier, Task};
use crate::error::InvalidKey;
use crate::nn::{AnalogLinear, AnalogModule, SeededDropout, analog_linear};
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TiledMatrix};
use candle_core::Device;
use candle_core::{D, DType, Module, ModuleT, Result, Tensor};
use candle_nn::VarMap;
use candle_nn::{Embedding, VarBuilder, embedding};
use std::path::Path;

mod onnx;

/// How the sentence representation is formed for classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The pooler (dense + tanh) on the [CLS] token.
    Cls,
    /// The mask-weighted mean of the last hidden states.
    Mean,
}

/// BERT options (Hugging Face `config.json` names). In an experiment file, `pretrained` names a
/// Hugging Face model directory (`config.json`, `model.safetensors`, `tokenizer.json` or
/// `vocab.txt`): the encoder's sizes come from its `config.json` and the FP stage starts from its
/// weights.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BertConfig {
    /// A fetched model's name (`minilm`: `<data dir>/minilm`) or a directory, relative to the
    /// experiment file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretrained: Option<String>,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub num_labels: usize,
    pub pooling: Pooling,
    #[serde(default)]
    pub dropout: f32,
    #[serde(default = "default_ln_eps")]
    pub layer_norm_eps: f64,
}

fn default_ln_eps() -> f64 {
    1e-12
}

#[derive(Debug)]
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn new(size: usize, eps: f64, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            weight: vb.get_with_hints(size, "weight", candle_nn::Init::Const(1.0))?,
            bias: vb.get_with_hints(size, "bias", candle_nn::Init::Const(0.0))?,
            eps: eps as f32,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::layer_norm_slow(x, &self.weight, &self.bias, self.eps)
    }
}

#[derive(Debug)]
struct Layer {
    query: AnalogLinear,
    key: AnalogLinear,
    value: AnalogLinear,
    attn_out: AnalogLinear,
    attn_ln: LayerNorm,
    intermediate: AnalogLinear,
    output: AnalogLinear,
    out_ln: LayerNorm,
    heads: usize,
}

impl Layer {
    fn new(c: &BertConfig, vb: VarBuilder, tile: &TileConfig, rng: &mut NoiseRng) -> Result<Self> {
        let h = c.hidden_size;
        let mut lin = |i, o, vb| analog_linear(i, o, true, vb, tile, NoiseRng::new(rng.next_u64()));
        Ok(Self {
            query: lin(h, h, vb.pp("attention.self.query"))?,
            key: lin(h, h, vb.pp("attention.self.key"))?,
            value: lin(h, h, vb.pp("attention.self.value"))?,
            attn_out: lin(h, h, vb.pp("attention.output.dense"))?,
            intermediate: lin(h, c.intermediate_size, vb.pp("intermediate.dense"))?,
            output: lin(c.intermediate_size, h, vb.pp("output.dense"))?,
            attn_ln: LayerNorm::new(h, c.layer_norm_eps, vb.pp("attention.output.LayerNorm"))?,
            out_ln: LayerNorm::new(h, c.layer_norm_eps, vb.pp("output.LayerNorm"))?,
            heads: c.num_attention_heads,
        })
    }

    /// x [B, T, H], additive mask [B, 1, 1, T].
    fn forward_t(
        &self,
        x: &Tensor,
        mask: &Tensor,
        dropout: &SeededDropout,
        train: bool,
    ) -> Result<Tensor> {
        let (b, t, h) = x.dims3()?;
        let hd = h / self.heads;
        let split = |y: Tensor| {
            y.reshape((b, t, self.heads, hd))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(self.query.forward_t(x, train)?)?;
        let k = split(self.key.forward_t(x, train)?)?;
        let v = split(self.value.forward_t(x, train)?)?;
        let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?.broadcast_add(mask)?;
        let probs = dropout.forward_t(&candle_nn::ops::softmax(&scores, D::Minus1)?, train)?;
        let ctx = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, t, h))?;
        let a = dropout.forward_t(&self.attn_out.forward_t(&ctx, train)?, train)?;
        let x = self.attn_ln.forward(&(a + x)?)?;
        let f = self.intermediate.forward_t(&x, train)?.gelu_erf()?;
        let f = dropout.forward_t(&self.output.forward_t(&f, train)?, train)?;
        self.out_ln.forward(&(f + x)?)
    }
}

/// BERT with a classification head.
#[derive(Debug)]
pub struct BertClassifier {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    emb_ln: LayerNorm,
    layers: Vec<Layer>,
    pooler: AnalogLinear,
    classifier: AnalogLinear,
    dropout: SeededDropout,
    pooling: Pooling,
}

impl BertClassifier {
    /// Builds the encoder from `vb` (Hugging Face names without the `bert.` prefix) and the
    /// head from `head_vb` (`classifier`).
    pub fn new(
        c: BertConfig,
        vb: VarBuilder,
        head_vb: VarBuilder,
        tile: &TileConfig,
        mut rng: NoiseRng,
    ) -> Result<Self> {
        if c.num_attention_heads == 0 || !c.hidden_size.is_multiple_of(c.num_attention_heads) {
            candle_core::bail!(
                "BERT hidden size {} must be a multiple of the heads {}",
                c.hidden_size,
                c.num_attention_heads
            );
        }
        let h = c.hidden_size;
        let layers = (0..c.num_hidden_layers)
            .map(|i| Layer::new(&c, vb.pp(format!("encoder.layer.{i}")), tile, &mut rng))
            .collect::<Result<_>>()?;
        Ok(Self {
            word: embedding(c.vocab_size, h, vb.pp("embeddings.word_embeddings"))?,
            position: embedding(
                c.max_position_embeddings,
                h,
                vb.pp("embeddings.position_embeddings"),
            )?,
            token_type: embedding(
                c.type_vocab_size,
                h,
                vb.pp("embeddings.token_type_embeddings"),
            )?,
            emb_ln: LayerNorm::new(h, c.layer_norm_eps, vb.pp("embeddings.LayerNorm"))?,
            layers,
            pooler: analog_linear(
                h,
                h,
                true,
                vb.pp("pooler.dense"),
                tile,
                NoiseRng::new(rng.next_u64()),
            )?,
            classifier: analog_linear(
                h,
                c.num_labels,
                true,
                head_vb.pp("classifier"),
                tile,
                NoiseRng::new(rng.next_u64()),
            )?,
            dropout: SeededDropout::new(c.dropout, NoiseRng::new(rng.next_u64()))?,
            pooling: c.pooling,
        })
    }

    /// Starts a mini-batch: dropout masks, weight noise and tile noise from `seed`.
    pub fn set_batch_seed(&self, seed: u64) {
        crate::nn::seed_batch(self, &self.dropout, seed);
    }

    /// The last hidden states [B, T, H] for token ids [B, T] (u32) and attention mask [B, T]
    /// (1 = token, 0 = padding).
    pub fn encode(&self, ids: &Tensor, attention_mask: &Tensor, train: bool) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        let positions = Tensor::arange(0u32, t as u32, ids.device())?
            .unsqueeze(0)?
            .broadcast_as((b, t))?;
        let types = Tensor::zeros((b, t), DType::U32, ids.device())?;
        let e = ((self.word.forward(ids)? + self.position.forward(&positions.contiguous()?)?)?
            + self.token_type.forward(&types)?)?;
        let mut x = self.dropout.forward_t(&self.emb_ln.forward(&e)?, train)?;
        let mask = attention_mask.to_dtype(x.dtype())?;
        let additive = ((mask.ones_like()? - &mask)? * -10000.0)?.reshape((b, 1, 1, t))?;
        for layer in &self.layers {
            x = layer.forward_t(&x, &additive, &self.dropout, train)?;
        }
        Ok(x)
    }

    /// The mask-weighted mean of the hidden states [B, H].
    pub fn mean_pool(hidden: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let m = attention_mask.to_dtype(hidden.dtype())?.unsqueeze(2)?;
        let sum = hidden.broadcast_mul(&m)?.sum(1)?;
        sum.broadcast_div(&m.sum(1)?.clamp(1e-9, f64::MAX)?)
    }

    /// Class logits [B, labels].
    pub fn forward_t(&self, ids: &Tensor, attention_mask: &Tensor, train: bool) -> Result<Tensor> {
        let hidden = self.encode(ids, attention_mask, train)?;
        let pooled = match self.pooling {
            Pooling::Cls => self
                .pooler
                .forward_t(&hidden.narrow(1, 0, 1)?.squeeze(1)?, train)?
                .tanh()?,
            Pooling::Mean => Self::mean_pool(&hidden, attention_mask)?,
        };
        self.classifier
            .forward_t(&self.dropout.forward_t(&pooled, train)?, train)
    }
}

impl AnalogModule for BertClassifier {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        for l in &self.layers {
            for lin in [
                &l.query,
                &l.key,
                &l.value,
                &l.attn_out,
                &l.intermediate,
                &l.output,
            ] {
                lin.visit_matrices(f);
            }
        }
        self.pooler.visit_matrices(f);
        self.classifier.visit_matrices(f);
    }
}

impl Architecture for BertConfig {
    const TASK: Task = Task::Sentences;

    fn interface(&self) -> Interface {
        Interface::Sentences {
            num_labels: self.num_labels,
            vocab_size: self.vocab_size,
            max_position_embeddings: self.max_position_embeddings,
        }
    }

    fn validate(&self) -> std::result::Result<(), InvalidKey> {
        super::lstm_lm::dropout_probability(self.dropout)
    }

    fn build(&self, vb: VarBuilder, tile: &TileConfig, rng: NoiseRng) -> Result<Box<dyn Network>> {
        Ok(Box::new(BertClassifier::new(
            self.clone(),
            vb.clone(),
            vb,
            tile,
            rng,
        )?))
    }

    /// A pretrained BERT's sizes come from its `config.json`.
    fn prepare_table(
        table: &mut toml::Table,
        base: &Path,
        at: &dyn Fn(&str) -> String,
    ) -> crate::error::Result<()> {
        if let Some(toml::Value::String(p)) = table.get("pretrained") {
            let dir = super::architecture::pretrained_dir(base, p);
            super::bert_pretrained::merge_pretrained_sizes(table, &dir, at)?;
        }
        Ok(())
    }

    fn pretrained(&self) -> Option<&str> {
        self.pretrained.as_deref()
    }

    fn set_pretrained(&mut self, pretrained: String) {
        self.pretrained = Some(pretrained);
    }

    fn load_pretrained(
        &self,
        varmap: &VarMap,
        dir: &Path,
        device: &Device,
    ) -> crate::error::Result<()> {
        super::bert_pretrained::load_bert_weights(varmap, &dir.join("model.safetensors"), device)
            .map(|_| ())
    }
}

impl SentenceClassifier for BertClassifier {
    fn classify_t(&self, ids: &Tensor, attention_mask: &Tensor, train: bool) -> Result<Tensor> {
        self.forward_t(ids, attention_mask, train)
    }

    fn set_batch_seed(&self, seed: u64) {
        BertClassifier::set_batch_seed(self, seed)
    }
}

impl Network for BertClassifier {
    fn write_onnx(
        &self,
        w: &mut crate::onnx::write::GraphWriter,
        input: &str,
    ) -> Option<crate::error::Result<String>> {
        Some(self.write(w, input))
    }

    fn as_sentence_classifier(&self) -> Option<&dyn SentenceClassifier> {
        Some(self)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
