//! The ideal device: programs exactly, never drifts, reads without noise.

use super::model::DeviceModel;
use super::state::ProgrammedState;
use crate::error::InvalidKey;
use crate::rng::NoiseRng;
use crate::value_check::{non_negative, positive};

/// An exact device; the conductance read is always the target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdealDevice {
    g_max_us: f64,
    g_min_us: f64,
}

impl IdealDevice {
    /// A device with conductances in [g_min, g_max]: g_max > g_min >= 0.
    pub fn new(g_max_us: f64, g_min_us: f64) -> Result<Self, InvalidKey> {
        positive("g_max_us", g_max_us)?;
        non_negative("g_min_us", g_min_us)?;
        if g_max_us <= g_min_us {
            return Err(InvalidKey::new(
                "g_max_us",
                format!("a value above g_min_us = {g_min_us}"),
                g_max_us,
            ));
        }
        Ok(Self { g_max_us, g_min_us })
    }
}

impl Default for IdealDevice {
    fn default() -> Self {
        Self {
            g_max_us: 25.0,
            g_min_us: 0.0,
        }
    }
}

impl DeviceModel for IdealDevice {
    fn g_max_us(&self) -> f64 {
        self.g_max_us
    }

    fn g_min_us(&self) -> f64 {
        self.g_min_us
    }

    fn program_into(&self, g_target_us: &[f32], _rng: &mut NoiseRng, state: &mut ProgrammedState) {
        state.reset(g_target_us.len());
        state.g_prog_us.copy_from_slice(g_target_us);
    }

    fn t0_s(&self) -> f64 {
        1.0
    }

    fn read_time_factor(&self, _t_s: f64) -> f64 {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_targets_at_any_time() {
        let dev = IdealDevice::default();
        let targets = [0.0f32, 3.5, 25.0];
        let mut rng = NoiseRng::new(0);
        let state = dev.program(&targets, &mut rng);
        let mut out = [0.0f32; 3];
        for t in [0.0, 1.0, 3600.0, 3.15e7] {
            dev.read(&state, t, &mut rng, &mut out);
            assert_eq!(out, targets);
        }
    }
}
