//! The PCM model of the paper (physics.md section 2; aihwkit `PCMLikeNoiseModel` defaults):
//! every constant as published, as a [`StatisticalDevice`]. `devices/pcm.toml` resolves to this.

use super::laws::{ClippedLogLinear, DriftLaw, ProgNoiseLaw, ReadNoiseLaw, StuckProbabilities};
use super::statistical::{DeviceParams, StatisticalDevice};

/// g_max = 25 µS.
pub const PCM_G_MAX_US: f64 = 25.0;
/// Programming-noise coefficients c0, c1, c2 in µS at g_max = 25 µS (Eq. 7).
pub const PCM_PROG_COEFFICIENTS_US: [f64; 3] = [0.26348, 1.9650, -1.1731];
/// mu_nu = clip(-0.0155 ln(g^) + 0.0244, 0.049, 0.1) (Eq. 9).
pub const PCM_MU_NU: ClippedLogLinear = ClippedLogLinear {
    slope: -0.0155,
    intercept: 0.0244,
    min: 0.049,
    max: 0.1,
};
/// sigma_nu = clip(-0.0125 ln(g^) - 0.0059, 0.008, 0.045) (Eq. 9).
pub const PCM_SIGMA_NU: ClippedLogLinear = ClippedLogLinear {
    slope: -0.0125,
    intercept: -0.0059,
    min: 0.008,
    max: 0.045,
};
/// Q_s = min(0.0088 g^^(-0.65), 0.2) (Eq. 11).
pub const PCM_READ_NOISE: ReadNoiseLaw = ReadNoiseLaw::OneOverF {
    q_coeff: 0.0088,
    q_exponent: 0.65,
    q_max: 0.2,
};
/// Drift reference time t0 = 20 s (Eq. 8).
pub const PCM_T0_S: f64 = 20.0;
/// Read duration t_read = 250 ns (Eq. 12).
pub const PCM_T_READ_S: f64 = 250e-9;

/// The paper's PCM device with all scales 1 and no stuck devices.
pub fn pcm() -> StatisticalDevice {
    StatisticalDevice::new(pcm_params()).expect("the paper's constants are valid")
}

/// The parameters of [`pcm`].
pub fn pcm_params() -> DeviceParams {
    DeviceParams {
        g_max_us: PCM_G_MAX_US,
        g_min_us: 0.0,
        t0_s: PCM_T0_S,
        t_read_s: PCM_T_READ_S,
        programming_noise: ProgNoiseLaw::Polynomial {
            coefficients_us: PCM_PROG_COEFFICIENTS_US.to_vec(),
            reference_g_max_us: PCM_G_MAX_US,
        },
        programming_noise_scale: 1.0,
        drift: DriftLaw::LogLinear {
            mu: PCM_MU_NU,
            sigma: PCM_SIGMA_NU,
        },
        drift_scale: 1.0,
        read_noise: PCM_READ_NOISE,
        read_noise_scale: 1.0,
        read_level_at: Default::default(),
        relaxation: Default::default(),
        clamp: Default::default(),
        stuck: StuckProbabilities::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal to single precision (the precision in which devices evaluate their laws).
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * b.abs().max(1e-3)
    }

    #[test]
    fn programming_sigma_closed_form() {
        // Eq. 7 at g^ = 0, 0.5, 1: c0; c0 + c1/2 + c2/4; c0 + c1 + c2.
        let d = pcm();
        let s = |g_hat: f64| d.target_laws(g_hat * 25.0).sigma_prog_us;
        assert!(close(s(0.0), 0.26348));
        assert!(close(s(0.5), 0.26348 + 0.9825 - 0.293275));
        assert!(close(s(1.0), 0.26348 + 1.9650 - 1.1731));
        // physics.md's rounded figures: about 0.26, 0.95, 1.06 µS.
        assert!((s(0.5) - 0.95).abs() < 0.005 && (s(1.0) - 1.06).abs() < 0.005);
    }

    #[test]
    fn sigma_scales_with_g_max_and_scale() {
        let d = pcm().edit(|p| p.g_max_us = 50.0).unwrap();
        assert!(close(d.target_laws(25.0).sigma_prog_us, 2.0 * 0.952705));
        let d = d.edit(|p| p.programming_noise_scale = 3.0).unwrap();
        assert!(close(d.target_laws(25.0).sigma_prog_us, 6.0 * 0.952705));
    }

    #[test]
    fn drift_exponent_floors_and_caps() {
        let d = pcm();
        let at = |g_us: f64| d.target_laws(g_us);
        // Full conductance: ln 1 = 0 -> mu = 0.0244 -> floor 0.049; sigma = -0.0059 -> floor 0.008.
        assert!(close(at(25.0).mu_nu, 0.049));
        assert!(close(at(25.0).sigma_nu, 0.008));
        // g = 0 clamps g^ to 1e-7: mu = 0.0244 + 0.0155*16.118 = 0.274 -> cap 0.1;
        // sigma = 0.1956 -> cap 0.045.
        assert!(close(at(0.0).mu_nu, 0.1));
        assert!(close(at(0.0).sigma_nu, 0.045));
        // In between the law is log-linear: g^ = 0.04.
        let l = (0.04f64).ln();
        assert!(close(at(1.0).mu_nu, -0.0155 * l + 0.0244));
        assert!(close(at(1.0).sigma_nu, -0.0125 * l - 0.0059));
        // Where the floors start: mu at g^ = exp((0.0244 - 0.049) / 0.0155) = 0.2042.
        let knee = ((0.0244f64 - 0.049) / 0.0155).exp() * 25.0;
        assert!(close(
            at(knee * 0.99).mu_nu,
            -0.0155 * (knee * 0.99 / 25.0).ln() + 0.0244
        ));
        assert!(close(at(knee * 1.01).mu_nu, 0.049));
    }

    #[test]
    fn read_level_closed_form() {
        let d = pcm();
        assert!(close(
            d.target_laws(12.5).read_level,
            0.0088 * 0.5f64.powf(-0.65)
        ));
        assert!(close(d.target_laws(0.0).read_level, 0.2));
        // The cap: 0.0088 g^^(-0.65) = 0.2 at g^ = (0.0088/0.2)^(1/0.65) = 0.00820.
        assert!(close(d.target_laws(0.1).read_level, 0.2));
        assert!(close(
            d.target_laws(0.3).read_level,
            0.0088 * 0.012f64.powf(-0.65)
        ));
    }
}
