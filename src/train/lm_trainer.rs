//! The training loop of one stage of the LSTM language model (physics.md section 5): FP, then
//! HWA from the FP checkpoint with the mechanisms of the image stages (noise ramp, clipping,
//! learned input ranges and output scales, distillation from the FP model). Truncated BPTT over
//! the training text in `batch_size` streams, gradient clipping, validation perplexity after
//! every epoch (the `plateau` schedule reads it), an atomic checkpoint per epoch, exact resume.

use super::lm_epoch::{LmEpochOptions, LmStepper, LossMean};
use super::stage::{StageOutcome, StageRun, TrainOptions, diverged};
use crate::error::{Error, Result};
use crate::experiment::checkpoint::EpochRecord;
use crate::experiment::perplexity::perplexity;
use crate::experiment::{Experiment, Metric, TextData};
use crate::models::{LanguageModel, Model};
use crate::rng::NoiseRng;
use std::time::Instant;

/// The language model of a built model (an error naming the experiment for other networks).
pub fn as_language_model<'m>(model: &'m Model, file: &str) -> Result<&'m dyn LanguageModel> {
    model.language_model().ok_or_else(|| {
        Error::invalid_value(
            file,
            "model.architecture",
            "a language model for a text dataset",
            model.architecture(),
        )
    })
}

/// Runs (or resumes) one stage of the language model of `exp` on `data`.
pub fn train_lm_stage(
    exp: &Experiment,
    data: &TextData,
    opts: &TrainOptions,
) -> Result<StageOutcome> {
    let mut run = StageRun::open(exp, opts, Metric::Perplexity)?;
    let dev = &opts.device;
    let batch = run.plan.batch_size;
    let stream = data.train_streams(batch).map_err(|_| {
        Error::invalid_value(
            &exp.file,
            format!("{}.batch_size", opts.stage.name()),
            format!(
                "at most half the {} words of the training text",
                data.corpus.train.len()
            ),
            batch.to_string(),
        )
    })?;
    let windows = stream.windows(data.bptt);
    run.set_calibration(windows.len());
    let stage_seed = NoiseRng::stream(run.seed(), &[run.stage_key]).next_u64();
    for epoch in run.state.epoch..run.plan.epochs {
        let lr = run.lr(epoch);
        let step_opts = LmEpochOptions {
            bptt: data.bptt,
            lr,
            grad_clip: run.plan.grad_clip,
            seed: stage_seed,
            first_step: run.state.step,
        };
        let bar = run.epoch_bar(epoch, windows.len());
        let start = Instant::now();
        let mut mean = LossMean::default();
        let mut noise_scale = 0.0;
        let (net, teacher_net) = (run.model.clone(), run.teacher.clone());
        let model = as_language_model(&net, &exp.file)?;
        let teacher = match (&teacher_net, run.plan.hwa) {
            (Some(t), Some(h)) => Some((as_language_model(t, &exp.file)?, &h.distillation)),
            _ => None,
        };
        let mut stepper = LmStepper::new(model, teacher, batch, dev)?;
        for (k, &window) in windows.iter().enumerate() {
            noise_scale = run.before_step(epoch, k, windows.len())?;
            let step = run.state.step;
            let ckpt = &run.ckpt_path;
            let check = |loss: f64| {
                if loss.is_finite() {
                    Ok(())
                } else {
                    Err(diverged(ckpt, epoch, step, format!("the loss is {loss}")))
                }
            };
            let loss = stepper.step(
                &stream,
                window,
                &mut run.optimizer,
                &step_opts,
                step,
                &check,
            );
            let loss = match loss.and_then(|l| run.after_update(epoch).map(|_| l)) {
                Ok(l) => l,
                Err(e) => {
                    bar.abandon();
                    return Err(e);
                }
            };
            mean.add(loss);
            bar.inc(1);
            let so_far = mean.outcome();
            bar.set_message(format!(
                "loss {:.4}  ppl {:.1}  {:.0} words/s",
                so_far.loss,
                so_far.cross_entropy.exp(),
                mean.tokens() as f64 / start.elapsed().as_secs_f64()
            ));
        }
        let items_per_s = mean.tokens() as f64 / start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        run.end_of_epoch_remap()?;
        let model = as_language_model(&run.model, &exp.file)?;
        let eval_metric = perplexity(model, &data.valid, data.bptt, dev)?;
        let outcome = mean.outcome();
        run.finish_epoch(EpochRecord {
            epoch: epoch + 1,
            lr,
            noise_scale,
            train_loss: outcome.loss,
            train_metric: outcome.cross_entropy.exp(),
            eval_metric,
            items_per_s,
        })?;
    }
    Ok(run.outcome())
}
