//! The statistical laws a device is made of (physics.md section 2): programming-noise sigma,
//! drift-exponent mean and std, accumulated read noise, stuck devices. Each law is a closed set
//! of forms (an enum); the PCM model of the paper is one choice of forms and constants.
//!
//! Conductances are in µS, times in s. `g_hat = g / g_max` is the normalised conductance.

use super::table::PiecewiseLinear;

/// Lower clamp of `g_hat` wherever its logarithm is taken (physics.md section 2).
pub const G_HAT_LOG_FLOOR: f64 = 1e-7;

/// ln(max(g_hat, 1e-7)).
#[inline]
pub fn ln_g_hat(g_hat: f64) -> f64 {
    g_hat.max(G_HAT_LOG_FLOOR).ln()
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
    /// sigma_P in µS at target `g_us` for a device with `g_max_us`, before the scale factor.
    /// Negative values of a polynomial are clamped to 0.
    ///
    /// # Formula
    /// Polynomial: sigma_P = (c0 + c1 g^ + c2 g^^2 + ...) * g_max / g_ref (physics.md Eq. 7).
    pub fn sigma_us(&self, g_us: f64, g_max_us: f64) -> f64 {
        match self {
            ProgNoiseLaw::Polynomial {
                coefficients_us,
                reference_g_max_us,
            } => {
                let g_hat = g_us / g_max_us;
                let poly = coefficients_us.iter().rev().fold(0.0, |acc, c| acc * g_hat + c);
                (poly * g_max_us / reference_g_max_us).max(0.0)
            }
            ProgNoiseLaw::Table(t) => t.eval(g_us).max(0.0),
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
    /// The law at `ln(g_hat)` (already clamped, see [`ln_g_hat`]).
    #[inline]
    pub fn eval_ln(&self, ln_g_hat: f64) -> f64 {
        (self.slope * ln_g_hat + self.intercept).clamp(self.min, self.max)
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
    /// (mu_nu, sigma_nu) at target `g_us`, given `ln(g_hat)` clamped.
    #[inline]
    pub fn mu_sigma(&self, g_us: f64, ln_g_hat: f64) -> (f64, f64) {
        match self {
            DriftLaw::None => (0.0, 0.0),
            DriftLaw::LogLinear { mu, sigma } => (mu.eval_ln(ln_g_hat), sigma.eval_ln(ln_g_hat)),
            DriftLaw::Table { mu, sigma } => (mu.eval(g_us), sigma.eval(g_us).max(0.0)),
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
    /// The per-device level (Q_s for 1/f, sigma_rel for constant), before the scale factor.
    #[inline]
    pub fn level(&self, ln_g_hat: f64) -> f64 {
        match *self {
            ReadNoiseLaw::None => 0.0,
            ReadNoiseLaw::OneOverF {
                q_coeff,
                q_exponent,
                q_max,
            } => (q_coeff * (-q_exponent * ln_g_hat).exp()).min(q_max),
            ReadNoiseLaw::ConstantRelative { sigma_rel } => sigma_rel,
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
            ReadNoiseLaw::OneOverF { .. } => {
                ((t_s + t0_s + t_read_s) / (2.0 * t_read_s)).ln().max(0.0).sqrt()
            }
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
        assert!((law.sigma_us(10.0, 20.0) - 5.5).abs() < 1e-12);
    }

    #[test]
    fn negative_polynomial_clamps_to_zero() {
        let law = ProgNoiseLaw::Polynomial {
            coefficients_us: vec![0.0, -1.0],
            reference_g_max_us: 1.0,
        };
        assert_eq!(law.sigma_us(0.5, 1.0), 0.0);
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
