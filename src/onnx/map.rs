//! `aimc map model.onnx`: how an imported network lies on tiles, from its graph's plan
//! (`plan.rs`) after constant folding: per analog node its matrices, their tile grids and
//! utilisation; the totals; the digital operations by count.

use super::fold::fold_constants;
use super::plan::{GroupPolicy, plan_graph};
use super::read::read_model;
use crate::error::Result;
use crate::tile::TileGeometry;
use crate::tile::layout::ModelMap;
use std::path::Path;

/// The map of the ONNX model at `path` on tiles of `geometry`.
pub fn map_onnx(path: &Path, geometry: TileGeometry, groups: GroupPolicy) -> Result<ModelMap> {
    let model = read_model(path)?;
    let constants = fold_constants(&model)?;
    let plan = plan_graph(&model, &constants, groups)?;
    let mut map = ModelMap::new(geometry, &plan.matrices(), plan.parameters);
    map.digital_ops = plan.digital_ops;
    Ok(map)
}
