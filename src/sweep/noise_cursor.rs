//! Evaluations of a sweep out of order with the numbers of the sequential sweep. Each tiled
//! matrix seeds the noise of a forward pass from its own stream, one draw per pass, so the k-th
//! evaluation of a sweep (in device, repeat, time order) sees the streams moved on by k times
//! the passes of one evaluation. Every evaluation of a sweep runs the same passes (the same test
//! set, the same batches), so a shard, a job or a resumed run moves each stream on by that
//! count before its first evaluation and gets the same bytes as the sequential sweep. The count
//! is that of the FP network's evaluation (the same layers, the same batches); every evaluation
//! checks it.

use crate::error::{Error, Result};
use crate::models::Model;
use crate::nn::matrices;

/// Which evaluation of the sequential order the noise streams stand at.
#[derive(Debug)]
pub struct NoiseCursor {
    /// The index of the next evaluation the streams are at.
    at: u64,
    /// Forward passes of one evaluation, per matrix.
    per_evaluation: Vec<u64>,
}

/// Forward passes so far of every matrix of `model`.
pub fn passes(model: &Model) -> Vec<u64> {
    matrices(model)
        .iter()
        .map(|m| m.activity().calls())
        .collect()
}

impl NoiseCursor {
    /// A cursor at evaluation 0 of a sweep whose evaluations run `per_evaluation` forward
    /// passes per matrix.
    pub fn new(per_evaluation: Vec<u64>) -> NoiseCursor {
        NoiseCursor {
            at: 0,
            per_evaluation,
        }
    }

    /// Runs `evaluate` as the `index`-th evaluation of the sequential sweep (indices ascending).
    pub fn evaluate_at(
        &mut self,
        model: &Model,
        index: u64,
        mut evaluate: impl FnMut() -> Result<f64>,
    ) -> Result<f64> {
        if index > self.at {
            for (m, p) in matrices(model).iter().zip(&self.per_evaluation) {
                m.skip_noise((index - self.at) * p);
            }
        }
        let before = passes(model);
        let value = evaluate()?;
        let ran: Vec<u64> = passes(model)
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect();
        if ran != self.per_evaluation {
            return Err(Error::Tensor(format!(
                "an evaluation ran {ran:?} forward passes per matrix where the FP network's ran \
                 {:?}: the noise of a sweep split over shards or jobs would not be the \
                 sequential sweep's",
                self.per_evaluation
            )));
        }
        self.at = index + 1;
        Ok(value)
    }
}
