//! The training loop of one stage of an image classifier (physics.md section 5): FP on the
//! `ideal` tile, or HWA on the experiment's tile started from the FP checkpoint (normalised
//! weights, weight noise redrawn per mini-batch and ramped, clipping, remapping, input ranges from
//! data, learned output scales, sqrt(3/n_in) learning rates, distillation from the FP model).
//! Every epoch: evaluation, then an atomic checkpoint. A resumed run continues exactly: every
//! random draw is keyed by the seed, the stage and the step. A non-finite loss or weight stops
//! the run, keeping the last good checkpoint. [`train`] dispatches to the language model's and
//! BERT's loops.

use super::distill::{cross_entropy, distillation_loss};
use super::epoch_tally::EpochTally;
use super::lm_trainer::train_lm_stage;
use super::sentence_trainer::train_sentence_stage;
use super::stage::{StageOutcome, StageRun, TrainOptions};
use crate::data::{Augment, Loader};
use crate::error::Result;
use crate::experiment::evaluate::{accuracy, wrong_task};
use crate::experiment::{Experiment, ImageData, Metric, TaskData};
use crate::nn::matrices;
use crate::rng::NoiseRng;

/// Runs (or resumes) one stage of `exp` on its data: images, text or sentences.
pub fn train(exp: &Experiment, data: &TaskData, opts: &TrainOptions) -> Result<StageOutcome> {
    match data {
        TaskData::Images(d) => train_stage(exp, d, opts),
        TaskData::Text(d) => train_lm_stage(exp, d, opts),
        TaskData::Sentences(d) => train_sentence_stage(exp, d, opts),
    }
}

/// Runs (or resumes) one stage of the image classifier of `exp` on `data`.
pub fn train_stage(
    exp: &Experiment,
    data: &ImageData,
    opts: &TrainOptions,
) -> Result<StageOutcome> {
    let mut run = StageRun::open(exp, opts, Metric::Accuracy)?;
    let dev = &opts.device;
    let seed = run.seed();
    let augment = Augment {
        crop_padding: exp.config.data.crop_padding,
        horizontal_flip: exp.config.data.horizontal_flip,
    };
    let batch_size = run.plan.batch_size;
    let batches = data.train.len().div_ceil(batch_size);
    run.set_calibration(batches);
    for epoch in run.state.epoch..run.plan.epochs {
        let lr = run.lr(epoch);
        let mut loader = Loader::new(
            &data.train,
            batch_size,
            &data.stats,
            augment,
            Some((
                NoiseRng::stream(seed, &[run.stage_key]).next_u64(),
                epoch as u64,
            )),
        );
        let bar = run.epoch_bar(epoch, batches);
        let mut tally = EpochTally::start();
        let mut noise_scale = 0.0;
        for k in 0..batches {
            let step = run.state.step;
            noise_scale = run.before_step(epoch, k, batches)?;
            for (i, m) in matrices(&*run.model).into_iter().enumerate() {
                let key = [run.stage_key, step, i as u64];
                m.set_batch_seed(NoiseRng::stream(seed, &key).next_u64());
            }
            let key = [run.stage_key, step, u64::MAX];
            run.model
                .seed_dropout(NoiseRng::stream(seed, &key).next_u64());
            let (x, y) = loader.batch(k, dev)?;
            let logits = run.model.classify_t(&x, true)?;
            let loss = match (&run.teacher, run.plan.hwa) {
                (Some(t), Some(h)) => {
                    distillation_loss(&logits, &t.classify_t(&x, false)?, &y, &h.distillation)?
                }
                _ => cross_entropy(&logits, &y)?,
            };
            let loss_value = run
                .update(&loss, epoch, lr)
                .inspect_err(|_| bar.abandon())?;
            tally.add(loss_value, &logits, &y)?;
            bar.inc(1);
            bar.set_message(tally.message(run.items));
        }
        tally.stop();
        bar.finish_and_clear();
        run.end_of_epoch_remap()?;
        let classifier = run
            .model
            .image_classifier()
            .ok_or_else(|| wrong_task(&run.model, "an image classifier"))?;
        let eval_metric = accuracy(classifier, &data.test, &data.stats, dev)?;
        run.finish_epoch(tally.record(epoch + 1, lr, noise_scale, eval_metric))?;
    }
    if run.plan.epochs == 0 {
        // An imported network's weights as they are: the stage's checkpoint.
        run.save_checkpoint()?;
    }
    Ok(run.outcome())
}
