//! The programming noise of measured devices (physics.md Eq. 7): per target level the standard
//! deviation of the measured conductances, then sigma_P = sum_k c_k g^^k (g^ = g_T/g_max) by
//! least squares on the per-level standard deviations weighted by the level counts. A level with
//! devices read as 0 (the model clamps g_P = max(0, g_T + sigma xi)) is censored: its sigma is
//! the maximum-likelihood sigma of a normal around the target, censored at 0.

use super::least_squares::weighted_least_squares;
use super::measurements::ProgrammingLevel;
use crate::error::{Error, Result};
use statrs::distribution::{ContinuousCDF, Normal};

/// One target level: how many devices, their mean and standard deviation.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSpread {
    pub g_target_us: f64,
    pub n: usize,
    pub mean_us: f64,
    pub std_us: f64,
    /// Devices read as 0 (censored).
    pub zeros: usize,
}

/// The fitted polynomial and its quality.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgNoiseFit {
    pub g_max_us: f64,
    /// c_k in µS, k = 0..=degree.
    pub coefficients_us: Vec<f64>,
    /// Standard errors of c_k from the sampling spread of each level's std.
    pub standard_errors_us: Vec<f64>,
    pub levels: Vec<LevelSpread>,
    /// The fitted sigma at each level, µS.
    pub fitted_us: Vec<f64>,
    /// Weighted coefficient of determination of the per-level stds.
    pub r_squared: f64,
}

impl ProgNoiseFit {
    /// sigma_P at `g_us`.
    pub fn sigma_us(&self, g_us: f64) -> f64 {
        let g = g_us / self.g_max_us;
        self.coefficients_us
            .iter()
            .rev()
            .fold(0.0, |acc, c| acc * g + c)
    }
}

/// The maximum-likelihood sigma of normal values around `mu`, those below 0 read as 0.
fn censored_sigma(values: &[f64], mu: f64) -> f64 {
    let zeros = values.iter().filter(|&&v| v <= 0.0).count() as f64;
    let positive: Vec<f64> = values.iter().copied().filter(|&v| v > 0.0).collect();
    let ss: f64 = positive.iter().map(|v| (v - mu).powi(2)).sum();
    let n_pos = positive.len() as f64;
    let std_normal = Normal::standard();
    let log_likelihood = |sigma: f64| {
        -n_pos * sigma.ln() - ss / (2.0 * sigma * sigma)
            + zeros * std_normal.cdf(-mu / sigma).max(1e-300).ln()
    };
    // Golden-section search on a bracket around the uncensored estimate.
    let rough = (ss / n_pos.max(1.0)).sqrt().max(1e-9);
    let (mut a, mut b) = (rough * 0.2, rough * 5.0);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..200 {
        let (c, d) = (b - phi * (b - a), a + phi * (b - a));
        if log_likelihood(c) > log_likelihood(d) {
            b = d;
        } else {
            a = c;
        }
    }
    (a + b) / 2.0
}

/// The spread of one level: sample mean and std, or for a censored level (devices at 0) the
/// censored-normal sigma around the target.
pub fn level_spread(level: &ProgrammingLevel) -> LevelSpread {
    let v = &level.g_measured_us;
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let zeros = v.iter().filter(|&&x| x <= 0.0).count();
    let std_us = if zeros > 0 && level.g_target_us > 0.0 {
        censored_sigma(v, level.g_target_us)
    } else {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    };
    LevelSpread {
        g_target_us: level.g_target_us,
        n,
        mean_us: mean,
        std_us,
        zeros,
    }
}

/// Fits sigma_P as a polynomial of `degree` in g/g_max to the levels.
pub fn fit_programming_noise(
    levels: &[ProgrammingLevel],
    g_max_us: f64,
    degree: usize,
) -> Result<ProgNoiseFit> {
    if levels.len() < degree + 1 {
        return Err(Error::Fit(format!(
            "a polynomial of degree {degree} needs at least {} target levels, found {}",
            degree + 1,
            levels.len()
        )));
    }
    let spreads: Vec<LevelSpread> = levels.iter().map(level_spread).collect();
    let rows: Vec<Vec<f64>> = spreads
        .iter()
        .map(|s| {
            let g = s.g_target_us / g_max_us;
            (0..=degree).map(|k| g.powi(k as i32)).collect()
        })
        .collect();
    let y: Vec<f64> = spreads.iter().map(|s| s.std_us).collect();
    let w: Vec<f64> = spreads.iter().map(|s| s.n as f64).collect();
    let fit = weighted_least_squares(&rows, &y, &w)?;
    // Var(s) = sigma^2 / (2 (n - 1)) for normal samples.
    let var: Vec<f64> = spreads
        .iter()
        .map(|s| s.std_us.powi(2) / (2.0 * (s.n - 1) as f64))
        .collect();
    let standard_errors_us = fit.standard_errors(&rows, &w, &var);
    let fitted_us: Vec<f64> = rows.iter().map(|r| fit.predict(r)).collect();
    let total_w: f64 = w.iter().sum();
    let mean = y.iter().zip(&w).map(|(y, w)| y * w).sum::<f64>() / total_w;
    let ss_res: f64 = y
        .iter()
        .zip(&fitted_us)
        .zip(&w)
        .map(|((y, f), w)| w * (y - f).powi(2))
        .sum();
    let ss_tot: f64 = y.iter().zip(&w).map(|(y, w)| w * (y - mean).powi(2)).sum();
    Ok(ProgNoiseFit {
        g_max_us,
        coefficients_us: fit.coefficients,
        standard_errors_us,
        levels: spreads,
        fitted_us,
        r_squared: if ss_tot > 0.0 {
            1.0 - ss_res / ss_tot
        } else {
            1.0
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NoiseRng;
    use statrs::distribution::{ContinuousCDF, Normal};

    /// Normal values clamped at 0: the censored estimate finds sigma where the sample std is
    /// biased low.
    #[test]
    fn censoring_at_zero_is_undone() {
        let (mu, sigma, n) = (0.3, 0.3, 200_000);
        let mut rng = NoiseRng::new(5);
        let v: Vec<f64> = (0..n)
            .map(|_| (mu + sigma * rng.normal()).max(0.0))
            .collect();
        let level = ProgrammingLevel {
            g_target_us: mu,
            g_measured_us: v,
        };
        let s = level_spread(&level);
        assert!(s.zeros > n / 10, "{}", s.zeros);
        // Fisher information of sigma with the mean known, censored at 0 (z = -mu / sigma):
        // I sigma^2 = 2 (1 - Phi(z)) + (z^3 + z) phi(z) + z^2 phi(z)^2 / Phi(z) (2 uncensored).
        let z = -mu / sigma;
        let normal = Normal::standard();
        let (big, small) = (
            normal.cdf(z),
            (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt(),
        );
        let info = 2.0 * (1.0 - big) + (z * z * z + z) * small + z * z * small * small / big;
        let tol = 4.0 * sigma / (n as f64 * info).sqrt();
        assert!(
            (s.std_us - sigma).abs() < tol,
            "{} vs {sigma} (tol {tol})",
            s.std_us
        );
    }
}
