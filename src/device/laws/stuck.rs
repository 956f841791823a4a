//! Stuck devices (paper Fig. 4/5): probabilities that a device is stuck at 0 (reset), at g_max
//! or at a value uniform in [g_min, g_max], drawn once at programming (a stuck device neither
//! drifts nor shows read noise); and the `[stuck]` section of a device file (`p_reset`,
//! `p_g_max`, `p_random`), read and written back.

use crate::error::InvalidKey;
use crate::value_check::probability;
use serde::{Deserialize, Serialize};

/// Probabilities that a device is stuck, drawn once at programming.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StuckProbabilities {
    /// Stuck at 0 µS (reset).
    pub p_reset: f64,
    /// Stuck at g_max.
    pub p_g_max: f64,
    /// Stuck at a value uniform in [g_min, g_max].
    pub p_random: f64,
}

impl StuckProbabilities {
    /// Whether any device can be stuck.
    pub fn any(&self) -> bool {
        self.p_reset > 0.0 || self.p_g_max > 0.0 || self.p_random > 0.0
    }

    /// The probability that a device is not stuck.
    pub fn p_ok(&self) -> f64 {
        1.0 - self.p_reset - self.p_g_max - self.p_random
    }

    /// Checks each probability and their sum.
    pub fn validate(&self) -> Result<(), InvalidKey> {
        probability("stuck.p_reset", self.p_reset)?;
        probability("stuck.p_g_max", self.p_g_max)?;
        probability("stuck.p_random", self.p_random)?;
        let total = self.p_reset + self.p_g_max + self.p_random;
        if total > 1.0 {
            return Err(InvalidKey::new(
                "stuck",
                "probabilities p_reset + p_g_max + p_random summing to at most 1",
                total,
            ));
        }
        Ok(())
    }
}

/// `[stuck]`: probabilities of stuck devices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StuckSection {
    pub p_reset: Option<f64>,
    pub p_g_max: Option<f64>,
    pub p_random: Option<f64>,
}

/// The probabilities of section `s` (absent keys: 0).
pub(crate) fn read_section(s: StuckSection) -> StuckProbabilities {
    StuckProbabilities {
        p_reset: s.p_reset.unwrap_or(0.0),
        p_g_max: s.p_g_max.unwrap_or(0.0),
        p_random: s.p_random.unwrap_or(0.0),
    }
}

/// The section of `stuck`, every key explicit.
pub(crate) fn write_section(stuck: &StuckProbabilities) -> StuckSection {
    StuckSection {
        p_reset: Some(stuck.p_reset),
        p_g_max: Some(stuck.p_g_max),
        p_random: Some(stuck.p_random),
    }
}
