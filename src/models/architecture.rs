//! What an architecture is to the layers above: the task of its networks, what that task needs
//! of the data, the check of its sizes, how a network is built on tiles, and (for networks that
//! start from pretrained weights) where those come from. Each architecture's config implements
//! [`Architecture`]; the list in `mod.rs` (`architectures!`) makes the `[model]` section's
//! `architecture` key from them.

use super::network::Network;
use crate::error::{InvalidKey, Result};
use crate::rng::NoiseRng;
use crate::tile::TileConfig;
use candle_core::Device;
use candle_nn::{VarBuilder, VarMap};
use std::path::{Path, PathBuf};

/// The task of a network: what its data are and how it is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Image classification (accuracy).
    Images,
    /// Next-word prediction on a text (perplexity).
    Text,
    /// Sentence classification (accuracy).
    Sentences,
}

impl Task {
    /// What a network of the task is, for messages (`an image classifier`).
    pub fn network(self) -> &'static str {
        match self {
            Task::Images => "an image classifier",
            Task::Text => "a language model",
            Task::Sentences => "a sentence classifier",
        }
    }

    /// What data the task reads, for messages (`an image dataset`).
    pub fn data(self) -> &'static str {
        match self {
            Task::Images => "an image dataset",
            Task::Text => "a text dataset",
            Task::Sentences => "a sentence dataset",
        }
    }
}

/// What a network's task needs of its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    /// Images of `in_channels` channels, labels below `classes`; `preprocessed`: the network
    /// takes pixels in [0, 1] and normalises them itself (an imported network), so the data
    /// must not be normalised.
    Images {
        classes: usize,
        in_channels: usize,
        preprocessed: bool,
    },
    /// A text of `vocab` words.
    Text { vocab: usize },
    /// Token ids below `vocab_size`, at most `max_position_embeddings` per sentence, labels
    /// below `num_labels`.
    Sentences {
        num_labels: usize,
        vocab_size: usize,
        max_position_embeddings: usize,
    },
}

impl Interface {
    /// The task.
    pub fn task(&self) -> Task {
        match self {
            Interface::Images { .. } => Task::Images,
            Interface::Text { .. } => Task::Text,
            Interface::Sentences { .. } => Task::Sentences,
        }
    }
}

/// An architecture: the configuration of a `[model]` section (serde) and what it builds.
pub trait Architecture: Sized {
    /// The task of every network of this architecture.
    const TASK: Task;

    /// What the network needs of its data.
    fn interface(&self) -> Interface;

    /// Checks the sizes; the key is written as in a file (`model.classes`).
    fn validate(&self) -> Result<(), InvalidKey>;

    /// The network on tiles of `tile`, its parameters from `vb`, its noise seeded by `rng`.
    fn build(
        &self,
        vb: VarBuilder,
        tile: &TileConfig,
        rng: NoiseRng,
    ) -> candle_core::Result<Box<dyn Network>>;

    /// Prepares the `[model]` table before it is read: e.g. BERT fills its sizes in from its
    /// pretrained model's `config.json`. `base` is the experiment file's directory; `at(key)`
    /// locates a key for messages.
    fn prepare_table(
        _table: &mut toml::Table,
        _base: &Path,
        _at: &dyn Fn(&str) -> String,
    ) -> Result<()> {
        Ok(())
    }

    /// The pretrained model a fresh FP stage starts from: a fetched name (`minilm`) or a
    /// directory relative to the experiment file.
    fn pretrained(&self) -> Option<&str> {
        None
    }

    /// The file of the trained weights a freshly built network holds (an imported network's),
    /// so that it can be evaluated on tiles without training.
    fn trained_weights_file(&self) -> Option<&str> {
        None
    }

    /// Replaces the pretrained model (made absolute when the experiment is saved).
    fn set_pretrained(&mut self, _pretrained: String) {}

    /// Loads the pretrained weights of directory `dir` into `varmap`.
    fn load_pretrained(&self, _varmap: &VarMap, _dir: &Path, _device: &Device) -> Result<()> {
        Ok(())
    }
}

/// Whether `pretrained` names a data set of `aimc data list` (not a path).
pub fn is_fetched_name(pretrained: &str) -> bool {
    !pretrained.contains(['/', '\\', '.']) && crate::data::catalog::find(pretrained).is_ok()
}

/// The directory of `pretrained`: a fetched model's name (`minilm`) is `<data dir>/<name>`,
/// anything else a path relative to `base` (the experiment file's directory).
pub fn pretrained_dir(base: &Path, pretrained: &str) -> PathBuf {
    if is_fetched_name(pretrained) {
        crate::data::catalog::data_dir().join(pretrained)
    } else {
        base.join(pretrained)
    }
}

/// Declares the architectures: one line each, `"name" => Variant(Config)`. Makes
/// [`ModelConfig`](super::ModelConfig) (the `[model]` section, tagged by `architecture`), the list
/// of names, and the dispatch of every [`Architecture`] method.
macro_rules! architectures {
    ($( $(#[$meta:meta])* $name:literal => $variant:ident($ty:ty), )*) => {
        /// The `[model]` section of an experiment: an architecture and its sizes.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "architecture")]
        pub enum ModelConfig {
            $( $(#[$meta])* #[serde(rename = $name)] $variant($ty), )*
        }

        /// The architectures, as `architecture = "..."` names them.
        pub const ARCHITECTURES: &[&str] = &[$($name),*];

        impl ModelConfig {
            /// The architecture's name.
            pub fn name(&self) -> &'static str {
                match self { $(ModelConfig::$variant(_) => $name,)* }
            }

            /// The task of the network.
            pub fn task(&self) -> Task {
                match self { $(ModelConfig::$variant(_) => <$ty as Architecture>::TASK,)* }
            }

            /// What the network needs of its data.
            pub fn interface(&self) -> Interface {
                match self { $(ModelConfig::$variant(c) => c.interface(),)* }
            }

            /// Checks the sizes.
            pub fn validate(&self) -> std::result::Result<(), InvalidKey> {
                match self { $(ModelConfig::$variant(c) => c.validate(),)* }
            }

            /// The pretrained model a fresh FP stage starts from, if any.
            pub fn pretrained(&self) -> Option<&str> {
                match self { $(ModelConfig::$variant(c) => c.pretrained(),)* }
            }

            /// The file of the trained weights a freshly built network holds, if any.
            pub fn trained_weights_file(&self) -> Option<&str> {
                match self { $(ModelConfig::$variant(c) => c.trained_weights_file(),)* }
            }

            /// Replaces the pretrained model.
            pub fn set_pretrained(&mut self, pretrained: String) {
                match self { $(ModelConfig::$variant(c) => c.set_pretrained(pretrained),)* }
            }

            /// Loads the pretrained weights of `dir` into `varmap`.
            pub fn load_pretrained(
                &self,
                varmap: &candle_nn::VarMap,
                dir: &std::path::Path,
                device: &candle_core::Device,
            ) -> Result<()> {
                match self { $(ModelConfig::$variant(c) => c.load_pretrained(varmap, dir, device),)* }
            }

            /// The network, built.
            fn build_network(
                &self,
                vb: candle_nn::VarBuilder,
                tile: &TileConfig,
                rng: NoiseRng,
            ) -> candle_core::Result<Box<dyn Network>> {
                match self { $(ModelConfig::$variant(c) => c.build(vb, tile, rng),)* }
            }

            /// The architectures of `task`.
            pub fn architectures_of(task: Task) -> Vec<&'static str> {
                let mut names = Vec::new();
                $( if <$ty as Architecture>::TASK == task { names.push($name); } )*
                names
            }

            /// Reads `table`, the `[model]` section of `file` without its `architecture` key, as
            /// architecture `arch` (None when no architecture has that name).
            fn read_architecture(
                arch: &str,
                mut table: toml::Table,
                base: &std::path::Path,
                (file, text): (&str, &str),
                at: &dyn Fn(&str) -> String,
            ) -> Result<Option<Self>> {
                match arch {
                    $($name => {
                        <$ty as Architecture>::prepare_table(&mut table, base, at)?;
                        let value = toml::Value::Table(table);
                        Ok(Some(ModelConfig::$variant(
                            crate::toml_file::from_value(file, text, "model", value)?,
                        )))
                    })*
                    _ => Ok(None),
                }
            }
        }
    };
}

pub(crate) use architectures;
