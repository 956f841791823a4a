//! Learning-rate schedules over epochs (`schedule = { kind = ... }` of a training stage):
//! constant, cosine annealing, step decay, decay on plateau of the per-epoch evaluation (the
//! language model's: the learning rate is divided by `1 / factor` after every epoch whose
//! evaluation, lower is better, did not improve on the best before it; computed from the
//! history alone, so a resumed run gets the same rate).

/// A learning-rate schedule.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    /// lr0 throughout.
    Constant,
    /// lr_min + (lr0 - lr_min) (1 + cos(pi e / E)) / 2 over E epochs.
    Cosine { min_lr: f64 },
    /// lr0 gamma^floor(e / every).
    Step { every: usize, gamma: f64 },
    /// lr0 times `factor` for every epoch whose evaluation did not beat the best before it.
    Plateau { factor: f64 },
}

impl Schedule {
    /// The learning rate of epoch `epoch` (from 0) of `epochs`, starting from `lr0`, after the
    /// evaluations `history` of the epochs before it (lower is better; only `Plateau` reads it).
    pub fn lr(&self, lr0: f64, epoch: usize, epochs: usize, history: &[f64]) -> f64 {
        match *self {
            Schedule::Plateau { factor } => plateau_lr(lr0, factor, history),
            Schedule::Constant => lr0,
            Schedule::Cosine { min_lr } => {
                let t = epoch as f64 / epochs.max(1) as f64;
                min_lr + (lr0 - min_lr) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
            Schedule::Step { every, gamma } => lr0 * gamma.powi((epoch / every.max(1)) as i32),
        }
    }
}

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
    fn closed_forms() {
        let c = Schedule::Cosine { min_lr: 0.0 };
        assert_eq!(c.lr(0.1, 0, 10, &[]), 0.1);
        assert!((c.lr(0.1, 5, 10, &[]) - 0.05).abs() < 1e-15);
        assert!(c.lr(0.1, 10, 10, &[]).abs() < 1e-15);
        let s = Schedule::Step {
            every: 30,
            gamma: 0.1,
        };
        assert_eq!(s.lr(0.1, 29, 90, &[]), 0.1);
        assert!((s.lr(0.1, 30, 90, &[]) - 0.01).abs() < 1e-15);
        assert!((s.lr(0.1, 60, 90, &[]) - 0.001).abs() < 1e-15);
        assert_eq!(Schedule::Constant.lr(0.3, 7, 9, &[]), 0.3);
        let p = Schedule::Plateau { factor: 0.25 };
        assert_eq!(p.lr(20.0, 3, 9, &[100.0, 90.0, 95.0]), 5.0);
    }

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
