//! One training epoch of the LSTM language model: the training stream in windows of `bptt`
//! steps (truncated back-propagation through time: the states carry over, their gradients do
//! not), cross-entropy over every target, gradient-norm clipping, then the optimiser step. Each
//! step draws dropout masks and weight noise from (seed, step), so a resumed run repeats them.

use super::grad_clip::clip_grad_norm;
use super::optimizer::Optimizer;
use crate::data::text_corpus::StreamBatches;
use crate::error::{Error, Result};
use crate::models::lstm_lm::LstmLm;
use crate::nn::LstmState;
use crate::rng::NoiseRng;
use candle_core::{D, DType, Device, Tensor};

/// How to run an epoch.
#[derive(Debug, Clone, Copy)]
pub struct LmEpochOptions {
    pub bptt: usize,
    pub lr: f64,
    /// The largest global gradient norm (PyTorch's word-language-model uses 0.25).
    pub grad_clip: f64,
    pub seed: u64,
    /// Steps taken before this epoch (keys the per-step seeds).
    pub first_step: u64,
}

/// What an epoch measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LmEpochOutcome {
    /// Mean cross-entropy per target token (its exp is the training perplexity).
    pub loss: f64,
    pub steps: u64,
}

/// Runs one epoch of `model` on `stream`; `after_step` runs after every update (e.g. the HWA
/// weight clipping).
pub fn train_lm_epoch(
    model: &LstmLm,
    stream: &StreamBatches,
    optimizer: &mut Optimizer,
    opts: LmEpochOptions,
    device: &Device,
    after_step: &mut dyn FnMut() -> Result<()>,
) -> Result<LmEpochOutcome> {
    let b = stream.batch;
    let like = Tensor::zeros(1, DType::F32, device)?;
    let mut states = model.zero_states(b, &like)?;
    let (mut loss_sum, mut count, mut steps) = (0.0f64, 0usize, 0u64);
    for (start, len) in stream.windows(opts.bptt) {
        let step = opts.first_step + steps;
        model.set_batch_seed(NoiseRng::stream(opts.seed, &[step]).next_u64());
        let (x, y) = stream.window(start, len);
        let x = Tensor::from_vec(x, (b, len), device)?;
        let y = Tensor::from_vec(y, b * len, device)?;
        let (logits, next) = model.forward_t(&x, &states, true)?;
        let vocab = logits.dim(D::Minus1)?;
        let loss = candle_nn::loss::cross_entropy(&logits.reshape((b * len, vocab))?, &y)?;
        let value = loss.to_scalar::<f32>()? as f64;
        if !value.is_finite() {
            return Err(Error::Tensor(format!(
                "training diverged at step {step}: loss {value}"
            )));
        }
        let mut grads = loss.backward()?;
        clip_grad_norm(&mut grads, optimizer.params(), opts.grad_clip)?;
        optimizer.step(&grads, opts.lr)?;
        after_step()?;
        states = next
            .into_iter()
            .map(|s| LstmState {
                h: s.h.detach(),
                c: s.c.detach(),
            })
            .collect();
        loss_sum += value * (b * len) as f64;
        count += b * len;
        steps += 1;
    }
    Ok(LmEpochOutcome {
        loss: loss_sum / count.max(1) as f64,
        steps,
    })
}
