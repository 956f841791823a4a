//! The metric a network is evaluated by: test accuracy (image classifiers, higher is better) or
//! perplexity (language models, lower is better). It decides how values are shown (accuracy in
//! %, perplexity as it is), the chance level and the A* of physics.md Eq. 3.

use serde::{Deserialize, Serialize};

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

/// What a sweep, a training history or a report measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The fraction of test images classified correctly; chance = 1 / classes.
    #[default]
    Accuracy,
    /// exp(mean cross-entropy per word); chance = the vocabulary size (uniform predictions).
    Perplexity,
}

impl Metric {
    /// `accuracy` or `perplexity`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::Perplexity => "perplexity",
        }
    }

    pub fn lower_is_better(self) -> bool {
        self == Metric::Perplexity
    }

    /// A* of `value` given the FP value and the chance level (Eq. 3; for the perplexity the
    /// test error is replaced by the perplexity).
    pub fn a_star(self, value: f64, fp: f64, chance: f64) -> f64 {
        match self {
            Metric::Accuracy => normalized_accuracy(value, fp, chance),
            Metric::Perplexity => normalized_perplexity(value, fp, chance),
        }
    }

    /// The value as shown in tables and plots: accuracy in %, perplexity as it is.
    pub fn shown(self, value: f64) -> f64 {
        match self {
            Metric::Accuracy => 100.0 * value,
            Metric::Perplexity => value,
        }
    }

    /// The axis or column label, e.g. `test accuracy (%)`.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Accuracy => "test accuracy (%)",
            Metric::Perplexity => "test perplexity",
        }
    }

    /// The unit appended to a shown value (` %` or nothing).
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Accuracy => " %",
            Metric::Perplexity => "",
        }
    }

    /// `Accuracy` or `Perplexity`, for titles.
    pub fn title(self) -> &'static str {
        match self {
            Metric::Accuracy => "Accuracy",
            Metric::Perplexity => "Perplexity",
        }
    }

    /// `mean ± std` of values, as shown (`71.78 ± 11.46` or `123.4 ± 5.6`).
    pub fn mean_std(self, mean: f64, std: f64) -> String {
        match self {
            Metric::Accuracy => format!("{:.2} ± {:.2}", self.shown(mean), self.shown(std)),
            Metric::Perplexity => format!("{:.1} ± {:.1}", mean, std),
        }
    }

    /// One value as shown, with its unit (`84.00 %`, `123.4`).
    pub fn value(self, v: f64) -> String {
        match self {
            Metric::Accuracy => format!("{:.2} %", self.shown(v)),
            Metric::Perplexity => format!("{v:.1}"),
        }
    }

    /// The plotted range (shown units) of values from `lo` to `hi`: 10 % padding, within
    /// [0, 100] % for an accuracy, above 0 for a perplexity.
    pub fn axis_range(self, lo: f64, hi: f64) -> (f64, f64) {
        let (lo, hi) = (self.shown(lo), self.shown(hi));
        let pad = ((hi - lo) * 0.1).max(1.0);
        match self {
            Metric::Accuracy => ((lo - pad).max(0.0), (hi + pad).min(100.0)),
            Metric::Perplexity => ((lo - pad).max(0.0), hi + pad),
        }
    }

    /// The metric as a loss-like number (lower is better), for learning-rate decay on plateau.
    pub fn as_lower_better(self, value: f64) -> f64 {
        if self.lower_is_better() {
            value
        } else {
            -value
        }
    }
}

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
    fn accuracy_a_star_closed_forms() {
        // A*: FP level gives 1, chance gives 0, halfway gives 0.5.
        assert_eq!(normalized_accuracy(0.9, 0.9, 0.1), 1.0);
        assert!(normalized_accuracy(0.1, 0.9, 0.1).abs() < 1e-12);
        assert!((normalized_accuracy(0.5, 0.9, 0.1) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn directions_and_a_star() {
        assert!(!Metric::Accuracy.lower_is_better() && Metric::Perplexity.lower_is_better());
        assert_eq!(Metric::Accuracy.a_star(0.9, 0.9, 0.1), 1.0);
        assert_eq!(Metric::Perplexity.a_star(80.0, 80.0, 10_000.0), 1.0);
        assert_eq!(Metric::Perplexity.a_star(10_000.0, 80.0, 10_000.0), 0.0);
        assert_eq!(Metric::Accuracy.shown(0.5), 50.0);
        assert_eq!(Metric::Perplexity.shown(120.5), 120.5);
        assert_eq!(Metric::Perplexity.as_lower_better(3.0), 3.0);
        assert_eq!(Metric::Accuracy.as_lower_better(0.7), -0.7);
        assert_eq!(
            serde_json::to_string(&Metric::Perplexity).unwrap(),
            "\"perplexity\""
        );
        assert_eq!(Metric::Accuracy.mean_std(0.7178, 0.1146), "71.78 ± 11.46");
        assert_eq!(Metric::Perplexity.mean_std(123.44, 5.61), "123.4 ± 5.6");
        assert_eq!(Metric::Accuracy.axis_range(0.5, 0.99), (45.1, 100.0));
        assert_eq!(Metric::Perplexity.axis_range(100.0, 200.0), (90.0, 210.0));
    }
}
