//! The statistical device: programming noise, drift exponent drawn once, accumulated read noise
//! and stuck devices, each given by a law of `laws.rs` (physics.md section 2). PCM is this device
//! with the paper's laws (`pcm.rs`); custom TOML devices are this device with the user's laws.

use super::laws::{DriftLaw, ProgNoiseLaw, ReadNoiseLaw, StuckProbabilities, ln_g_hat};
use super::model::DeviceModel;
use super::state::ProgrammedState;
use crate::rng::NoiseRng;

/// All parameters of a statistical device, resolved and validated (see `spec.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticalDevice {
    /// Largest conductance, µS.
    pub g_max_us: f64,
    /// Smallest conductance, µS (the idle device of a pair).
    pub g_min_us: f64,
    /// Drift reference time t0, s.
    pub t0_s: f64,
    /// Read duration t_read of the 1/f law, s.
    pub t_read_s: f64,
    pub programming_noise: ProgNoiseLaw,
    /// prog_noise_scale: multiplies sigma_P.
    pub programming_noise_scale: f64,
    pub drift: DriftLaw,
    /// drift_scale: multiplies nu.
    pub drift_scale: f64,
    pub read_noise: ReadNoiseLaw,
    /// read_noise_scale: multiplies sigma_read.
    pub read_noise_scale: f64,
    pub stuck: StuckProbabilities,
}

/// What is fixed at programming for one target, before the per-device draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetLaws {
    /// sigma_P in µS (scale applied).
    pub sigma_prog_us: f64,
    /// Mean of the normal folded into nu (Eq. 9).
    pub mu_nu: f64,
    /// Std of the normal folded into nu (Eq. 9).
    pub sigma_nu: f64,
    /// Read level (Q_s, scale applied).
    pub read_level: f64,
}

impl StatisticalDevice {
    /// The laws at target `g_us`.
    #[inline]
    pub fn target_laws(&self, g_us: f64) -> TargetLaws {
        let ln_g = ln_g_hat(g_us / self.g_max_us);
        let (mu_nu, sigma_nu) = self.drift.mu_sigma(g_us, ln_g);
        TargetLaws {
            sigma_prog_us: self.programming_noise_scale
                * self.programming_noise.sigma_us(g_us, self.g_max_us),
            mu_nu,
            sigma_nu,
            read_level: self.read_noise_scale * self.read_noise.level(ln_g),
        }
    }

    /// Draws the stuck value of a device, if it is stuck.
    #[inline]
    fn draw_stuck(&self, rng: &mut NoiseRng) -> Option<f32> {
        let u = rng.uniform();
        let s = &self.stuck;
        if u < s.p_reset {
            Some(0.0)
        } else if u < s.p_reset + s.p_g_max {
            Some(self.g_max_us as f32)
        } else if u < s.p_reset + s.p_g_max + s.p_random {
            Some((self.g_min_us + rng.uniform() * (self.g_max_us - self.g_min_us)) as f32)
        } else {
            None
        }
    }
}

impl DeviceModel for StatisticalDevice {
    fn g_max_us(&self) -> f64 {
        self.g_max_us
    }

    fn g_min_us(&self) -> f64 {
        self.g_min_us
    }

    /// Eq. 7 and 9, one draw each per device:
    /// g_P = max(0, g_T + sigma_P xi1), nu = drift_scale * |mu_nu + sigma_nu xi2|.
    fn program(&self, g_target_us: &[f32], rng: &mut NoiseRng) -> ProgrammedState {
        let n = g_target_us.len();
        let mut state = ProgrammedState::zeros(n);
        let with_stuck = self.stuck.any();
        let drift_scale = self.drift_scale as f32;
        for (i, &g_t) in g_target_us.iter().enumerate() {
            if with_stuck && let Some(g) = self.draw_stuck(rng) {
                state.g_prog_us[i] = g;
                continue;
            }
            let laws = self.target_laws(g_t as f64);
            let xi_prog = rng.normal_f32();
            let xi_nu = rng.normal_f32();
            state.g_prog_us[i] = (g_t + laws.sigma_prog_us as f32 * xi_prog).max(0.0);
            state.nu[i] = drift_scale * (laws.mu_nu as f32 + laws.sigma_nu as f32 * xi_nu).abs();
            state.read_level[i] = laws.read_level as f32;
        }
        state
    }

    fn t0_s(&self) -> f64 {
        self.t0_s
    }

    fn read_time_factor(&self, t_s: f64) -> f64 {
        self.read_noise.time_factor(t_s, self.t0_s, self.t_read_s)
    }
}
