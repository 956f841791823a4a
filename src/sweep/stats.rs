//! Statistics of repeated evaluations (physics.md section 6): mean, sample standard deviation,
//! the 95 % confidence interval of the mean (Student t with n - 1 degrees of freedom), and the
//! iso-accuracy criterion on A* (Eq. 3, computed by the metric: `experiment/metric.rs`).

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Summary of n values.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1); 0 for one value.
    pub std: f64,
    /// 95 % confidence interval of the mean; the mean itself for one value.
    pub ci_low: f64,
    pub ci_high: f64,
}

/// The two-sided 95 % Student-t quantile for `dof` degrees of freedom.
pub fn t_quantile_95(dof: usize) -> f64 {
    StudentsT::new(0.0, 1.0, dof as f64)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}

/// Summarises `values` (at least one).
pub fn summarize(values: &[f64]) -> Summary {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n.max(1) as f64;
    if n < 2 {
        return Summary {
            n,
            mean,
            std: 0.0,
            ci_low: mean,
            ci_high: mean,
        };
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let std = var.sqrt();
    let half = t_quantile_95(n - 1) * std / (n as f64).sqrt();
    Summary {
        n,
        mean,
        std,
        ci_low: mean - half,
        ci_high: mean + half,
    }
}

/// The paper's iso-accuracy criterion: A* above 99 %.
pub const ISO_ACCURACY: f64 = 0.99;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms() {
        // t_{0.975} for 1, 4, 9 degrees of freedom: 12.7062, 2.7764, 2.2622.
        for (dof, t) in [(1, 12.706_204), (4, 2.776_445), (9, 2.262_157)] {
            assert!((t_quantile_95(dof) - t).abs() < 1e-5, "{dof}");
        }
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        assert!((s.std - 2.5f64.sqrt()).abs() < 1e-12);
        let half = 2.776_445 * 2.5f64.sqrt() / 5f64.sqrt();
        assert!((s.ci_high - 3.0 - half).abs() < 1e-5 && (3.0 - s.ci_low - half).abs() < 1e-5);
        let one = summarize(&[0.7]);
        assert_eq!((one.std, one.ci_low, one.ci_high), (0.0, 0.7, 0.7));
    }
}
