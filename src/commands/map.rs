//! `aimc map`: how a network (a built-in name or the `[model]` of a file) lies on tiles of a
//! size.

use crate::error::Result;
use crate::models::ModelConfig;
use crate::models::map::map_model;
use crate::tile::TileGeometry;
use crate::tile::layout::ModelMap;

/// The map of `model` on tiles of `tile` (`ROWSxCOLS`).
pub fn map(model: &str, tile: &str) -> Result<ModelMap> {
    let config = ModelConfig::resolve(model)?;
    map_model(&config, TileGeometry::parse(tile)?)
}
