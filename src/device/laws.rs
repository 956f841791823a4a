//! The statistical laws a device is made of (physics.md section 2): programming-noise sigma,
//! drift-exponent mean and std, accumulated read noise, stuck devices. Each law is a closed set
//! of forms (an enum); the PCM model of the paper is one choice of forms and constants.
//!
//! Conductances are in µS, times in s. `g_hat = g / g_max` is the normalised conductance.

use super::table::PiecewiseLinear;
use crate::fastmath::{exp_f32, ln_f32};

/// Lower clamp of `g_hat` wherever its logarithm is taken (physics.md section 2).
pub const G_HAT_LOG_FLOOR: f32 = 1e-7;

/// ln(max(g_hat, 1e-7)) for each element, in single precision (the precision of the device
/// state), vectorised.
#[inline(always)]
pub fn ln_g_hat_into(g_hat: &[f32], out: &mut [f32]) {
    for (o, &g) in out.iter_mut().zip(g_hat) {
        *o = ln_f32(g.max(G_HAT_LOG_FLOOR));
    }
}

/// Programming-noise standard deviation as a function of the target conductance.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgNoiseLaw {
    /// sigma_P = (sum_k c_k g_hat^k) * g_max / reference_g_max  (physics.md Eq. 7).
    Polynomial {
        coefficients_us: Vec<f64>,
        reference_g_max_us: f64,
    },
    /// sigma_P interpolated over a table of (g in µS, sigma in µS).
    Table(PiecewiseLinear),
}

impl ProgNoiseLaw {
    /// sigma_P in µS for each target `g_us` (with `g_hat = g / g_max`), before the scale factor.
    /// Negative values are clamped to 0.
    ///
    /// # Formula
    /// Polynomial: sigma_P = (c0 + c1 g^ + c2 g^^2 + ...) * g_max / g_ref (physics.md Eq. 7).
    #[inline(always)]
    pub fn sigma_into(&self, g_us: &[f32], g_hat: &[f32], g_max_us: f64, out: &mut [f32]) {
        match self {
            ProgNoiseLaw::Polynomial {
                coefficients_us,
                reference_g_max_us,
            } => {
                let factor = (g_max_us / reference_g_max_us) as f32;
                out.fill(0.0);
                for &c in coefficients_us.iter().rev() {
                    let c = c as f32;
                    for (o, &x) in out.iter_mut().zip(g_hat) {
                        *o = *o * x + c;
                    }
                }
                for o in out.iter_mut() {
                    *o = (*o * factor).max(0.0);
                }
            }
            ProgNoiseLaw::Table(t) => {
                for (o, &g) in out.iter_mut().zip(g_us) {
                    *o = (t.eval(g as f64) as f32).max(0.0);
                }
            }
        }
    }
}

/// `clip(slope * ln(g_hat) + intercept, min, max)`: the log-linear laws of physics.md Eq. 9.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClippedLogLinear {
    pub slope: f64,
    pub intercept: f64,
    pub min: f64,
    pub max: f64,
}

impl ClippedLogLinear {
    /// The law at each `ln(g_hat)` (already clamped, see [`ln_g_hat_into`]).
    #[inline(always)]
    pub fn eval_into(&self, ln_g_hat: &[f32], out: &mut [f32]) {
        let (a, b) = (self.slope as f32, self.intercept as f32);
        let (lo, hi) = (self.min as f32, self.max as f32);
        for (o, &l) in out.iter_mut().zip(ln_g_hat) {
            *o = (a * l + b).max(lo).min(hi);
        }
    }
}

/// Mean and std of the normal whose absolute value is the drift exponent nu (folded normal).
#[derive(Debug, Clone, PartialEq)]
pub enum DriftLaw {
    /// No drift: nu = 0.
    None,
    /// mu_nu and sigma_nu as clipped log-linear laws in g_hat (physics.md Eq. 9).
    LogLinear {
        mu: ClippedLogLinear,
        sigma: ClippedLogLinear,
    },
    /// mu_nu and sigma_nu interpolated over tables in g (µS).
    Table {
        mu: PiecewiseLinear,
        sigma: PiecewiseLinear,
    },
}

impl DriftLaw {
    /// (mu_nu, sigma_nu) for each target `g_us` with clamped `ln(g_hat)`.
    #[inline(always)]
    pub fn mu_sigma_into(&self, g_us: &[f32], ln_g_hat: &[f32], mu: &mut [f32], sigma: &mut [f32]) {
        match self {
            DriftLaw::None => {
                mu.fill(0.0);
                sigma.fill(0.0);
            }
            DriftLaw::LogLinear { mu: m, sigma: s } => {
                m.eval_into(ln_g_hat, mu);
                s.eval_into(ln_g_hat, sigma);
            }
            DriftLaw::Table { mu: m, sigma: s } => {
                for ((om, os), &g) in mu.iter_mut().zip(sigma.iter_mut()).zip(g_us) {
                    *om = m.eval(g as f64) as f32;
                    *os = (s.eval(g as f64) as f32).max(0.0);
                }
            }
        }
    }
}

/// Read noise: the relative std of a read, as a per-device level times a function of time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReadNoiseLaw {
    /// No read noise.
    None,
    /// Accumulated 1/f noise (physics.md Eq. 10-12): Q_s = min(q_coeff * g_hat^(-q_exponent), q_max),
    /// sigma_read(t) = g_D(t) * Q_s * sqrt(ln((t + t0 + t_read) / (2 t_read))).
    OneOverF {
        q_coeff: f64,
        q_exponent: f64,
        q_max: f64,
    },
    /// sigma_read = sigma_rel * g_D(t), independent of t (for t > 0).
    ConstantRelative { sigma_rel: f64 },
}

impl ReadNoiseLaw {
    /// The per-device level (Q_s for 1/f, sigma_rel for constant) for each clamped `ln(g_hat)`,
    /// before the scale factor.
    ///
    /// # Formula
    /// Q_s = min(q_coeff * exp(-q_exponent * ln(g_hat)), q_max) (physics.md Eq. 11).
    #[inline(always)]
    pub fn level_into(&self, ln_g_hat: &[f32], out: &mut [f32]) {
        match *self {
            ReadNoiseLaw::None => out.fill(0.0),
            ReadNoiseLaw::OneOverF {
                q_coeff,
                q_exponent,
                q_max,
            } => {
                let (c, e, m) = (q_coeff as f32, q_exponent as f32, q_max as f32);
                for (o, &l) in out.iter_mut().zip(ln_g_hat) {
                    *o = (c * exp_f32(-e * l)).min(m);
                }
            }
            ReadNoiseLaw::ConstantRelative { sigma_rel } => out.fill(sigma_rel as f32),
        }
    }

    /// The time factor multiplying the level at time `t_s` > 0 after programming; 0 at t <= 0
    /// (a read right after programming sees the programmed state).
    ///
    /// # Formula
    /// 1/f: sqrt(ln((t + t0 + t_read) / (2 t_read))) (physics.md Eq. 12); constant: 1.
    pub fn time_factor(&self, t_s: f64, t0_s: f64, t_read_s: f64) -> f64 {
        if t_s <= 0.0 {
            return 0.0;
        }
        match self {
            ReadNoiseLaw::None => 0.0,
            ReadNoiseLaw::OneOverF { .. } => ((t_s + t0_s + t_read_s) / (2.0 * t_read_s))
                .ln()
                .max(0.0)
                .sqrt(),
            ReadNoiseLaw::ConstantRelative { .. } => 1.0,
        }
    }
}

/// Probabilities that a device is stuck, drawn once at programming (paper Fig. 4/5).
/// A stuck device neither drifts nor shows read noise.
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomial_evaluates_horner() {
        let law = ProgNoiseLaw::Polynomial {
            coefficients_us: vec![1.0, 2.0, 3.0],
            reference_g_max_us: 10.0,
        };
        // g_hat = 0.5: 1 + 1 + 0.75 = 2.75, times 20/10.
        let mut out = [0.0f32];
        law.sigma_into(&[10.0], &[0.5], 20.0, &mut out);
        assert_eq!(out[0], 5.5);
    }

    #[test]
    fn negative_polynomial_clamps_to_zero() {
        let law = ProgNoiseLaw::Polynomial {
            coefficients_us: vec![0.0, -1.0],
            reference_g_max_us: 1.0,
        };
        let mut out = [1.0f32];
        law.sigma_into(&[0.5], &[0.5], 1.0, &mut out);
        assert_eq!(out[0], 0.0);
    }

    #[test]
    fn log_floor_applies() {
        let mut out = [0.0f32; 2];
        ln_g_hat_into(&[0.0, 1.0], &mut out);
        assert!((out[0] as f64 - (1e-7f64).ln()).abs() < 1e-5);
        assert_eq!(out[1], 0.0);
    }

    #[test]
    fn read_time_factor_zero_at_programming() {
        let law = ReadNoiseLaw::OneOverF {
            q_coeff: 0.0088,
            q_exponent: 0.65,
            q_max: 0.2,
        };
        assert_eq!(law.time_factor(0.0, 20.0, 250e-9), 0.0);
        let one_s = law.time_factor(1.0, 20.0, 250e-9);
        let expected = ((21.0f64 + 250e-9) / 500e-9).ln().sqrt();
        assert!((one_s - expected).abs() < 1e-12);
    }
}
