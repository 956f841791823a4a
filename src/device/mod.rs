//! The device layer (physics.md section 2): a [`DeviceModel`] trait over explicit programmed
//! state, the ideal device, the statistical device (PCM and TOML-defined custom devices, one
//! code path, checked when built), its laws (`laws/`, one file per family, each with its section
//! of a device file), device files (`file/`), the sensitivity knobs of a device, analytic
//! moments, Monte-Carlo sampling, device files fitted to measurements (`fit/`), and the
//! formulas laws can be written as (`formula/`).

pub mod file;
pub mod fit;
pub mod formula;
pub mod ideal;
pub mod kind;
pub mod knobs;
pub mod laws;
pub mod model;
pub mod moments;
pub mod pcm;
pub mod registry;
pub mod sample;
pub mod state;
pub mod statistical;
pub mod table;

pub use file::parse_device;
pub use file::resolved::resolved_file;
pub use ideal::IdealDevice;
pub use kind::{Device, DeviceKind, DeviceSpec};
pub use model::DeviceModel;
pub use pcm::pcm;
pub use registry::{list_devices, load_device_file, resolve_device};
pub use state::ProgrammedState;
pub use statistical::{DeviceParams, StatisticalDevice};

/// Refuses times after programming beyond what device `name`'s model describes (a model
/// measured only up to some time, see `laws/relaxation.rs`).
pub fn check_times(
    name: &str,
    device: &dyn DeviceModel,
    times_s: &[f64],
) -> crate::error::Result<()> {
    if let (Some(max), Some(&t)) = (
        device.max_time_s(),
        times_s
            .iter()
            .find(|&&t| t > device.max_time_s().unwrap_or(f64::MAX)),
    ) {
        return Err(crate::error::Error::invalid_argument(
            "time",
            format!(
                "a time up to {max} s ({name} is measured only up to then; aimc does not \
                 extrapolate it)"
            ),
            format!("{t} s"),
        ));
    }
    Ok(())
}
