//! Accuracy of a sentence classifier on labelled sentences, in inference mode: the
//! sentences tokenized in batches (padded to each batch's longest, at most `max_len` tokens, with
//! attention masks), the class of the largest logit compared with the label.

use super::evaluate::count_correct;
use crate::data::sentence_dataset::SentenceSet;
use crate::data::tokenizer::SentenceTokenizer;
use crate::error::Result;
use crate::models::SentenceClassifier;
use candle_core::{Device, Tensor};

/// The token ids, attention mask [B, T] and labels [B] of the sentences of `set` at `indices`
/// (a range, or a shuffled list).
pub fn sentence_batch(
    tokenizer: &SentenceTokenizer,
    set: &SentenceSet,
    indices: impl IntoIterator<Item = usize>,
    max_len: usize,
    device: &Device,
) -> Result<(Tensor, Tensor, Tensor)> {
    let (sentences, labels): (Vec<&str>, Vec<u32>) = indices
        .into_iter()
        .map(|i| (set.sentences[i].as_str(), set.labels[i]))
        .unzip();
    let b = tokenizer.encode_batch(&sentences, max_len)?;
    Ok((
        Tensor::from_vec(b.ids, (b.batch, b.len), device)?,
        Tensor::from_vec(b.mask, (b.batch, b.len), device)?,
        Tensor::from_vec(labels, b.batch, device)?,
    ))
}

/// The fraction of `set` that `model` classifies correctly, `batch` sentences at a time.
pub fn sentence_accuracy(
    model: &dyn SentenceClassifier,
    tokenizer: &SentenceTokenizer,
    set: &SentenceSet,
    (max_len, batch): (usize, usize),
    device: &Device,
) -> Result<f64> {
    let mut correct = 0;
    for start in (0..set.len()).step_by(batch.max(1)) {
        let end = (start + batch.max(1)).min(set.len());
        let (ids, mask, labels) = sentence_batch(tokenizer, set, start..end, max_len, device)?;
        correct += count_correct(&model.classify_t(&ids, &mask, false)?, &labels)?;
    }
    Ok(correct as f64 / set.len().max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bert::{BertClassifier, BertConfig, Pooling};
    use crate::nn::seeded_var_builder;
    use crate::rng::NoiseRng;
    use crate::tile::TileConfig;
    use candle_core::DType;
    use candle_nn::VarMap;

    /// Batched, padded evaluation gives the accuracy of classifying each sentence alone.
    #[test]
    fn batched_accuracy_equals_one_sentence_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let words = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "good", "bad", "film", "very",
        ];
        std::fs::write(dir.path().join("vocab.txt"), words.join("\n")).unwrap();
        let tokenizer = SentenceTokenizer::from_dir(dir.path()).unwrap();
        let config = BertConfig {
            pretrained: None,
            vocab_size: 10,
            hidden_size: 8,
            num_hidden_layers: 1,
            num_attention_heads: 2,
            intermediate_size: 16,
            max_position_embeddings: 16,
            type_vocab_size: 2,
            num_labels: 2,
            pooling: Pooling::Mean,
            dropout: 0.0,
            layer_norm_eps: 1e-12,
        };
        let varmap = VarMap::new();
        let vb = seeded_var_builder(&varmap, 4, DType::F32, &Device::Cpu);
        let model = BertClassifier::new(
            config,
            vb.clone(),
            vb,
            &TileConfig::ideal(),
            NoiseRng::new(0),
        )
        .unwrap();
        let texts = [
            "a good film",
            "bad",
            "a very very bad film",
            "good good",
            "film",
            "very good film",
            "a bad",
        ];
        let set = SentenceSet {
            sentences: texts.iter().map(|s| s.to_string()).collect(),
            labels: vec![1, 0, 0, 1, 1, 1, 0],
        };
        let dev = Device::Cpu;
        let (ids, mask, _) = sentence_batch(&tokenizer, &set, 0..set.len(), 32, &dev).unwrap();
        let padded = model.forward_t(&ids, &mask, false).unwrap();
        let padded = padded.to_vec2::<f32>().unwrap();
        let mut correct = 0;
        for (i, row) in padded.iter().enumerate() {
            let (ids, mask, labels) = sentence_batch(&tokenizer, &set, i..i + 1, 32, &dev).unwrap();
            let logits = model.forward_t(&ids, &mask, false).unwrap();
            correct += count_correct(&logits, &labels).unwrap();
            // Padding and its mask leave a sentence's logits as they are alone.
            let alone = logits.to_vec2::<f32>().unwrap();
            for (a, p) in alone[0].iter().zip(row) {
                assert!((a - p).abs() < 1e-5, "sentence {i}: {a} alone, {p} padded");
            }
        }
        assert!(
            correct > 0 && correct < set.len(),
            "{correct}: a degenerate classifier"
        );
        let expected = correct as f64 / set.len() as f64;
        for batch in [1, 3, 7] {
            let acc = sentence_accuracy(&model, &tokenizer, &set, (32, batch), &dev).unwrap();
            assert_eq!(acc, expected, "batch {batch}");
        }
    }
}
