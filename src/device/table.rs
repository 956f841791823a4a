//! Piecewise-linear interpolation over a table with increasing abscissae, the form in which
//! custom devices give measured laws (programming sigma, drift-exponent mean and std vs g).

/// A function given by points `(x_k, y_k)`, `x` strictly increasing, linear in between and
/// constant beyond the first and last point.
#[derive(Debug, Clone, PartialEq)]
pub struct PiecewiseLinear {
    x: Vec<f64>,
    y: Vec<f64>,
}

impl PiecewiseLinear {
    /// Builds the table. The caller validates (see `spec`): at least one point, equal lengths,
    /// strictly increasing `x`; this is re-checked in debug builds.
    pub fn new(x: Vec<f64>, y: Vec<f64>) -> Self {
        debug_assert!(!x.is_empty() && x.len() == y.len());
        debug_assert!(x.windows(2).all(|w| w[0] < w[1]));
        Self { x, y }
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
        let t = PiecewiseLinear::new(vec![0.0, 10.0, 20.0], vec![1.0, 3.0, 2.0]);
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
        let t = PiecewiseLinear::new(vec![3.0], vec![0.7]);
        assert_eq!(t.eval(0.0), 0.7);
        assert_eq!(t.eval(3.0), 0.7);
        assert_eq!(t.eval(30.0), 0.7);
    }
}
