//! What a training stage (or an evaluation) needs from an experiment: its data (subsets taken,
//! checked against the model, normalisation statistics) and its model, fresh from the seed or
//! with the variables of a checkpoint.

use super::checkpoint::{self, TrainState, load_into_varmap};
use super::experiment::Experiment;
use super::trainer::{Stage, checkpoint_path};
use crate::data::ImageSet;
use crate::error::{Error, Result};
use crate::models::{Model, ModelConfig};
use crate::nn::{matrices, seeded_var_builder};
use crate::rng::NoiseRng;
use crate::tile::TileConfig;
use candle_core::{DType, Device};
use candle_nn::VarMap;
use std::path::Path;

/// The data of an experiment: training and test sets (subsets taken) and the normalisation.
pub struct ExperimentData {
    pub train: ImageSet,
    pub test: ImageSet,
    pub stats: Vec<(f64, f64)>,
}

/// Reads the experiment's dataset and checks it fits the model.
pub fn load_data(exp: &Experiment) -> Result<ExperimentData> {
    let c = &exp.config;
    let (classes, channels) = match &c.model {
        ModelConfig::Resnet(m) => (m.classes, m.in_channels),
        ModelConfig::Wrn(m) => (m.classes, m.in_channels),
        _ => {
            return Err(Error::invalid_value(
                &exp.file,
                "model.architecture",
                "an image classifier (\"resnet\" or \"wrn\")",
                "a language model",
            ));
        }
    };
    let (mut train, mut test) = c.data.dataset.load(&exp.data_dir(), classes)?;
    if c.data.train_subset > 0 {
        train = train.take(c.data.train_subset);
    }
    if c.data.test_subset > 0 {
        test = test.take(c.data.test_subset);
    }
    if train.channels != channels || train.classes > classes {
        return Err(Error::invalid_value(
            &exp.file,
            "model",
            format!(
                "a model for {} channel(s) and {} classes (the dataset's)",
                train.channels, train.classes
            ),
            format!("{channels} channel(s), {classes} classes"),
        ));
    }
    let stats = if c.data.normalize {
        train.channel_stats()
    } else {
        vec![(0.0, 1.0); train.channels]
    };
    Ok(ExperimentData { train, test, stats })
}

/// A model of the experiment on `tile`, with its variables.
pub fn build_model(
    exp: &Experiment,
    tile: &TileConfig,
    device: &Device,
) -> Result<(Model, VarMap)> {
    let varmap = VarMap::new();
    let seed = exp.config.experiment.seed;
    let vb = seeded_var_builder(&varmap, seed, DType::F32, device);
    let model = Model::build(
        &exp.config.model,
        vb,
        tile,
        NoiseRng::stream(seed, &[0x6d0d]),
    )?;
    Ok((model, varmap))
}

/// A model of the experiment on `tile` with the variables of checkpoint `path`.
pub fn load_model(
    exp: &Experiment,
    tile: &TileConfig,
    path: &Path,
    device: &Device,
) -> Result<(Model, VarMap, TrainState)> {
    let (model, varmap) = build_model(exp, tile, device)?;
    let ckpt = checkpoint::load(path, device)?;
    load_into_varmap(&varmap, &ckpt.tensors, &path.display().to_string())?;
    for m in matrices(&model) {
        m.set_normalised(ckpt.state.normalised);
    }
    Ok((model, varmap, ckpt.state))
}

/// The model of a stage's checkpoint, for evaluation: on the experiment's tile (`hwa`) or the
/// ideal one (`fp`).
pub fn trained_model(
    exp: &Experiment,
    out: &Path,
    stage: Stage,
    tile: &TileConfig,
    device: &Device,
) -> Result<Model> {
    Ok(load_model(exp, tile, &checkpoint_path(out, stage), device)?.0)
}
