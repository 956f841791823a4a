//! The metric of a network on its test data, in inference mode (no weight noise; the tiles'
//! programmed weights if programmed, else the current digital ones): accuracy of an image
//! classifier or of BERT on sentences, perplexity of the language model.

use super::perplexity::perplexity;
use super::sentence_eval::sentence_accuracy;
use super::setup::TaskData;
use crate::data::{Augment, ImageSet, Loader};
use crate::models::Model;
use candle_core::{D, Device, Result};

/// The metric of `model` on the test split of `data` (accuracy or perplexity).
pub fn evaluate(model: &Model, data: &TaskData, device: &Device) -> Result<f64> {
    match (data, model) {
        (TaskData::Images(d), _) => accuracy(model, &d.test, &d.stats, device),
        (TaskData::Text(d), Model::LstmLm(lm)) => perplexity(lm, &d.test, d.bptt, device),
        (TaskData::Text(_), _) => {
            candle_core::bail!("a text dataset needs the LSTM language model")
        }
        (TaskData::Sentences(d), Model::Bert(bert)) => sentence_accuracy(
            bert,
            &d.tokenizer,
            &d.test,
            (d.max_len, d.eval_batch),
            device,
        )
        .map_err(|e| candle_core::Error::Msg(e.to_string())),
        (TaskData::Sentences(_), _) => candle_core::bail!("a sentence dataset needs BERT"),
    }
}

/// Images per evaluation batch.
pub const EVAL_BATCH: usize = 64;

/// The fraction of `set` that `model` classifies correctly; `stats` are the normalisation.
pub fn accuracy(
    model: &Model,
    set: &ImageSet,
    stats: &[(f64, f64)],
    device: &Device,
) -> Result<f64> {
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
pub fn count_correct(logits: &candle_core::Tensor, labels: &candle_core::Tensor) -> Result<usize> {
    let pred = logits.argmax(D::Minus1)?;
    Ok(pred
        .eq(labels)?
        .to_dtype(candle_core::DType::F32)?
        .sum_all()?
        .to_scalar::<f32>()? as usize)
}
