//! Perplexity of a language model: exp of the mean cross-entropy per target token over a token
//! stream, read in windows of `bptt` steps with the LSTM states carried from window to window
//! (inference mode: no dropout, no weight noise; the programmed weights if programmed).

use crate::data::text_corpus::StreamBatches;
use crate::models::LanguageModel;
use crate::nn::LstmState;
use candle_core::{D, DType, Device, Result, Tensor};

/// exp(mean over all targets of -log p(target)) of `model` on `stream`.
pub fn perplexity(
    model: &dyn LanguageModel,
    stream: &StreamBatches,
    bptt: usize,
    device: &Device,
) -> Result<f64> {
    let b = stream.batch;
    let like = Tensor::zeros(1, DType::F32, device)?;
    let mut states = model.zero_states(b, &like)?;
    let (mut nll_sum, mut count) = (0.0f64, 0usize);
    for (start, steps) in stream.windows(bptt) {
        let (x, y) = stream.window(start, steps);
        let x = Tensor::from_vec(x, (b, steps), device)?;
        let y = Tensor::from_vec(y, b * steps, device)?;
        let (logits, next) = model.forward_t(&x, &states, false)?;
        let vocab = logits.dim(D::Minus1)?;
        let logits = logits.reshape((b * steps, vocab))?;
        let mean = candle_nn::loss::cross_entropy(&logits, &y)?.to_scalar::<f32>()?;
        nll_sum += mean as f64 * (b * steps) as f64;
        count += b * steps;
        // Detached: the variables of the model would keep every window's graph alive.
        states = LstmState::detach_all(next);
    }
    Ok((nll_sum / count.max(1) as f64).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::lstm_lm::{LstmLm, LstmLmConfig};
    use crate::nn::seeded_var_builder;
    use crate::rng::NoiseRng;
    use crate::tile::TileConfig;
    use candle_nn::VarMap;

    fn model(vocab: usize, varmap: &VarMap) -> LstmLm {
        let config = LstmLmConfig {
            vocab,
            embedding: 6,
            hidden: 5,
            layers: 2,
            dropout: 0.0,
        };
        let vb = seeded_var_builder(varmap, 1, DType::F32, &Device::Cpu);
        LstmLm::new(config, vb, &TileConfig::ideal(), NoiseRng::new(2)).unwrap()
    }

    /// A decoder of zeros predicts every word with probability 1 / vocab: perplexity = vocab,
    /// the chance level of the perplexity A*.
    #[test]
    fn a_uniform_model_has_the_vocabulary_size_as_perplexity() {
        let varmap = VarMap::new();
        let lm = model(13, &varmap);
        for (name, var) in varmap.data().lock().unwrap().iter() {
            if name.starts_with("decoder.") && !name.ends_with(".input_range") {
                var.set(&var.zeros_like().unwrap()).unwrap();
            }
        }
        let tokens: Vec<u32> = (0..200).map(|i| (i * 7 % 13) as u32).collect();
        let stream = StreamBatches::new(&tokens, 4).unwrap();
        let p = perplexity(&lm, &stream, 7, &Device::Cpu).unwrap();
        assert!((p - 13.0).abs() < 1e-4, "{p}");
    }

    /// Windows carry the states: any window length gives the perplexity of one long pass.
    #[test]
    fn the_window_length_does_not_change_the_perplexity() {
        let varmap = VarMap::new();
        let lm = model(11, &varmap);
        let tokens: Vec<u32> = (0..120).map(|i| (i * i % 11) as u32).collect();
        let stream = StreamBatches::new(&tokens, 3).unwrap();
        let whole = perplexity(&lm, &stream, 1000, &Device::Cpu).unwrap();
        for bptt in [1, 5, 35] {
            let p = perplexity(&lm, &stream, bptt, &Device::Cpu).unwrap();
            assert!(
                (p - whole).abs() < 1e-4 * whole,
                "bptt {bptt}: {p} vs {whole}"
            );
        }
        assert!(whole > 1.0 && whole.is_finite());
    }
}
