//! The training loop of one stage of BERT on labelled sentences (physics.md section 5): FP
//! fine-tuning from the pretrained weights, then HWA from the FP checkpoint with the mechanisms of
//! the other stages (noise ramp, clipping, learned input ranges and output scales, distillation
//! from the FP model). Every epoch the sentences are shuffled (seeded by the seed, the stage and
//! the epoch), batched with padding to each batch's longest (at most `max_len` tokens) and
//! attention masks; then the evaluation accuracy and an atomic checkpoint. Exact resume.

use super::checkpoint::EpochRecord;
use super::distill::{cross_entropy, distillation_loss};
use super::evaluate::count_correct;
use super::experiment::Experiment;
use super::sentence_eval::{sentence_accuracy, sentence_batch};
use super::setup::SentenceData;
use super::stage::{StageOutcome, StageRun, TrainOptions};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::models::bert::BertClassifier;
use crate::progress::progress_bar;
use crate::rng::NoiseRng;
use crate::sweep::Metric;
use std::time::Instant;

/// BERT of a built model (an error naming the experiment for other networks).
pub fn as_bert<'m>(model: &'m Model, file: &str) -> Result<&'m BertClassifier> {
    match model {
        Model::Bert(m) => Ok(m),
        _ => Err(Error::invalid_value(
            file,
            "model.architecture",
            "\"bert\" for a sentence dataset",
            "another architecture",
        )),
    }
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
        let bar = progress_bar(
            &format!(
                "{} epoch {}/{}",
                opts.stage.name(),
                epoch + 1,
                run.plan.epochs
            ),
            batches as u64,
            opts.progress,
        );
        let start = Instant::now();
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        let mut noise_scale = 0.0;
        let (net, teacher_net) = (run.model.clone(), run.teacher.clone());
        let model = as_bert(&net, &exp.file)?;
        let teacher = match (&teacher_net, run.plan.hwa) {
            (Some(t), Some(h)) => Some((as_bert(t, &exp.file)?, &h.distillation)),
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
            let logits = model.forward_t(&ids, &mask, true)?;
            let loss = match teacher {
                Some((t, d)) => {
                    distillation_loss(&logits, &t.forward_t(&ids, &mask, false)?, &y, d)?
                }
                None => cross_entropy(&logits, &y)?,
            };
            let loss_value = match run.update(&loss, epoch, lr) {
                Ok(v) => v,
                Err(e) => {
                    bar.abandon();
                    return Err(e);
                }
            };
            let n = indices.len();
            loss_sum += loss_value * n as f64;
            correct += count_correct(&logits, &y)?;
            seen += n;
            bar.inc(1);
            bar.set_message(format!(
                "loss {:.4}  acc {:.2}%  {:.1} sentences/s",
                loss_sum / seen as f64,
                100.0 * correct as f64 / seen as f64,
                seen as f64 / start.elapsed().as_secs_f64()
            ));
        }
        let items_per_s = seen as f64 / start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        run.end_of_epoch_remap()?;
        let eval_metric = sentence_accuracy(
            as_bert(&run.model, &exp.file)?,
            &data.tokenizer,
            &data.test,
            (data.max_len, data.eval_batch),
            dev,
        )?;
        run.finish_epoch(EpochRecord {
            epoch: epoch + 1,
            lr,
            noise_scale,
            train_loss: loss_sum / seen.max(1) as f64,
            train_metric: correct as f64 / seen.max(1) as f64,
            eval_metric,
            items_per_s,
        })?;
    }
    Ok(run.outcome())
}
