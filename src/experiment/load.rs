//! A model of an experiment: built fresh from the experiment's seed, or with the variables of a
//! checkpoint (its HWA parametrisation included), on a given tile.

use super::checkpoint::{self, TrainState, load_into_varmap};
use super::file::Experiment;
use super::run_dir::{Stage, checkpoint_path};
use crate::error::Result;
use crate::models::Model;
use crate::nn::{matrices, seeded_var_builder};
use crate::rng::NoiseRng;
use crate::tile::TileConfig;
use candle_core::{DType, Device};
use candle_nn::VarMap;
use std::path::Path;

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

/// The model of a stage's checkpoint in run directory `out`, for evaluation: on the
/// experiment's tile (`hwa`) or the ideal one (`fp`).
pub fn trained_model(
    exp: &Experiment,
    out: &Path,
    stage: Stage,
    tile: &TileConfig,
    device: &Device,
) -> Result<Model> {
    Ok(load_model(exp, tile, &checkpoint_path(out, stage), device)?.0)
}
