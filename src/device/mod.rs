//! The device layer (physics.md section 2): a [`DeviceModel`] trait over explicit programmed
//! state, the ideal device, the statistical device (PCM and TOML-defined custom devices, one code
//! path), device files and their validation, analytic moments, Monte-Carlo sampling, and device
//! files fitted to measurements.

pub mod fit;
pub mod ideal;
pub mod kind;
pub mod laws;
pub mod model;
pub mod moments;
pub mod pcm;
pub mod registry;
pub mod resolved_file;
pub mod sample;
pub mod spec;
pub mod state;
pub mod statistical;
pub mod table;

pub use ideal::IdealDevice;
pub use kind::{Device, DeviceKind, DeviceSpec};
pub use model::DeviceModel;
pub use pcm::pcm;
pub use registry::{list_devices, load_device_file, resolve_device};
pub use spec::parse_device;
pub use state::ProgrammedState;
pub use statistical::StatisticalDevice;
