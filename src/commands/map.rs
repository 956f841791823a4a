//! `aimc map`: how a network (a built-in name, the `[model]` of a file, or an ONNX file) lies on
//! tiles of a size.

use crate::error::Result;
use crate::models::ModelConfig;
use crate::models::map::map_model;
use crate::onnx::map::map_onnx;
use crate::onnx::plan::GroupPolicy;
use crate::tile::TileGeometry;
use crate::tile::layout::ModelMap;
use std::path::Path;

/// The map of `model` on tiles of `tile` (`ROWSxCOLS`); grouped convolutions of an ONNX file by
/// `groups`.
pub fn map(model: &str, tile: &str, groups: GroupPolicy) -> Result<ModelMap> {
    let geometry = TileGeometry::parse(tile)?;
    if model.ends_with(".onnx") {
        return map_onnx(Path::new(model), geometry, groups);
    }
    map_model(&ModelConfig::resolve(model)?, geometry)
}
