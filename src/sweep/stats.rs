//! Statistics of repeated evaluations (physics.md section 6): mean, sample standard deviation,
//! the 95 % confidence interval of the mean (Student t with n - 1 degrees of freedom), and the
//! normalised accuracy A* = 1 - (e - e_FP) / (e_chance - e_FP) (Eq. 3), e the test error.

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

/// A* of accuracy `acc` given the FP accuracy and chance accuracy (Eq. 3).
pub fn normalized_accuracy(acc: f64, acc_fp: f64, acc_chance: f64) -> f64 {
    let (e, e_fp, e_chance) = (1.0 - acc, 1.0 - acc_fp, 1.0 - acc_chance);
    1.0 - (e - e_fp) / (e_chance - e_fp)
}

/// A* of a perplexity (lower is better): Eq. 3 with the test error replaced by the perplexity,
/// 1 - (ppl - ppl_FP) / (ppl_chance - ppl_FP). The chance level is the vocabulary size, the
/// perplexity of a model that predicts every word with equal probability.
pub fn normalized_perplexity(ppl: f64, ppl_fp: f64, ppl_chance: f64) -> f64 {
    1.0 - (ppl - ppl_fp) / (ppl_chance - ppl_fp)
}

/// The paper's iso-accuracy criterion: A* above 99 %.
pub const ISO_ACCURACY: f64 = 0.99;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perplexity_a_star_is_one_at_fp_and_zero_at_the_vocabulary_size() {
        assert_eq!(normalized_perplexity(80.0, 80.0, 10_000.0), 1.0);
        assert_eq!(normalized_perplexity(10_000.0, 80.0, 10_000.0), 0.0);
        assert_eq!(normalized_perplexity(5_040.0, 80.0, 10_000.0), 0.5);
        // Better than FP: above 1, as for accuracy.
        assert!(normalized_perplexity(70.0, 80.0, 10_000.0) > 1.0);
    }

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
        // A*: FP level gives 1, chance gives 0, halfway gives 0.5.
        assert_eq!(normalized_accuracy(0.9, 0.9, 0.1), 1.0);
        assert!(normalized_accuracy(0.1, 0.9, 0.1).abs() < 1e-12);
        assert!((normalized_accuracy(0.5, 0.9, 0.1) - 0.5).abs() < 1e-12);
    }
}
