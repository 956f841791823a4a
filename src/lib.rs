//! # aimc: an analog in-memory computing simulator
//!
//! aimc simulates deep networks whose weights live in noisy, drifting conductances of
//! phase-change memory (PCM) or ReRAM crossbars, and reproduces Rasch et al., Nature
//! Communications 14:5282 (2023). Every formula cites its equation in `shared/physics.md`.
//!
//! The modules form layers (ARCHITECTURE.md), each importing only from those below it:
//! - foundation: [`error`], [`rng`] (the seeded noise source behind every random draw),
//!   [`toml_file`], [`value_check`] and other utilities;
//! - [`device`] (the [`DeviceModel`] trait, the ideal and statistical devices, their laws and
//!   files) and [`data`] (dataset readers);
//! - [`tile`] (crossbar tiles, their periphery stage by stage, `[tile]` configurations);
//! - [`nn`] (analog layers), [`onnx`] (networks read from ONNX files), then [`models`] (the
//!   architectures);
//! - [`experiment`] (experiment files, task and model pairing, evaluation, run directories);
//! - [`train`] and [`sweep`] (training stages; time sweeps and sensitivity studies);
//! - [`report`] (tables and plots), then [`commands`] (the work of each CLI command).
//!
//! ```
//! use aimc::{DeviceModel, NoiseRng};
//! let pcm = aimc::device::resolve_device("pcm")?.device;
//! let mut rng = NoiseRng::new(0);
//! // Programming noise and drift exponents, drawn once.
//! let state = pcm.program(&[12.5; 1000], &mut rng);
//! // The same devices one hour later, with fresh read noise.
//! let mut g = vec![0.0; 1000];
//! pcm.read(&state, 3600.0, &mut rng, &mut g);
//! assert!(g.iter().all(|&x| x >= 0.0));
//! # Ok::<(), aimc::Error>(())
//! ```

pub mod alloc;
pub mod commands;
pub mod cost;
pub mod cpu_op;
pub mod data;
pub mod device;
pub mod error;
pub mod experiment;
pub mod fastmath;
pub mod fsutil;
pub mod gemm;
pub mod models;
pub mod nn;
pub mod onnx;
pub mod progress;
pub mod report;
pub mod rng;
pub mod sweep;
pub mod tile;
pub mod toml_file;
pub mod train;
pub mod value_check;
pub mod ziggurat;

pub use device::{Device, DeviceKind, DeviceModel, DeviceSpec, ProgrammedState, StatisticalDevice};
pub use error::{Error, Result};
pub use rng::NoiseRng;
