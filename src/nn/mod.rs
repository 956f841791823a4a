//! Analog layers on candle: Linear, Conv2d (unrolled onto tiles) and LSTM, implementing
//! `Module` / `ModuleT`, and a visitor over every tiled matrix of a model (program all, read all
//! at a time t, count tiles). A model built with the `ideal` tile preset is the digital model.

pub mod conv2d;
pub mod dropout;
pub mod im2col;
pub mod linear;
pub mod lstm;
pub mod seeded_init;
pub mod visit;

pub use conv2d::{AnalogConv2d, Conv2dGeometry, analog_conv2d, analog_conv2d_no_bias};
pub use dropout::SeededDropout;
pub use linear::{AnalogLinear, analog_linear};
pub use lstm::{AnalogLstm, LstmState, analog_lstm};
pub use seeded_init::seeded_var_builder;
pub use visit::{AnalogModule, matrices, program_all, read_all, seed_batch, tile_count};
