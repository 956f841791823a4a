//! Training steps of the LSTM language model: the training stream in windows of `bptt` steps
//! (truncated back-propagation through time: the states carry over, their gradients do not),
//! cross-entropy over every target (or distillation from a teacher LM, whose own states carry
//! over too), gradient-norm clipping, then the optimiser step. Each step draws dropout masks and
//! weight noise from (seed, step), so a resumed run repeats them.

use super::distill::distillation_loss;
use super::grad_clip::clip_grad_norm;
use super::optimizer::Optimizer;
use crate::data::text_corpus::StreamBatches;
use crate::error::{Error, Result};
use crate::experiment::Distillation;
use crate::models::LanguageModel;
use crate::nn::LstmState;
use crate::rng::NoiseRng;
use candle_core::{D, DType, Device, Tensor};

/// How to run the steps of an epoch.
#[derive(Debug, Clone, Copy)]
pub struct LmEpochOptions {
    pub bptt: usize,
    pub lr: f64,
    /// The largest global gradient norm (PyTorch's word-language-model uses 0.25; 0 = none).
    pub grad_clip: f64,
    pub seed: u64,
    /// Steps taken before this epoch (keys the per-step seeds).
    pub first_step: u64,
}

/// The losses of one step, per target token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LmStepLoss {
    /// The loss minimised (the distillation loss when there is a teacher).
    pub loss: f64,
    /// The cross-entropy (its exp is the perplexity).
    pub cross_entropy: f64,
    pub tokens: usize,
}

/// What an epoch measured, per target token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LmEpochOutcome {
    pub loss: f64,
    pub cross_entropy: f64,
    pub steps: u64,
}

/// Runs the steps of an epoch over one stream, carrying the states of the model (and teacher).
pub struct LmStepper<'a> {
    model: &'a dyn LanguageModel,
    teacher: Option<(&'a dyn LanguageModel, &'a Distillation)>,
    states: Vec<LstmState>,
    teacher_states: Vec<LstmState>,
    device: Device,
}

impl<'a> LmStepper<'a> {
    /// Zero states for `batch` streams.
    pub fn new(
        model: &'a dyn LanguageModel,
        teacher: Option<(&'a dyn LanguageModel, &'a Distillation)>,
        batch: usize,
        device: &Device,
    ) -> Result<Self> {
        let like = Tensor::zeros(1, DType::F32, device)?;
        Ok(Self {
            model,
            teacher,
            states: model.zero_states(batch, &like)?,
            teacher_states: match teacher {
                Some((t, _)) => t.zero_states(batch, &like)?,
                None => Vec::new(),
            },
            device: device.clone(),
        })
    }

    /// One update on the window `(start, len)` of `stream` as step `step`; `check_loss` sees
    /// the loss before the backward pass and may stop the run.
    pub fn step(
        &mut self,
        stream: &StreamBatches,
        (start, len): (usize, usize),
        optimizer: &mut Optimizer,
        opts: &LmEpochOptions,
        step: u64,
        check_loss: &dyn Fn(f64) -> Result<()>,
    ) -> Result<LmStepLoss> {
        let b = stream.batch;
        self.model
            .set_batch_seed(NoiseRng::stream(opts.seed, &[step]).next_u64());
        let (x, y) = stream.window(start, len);
        let x = Tensor::from_vec(x, (b, len), &self.device)?;
        let y = Tensor::from_vec(y, b * len, &self.device)?;
        let (logits, next) = self.model.forward_t(&x, &self.states, true)?;
        let vocab = logits.dim(D::Minus1)?;
        let logits = logits.reshape((b * len, vocab))?;
        let ce = candle_nn::loss::cross_entropy(&logits, &y)?;
        let loss = match self.teacher {
            Some((t, d)) => {
                let (t_logits, t_next) = t.forward_t(&x, &self.teacher_states, false)?;
                self.teacher_states = LstmState::detach_all(t_next);
                distillation_loss(&logits, &t_logits.reshape((b * len, vocab))?, &y, d)?
            }
            None => ce.clone(),
        };
        let value = loss.to_scalar::<f32>()? as f64;
        check_loss(value)?;
        let mut grads = loss.backward()?;
        if opts.grad_clip > 0.0 {
            clip_grad_norm(&mut grads, optimizer.params(), opts.grad_clip)?;
        }
        optimizer.step(&grads, opts.lr)?;
        self.states = LstmState::detach_all(next);
        Ok(LmStepLoss {
            loss: value,
            cross_entropy: ce.to_scalar::<f32>()? as f64,
            tokens: b * len,
        })
    }
}

/// A running mean of step losses, weighted by tokens.
#[derive(Debug, Clone, Copy, Default)]
pub struct LossMean {
    loss: f64,
    cross_entropy: f64,
    tokens: usize,
    pub steps: u64,
}

impl LossMean {
    pub fn add(&mut self, s: LmStepLoss) {
        self.loss += s.loss * s.tokens as f64;
        self.cross_entropy += s.cross_entropy * s.tokens as f64;
        self.tokens += s.tokens;
        self.steps += 1;
    }

    pub fn tokens(&self) -> usize {
        self.tokens
    }

    pub fn outcome(&self) -> LmEpochOutcome {
        let n = self.tokens.max(1) as f64;
        LmEpochOutcome {
            loss: self.loss / n,
            cross_entropy: self.cross_entropy / n,
            steps: self.steps,
        }
    }
}

/// Stops on a non-finite loss.
pub fn finite_loss(loss: f64) -> Result<()> {
    if loss.is_finite() {
        Ok(())
    } else {
        Err(Error::Tensor(format!("training diverged: loss {loss}")))
    }
}

/// Runs one epoch of `model` on `stream` (distilling from `teacher` if given); `after_step`
/// runs after every update (e.g. the HWA weight clipping).
pub fn train_lm_epoch(
    model: &dyn LanguageModel,
    teacher: Option<(&dyn LanguageModel, &Distillation)>,
    stream: &StreamBatches,
    optimizer: &mut Optimizer,
    opts: LmEpochOptions,
    device: &Device,
    after_step: &mut dyn FnMut() -> Result<()>,
) -> Result<LmEpochOutcome> {
    let mut stepper = LmStepper::new(model, teacher, stream.batch, device)?;
    let mut mean = LossMean::default();
    for (k, window) in stream.windows(opts.bptt).into_iter().enumerate() {
        let step = opts.first_step + k as u64;
        mean.add(stepper.step(stream, window, optimizer, &opts, step, &finite_loss)?);
        after_step()?;
    }
    Ok(mean.outcome())
}
