//! The closed set of device implementations, and a resolved device file (name, kind, model).

use super::ideal::IdealDevice;
use super::model::DeviceModel;
use super::state::ProgrammedState;
use super::statistical::StatisticalDevice;
use crate::rng::NoiseRng;
use serde::{Deserialize, Serialize};

/// The `kind` key of a device file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// Exact: no noise, no drift.
    Ideal,
    /// The paper's PCM model; every key optional, defaults of physics.md section 2.
    Pcm,
    /// Every law given in the file.
    Custom,
}

impl DeviceKind {
    /// The name as written in a device file.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Ideal => "ideal",
            DeviceKind::Pcm => "pcm",
            DeviceKind::Custom => "custom",
        }
    }
}

/// A device model of any kind. `pcm` and `custom` share one implementation.
// Few devices exist at a time and they are not stored in bulk: the variant size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Device {
    Ideal(IdealDevice),
    Statistical(StatisticalDevice),
}

impl Device {
    /// The statistical model, if the device has one.
    pub fn as_statistical(&self) -> Option<&StatisticalDevice> {
        match self {
            Device::Ideal(_) => None,
            Device::Statistical(d) => Some(d),
        }
    }

    fn model(&self) -> &dyn DeviceModel {
        match self {
            Device::Ideal(d) => d,
            Device::Statistical(d) => d,
        }
    }
}

impl DeviceModel for Device {
    fn g_max_us(&self) -> f64 {
        self.model().g_max_us()
    }

    fn g_min_us(&self) -> f64 {
        self.model().g_min_us()
    }

    fn program_into(&self, g_target_us: &[f32], rng: &mut NoiseRng, state: &mut ProgrammedState) {
        self.model().program_into(g_target_us, rng, state)
    }

    fn t0_s(&self) -> f64 {
        self.model().t0_s()
    }

    fn read_time_factor(&self, t_s: f64) -> f64 {
        self.model().read_time_factor(t_s)
    }

    fn drift(&self, state: &ProgrammedState, t_s: f64, g_out_us: &mut [f32]) {
        self.model().drift(state, t_s, g_out_us)
    }

    fn read(&self, state: &ProgrammedState, t_s: f64, rng: &mut NoiseRng, g_out_us: &mut [f32]) {
        self.model().read(state, t_s, rng, g_out_us)
    }

    fn max_time_s(&self) -> Option<f64> {
        self.model().max_time_s()
    }
}

/// A resolved device file: its name, kind, description and model.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSpec {
    pub name: String,
    pub kind: DeviceKind,
    pub description: String,
    pub device: Device,
}

impl Device {
    /// The device as a statistical model; the ideal device becomes one with zero noise and no
    /// drift (same conductances, used for analytic moments and plots).
    pub fn statistical_view(&self) -> StatisticalDevice {
        use super::laws::{DriftLaw, ProgNoiseLaw, ReadNoiseLaw, StuckProbabilities};
        match self {
            Device::Statistical(d) => d.clone(),
            Device::Ideal(d) => StatisticalDevice::new(super::statistical::DeviceParams {
                g_max_us: d.g_max_us(),
                g_min_us: d.g_min_us(),
                t0_s: 1.0,
                t_read_s: 1.0,
                programming_noise: ProgNoiseLaw::Polynomial {
                    coefficients_us: vec![0.0],
                    reference_g_max_us: d.g_max_us(),
                },
                programming_noise_scale: 0.0,
                drift: DriftLaw::None,
                drift_scale: 0.0,
                read_noise: ReadNoiseLaw::None,
                read_noise_scale: 0.0,
                read_level_at: Default::default(),
                relaxation: Default::default(),
                clamp: Default::default(),
                stuck: StuckProbabilities::default(),
            })
            .expect("an ideal device's view is valid"),
        }
    }
}
