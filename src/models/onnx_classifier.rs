//! An image classifier imported from an ONNX file (`[model] architecture = "onnx"`): the graph
//! on tiles (`onnx/analog.rs`), its weights those of the file, with the input the graph expects:
//! pixels p in [0, 1] (the loader's, `[data] normalize = false`) become
//! x = (p scale - mean_c) / std_c, in the layout of the graph (NCHW or NHWC). A graph with a
//! fixed batch size runs the images in chunks of that size. Its first output holds the logits
//! [B, classes] (or anything of B x classes values).
//!
//! ```toml
//! [model]
//! architecture = "onnx"
//! file = "mnist-8.onnx"   # relative to the experiment file (or a fetched set: "onnx-mnist")
//! scale = 255.0           # the graph takes pixels in 0..255
//! ```

use super::{Architecture, ImageClassifier, Interface, Network, Task};
use crate::error::{Error, InvalidKey, Result as AimcResult};
use crate::nn::AnalogModule;
use crate::onnx::analog::{AnalogGraph, GraphOptions};
use crate::onnx::fold::fold_constants;
use crate::onnx::plan::GroupPolicy;
use crate::onnx::read_model;
use crate::onnx::trainable::BatchNormMode;
use crate::rng::NoiseRng;
use crate::tile::tiled_matrix::candle_err;
use crate::tile::{TileConfig, TiledMatrix};
use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The order of an image tensor's axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// [batch, channels, height, width] (PyTorch's).
    #[default]
    Nchw,
    /// [batch, height, width, channels] (TensorFlow's).
    Nhwc,
}

/// `[model]` of an imported network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnnxConfig {
    /// The `.onnx` file (relative to the experiment file as written, or the name of a fetched
    /// data set holding a `model.onnx`, e.g. `onnx-mnist`; absolute once read).
    pub file: String,
    /// Classes of the output [default: the last dimension of the graph's first output].
    pub classes: usize,
    /// Channels of the input [default: from the graph's first input].
    pub in_channels: usize,
    /// The axes of the graph's input.
    #[serde(default)]
    pub layout: Layout,
    /// Pixels in [0, 1] are multiplied by this (255 for a graph taking 0..255).
    #[serde(default = "one")]
    pub scale: f64,
    /// Subtracted per channel after scaling (one value for all channels, or one per channel).
    #[serde(default = "zero_list")]
    pub mean: Vec<f64>,
    /// Divides per channel after the mean (one value, or one per channel).
    #[serde(default = "one_list")]
    pub std: Vec<f64>,
    /// Grouped (and depthwise) convolutions: each group its own matrix, or digital.
    #[serde(default)]
    pub groups: GroupPolicy,
    /// In training, batch normalisations learn their scale and shift and update their running
    /// statistics (`trainable`), or keep the file's (`frozen`).
    #[serde(default)]
    pub batch_norm: BatchNormMode,
}

fn one() -> f64 {
    1.0
}

fn zero_list() -> Vec<f64> {
    vec![0.0]
}

fn one_list() -> Vec<f64> {
    vec![1.0]
}

impl OnnxConfig {
    /// `values` (one, or one per channel) for each of the input's channels.
    fn per_channel(&self, values: &[f64]) -> Vec<f64> {
        match values {
            [v] => vec![*v; self.in_channels],
            v => v.to_vec(),
        }
    }
}

impl Architecture for OnnxConfig {
    const TASK: Task = Task::Images;

    fn interface(&self) -> Interface {
        Interface::Images {
            classes: self.classes,
            in_channels: self.in_channels,
            preprocessed: true,
        }
    }

    fn validate(&self) -> std::result::Result<(), InvalidKey> {
        let count = |key: &str, v: &[f64], ok: fn(f64) -> bool, what: &str| {
            if (v.len() == 1 || v.len() == self.in_channels) && v.iter().all(|&x| ok(x)) {
                Ok(())
            } else {
                Err(InvalidKey::new(
                    format!("model.{key}"),
                    format!(
                        "one value or one per input channel ({}), each {what}",
                        self.in_channels
                    ),
                    format!("{v:?}"),
                ))
            }
        };
        if self.classes < 1 || self.in_channels < 1 {
            return Err(InvalidKey::new(
                "model.classes",
                "at least one class and one input channel",
                format!("{} classes, {} channels", self.classes, self.in_channels),
            ));
        }
        if !(self.scale > 0.0 && self.scale.is_finite()) {
            return Err(InvalidKey::new("model.scale", "a factor > 0", self.scale));
        }
        count("mean", &self.mean, f64::is_finite, "finite")?;
        count("std", &self.std, |s| s > 0.0 && s.is_finite(), "> 0")
    }

    fn trained_weights_file(&self) -> Option<&str> {
        Some(&self.file)
    }

    fn build(&self, vb: VarBuilder, tile: &TileConfig, rng: NoiseRng) -> Result<Box<dyn Network>> {
        let net = OnnxClassifier::new(self, vb, tile, rng).map_err(candle_err)?;
        Ok(Box::new(net))
    }

    /// The file is made absolute (relative to the experiment file); the classes and input
    /// channels, when not given, come from the graph's declared shapes.
    fn prepare_table(
        table: &mut toml::Table,
        base: &Path,
        at: &dyn Fn(&str) -> String,
    ) -> AimcResult<()> {
        let Some(toml::Value::String(file)) = table.get("file") else {
            return Err(Error::invalid_value(
                at("model.file"),
                "model.file",
                "the path of an .onnx file (relative to the experiment file)",
                table
                    .get("file")
                    .map_or("nothing".to_string(), |v| v.to_string()),
            ));
        };
        // A fetched data set's name (`onnx-mnist`) stands for its `model.onnx`.
        let path = if super::architecture::is_fetched_name(file) {
            crate::data::catalog::data_dir()
                .join(file)
                .join("model.onnx")
        } else {
            base.join(file)
        };
        let path = std::path::absolute(&path).map_err(|e| Error::io(file, e))?;
        table.insert("file".into(), path.display().to_string().into());
        if table.contains_key("classes") && table.contains_key("in_channels") {
            return Ok(());
        }
        let model = read_model(&path)?;
        let nhwc = matches!(table.get("layout"), Some(toml::Value::String(l)) if l == "nhwc");
        let (input, dims) = model.inputs.first().cloned().unwrap_or_default();
        let channels = if nhwc { dims.get(3) } else { dims.get(1) };
        let classes = model.output_shapes.first().and_then(|s| s.last());
        for (key, value, what) in [
            (
                "in_channels",
                channels.copied().flatten(),
                format!("input `{input}` declares {dims:?}"),
            ),
            (
                "classes",
                classes.copied().flatten(),
                format!(
                    "output `{}` declares no size",
                    model.outputs.first().map_or("", String::as_str)
                ),
            ),
        ] {
            if table.contains_key(key) {
                continue;
            }
            let Some(v) = value else {
                return Err(Error::invalid_value(
                    at("model.file"),
                    format!("model.{key}"),
                    format!("a value (the graph does not give it: {what})"),
                    "nothing",
                ));
            };
            table.insert(key.into(), (v as i64).into());
        }
        Ok(())
    }
}

/// An imported image classifier on tiles.
#[derive(Debug)]
pub struct OnnxClassifier {
    graph: AnalogGraph,
    config: OnnxConfig,
    /// The graph's input name and declared shape (`None` for a symbolic dimension).
    input: (String, Vec<Option<usize>>),
}

impl OnnxClassifier {
    /// The network of `config` on tiles of `tile`, weights from the file (as variables of `vb`).
    pub fn new(
        config: &OnnxConfig,
        vb: VarBuilder,
        tile: &TileConfig,
        rng: NoiseRng,
    ) -> AimcResult<Self> {
        let model = read_model(Path::new(&config.file))?;
        let input = match model.inputs.as_slice() {
            [one] => one.clone(),
            other => {
                return Err(Error::data(
                    &config.file,
                    format!(
                        "an image classifier takes one input; the graph has {} ({})",
                        other.len(),
                        other
                            .iter()
                            .map(|(n, _)| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        };
        if model.outputs.is_empty() {
            return Err(Error::data(
                &config.file,
                "an image classifier gives logits: the graph has no output",
            ));
        }
        let constants = fold_constants(&model)?;
        let options = GraphOptions {
            groups: config.groups,
            batch_norm: config.batch_norm,
        };
        let graph = AnalogGraph::build(&model, &constants, options, vb, tile, rng)?;
        Ok(Self {
            graph,
            config: config.clone(),
            input,
        })
    }

    /// The graph on tiles.
    pub fn graph(&self) -> &AnalogGraph {
        &self.graph
    }

    /// Images [B, C, H, W] of pixels in [0, 1] as the graph's input: scaled, normalised, in
    /// its layout, checked against its declared shape (batch aside).
    fn prepare(&self, x: &Tensor) -> Result<Tensor> {
        let c = &self.config;
        let channels = x.dim(1)?;
        let shape = |v: Vec<f64>| {
            Tensor::from_vec(
                v.iter().map(|&x| x as f32).collect::<Vec<_>>(),
                (1, channels, 1, 1),
                x.device(),
            )
        };
        let mean = shape(c.per_channel(&c.mean))?;
        let std = shape(c.per_channel(&c.std))?;
        let x = (x * c.scale)?.broadcast_sub(&mean)?.broadcast_div(&std)?;
        let x = match c.layout {
            Layout::Nchw => x,
            Layout::Nhwc => x.permute((0, 2, 3, 1))?.contiguous()?,
        };
        let (name, dims) = &self.input;
        let fits = dims.len() == x.rank()
            && dims
                .iter()
                .zip(x.dims())
                .skip(1)
                .all(|(d, &n)| d.is_none_or(|d| d == n));
        if !fits {
            candle_core::bail!(
                "{}: the graph's input `{name}` has shape {dims:?} ({:?} layout); the images \
                 give {:?}",
                c.file,
                c.layout,
                x.dims()
            );
        }
        Ok(x)
    }
}

impl ImageClassifier for OnnxClassifier {
    fn seed_dropout(&self, seed: u64) {
        self.graph.seed_dropout(seed);
    }

    fn classify_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let x = self.prepare(x)?;
        let b = x.dim(0)?;
        // A graph of a fixed batch size runs the images in chunks of it, the last one padded.
        let chunk = self.input.1.first().copied().flatten().unwrap_or(b).max(1);
        let mut logits = Vec::new();
        for start in (0..b).step_by(chunk) {
            let n = chunk.min(b - start);
            let mut part = x.narrow(0, start, n)?;
            if n < chunk {
                let mut pad_dims = part.dims().to_vec();
                pad_dims[0] = chunk - n;
                let pad = Tensor::zeros(pad_dims, part.dtype(), part.device())?;
                part = Tensor::cat(&[&part, &pad], 0)?;
            }
            let inputs = HashMap::from([(self.input.0.clone(), part)]);
            let out = self.graph.forward(&inputs, train).map_err(candle_err)?;
            let y = out[0].reshape((chunk, ()))?;
            if y.dim(1)? != self.config.classes {
                candle_core::bail!(
                    "{}: the graph's output `{}` gives {} values per image; model.classes is {}",
                    self.config.file,
                    self.graph.outputs[0],
                    y.dim(1)?,
                    self.config.classes
                );
            }
            logits.push(y.narrow(0, 0, n)?);
        }
        Tensor::cat(&logits, 0)
    }
}

impl AnalogModule for OnnxClassifier {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        self.graph.visit_matrices(f)
    }
}

impl Network for OnnxClassifier {
    fn as_image_classifier(&self) -> Option<&dyn ImageClassifier> {
        Some(self)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
