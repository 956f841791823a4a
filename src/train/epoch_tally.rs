//! The running figures of a classifier's training epoch (images or sentences): mean loss,
//! accuracy and throughput, for the progress bar and the epoch's history record.

use crate::experiment::checkpoint::EpochRecord;
use crate::experiment::evaluate::count_correct;
use candle_core::{Result, Tensor};
use std::time::Instant;

/// Loss, correct predictions and items seen since the epoch started.
pub struct EpochTally {
    loss_sum: f64,
    correct: usize,
    seen: usize,
    start: Instant,
    /// Seconds of training, once stopped (the evaluation does not count).
    seconds: Option<f64>,
}

impl EpochTally {
    /// Starts the clock.
    pub fn start() -> Self {
        Self {
            loss_sum: 0.0,
            correct: 0,
            seen: 0,
            start: Instant::now(),
            seconds: None,
        }
    }

    /// A mini-batch: its mean `loss`, its `logits` [B, K] and `labels` [B].
    pub fn add(&mut self, loss: f64, logits: &Tensor, labels: &Tensor) -> Result<()> {
        let n = labels.dim(0)?;
        self.loss_sum += loss * n as f64;
        self.correct += count_correct(logits, labels)?;
        self.seen += n;
        Ok(())
    }

    /// Stops the clock at the end of the training batches.
    pub fn stop(&mut self) {
        self.seconds = Some(self.start.elapsed().as_secs_f64());
    }

    fn items_per_s(&self) -> f64 {
        let seconds = self
            .seconds
            .unwrap_or_else(|| self.start.elapsed().as_secs_f64());
        self.seen as f64 / seconds
    }

    /// `loss 0.1234  acc 56.78%  90.1 images/s`.
    pub fn message(&self, items: &str) -> String {
        format!(
            "loss {:.4}  acc {:.2}%  {:.1} {items}/s",
            self.loss_sum / self.seen.max(1) as f64,
            100.0 * self.correct as f64 / self.seen.max(1) as f64,
            self.items_per_s()
        )
    }

    /// The history record of the finished epoch (from 1) with its evaluation; the throughput
    /// up to [`Self::stop`].
    pub fn record(&self, epoch: usize, lr: f64, noise_scale: f64, eval_metric: f64) -> EpochRecord {
        EpochRecord {
            epoch,
            lr,
            noise_scale,
            train_loss: self.loss_sum / self.seen.max(1) as f64,
            train_metric: self.correct as f64 / self.seen.max(1) as f64,
            eval_metric,
            items_per_s: self.items_per_s(),
        }
    }
}
