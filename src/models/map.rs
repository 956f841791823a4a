//! `aimc map` of a built-in architecture: how a model lies on tiles (`tile/layout.rs`), built
//! from the model definition itself, with zero-cost placeholder weights: every tiled matrix of
//! the network (a convolution is C_in*kh*kw x C_out) and its parameters. An imported network's
//! map is its graph's (`onnx/map.rs`).

use super::shapes::{ParamLog, ShapeRecorder};
use super::{Model, ModelConfig};
use crate::error::{Error, Result};
use crate::nn::matrices;
use crate::rng::NoiseRng;
use crate::tile::layout::{MappedMatrix, ModelMap};
use crate::tile::{TileConfig, TileGeometry};
use candle_core::{DType, Device};

/// Maps `config` onto tiles of `geometry`.
pub fn map_model(config: &ModelConfig, geometry: TileGeometry) -> Result<ModelMap> {
    if let ModelConfig::Onnx(c) = config {
        // An imported graph's map comes from its plan: its digital parameters and ops too.
        return crate::onnx::map::map_onnx(std::path::Path::new(&c.file), geometry, c.groups);
    }
    let log: ParamLog = Default::default();
    let vb = candle_nn::VarBuilder::from_backend(
        Box::new(ShapeRecorder { log: log.clone() }),
        DType::F32,
        Device::Cpu,
    );
    let tile = TileConfig::ideal_on(geometry);
    let model =
        Model::build(config, vb, &tile, NoiseRng::new(0)).map_err(|e| match Error::from(e) {
            Error::Tensor(m) => Error::invalid_argument("model", "a buildable architecture", m),
            other => other,
        })?;
    let layers: Vec<MappedMatrix> = matrices(&model)
        .iter()
        .map(|m| {
            let (rows, cols) = m.matrix_size();
            MappedMatrix {
                name: m.name().to_string(),
                kind: m.kind().to_string(),
                rows,
                cols,
            }
        })
        .collect();
    let total_params: usize = log
        .lock()
        .expect("lock")
        .iter()
        // The tiles' periphery scales (input ranges, output scales) are not network parameters.
        .filter(|(n, _)| !n.ends_with(".input_range") && !n.ends_with(".out_scale"))
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    Ok(ModelMap::new(geometry, &layers, total_params))
}
