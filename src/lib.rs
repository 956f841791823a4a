//! # aimc: an analog in-memory computing simulator
//!
//! aimc simulates deep networks whose weights live in noisy, drifting conductances of
//! phase-change memory (PCM) or ReRAM crossbars, and reproduces Rasch et al., Nature
//! Communications 14:5282 (2023). Every formula cites its equation in `shared/physics.md`.
//!
//! - [`device`]: the [`DeviceModel`] trait (program / drift / read over explicit state), the ideal
//!   device, the statistical PCM model and devices defined in TOML files.
//! - [`rng`]: the seeded noise source behind every random draw.
//! - [`report`]: tables (text / CSV / JSON) and plots (PNG + SVG).

pub mod device;
pub mod error;
pub mod fastmath;
pub mod fsutil;
pub mod report;
pub mod rng;
pub mod toml_file;

pub use device::{Device, DeviceKind, DeviceModel, DeviceSpec, ProgrammedState, StatisticalDevice};
pub use error::{Error, Result};
pub use rng::NoiseRng;
