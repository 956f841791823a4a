//! Crossbar tiles (physics.md sections 1, 3, 4): geometry and the split of a matrix over tiles,
//! the weight-to-conductance mapping, the periphery (`periphery/`, one file per stage: DAC, ADC,
//! output and read noise, IR drop, input scaling, bias, drift compensation), the named presets,
//! the MVM error of a configuration and the knobs of sensitivity studies.

pub mod activity;
pub mod config;
pub mod geometry;
pub mod knob;
pub mod layout;
pub mod mapping;
pub mod mvm_error;
pub mod periphery;
pub mod quantize;
pub mod tiled_matrix;
pub mod training;
pub mod weight_noise;

pub use activity::Activity;
pub use config::{TileConfig, TileSettings, WeightScaling};
pub use geometry::{TileGeometry, TileGrid, split_dimension};
pub use knob::Knob;
pub use periphery::{DriftCompensation, InputScaling, Periphery, PeripheryConfig};
pub use quantize::Quantizer;
pub use tiled_matrix::TiledMatrix;
pub use weight_noise::{WeightModifier, WeightNoise};
