//! Device files (`devices/*.toml`): parsing, validation and resolution into a [`DeviceSpec`].
//!
//! A file has `kind = "ideal" | "pcm" | "custom"`. For `pcm` every key is optional and defaults
//! to the paper's model (`pcm.rs`); for `custom` every law is given in the file. Both resolve to
//! one [`StatisticalDevice`]: one code path. Unknown keys, wrong types and impossible values are
//! refused with the file, the key and what was expected.

pub mod checker;
pub mod resolved;

use super::ideal::IdealDevice;
use super::kind::{Device, DeviceKind, DeviceSpec};
use super::laws::drift::{self, DriftSection};
use super::laws::programming_noise::{self, ProgNoiseSection};
use super::laws::read_noise::{self, ReadNoiseSection};
use super::laws::relaxation::{self, RelaxationSection};
use super::laws::stuck::{self, StuckSection};
use super::pcm::pcm_params;
use super::statistical::{Clamp, DeviceParams, StatisticalDevice};
use crate::error::Result;
use crate::toml_file::parse_toml;
use checker::Checker;
use serde::{Deserialize, Serialize};

/// A device file as written: every key optional, unknown keys refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub kind: Option<DeviceKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g_max_us: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g_min_us: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t0_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t_read_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programming_noise: Option<ProgNoiseSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_noise: Option<ReadNoiseSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relaxation: Option<RelaxationSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stuck: Option<StuckSection>,
    /// Where a read is clamped: "zero" (default) or "range" ([g_min, g_max]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clamp: Option<Clamp>,
}

/// Parses and resolves the device file at `file` (used in messages) with contents `text`;
/// `default_name` is used when the file has no `name`.
pub fn parse_device(file: &str, text: &str, default_name: &str) -> Result<DeviceSpec> {
    let raw: DeviceFile = parse_toml(file, text)?;
    resolve(&Checker { file, text }, raw, default_name)
}

fn resolve(c: &Checker, raw: DeviceFile, default_name: &str) -> Result<DeviceSpec> {
    let kind = c.required("kind", raw.kind, "one of \"ideal\", \"pcm\", \"custom\"")?;
    let name = raw.name.unwrap_or_else(|| default_name.to_string());
    let description = raw.description.unwrap_or_default();
    let base = match kind {
        DeviceKind::Pcm => Some(pcm_params()),
        DeviceKind::Custom | DeviceKind::Ideal => None,
    };
    let g_max_default = match kind {
        DeviceKind::Ideal => Some(super::DeviceModel::g_max_us(&IdealDevice::default())),
        _ => base.as_ref().map(|b| b.g_max_us),
    };
    let g_max_us = c.required(
        "g_max_us",
        raw.g_max_us.or(g_max_default),
        "a conductance in µS",
    )?;
    let g_min_us = raw.g_min_us.unwrap_or(0.0);
    if kind == DeviceKind::Ideal {
        for (key, present) in [
            ("t0_s", raw.t0_s.is_some()),
            ("t_read_s", raw.t_read_s.is_some()),
            ("programming_noise", raw.programming_noise.is_some()),
            ("drift", raw.drift.is_some()),
            ("read_noise", raw.read_noise.is_some()),
            ("stuck", raw.stuck.is_some()),
            ("relaxation", raw.relaxation.is_some()),
            ("clamp", raw.clamp.is_some()),
        ] {
            if present {
                return Err(c.err(key, "no such key for kind = \"ideal\"", "a value"));
            }
        }
        let device = IdealDevice::new(g_max_us, g_min_us).map_err(|e| c.invalid(e))?;
        return Ok(DeviceSpec {
            name,
            kind,
            description,
            device: Device::Ideal(device),
        });
    }
    let base = base.as_ref();
    let t0_s = raw
        .t0_s
        .unwrap_or(base.map_or(super::pcm::PCM_T0_S, |b| b.t0_s));
    let t_read_s = raw
        .t_read_s
        .unwrap_or(base.map_or(super::pcm::PCM_T_READ_S, |b| b.t_read_s));
    let (programming_noise, programming_noise_scale) =
        programming_noise::read_section(c, raw.programming_noise, base, g_max_us)?;
    let (drift, drift_scale) = drift::read_section(c, raw.drift, base)?;
    let (read_noise, read_noise_scale, read_level_at) =
        read_noise::read_section(c, raw.read_noise, base)?;
    let stuck = stuck::read_section(raw.stuck.unwrap_or_default());
    let relaxation = relaxation::read_section(c, raw.relaxation)?;
    let clamp = raw.clamp.unwrap_or_default();
    let device = StatisticalDevice::new(DeviceParams {
        g_max_us,
        g_min_us,
        t0_s,
        t_read_s,
        programming_noise,
        programming_noise_scale,
        drift,
        drift_scale,
        read_noise,
        read_noise_scale,
        read_level_at,
        relaxation,
        clamp,
        stuck,
    })
    .map_err(|e| c.invalid(e))?;
    Ok(DeviceSpec {
        name,
        kind,
        description,
        device: Device::Statistical(device),
    })
}
