//! The metric of a network on its test data, in inference mode (no weight noise; the tiles'
//! programmed weights if programmed, else the current digital ones): the accuracy of an image
//! classifier, the perplexity of a language model (`perplexity.rs`), the accuracy of a sentence
//! classifier (`sentence_eval.rs`). Through the task's interface of the network, whatever its
//! architecture.

use super::perplexity::perplexity;
use super::sentence_eval::sentence_accuracy;
use super::task::TaskData;
use crate::data::{Augment, ImageSet, Loader};
use crate::error::{Error, Result};
use crate::models::{ImageClassifier, Model};
use candle_core::{D, Device};

/// The error of a network that does not do the task of its data.
pub(crate) fn wrong_task(model: &Model, task: &str) -> Error {
    Error::Tensor(format!(
        "a {} network is not {task}: the dataset does not fit the model",
        model.architecture()
    ))
}

/// The metric of `model` on the test split of `data` (accuracy or perplexity).
pub fn evaluate(model: &Model, data: &TaskData, device: &Device) -> Result<f64> {
    match data {
        TaskData::Images(d) => {
            let m = model
                .image_classifier()
                .ok_or_else(|| wrong_task(model, "an image classifier"))?;
            Ok(accuracy(m, &d.test, &d.stats, device)?)
        }
        TaskData::Text(d) => {
            let m = model
                .language_model()
                .ok_or_else(|| wrong_task(model, "a language model"))?;
            Ok(perplexity(m, &d.test, d.bptt, device)?)
        }
        TaskData::Sentences(d) => {
            let m = model
                .sentence_classifier()
                .ok_or_else(|| wrong_task(model, "a sentence classifier"))?;
            sentence_accuracy(m, &d.tokenizer, &d.test, (d.max_len, d.eval_batch), device)
        }
    }
}

/// Images per evaluation batch.
pub const EVAL_BATCH: usize = 64;

/// The fraction of `set` that `model` classifies correctly; `stats` are the normalisation.
pub fn accuracy(
    model: &dyn ImageClassifier,
    set: &ImageSet,
    stats: &[(f64, f64)],
    device: &Device,
) -> candle_core::Result<f64> {
    let mut loader = Loader::new(set, EVAL_BATCH, stats, Augment::default(), None);
    let mut correct = 0usize;
    for k in 0..loader.batches() {
        let (x, y) = loader.batch(k, device)?;
        let logits = model.classify_t(&x, false)?;
        correct += count_correct(&logits, &y)?;
    }
    Ok(correct as f64 / set.len().max(1) as f64)
}

/// How many rows of `logits` [B, K] have their maximum at the label in `labels` [B].
pub fn count_correct(
    logits: &candle_core::Tensor,
    labels: &candle_core::Tensor,
) -> candle_core::Result<usize> {
    let pred = logits.argmax(D::Minus1)?;
    Ok(pred
        .eq(labels)?
        .to_dtype(candle_core::DType::F32)?
        .sum_all()?
        .to_scalar::<f32>()? as usize)
}
