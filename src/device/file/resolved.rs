//! A resolved device written back as a complete device file: every key explicit, so that
//! `aimc device show` prints exactly what a device is, and the output loads to the same device.
//! Each law writes its own section (`laws/`).

use super::DeviceFile;
use crate::device::kind::{Device, DeviceSpec};
use crate::device::laws::{drift, programming_noise, read_noise, relaxation, stuck};
use crate::device::model::DeviceModel;

/// The complete device file of `spec`.
pub fn resolved_file(spec: &DeviceSpec) -> DeviceFile {
    let mut file = DeviceFile {
        name: Some(spec.name.clone()),
        kind: Some(spec.kind),
        description: Some(spec.description.clone()),
        g_max_us: Some(spec.device.g_max_us()),
        g_min_us: Some(spec.device.g_min_us()),
        ..DeviceFile::default()
    };
    let Device::Statistical(d) = &spec.device else {
        return file;
    };
    file.t0_s = Some(d.t0_s);
    file.t_read_s = Some(d.t_read_s);
    file.programming_noise = Some(programming_noise::write_section(
        &d.programming_noise,
        d.programming_noise_scale,
    ));
    file.drift = Some(drift::write_section(&d.drift, d.drift_scale));
    file.read_noise = Some(read_noise::write_section(
        &d.read_noise,
        d.read_noise_scale,
        d.read_level_at,
    ));
    file.relaxation = relaxation::write_section(&d.relaxation);
    file.stuck = Some(stuck::write_section(&d.stuck));
    file.clamp = Some(d.clamp);
    file
}
