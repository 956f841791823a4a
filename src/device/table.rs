//! Piecewise-linear interpolation over a table with increasing abscissae, the form in which
//! custom devices give measured laws (programming sigma, drift-exponent mean and std vs g).

use crate::error::InvalidKey;
use crate::value_check::non_negative;

/// A function given by points `(x_k, y_k)`, `x` strictly increasing, linear in between and
/// constant beyond the first and last point.
#[derive(Debug, Clone, PartialEq)]
pub struct PiecewiseLinear {
    x: Vec<f64>,
    y: Vec<f64>,
}

impl PiecewiseLinear {
    /// The table of points `x` (key `x_key`) and values `y` (key `y_key`): at least one point,
    /// every x and y finite and >= 0, x strictly increasing, as many values as points. Errors
    /// name the key (and index) as written in a device file.
    pub fn new(x_key: &str, x: Vec<f64>, y_key: &str, y: Vec<f64>) -> Result<Self, InvalidKey> {
        if x.is_empty() {
            return Err(InvalidKey::new(
                x_key,
                "at least one value",
                "an empty list",
            ));
        }
        for (i, &v) in x.iter().enumerate() {
            non_negative(&format!("{x_key}[{i}]"), v)?;
        }
        if let Some(i) = x.windows(2).position(|w| w[0] >= w[1]) {
            return Err(InvalidKey::new(
                x_key,
                "strictly increasing values",
                format!("{} followed by {} at index {}", x[i], x[i + 1], i + 1),
            ));
        }
        if y.len() != x.len() {
            return Err(InvalidKey::new(
                y_key,
                format!("{} values (as many as `{x_key}`)", x.len()),
                format!("{} values", y.len()),
            ));
        }
        for (i, &v) in y.iter().enumerate() {
            non_negative(&format!("{y_key}[{i}]"), v)?;
        }
        Ok(Self { x, y })
    }

    /// The abscissae.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// The ordinates.
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// The interpolated value at `x`.
    ///
    /// # Formula
    /// y = y_k + (y_{k+1} - y_k) (x - x_k) / (x_{k+1} - x_k) for x_k <= x <= x_{k+1};
    /// y_0 below x_0 and y_last above x_last.
    pub fn eval(&self, x: f64) -> f64 {
        let n = self.x.len();
        if x <= self.x[0] {
            return self.y[0];
        }
        if x >= self.x[n - 1] {
            return self.y[n - 1];
        }
        // First index with x_k > x; 1 <= k <= n-1 here.
        let k = self.x.partition_point(|&xk| xk <= x);
        let (x0, x1, y0, y1) = (self.x[k - 1], self.x[k], self.y[k - 1], self.y[k]);
        y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_and_extrapolates_flat() {
        let t = PiecewiseLinear::new("x", vec![0.0, 10.0, 20.0], "y", vec![1.0, 3.0, 2.0]).unwrap();
        assert_eq!(t.eval(-5.0), 1.0);
        assert_eq!(t.eval(0.0), 1.0);
        assert_eq!(t.eval(5.0), 2.0);
        assert_eq!(t.eval(10.0), 3.0);
        assert_eq!(t.eval(15.0), 2.5);
        assert_eq!(t.eval(20.0), 2.0);
        assert_eq!(t.eval(99.0), 2.0);
    }

    #[test]
    fn single_point_is_constant() {
        let t = PiecewiseLinear::new("x", vec![3.0], "y", vec![0.7]).unwrap();
        assert_eq!(t.eval(0.0), 0.7);
        assert_eq!(t.eval(3.0), 0.7);
        assert_eq!(t.eval(30.0), 0.7);
    }

    #[test]
    fn refuses_impossible_tables() {
        let key = |x: Vec<f64>, y: Vec<f64>| PiecewiseLinear::new("g", x, "s", y).unwrap_err().key;
        assert_eq!(key(vec![], vec![]), "g");
        assert_eq!(key(vec![1.0, 1.0], vec![0.1, 0.1]), "g");
        assert_eq!(key(vec![-1.0], vec![0.1]), "g[0]");
        assert_eq!(key(vec![1.0, 2.0], vec![0.1]), "s");
        assert_eq!(key(vec![1.0, 2.0], vec![0.1, -0.1]), "s[1]");
    }
}
