//! Crossbar tiles (physics.md sections 1, 3, 4): geometry and the split of a matrix over tiles,
//! the weight-to-conductance mapping, the periphery (DAC, ADC, output and read noise, IR drop,
//! input scaling), global drift compensation, and the named presets.

pub mod config;
pub mod geometry;
pub mod inference;
pub mod mapping;
pub mod mvm_error;
pub mod ops;
pub mod periphery;
pub mod quantize;
pub mod side_products;
pub mod tiled_matrix;
pub mod training;
pub mod weight_noise;

pub use config::{DriftCompensation, InputScaling, TileConfig, WeightScaling};
pub use geometry::{TileGeometry, TileGrid, split_dimension};
pub use periphery::Periphery;
pub use quantize::Quantizer;
pub use tiled_matrix::TiledMatrix;
pub use weight_noise::{WeightModifier, WeightNoise};
