//! Pretrained BERT weights from a Hugging Face model directory: `config.json` (the encoder's
//! sizes; other keys ignored) and `model.safetensors` with `BertModel`'s tensor names, with or
//! without a `bert.` prefix. Every encoder tensor must be there with the model's shape (the error
//! names the tensor); the classification head (`classifier.*`) and the tiles' input ranges and
//! output scales keep their initial values when the file has none; extra tensors (e.g.
//! `embeddings.position_ids`, a masked-LM head) are ignored. In an experiment's `[model]`,
//! `pretrained = "..."` fills the encoder's sizes from `config.json` (sizes also written in the
//! file must agree with it).

use super::bert::{BertConfig, Pooling};
use crate::error::{Error, Result};
use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// The keys of a Hugging Face BERT `config.json` that shape the encoder.
#[derive(Debug, Deserialize)]
struct HfBertConfig {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "two")]
    type_vocab_size: usize,
    #[serde(default = "eps")]
    layer_norm_eps: f64,
    #[serde(default = "gelu")]
    hidden_act: String,
    #[serde(default)]
    hidden_dropout_prob: f32,
}

fn two() -> usize {
    2
}

fn eps() -> f64 {
    1e-12
}

fn gelu() -> String {
    "gelu".into()
}

/// The encoder of `config.json` with a head of `num_labels` classes on `pooling`.
pub fn read_bert_config(path: &Path, num_labels: usize, pooling: Pooling) -> Result<BertConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let hf: HfBertConfig = serde_json::from_str(&text).map_err(|e| {
        Error::data(
            path.display(),
            format!("line {}: not a BERT config.json ({e})", e.line()),
        )
    })?;
    if hf.hidden_act != "gelu" {
        return Err(Error::data(
            path.display(),
            format!(
                "hidden_act `{}`: only `gelu` (the exact erf form) is implemented",
                hf.hidden_act
            ),
        ));
    }
    Ok(BertConfig {
        pretrained: None,
        vocab_size: hf.vocab_size,
        hidden_size: hf.hidden_size,
        num_hidden_layers: hf.num_hidden_layers,
        num_attention_heads: hf.num_attention_heads,
        intermediate_size: hf.intermediate_size,
        max_position_embeddings: hf.max_position_embeddings,
        type_vocab_size: hf.type_vocab_size,
        num_labels,
        pooling,
        dropout: hf.hidden_dropout_prob,
        layer_norm_eps: hf.layer_norm_eps,
    })
}

/// Whether a variable may be absent from a pretrained file (it keeps its initial value).
fn optional(name: &str) -> bool {
    name.starts_with("classifier.")
        || name.ends_with(".input_range")
        || name.ends_with(".out_scale")
}

/// Sets the variables of `varmap` (a `BertClassifier`'s) from the safetensors file `path`.
/// Returns how many variables were loaded.
pub fn load_bert_weights(varmap: &VarMap, path: &Path, device: &Device) -> Result<usize> {
    let file = path.display().to_string();
    let tensors = candle_core::safetensors::load(path, device)
        .map_err(|e| Error::data(&file, format!("not a safetensors file: {e}")))?;
    let tensors: HashMap<String, Tensor> = tensors
        .into_iter()
        .map(|(n, t)| (n.strip_prefix("bert.").unwrap_or(&n).to_string(), t))
        .collect();
    let data = varmap.data().lock().expect("lock");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    let mut loaded = 0;
    for name in names {
        let var = &data[name];
        let Some(t) = tensors.get(name) else {
            if optional(name) {
                continue;
            }
            return Err(Error::data(
                &file,
                format!(
                    "tensor `{name}` missing (with or without `bert.`; shape {:?} expected)",
                    var.dims()
                ),
            ));
        };
        if t.dims() != var.dims() {
            return Err(Error::data(
                &file,
                format!(
                    "tensor `{name}` has shape {:?}, the model (config.json) expects {:?}",
                    t.dims(),
                    var.dims()
                ),
            ));
        }
        var.set(&t.to_dtype(var.dtype())?)?;
        loaded += 1;
    }
    Ok(loaded)
}

/// The keys of `[model]` that `config.json` gives.
const SIZE_KEYS: [&str; 7] = [
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "max_position_embeddings",
    "type_vocab_size",
];

/// The encoder sizes of `config.json` in the table of a `[model]` section with `pretrained`:
/// keys absent from the table are filled in, keys present must equal the file's (the error names
/// the key, the file's value and the experiment's). A section that gives every size needs no
/// `config.json` yet (the weights are checked tensor by tensor when the FP stage loads them).
/// `at(key)` locates a key for messages.
pub fn merge_pretrained_sizes(
    table: &mut toml::Table,
    dir: &Path,
    at: &dyn Fn(&str) -> String,
) -> Result<()> {
    let config = dir.join("config.json");
    let complete = SIZE_KEYS.iter().all(|k| table.contains_key(*k));
    if complete && !config.is_file() {
        return Ok(());
    }
    if !config.is_file() {
        return Err(Error::data(
            config.display(),
            "missing: `model.pretrained` must name a Hugging Face BERT directory \
             (config.json, model.safetensors, tokenizer.json or vocab.txt), e.g. \
             `aimc data fetch minilm`",
        ));
    }
    let hf = read_bert_config(&config, 2, Pooling::Cls)?;
    let sizes = [
        hf.vocab_size,
        hf.hidden_size,
        hf.num_hidden_layers,
        hf.num_attention_heads,
        hf.intermediate_size,
        hf.max_position_embeddings,
        hf.type_vocab_size,
    ];
    for (key, value) in SIZE_KEYS.into_iter().zip(sizes) {
        let from_file = toml::Value::Integer(value as i64);
        match table.get(key) {
            None => {
                table.insert(key.into(), from_file);
            }
            Some(v) if *v == from_file => {}
            Some(v) => {
                return Err(Error::invalid_value(
                    at(&format!("model.{key}")),
                    format!("model.{key}"),
                    format!("{value}, as in {}", config.display()),
                    v,
                ));
            }
        }
    }
    table
        .entry("layer_norm_eps")
        .or_insert(toml::Value::Float(hf.layer_norm_eps));
    table
        .entry("dropout")
        .or_insert(toml::Value::Float(f64::from(hf.dropout)));
    Ok(())
}
