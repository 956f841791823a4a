//! Matrix-vector multiplications per inference of every tiled matrix of a network, for the cost
//! model (docs/cost.md): the network runs one inference of a zero sample on the ideal tile and
//! each matrix counts the input vectors it read (`tile/activity.rs`). A built-in architecture is
//! built with zero weights; an imported graph with its own (its constants shape its inputs).

use super::architecture::Interface;
use super::{Model, ModelConfig};
use crate::error::{Error, Result};
use crate::nn::{AnalogModule, matrices};
use crate::onnx::analog::{AnalogGraph, GraphOptions};
use crate::onnx::fold::fold_constants;
use crate::onnx::plan::GroupPolicy;
use crate::onnx::read::read_model;
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TileGeometry};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use std::collections::HashMap;
use std::path::Path;

/// What one inference is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// One image of `height` x `width` pixels (an image classifier).
    Image { height: usize, width: usize },
    /// `length` tokens: a language model's steps (1: the cost of one token) or a sentence.
    Tokens { length: usize },
}

impl Sample {
    /// One inference of a built-in architecture: a 32x32 image (CIFAR, the paper's), one token
    /// of a language model, a sentence of 128 tokens.
    pub fn default_for(interface: &Interface) -> Sample {
        match interface {
            Interface::Images { .. } => Sample::Image {
                height: 32,
                width: 32,
            },
            Interface::Text { .. } => Sample::Tokens { length: 1 },
            Interface::Sentences { .. } => Sample::Tokens { length: 128 },
        }
    }

    /// Says what one inference is, for a table's header.
    pub fn describe(&self) -> String {
        match self {
            Sample::Image { height, width } => format!("one {height}x{width} image"),
            Sample::Tokens { length: 1 } => "one token".to_string(),
            Sample::Tokens { length } => format!("a sequence of {length} tokens"),
        }
    }
}

/// One tiled matrix and its MVMs per inference.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixCount {
    pub name: String,
    pub kind: String,
    /// Inputs (rows) x outputs (columns) on the tiles.
    pub rows: usize,
    pub cols: usize,
    pub mvms: u64,
}

/// The counts of every matrix of `model` after it ran.
pub fn counted(model: &dyn AnalogModule) -> Vec<MatrixCount> {
    matrices(model)
        .iter()
        .map(|m| {
            let (rows, cols) = m.matrix_size();
            MatrixCount {
                name: m.name().to_string(),
                kind: m.kind().to_string(),
                rows,
                cols,
                mvms: m.activity().vectors(),
            }
        })
        .collect()
}

/// Runs one inference of `sample` through `model` (no gradients, no noise on the ideal tile).
pub fn run_sample(model: &Model, interface: &Interface, sample: Sample) -> Result<()> {
    let dev = Device::Cpu;
    match (interface, sample) {
        (Interface::Images { in_channels, .. }, Sample::Image { height, width }) => {
            let x = Tensor::zeros((1, *in_channels, height, width), DType::F32, &dev)?;
            model.classify_t(&x, false)?;
        }
        (Interface::Text { .. }, Sample::Tokens { length }) => {
            let lm = model
                .language_model()
                .expect("a text interface is a language model");
            let tokens = Tensor::zeros((1, length), DType::U32, &dev)?;
            let like = Tensor::zeros(1, DType::F32, &dev)?;
            let states = lm.zero_states(1, &like)?;
            lm.forward_t(&tokens, &states, false)?;
        }
        (Interface::Sentences { .. }, Sample::Tokens { length }) => {
            let sc = model
                .sentence_classifier()
                .expect("a sentence interface is a sentence classifier");
            let ids = Tensor::zeros((1, length), DType::U32, &dev)?;
            let mask = Tensor::ones((1, length), DType::U32, &dev)?;
            sc.classify_t(&ids, &mask, false)?;
        }
        (_, sample) => {
            return Err(Error::invalid_argument(
                "--input",
                "an image size (HxW) for an image classifier, a token count for a text model",
                sample.describe(),
            ));
        }
    }
    Ok(())
}

/// MVMs per inference of `sample` of each matrix of `config` on tiles of `geometry`, and the
/// sample used: by default an imported graph's declared input, else [`Sample::default_for`].
pub fn count_model(
    config: &ModelConfig,
    geometry: TileGeometry,
    sample: Option<Sample>,
) -> Result<(Vec<MatrixCount>, Sample)> {
    if let ModelConfig::Onnx(c) = config {
        return count_onnx(Path::new(&c.file), geometry, c.groups, sample);
    }
    let interface = config.interface();
    let sample = sample.unwrap_or_else(|| Sample::default_for(&interface));
    let vb = VarBuilder::zeros(DType::F32, &Device::Cpu);
    let tile = TileConfig::ideal_on(geometry);
    let model = Model::build(config, vb, &tile, NoiseRng::new(0))?;
    run_sample(&model, &interface, sample)?;
    Ok((counted(&model), sample))
}

/// MVMs per inference of each matrix of the ONNX graph at `path`, for its declared input shape
/// (a symbolic first dimension is the batch: 1) or, for a 4-D image input (NCHW), `sample`'s
/// height and width in place of its last two dimensions.
pub fn count_onnx(
    path: &Path,
    geometry: TileGeometry,
    groups: GroupPolicy,
    sample: Option<Sample>,
) -> Result<(Vec<MatrixCount>, Sample)> {
    let image = match sample {
        Some(Sample::Image { height, width }) => Some((height, width)),
        Some(other) => {
            return Err(Error::invalid_argument(
                "--input",
                "an image size HxW for an imported image classifier",
                other.describe(),
            ));
        }
        None => None,
    };
    let model = read_model(path)?;
    let constants = fold_constants(&model)?;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let options = GraphOptions {
        groups,
        ..Default::default()
    };
    let tile = TileConfig::ideal_on(geometry);
    let graph = AnalogGraph::build(&model, &constants, options, vb, &tile, NoiseRng::new(0))?;
    let file = path.display().to_string();
    let mut inputs = HashMap::new();
    for (name, dims) in &model.inputs {
        let mut shape = Vec::with_capacity(dims.len());
        for (k, d) in dims.iter().enumerate() {
            let given = match image {
                Some((h, _)) if dims.len() == 4 && k == 2 => Some(h),
                Some((_, w)) if dims.len() == 4 && k == 3 => Some(w),
                _ => *d,
            };
            match (k, given) {
                (_, Some(n)) => shape.push(n),
                (0, None) => shape.push(1),
                (k, None) => {
                    return Err(Error::data(
                        &file,
                        format!(
                            "input `{name}` has a symbolic dimension {k}: the cost of an \
                             inference needs its size (give an image size with --input HxW)"
                        ),
                    ));
                }
            }
        }
        inputs.insert(
            name.clone(),
            Tensor::zeros(shape, DType::F32, &Device::Cpu)?,
        );
    }
    let used = match inputs.values().next().map(|t| t.dims().to_vec()) {
        Some(d) if d.len() == 4 => Sample::Image {
            height: d[2],
            width: d[3],
        },
        _ => Sample::Tokens { length: 1 },
    };
    graph.forward(&inputs, false)?;
    Ok((counted(&graph), used))
}
