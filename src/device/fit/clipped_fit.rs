//! Fitting a clipped log-linear law y = clip(a x + b, min, max) (x = ln(g/g_max), physics.md
//! Eq. 9 and 11) to per-level estimates with standard errors: every split of the levels (sorted
//! by x) into a plateau, a line of at least two levels and a plateau is tried, the line by
//! weighted least squares (weights 1/se^2), each plateau as the weighted mean of its levels; the
//! split whose clipped law has the smallest chi^2 + 2 (parameters) wins (Akaike). Where no plateau is seen the law is not
//! extrapolated: the bound is the line's value at the last level. The chi^2 of the law against
//! the standard errors says whether the data follow it.

use super::least_squares::weighted_least_squares;
use crate::error::{Error, Result};
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// A fitted clipped log-linear law and how well it fits.
#[derive(Debug, Clone, PartialEq)]
pub struct ClippedFit {
    pub slope: f64,
    pub intercept: f64,
    pub min: f64,
    pub max: f64,
    /// Standard errors of slope and intercept (from the levels on the line).
    pub slope_se: f64,
    pub intercept_se: f64,
    /// sum_k ((y_k - law(x_k)) / se_k)^2 and its degrees of freedom.
    pub chi2: f64,
    pub dof: usize,
}

impl ClippedFit {
    /// The law at `x`.
    pub fn eval(&self, x: f64) -> f64 {
        (self.slope * x + self.intercept).clamp(self.min, self.max)
    }

    /// The probability of a chi^2 at least this large if the data followed the law (1 without
    /// degrees of freedom to test).
    pub fn p_value(&self) -> f64 {
        if self.dof == 0 {
            return 1.0;
        }
        ChiSquared::new(self.dof as f64).map_or(1.0, |d| 1.0 - d.cdf(self.chi2))
    }
}

/// Which ends of the law may be clipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plateaus {
    pub low_x: bool,
    pub high_x: bool,
}

fn weighted_mean(y: &[f64], w: &[f64]) -> f64 {
    y.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / w.iter().sum::<f64>()
}

/// Fits the law to the points (x_k, y_k) with standard errors se_k > 0.
pub fn fit_clipped(x: &[f64], y: &[f64], se: &[f64], plateaus: Plateaus) -> Result<ClippedFit> {
    let n = x.len();
    if n < 2 {
        return Err(Error::Fit(format!(
            "a log-linear law needs at least 2 conductance levels, found {n}"
        )));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let x: Vec<f64> = order.iter().map(|&k| x[k]).collect();
    let y: Vec<f64> = order.iter().map(|&k| y[k]).collect();
    let w: Vec<f64> = order
        .iter()
        .map(|&k| 1.0 / se[k].max(1e-300).powi(2))
        .collect();
    let mut best: Option<(f64, ClippedFit)> = None;
    let starts = if plateaus.low_x { 0..=n - 2 } else { 0..=0 };
    for i in starts {
        let ends: Vec<usize> = if plateaus.high_x {
            (i + 2..=n).collect()
        } else {
            vec![n]
        };
        for j in ends {
            let rows: Vec<Vec<f64>> = x[i..j].iter().map(|&v| vec![v, 1.0]).collect();
            let line = weighted_least_squares(&rows, &y[i..j], &w[i..j])?;
            let (a, b) = (line.coefficients[0], line.coefficients[1]);
            let at = |v: f64| a * v + b;
            // A plateau's level, or the line's value at the outermost level on that side.
            let left = if i > 0 {
                weighted_mean(&y[..i], &w[..i])
            } else {
                at(x[0])
            };
            let right = if j < n {
                weighted_mean(&y[j..], &w[j..])
            } else {
                at(x[n - 1])
            };
            let (min, max) = (left.min(right), left.max(right));
            let var: Vec<f64> = w[i..j].iter().map(|w| 1.0 / w).collect();
            let se_line = line.standard_errors(&rows, &w[i..j], &var);
            let law = ClippedFit {
                slope: a,
                intercept: b,
                min,
                max,
                slope_se: se_line[0],
                intercept_se: se_line[1],
                chi2: 0.0,
                dof: 0,
            };
            let chi2: f64 = x
                .iter()
                .zip(&y)
                .zip(&w)
                .map(|((&xv, &yv), &wv)| (yv - law.eval(xv)).powi(2) * wv)
                .sum();
            let params = 2 + usize::from(i > 0) + usize::from(j < n);
            let fit = ClippedFit {
                chi2,
                dof: n.saturating_sub(params),
                ..law
            };
            // Akaike's criterion: a plateau must lower chi^2 by more than 2 to be kept.
            let score = fit.chi2 + 2.0 * params as f64;
            if best.as_ref().is_none_or(|(s, _)| score < *s) {
                best = Some((score, fit));
            }
        }
    }
    Ok(best.expect("at least one split").1)
}

#[cfg(all(test, feature = "linalg"))]
mod tests {
    use super::*;

    /// A clipped law sampled exactly is recovered, plateaus and all.
    #[test]
    fn an_exact_clipped_law_is_recovered() {
        let truth = |x: f64| (-0.0125 * x - 0.0059).clamp(0.008, 0.045);
        let x: Vec<f64> = (0..12).map(|k| -5.0 + 0.45 * k as f64).collect();
        let y: Vec<f64> = x.iter().map(|&v| truth(v)).collect();
        let se = vec![1e-4; x.len()];
        let both = Plateaus {
            low_x: true,
            high_x: true,
        };
        let fit = fit_clipped(&x, &y, &se, both).unwrap();
        assert!((fit.slope + 0.0125).abs() < 1e-9, "{fit:?}");
        assert!((fit.intercept + 0.0059).abs() < 1e-9, "{fit:?}");
        assert!((fit.min - 0.008).abs() < 1e-12 && (fit.max - 0.045).abs() < 1e-12);
        assert!(fit.chi2 < 1e-9 && fit.p_value() > 0.99);
        for &v in &x {
            assert!((fit.eval(v) - truth(v)).abs() < 1e-9);
        }
    }

    /// Data that curve away from any clipped line are told apart by chi^2.
    #[test]
    fn a_curve_fails_the_chi2_test() {
        let x: Vec<f64> = (0..10).map(|k| -4.0 + 0.4 * k as f64).collect();
        let y: Vec<f64> = x.iter().map(|&v| 0.05 + 0.01 * (3.0 * v).sin()).collect();
        let se = vec![1e-4; x.len()];
        let fit = fit_clipped(
            &x,
            &y,
            &se,
            Plateaus {
                low_x: true,
                high_x: true,
            },
        )
        .unwrap();
        assert!(fit.p_value() < 1e-3, "{fit:?}");
    }
}
