//! The paper's networks, built from the analog layers with a tile preset (the `ideal` preset
//! gives the digital network): ResNet-32 and WRN-16-k (images), the LSTM language model, BERT;
//! and image classifiers imported from ONNX files.
//! One definition serves training, sweeps and `aimc map`. Each architecture is one file (its
//! config implementing [`Architecture`], its network [`Network`] and its task's interface) and
//! one line of the list below; the built-in names of `aimc map` give the paper's exact sizes.

pub mod architecture;
pub mod bert;
pub mod bert_pretrained;
pub mod lstm_lm;
pub mod map;
pub mod mvm_count;
pub mod network;
pub mod onnx_classifier;
pub mod resnet;
pub mod shapes;
pub mod wide_resnet;

pub use architecture::{Architecture, Interface, Task};
pub use network::{ImageClassifier, LanguageModel, Model, Network, SentenceClassifier};

use crate::error::{Error, InvalidKey, Result};
use crate::rng::NoiseRng;
use crate::tile::TileConfig;
use architecture::architectures;
use bert::{BertConfig, Pooling};
use lstm_lm::LstmLmConfig;
use onnx_classifier::OnnxConfig;
use resnet::ResNetConfig;
use wide_resnet::WideResNetConfig;

architectures! {
    /// ResNet-n (He et al.; the paper's ResNet-32) for images.
    "resnet" => Resnet(ResNetConfig),
    /// WideResNet-d-k (Zagoruyko and Komodakis; the paper's WRN-16-4) for images.
    "wrn" => Wrn(WideResNetConfig),
    /// The word-level LSTM language model (Zaremba et al.; the paper's LSTM-PTB).
    "lstm-lm" => LstmLm(LstmLmConfig),
    /// BERT (Devlin et al.; the paper's BERT-base) classifying sentences.
    "bert" => Bert(BertConfig),
    /// An image classifier imported from an ONNX file (its graph and trained weights).
    "onnx" => Onnx(OnnxConfig),
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
        use crate::toml_file::{key_line, section_value};
        let value = section_value(file, text, "model")?
            .ok_or_else(|| Error::invalid_value(file, "model", "a [model] section", "nothing"))?;
        let toml::Value::Table(mut table) = value else {
            return Err(Error::invalid_value(file, "model", "a table", "a value"));
        };
        let names: Vec<String> = ARCHITECTURES.iter().map(|n| format!("\"{n}\"")).collect();
        let expected = format!("one of {}", names.join(", "));
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
        let base = std::path::Path::new(file).parent().unwrap_or(".".as_ref());
        Self::read_architecture(&arch, table, base, (file, text), &at)?.ok_or_else(|| {
            Error::invalid_value(
                at("model.architecture"),
                "model.architecture",
                expected,
                format!("\"{arch}\""),
            )
        })
    }
}

impl Model {
    /// Builds `config` with parameters from `vb` on tiles of `tile`.
    pub fn build(
        config: &ModelConfig,
        vb: candle_nn::VarBuilder,
        tile: &TileConfig,
        rng: NoiseRng,
    ) -> candle_core::Result<Self> {
        Ok(Model::new(
            config.build_network(vb, tile, rng)?,
            config.name(),
        ))
    }
}
