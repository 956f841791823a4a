//! Weighted linear least squares through ndarray-linalg (LAPACK's SVD solver), behind the cargo
//! feature `linalg` (OpenBLAS from the system: `apt-get install libopenblas-dev`). Without the
//! feature the fit says how to enable it.

use crate::error::{Error, Result};

/// The solution of min_b sum_k w_k (y_k - x_k . b)^2.
#[derive(Debug, Clone, PartialEq)]
pub struct LeastSquares {
    pub coefficients: Vec<f64>,
    /// (X^T W X)^-1: with the variances of the y_k, the covariance of the coefficients.
    pub inverse_normal: Vec<Vec<f64>>,
}

impl LeastSquares {
    /// The fitted value at the design row `x`.
    pub fn predict(&self, x: &[f64]) -> f64 {
        x.iter().zip(&self.coefficients).map(|(a, b)| a * b).sum()
    }

    /// Standard errors of the coefficients when y_k has variance `var[k]` (the sandwich
    /// (X^T W X)^-1 X^T W V W X (X^T W X)^-1, exact for any weights).
    pub fn standard_errors(&self, rows: &[Vec<f64>], weights: &[f64], var: &[f64]) -> Vec<f64> {
        let p = self.coefficients.len();
        // M = (X^T W X)^-1 X^T W: one column per observation.
        let m: Vec<Vec<f64>> = rows
            .iter()
            .zip(weights)
            .map(|(x, w)| {
                (0..p)
                    .map(|i| {
                        w * (0..p)
                            .map(|j| self.inverse_normal[i][j] * x[j])
                            .sum::<f64>()
                    })
                    .collect()
            })
            .collect();
        (0..p)
            .map(|i| {
                m.iter()
                    .zip(var)
                    .map(|(col, v)| col[i] * col[i] * v)
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    }
}

/// The message of a build without the `linalg` feature.
pub const NO_LINALG: &str = "device fitting needs linear algebra (LAPACK least squares): rebuild \
     with `cargo build --release --features linalg` after `apt-get install libopenblas-dev`";

/// Weighted least squares of `y` on the design rows `rows` (one per observation, all of the same
/// length) with weights `w` >= 0.
#[cfg(feature = "linalg")]
pub fn weighted_least_squares(rows: &[Vec<f64>], y: &[f64], w: &[f64]) -> Result<LeastSquares> {
    use ndarray::{Array1, Array2};
    use ndarray_linalg::{Inverse, LeastSquaresSvd};
    let n = rows.len();
    let p = rows.first().map_or(0, Vec::len);
    if n < p || p == 0 {
        return Err(Error::Fit(format!(
            "{p} coefficients need at least {p} observations, found {n}"
        )));
    }
    let a = Array2::from_shape_fn((n, p), |(i, j)| rows[i][j] * w[i].sqrt());
    let b = Array1::from_shape_fn(n, |i| y[i] * w[i].sqrt());
    let linalg =
        |e: ndarray_linalg::error::LinalgError| Error::Fit(format!("least squares failed: {e}"));
    let solution = a.least_squares(&b).map_err(linalg)?.solution;
    let normal = a.t().dot(&a);
    let inverse = normal.inv().map_err(linalg)?;
    Ok(LeastSquares {
        coefficients: solution.to_vec(),
        inverse_normal: inverse.outer_iter().map(|r| r.to_vec()).collect(),
    })
}

/// Without the `linalg` feature: an error saying how to enable it.
#[cfg(not(feature = "linalg"))]
pub fn weighted_least_squares(_rows: &[Vec<f64>], _y: &[f64], _w: &[f64]) -> Result<LeastSquares> {
    Err(Error::Fit(NO_LINALG.into()))
}

#[cfg(all(test, feature = "linalg"))]
mod tests {
    use super::*;

    #[test]
    fn an_exact_line_is_recovered_and_weights_matter() {
        let rows: Vec<Vec<f64>> = (0..5).map(|i| vec![1.0, i as f64]).collect();
        let y: Vec<f64> = (0..5).map(|i| 2.0 + 3.0 * i as f64).collect();
        let fit = weighted_least_squares(&rows, &y, &[1.0; 5]).unwrap();
        assert!((fit.coefficients[0] - 2.0).abs() < 1e-12);
        assert!((fit.coefficients[1] - 3.0).abs() < 1e-12);
        // A constant fit: the weighted mean.
        let rows = vec![vec![1.0], vec![1.0]];
        let fit = weighted_least_squares(&rows, &[1.0, 4.0], &[2.0, 1.0]).unwrap();
        assert!((fit.coefficients[0] - 2.0).abs() < 1e-12);
        // Its standard error with unit variances: sqrt(sum w^2) / sum w.
        let se = fit.standard_errors(&rows, &[2.0, 1.0], &[1.0, 1.0]);
        assert!((se[0] - 5f64.sqrt() / 3.0).abs() < 1e-12);
    }
}
