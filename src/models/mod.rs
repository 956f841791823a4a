//! The paper's networks, built from the analog layers with a tile preset (the `ideal` preset
//! gives the digital network): ResNet-32 and WRN-16-k (images), the LSTM language model, BERT.
//! One definition serves training, sweeps and `aimc map`.

pub mod bert;
pub mod bert_pretrained;
pub mod lstm_lm;
pub mod map;
pub mod resnet;
pub mod shapes;
pub mod wide_resnet;

use crate::error::{Error, Result};
use crate::nn::AnalogModule;
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TiledMatrix};
use bert::{BertClassifier, BertConfig, Pooling};
use lstm_lm::{LstmLm, LstmLmConfig};
use resnet::{ResNet, ResNetConfig};
use serde::{Deserialize, Serialize};
use wide_resnet::{WideResNet, WideResNetConfig};

/// The `[model]` section of an experiment: an architecture and its sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "architecture", rename_all = "kebab-case")]
pub enum ModelConfig {
    Resnet(ResNetConfig),
    Wrn(WideResNetConfig),
    LstmLm(LstmLmConfig),
    Bert(BertConfig),
}

/// The built-in architectures with the paper's exact shapes.
pub const BUILTIN_MODELS: [&str; 5] = ["resnet32", "wrn16-4", "wrn16-8", "lstm-ptb", "bert-base"];

impl ModelConfig {
    /// A built-in model by name.
    pub fn builtin(name: &str) -> Result<Self> {
        let wrn = |width| {
            ModelConfig::Wrn(WideResNetConfig {
                depth: 16,
                width,
                classes: 100,
                in_channels: 3,
                dropout: 0.0,
            })
        };
        Ok(match name {
            "resnet32" => ModelConfig::Resnet(ResNetConfig {
                depth: 32,
                classes: 10,
                in_channels: 3,
                width: 16,
            }),
            "wrn16-4" => wrn(4),
            "wrn16-8" => wrn(8),
            "lstm-ptb" => ModelConfig::LstmLm(LstmLmConfig {
                vocab: 10_000,
                embedding: 650,
                hidden: 650,
                layers: 2,
                dropout: 0.5,
            }),
            "bert-base" => ModelConfig::Bert(BertConfig {
                pretrained: None,
                vocab_size: 30_522,
                hidden_size: 768,
                num_hidden_layers: 12,
                num_attention_heads: 12,
                intermediate_size: 3072,
                max_position_embeddings: 512,
                type_vocab_size: 2,
                num_labels: 2,
                pooling: Pooling::Cls,
                dropout: 0.1,
                layer_norm_eps: 1e-12,
            }),
            _ => {
                return Err(Error::Unknown {
                    what: "model",
                    name: name.to_string(),
                    known: BUILTIN_MODELS.join(", "),
                });
            }
        })
    }

    /// A built-in name, or a TOML file with a `[model]` section.
    pub fn resolve(arg: &str) -> Result<Self> {
        if BUILTIN_MODELS.contains(&arg) || !(arg.ends_with(".toml") || arg.contains('/')) {
            return Self::builtin(arg);
        }
        let text = std::fs::read_to_string(arg).map_err(|e| Error::io(arg, e))?;
        Self::from_toml(arg, &text)
    }

    /// The `[model]` section of a TOML document: `architecture` and that architecture's keys.
    pub fn from_toml(file: &str, text: &str) -> Result<Self> {
        use crate::toml_file::{from_value, key_line, section_value};
        let value = section_value(file, text, "model")?
            .ok_or_else(|| Error::invalid_value(file, "model", "a [model] section", "nothing"))?;
        let toml::Value::Table(mut table) = value else {
            return Err(Error::invalid_value(file, "model", "a table", "a value"));
        };
        let expected = "one of \"resnet\", \"wrn\", \"lstm-lm\", \"bert\"";
        let at =
            |key: &str| key_line(text, key).map_or(file.to_string(), |l| format!("{file}:{l}"));
        let arch = match table.remove("architecture") {
            Some(toml::Value::String(s)) => s,
            Some(other) => {
                return Err(Error::invalid_value(
                    at("model.architecture"),
                    "model.architecture",
                    expected,
                    other,
                ));
            }
            None => {
                return Err(Error::invalid_value(
                    file,
                    "model.architecture",
                    expected,
                    "nothing",
                ));
            }
        };
        // A pretrained BERT's sizes come from its config.json.
        if let (true, Some(toml::Value::String(p))) = (arch == "bert", table.get("pretrained")) {
            let base = std::path::Path::new(file).parent().unwrap_or(".".as_ref());
            let dir = bert_pretrained::pretrained_dir(base, p);
            bert_pretrained::merge_pretrained_sizes(&mut table, &dir, &at)?;
        }
        let v = toml::Value::Table(table);
        Ok(match arch.as_str() {
            "resnet" => ModelConfig::Resnet(from_value(file, text, "model", v)?),
            "wrn" => ModelConfig::Wrn(from_value(file, text, "model", v)?),
            "lstm-lm" => ModelConfig::LstmLm(from_value(file, text, "model", v)?),
            "bert" => ModelConfig::Bert(from_value(file, text, "model", v)?),
            other => {
                return Err(Error::invalid_value(
                    at("model.architecture"),
                    "model.architecture",
                    expected,
                    format!("\"{other}\""),
                ));
            }
        })
    }
}

/// A built network of any architecture.
#[derive(Debug)]
pub enum Model {
    Resnet(ResNet),
    Wrn(WideResNet),
    LstmLm(LstmLm),
    Bert(BertClassifier),
}

impl Model {
    /// Builds `config` with parameters from `vb` on tiles of `tile`.
    pub fn build(
        config: &ModelConfig,
        vb: candle_nn::VarBuilder,
        tile: &TileConfig,
        rng: NoiseRng,
    ) -> candle_core::Result<Self> {
        Ok(match config {
            ModelConfig::Resnet(c) => Model::Resnet(ResNet::new(*c, vb, tile, rng)?),
            ModelConfig::Wrn(c) => Model::Wrn(WideResNet::new(*c, vb, tile, rng)?),
            ModelConfig::LstmLm(c) => Model::LstmLm(LstmLm::new(*c, vb, tile, rng)?),
            ModelConfig::Bert(c) => {
                Model::Bert(BertClassifier::new(c.clone(), vb.clone(), vb, tile, rng)?)
            }
        })
    }
}

impl Model {
    /// Class logits [B, K] of images [B, C, H, W] (the image classifiers; an error for others).
    pub fn classify_t(
        &self,
        x: &candle_core::Tensor,
        train: bool,
    ) -> candle_core::Result<candle_core::Tensor> {
        use candle_core::ModuleT;
        match self {
            Model::Resnet(m) => m.forward_t(x, train),
            Model::Wrn(m) => m.forward_t(x, train),
            Model::LstmLm(_) | Model::Bert(_) => {
                candle_core::bail!("this model does not classify images")
            }
        }
    }
}

impl AnalogModule for Model {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        match self {
            Model::Resnet(m) => m.visit_matrices(f),
            Model::Wrn(m) => m.visit_matrices(f),
            Model::LstmLm(m) => m.visit_matrices(f),
            Model::Bert(m) => m.visit_matrices(f),
        }
    }
}
