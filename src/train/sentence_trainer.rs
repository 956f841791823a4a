//! The training loop of one stage of a sentence classifier (BERT) on labelled sentences (physics.md section 5): FP
//! fine-tuning from the pretrained weights, then HWA from the FP checkpoint with the mechanisms of
//! the other stages (noise ramp, clipping, learned input ranges and output scales, distillation
//! from the FP model). Every epoch the sentences are shuffled (seeded by the seed, the stage and
//! the epoch), batched with padding to each batch's longest (at most `max_len` tokens) and
//! attention masks; then the evaluation accuracy and an atomic checkpoint. Exact resume.

use super::distill::{cross_entropy, distillation_loss};
use super::epoch_tally::EpochTally;
use super::stage::{StageOutcome, StageRun, TrainOptions};
use crate::error::{Error, Result};
use crate::experiment::sentence_eval::{sentence_accuracy, sentence_batch};
use crate::experiment::{Experiment, Metric, SentenceData};
use crate::models::{Model, SentenceClassifier};
use crate::rng::NoiseRng;

/// The sentence classifier of a built model (an error naming the experiment for other
/// networks).
pub fn as_sentence_classifier<'m>(
    model: &'m Model,
    file: &str,
) -> Result<&'m dyn SentenceClassifier> {
    model.sentence_classifier().ok_or_else(|| {
        Error::invalid_value(
            file,
            "model.architecture",
            "a sentence classifier for a sentence dataset",
            model.architecture(),
        )
    })
}

/// Runs (or resumes) one stage of BERT of `exp` on `data`.
pub fn train_sentence_stage(
    exp: &Experiment,
    data: &SentenceData,
    opts: &TrainOptions,
) -> Result<StageOutcome> {
    let mut run = StageRun::open(exp, opts, Metric::Accuracy)?;
    let dev = &opts.device;
    let seed = run.seed();
    let batch_size = run.plan.batch_size;
    let batches = data.train.len().div_ceil(batch_size);
    run.set_calibration(batches);
    let stage_seed = NoiseRng::stream(seed, &[run.stage_key]).next_u64();
    for epoch in run.state.epoch..run.plan.epochs {
        let lr = run.lr(epoch);
        let order = NoiseRng::stream(stage_seed, &[epoch as u64]).permutation(data.train.len());
        let bar = run.epoch_bar(epoch, batches);
        let mut tally = EpochTally::start();
        let mut noise_scale = 0.0;
        let (net, teacher_net) = (run.model.clone(), run.teacher.clone());
        let model = as_sentence_classifier(&net, &exp.file)?;
        let teacher = match (&teacher_net, run.plan.hwa) {
            (Some(t), Some(h)) => Some((as_sentence_classifier(t, &exp.file)?, &h.distillation)),
            _ => None,
        };
        for (k, indices) in order.chunks(batch_size).enumerate() {
            noise_scale = run.before_step(epoch, k, batches)?;
            model.set_batch_seed(NoiseRng::stream(stage_seed, &[run.state.step]).next_u64());
            let (ids, mask, y) = sentence_batch(
                &data.tokenizer,
                &data.train,
                indices.iter().copied(),
                data.max_len,
                dev,
            )?;
            let logits = model.classify_t(&ids, &mask, true)?;
            let loss = match teacher {
                Some((t, d)) => {
                    distillation_loss(&logits, &t.classify_t(&ids, &mask, false)?, &y, d)?
                }
                None => cross_entropy(&logits, &y)?,
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
        let eval_metric = sentence_accuracy(
            as_sentence_classifier(&run.model, &exp.file)?,
            &data.tokenizer,
            &data.test,
            (data.max_len, data.eval_batch),
            dev,
        )?;
        run.finish_epoch(tally.record(epoch + 1, lr, noise_scale, eval_metric))?;
    }
    Ok(run.outcome())
}
