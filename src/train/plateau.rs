//! Learning-rate decay on plateau (the LSTM language model's schedule): the learning rate is
//! divided by `1 / factor` after every epoch whose validation metric (lower is better, e.g.
//! perplexity) did not improve on the best before it. Computed from the validation history
//! alone, so a resumed run gets the same rate.

/// The learning rate of the next epoch after validation metrics `history` (one per epoch done).
pub fn plateau_lr(lr0: f64, factor: f64, history: &[f64]) -> f64 {
    let mut best = f64::INFINITY;
    let mut lr = lr0;
    for &v in history {
        if v < best {
            best = v;
        } else {
            lr *= factor;
        }
    }
    lr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decays_once_per_epoch_without_improvement() {
        assert_eq!(plateau_lr(20.0, 0.25, &[]), 20.0);
        assert_eq!(plateau_lr(20.0, 0.25, &[150.0, 120.0, 110.0]), 20.0);
        // 95 and 86, 87 do not beat the best before them (90, then 85).
        let lr = plateau_lr(20.0, 0.25, &[100.0, 90.0, 95.0, 85.0, 86.0, 87.0]);
        assert_eq!(lr, 20.0 * 0.25 * 0.25 * 0.25);
        // A NaN never improves.
        assert_eq!(plateau_lr(1.0, 0.5, &[3.0, f64::NAN]), 0.5);
    }
}
