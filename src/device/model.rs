//! The `DeviceModel` trait: program, drift and read over explicit state (physics.md section 2).

use super::state::ProgrammedState;
use crate::fastmath::exp_f32;
use crate::rng::NoiseRng;

/// A memory device model. Models are immutable; randomness is passed in, so a seed reproduces a
/// run. `program` draws everything that is fixed at programming (programming noise, drift
/// exponent, stuck devices); `drift` is deterministic given the state; `read` adds fresh read noise.
pub trait DeviceModel: Send + Sync + std::fmt::Debug {
    /// Largest programmable conductance in µS.
    fn g_max_us(&self) -> f64;

    /// Smallest programmable conductance in µS (the idle device of a differential pair).
    fn g_min_us(&self) -> f64;

    /// Programs one device per target conductance (µS, within [g_min, g_max]) into `state`,
    /// reusing its buffers (resized to the number of targets).
    fn program_into(&self, g_target_us: &[f32], rng: &mut NoiseRng, state: &mut ProgrammedState);

    /// Programs one device per target conductance into a new state.
    fn program(&self, g_target_us: &[f32], rng: &mut NoiseRng) -> ProgrammedState {
        let mut state = ProgrammedState::default();
        self.program_into(g_target_us, rng, &mut state);
        state
    }

    /// Reference time t0 of the drift law, in s.
    fn t0_s(&self) -> f64;

    /// Factor multiplying each device's read level at time `t_s` (0 when there is no read noise
    /// or t <= 0).
    fn read_time_factor(&self, t_s: f64) -> f64;

    /// Conductances `t_s` seconds after programming without read noise (Eq. 8):
    /// g_D(t) = g_P ((t + t0) / t0)^(-nu); g_P itself for t <= 0.
    fn drift(&self, state: &ProgrammedState, t_s: f64, g_out_us: &mut [f32]) {
        power_law_drift(self.t0_s(), state, t_s, g_out_us);
    }

    /// One read `t_s` seconds after programming (Eq. 8-12): drift plus fresh read noise,
    /// g(t) = max(0, g_D(t) + g_D(t) * level * time_factor(t) * xi).
    fn read(&self, state: &ProgrammedState, t_s: f64, rng: &mut NoiseRng, g_out_us: &mut [f32]) {
        self.drift(state, t_s, g_out_us);
        add_relative_read_noise(state, self.read_time_factor(t_s) as f32, rng, g_out_us);
    }

    /// The last time after programming the model describes (reads later are refused by the
    /// commands), if it ends.
    fn max_time_s(&self) -> Option<f64> {
        None
    }
}

/// g_D(t) = g_P ((t + t0) / t0)^(-nu) (Eq. 8) into `g_out_us`; g_P itself for t <= 0.
pub fn power_law_drift(t0_s: f64, state: &ProgrammedState, t_s: f64, g_out_us: &mut [f32]) {
    assert_eq!(state.len(), g_out_us.len(), "drift: output length");
    if t_s <= 0.0 {
        g_out_us.copy_from_slice(&state.g_prog_us);
        return;
    }
    let log_ratio = ((t_s + t0_s) / t0_s).ln() as f32;
    for ((out, &g), &nu) in g_out_us.iter_mut().zip(&state.g_prog_us).zip(&state.nu) {
        *out = g * exp_f32(-nu * log_ratio);
    }
}

/// g = max(0, g + g * level * factor * xi) for each device (Eq. 10-12); nothing (no draws)
/// when `factor` is 0.
pub fn add_relative_read_noise(
    state: &ProgrammedState,
    factor: f32,
    rng: &mut NoiseRng,
    g_out_us: &mut [f32],
) {
    if factor == 0.0 {
        return;
    }
    let mut xi = [0.0f32; 1024];
    for (outs, levels) in g_out_us.chunks_mut(1024).zip(state.read_level.chunks(1024)) {
        let xi = &mut xi[..outs.len()];
        rng.fill_normal(xi);
        for ((out, &level), &x) in outs.iter_mut().zip(levels).zip(xi.iter()) {
            *out = (*out + *out * level * factor * x).max(0.0);
        }
    }
}
