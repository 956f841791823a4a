//! A model of an experiment: built fresh from the experiment's seed, or with the variables of a
//! checkpoint (its HWA parametrisation included), on a given tile; the network of a sweep's
//! target (a checkpoint's, or an imported network as built).

use super::checkpoint::{self, TrainState, load_into_varmap};
use super::file::Experiment;
use super::run_dir::{RunTarget, Stage, checkpoint_path};
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

/// The network of `target` on `tile`, and its stage: the checkpoint's variables, or (for an
/// imported network) the weights it is built with, as an FP network. `fp` selects the run's FP
/// reference.
pub fn target_model(
    target: &RunTarget,
    fp: bool,
    tile: &TileConfig,
    device: &Device,
) -> Result<(Model, String)> {
    let exp = &target.experiment;
    if target.imported {
        return Ok((
            build_model(exp, tile, device)?.0,
            Stage::Fp.name().to_string(),
        ));
    }
    let path = if fp {
        &target.fp_checkpoint
    } else {
        &target.checkpoint
    };
    let (model, _, state) = load_model(exp, tile, path, device)?;
    Ok((model, state.stage))
}
