//! Evaluations of a sweep out of order with the numbers of the sequential sweep. Each tiled
//! matrix seeds the noise of a forward pass from its own stream, one draw per pass, so the k-th
//! evaluation of a sweep (in device, repeat, time order) sees the streams moved on by k times
//! the passes of one evaluation. Every evaluation of a sweep runs the same passes (the same test
//! set, the same batches), so a shard or a resumed run moves each stream on by that count
//! before its first evaluation and gets the same bytes as the sequential sweep. The count is
//! measured once by a probe: an evaluation whose result is discarded, the streams put back.

use crate::error::Result;
use crate::models::Model;
use crate::nn::matrices;

/// Which evaluation of the sequential order the noise streams stand at.
#[derive(Debug, Default)]
pub struct NoiseCursor {
    /// The index of the next evaluation the streams are at.
    at: u64,
    /// Forward passes of one evaluation, per matrix (known after the first evaluation).
    per_evaluation: Option<Vec<u64>>,
}

/// Forward passes so far of every matrix of `model`.
fn passes(model: &Model) -> Vec<u64> {
    matrices(model)
        .iter()
        .map(|m| m.activity().calls())
        .collect()
}

impl NoiseCursor {
    /// Runs `evaluate` as the `index`-th evaluation of the sequential sweep (indices ascending).
    pub fn evaluate_at(
        &mut self,
        model: &Model,
        index: u64,
        mut evaluate: impl FnMut() -> Result<f64>,
    ) -> Result<f64> {
        if index > self.at {
            let per = match &self.per_evaluation {
                Some(p) => p.clone(),
                None => {
                    let saved: Vec<_> = matrices(model).iter().map(|m| m.noise_state()).collect();
                    let before = passes(model);
                    evaluate()?;
                    for (m, s) in matrices(model).iter().zip(saved) {
                        m.set_noise_state(s);
                    }
                    passes(model)
                        .iter()
                        .zip(&before)
                        .map(|(a, b)| a - b)
                        .collect()
                }
            };
            for (m, p) in matrices(model).iter().zip(&per) {
                m.skip_noise((index - self.at) * p);
            }
            self.per_evaluation = Some(per);
        }
        let before = passes(model);
        let value = evaluate()?;
        if self.per_evaluation.is_none() {
            let after = passes(model);
            self.per_evaluation = Some(after.iter().zip(&before).map(|(a, b)| a - b).collect());
        }
        self.at = index + 1;
        Ok(value)
    }
}
