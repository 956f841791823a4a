//! Training the LSTM language model (issue 7) on a small made-up corpus: every variable gets a
//! gradient, the perplexity falls (FP and HWA on the standard tile), and the same seed repeats
//! an epoch exactly with dropout on.

use aimc::data::text_corpus::{StreamBatches, TextCorpus};
use aimc::experiment::HwaStage;
use aimc::experiment::perplexity::perplexity;
use aimc::experiment::{OptimizerConfig, SgdConfig};
use aimc::models::lstm_lm::{LstmLm, LstmLmConfig};
use aimc::nn::matrices;
use aimc::nn::seeded_var_builder;
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use aimc::train::hwa;
use aimc::train::lm_epoch::{LmEpochOptions, train_lm_epoch};
use aimc::train::{Optimizer, Param};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;

/// Sentences from a tiny grammar: predictable enough to learn in seconds.
fn corpus() -> TextCorpus {
    let subjects = ["the cat", "a dog", "my bird", "the fish"];
    let verbs = ["sees", "likes", "chases"];
    let objects = ["the ball", "a stick", "the sun"];
    let mut rng = NoiseRng::new(9);
    let mut pick = |n: usize| (rng.next_u64() % n as u64) as usize;
    let mut lines = |n: usize| {
        (0..n)
            .map(|_| {
                format!(
                    "{} {} {}\n",
                    subjects[pick(4)],
                    verbs[pick(3)],
                    objects[pick(3)]
                )
            })
            .collect::<String>()
    };
    let (train, rest) = (lines(320), lines(80));
    TextCorpus::from_texts(&train, &rest, &rest, ["train", "valid", "test"]).unwrap()
}

fn model(vocab: usize, dropout: f32, varmap: &VarMap) -> LstmLm {
    model_on(vocab, dropout, varmap, &TileConfig::ideal())
}

fn model_on(vocab: usize, dropout: f32, varmap: &VarMap, tile: &TileConfig) -> LstmLm {
    let config = LstmLmConfig {
        vocab,
        embedding: 16,
        hidden: 24,
        layers: 2,
        dropout,
    };
    let vb = seeded_var_builder(varmap, 4, DType::F32, &Device::Cpu);
    LstmLm::new(config, vb, tile, NoiseRng::new(5)).unwrap()
}

fn optimizer(varmap: &VarMap) -> Optimizer {
    optimizer_over(varmap, false)
}

/// SGD over the network's variables, and the tiles' input ranges and output scales when `hwa`.
fn optimizer_over(varmap: &VarMap, hwa: bool) -> Optimizer {
    let params = varmap
        .data()
        .lock()
        .unwrap()
        .iter()
        .filter(|(n, _)| hwa || (!n.ends_with(".input_range") && !n.ends_with(".out_scale")))
        .map(|(name, var)| Param {
            name: name.clone(),
            var: var.clone(),
            lr_scale: 1.0,
            decay: false,
        })
        .collect();
    let config = OptimizerConfig::Sgd(SgdConfig {
        lr: 1.0,
        momentum: 0.0,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
    });
    Optimizer::new(config, params).unwrap()
}

fn options(first_step: u64) -> LmEpochOptions {
    LmEpochOptions {
        bptt: 10,
        lr: 10.0,
        grad_clip: 0.5,
        seed: 3,
        first_step,
    }
}

/// `epochs` epochs of `lm` on `train`, the step count carried from epoch to epoch.
fn train_epochs(
    lm: &LstmLm,
    train: &StreamBatches,
    opt: &mut Optimizer,
    epochs: usize,
    after_step: &mut dyn FnMut() -> aimc::Result<()>,
) {
    let mut step = 0;
    for _ in 0..epochs {
        step += train_lm_epoch(
            lm,
            None,
            train,
            opt,
            options(step),
            &Device::Cpu,
            after_step,
        )
        .unwrap()
        .steps;
    }
}

#[test]
fn every_variable_gets_a_gradient() {
    let c = corpus();
    let varmap = VarMap::new();
    let lm = model(c.vocab.len(), 0.2, &varmap);
    let stream = StreamBatches::new(&c.train, 4).unwrap();
    let opt = optimizer(&varmap);
    assert!(opt.params().len() >= 9, "{}", opt.params().len());
    assert_every_param_has_a_gradient(&lm, &stream, &opt);
}

/// One training step on the first window of `stream`: every parameter of `opt` must get a
/// non-zero gradient.
fn assert_every_param_has_a_gradient(lm: &LstmLm, stream: &StreamBatches, opt: &Optimizer) {
    let (b, steps) = (stream.batch, 10);
    let (x, y) = stream.window(0, steps);
    let x = Tensor::from_vec(x, (b, steps), &Device::Cpu).unwrap();
    let y = Tensor::from_vec(y, b * steps, &Device::Cpu).unwrap();
    let like = Tensor::zeros(1, DType::F32, &Device::Cpu).unwrap();
    lm.set_batch_seed(1);
    let (logits, _) = lm
        .forward_t(&x, &lm.zero_states(b, &like).unwrap(), true)
        .unwrap();
    let vocab = logits.dim(2).unwrap();
    let loss =
        candle_nn::loss::cross_entropy(&logits.reshape((b * steps, vocab)).unwrap(), &y).unwrap();
    let grads = loss.backward().unwrap();
    for p in opt.params() {
        let g = grads
            .get(&p.var)
            .unwrap_or_else(|| panic!("no gradient for {}", p.name));
        let norm = g
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(norm > 0.0, "zero gradient for {}", p.name);
    }
}

#[test]
fn perplexity_falls_during_training() {
    let c = corpus();
    let varmap = VarMap::new();
    let lm = model(c.vocab.len(), 0.0, &varmap);
    let mut opt = optimizer(&varmap);
    let train = StreamBatches::new(&c.train, 4).unwrap();
    let valid = StreamBatches::new(&c.valid, 2).unwrap();
    let before = perplexity(&lm, &valid, 10, &Device::Cpu).unwrap();
    train_epochs(&lm, &train, &mut opt, 3, &mut || Ok(()));
    let after = perplexity(&lm, &valid, 10, &Device::Cpu).unwrap();
    eprintln!("validation perplexity {before:.2} -> {after:.2} after 3 epochs");
    // 17 words: chance is 17; the grammar allows about 3 to 4 choices per word.
    assert!(before > 12.0, "untrained perplexity {before}");
    assert!(after < 0.5 * before, "perplexity {before} -> {after}");
}

#[test]
fn the_same_seed_repeats_an_epoch_with_dropout() {
    let c = corpus();
    let train = StreamBatches::new(&c.train, 4).unwrap();
    let run = || {
        let varmap = VarMap::new();
        let lm = model(c.vocab.len(), 0.3, &varmap);
        let mut opt = optimizer(&varmap);
        let out = train_lm_epoch(
            &lm,
            None,
            &train,
            &mut opt,
            options(0),
            &Device::Cpu,
            &mut || Ok(()),
        )
        .unwrap();
        let w = varmap.data().lock().unwrap()["decoder.weight"]
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        (out.loss, w)
    };
    assert_eq!(run(), run());
}

/// Epochs of the HWA test. The model first learns the word frequencies (validation perplexity
/// about 12) and leaves that plateau after 5 to 10 epochs, depending on the noise drawn: with
/// the noise streams before issue 23, 6 epochs gave 14.05 -> 2.90; with the block streams
/// 6 give 12.09 (main's code with only the read-out's seed changed gave 12.09 as well), 10 give
/// 5.11 and 16 give 2.13.
const EPOCHS: usize = 16;

/// The HWA recipe on the standard PCM tile: normalised weights, PCM weight noise at 3x, clipping
/// after every step. Every variable, input ranges and output scales included, gets a gradient,
/// the weights stay in [-1, 1], and the model still learns.
#[test]
fn hwa_on_the_standard_tile_trains_every_variable_and_clips() {
    let c = corpus();
    let varmap = VarMap::new();
    let tile = TileConfig::standard();
    let lm = model_on(c.vocab.len(), 0.0, &varmap, &tile);
    hwa::remap_all(&lm).unwrap();
    let recipe: HwaStage = toml::from_str("epochs = 1").unwrap();
    hwa::install_modifiers(&lm, &recipe, &tile).unwrap();
    hwa::set_noise_scale(&lm, 3.0);
    let mut opt = optimizer_over(&varmap, true);
    let train = StreamBatches::new(&c.train, 4).unwrap();
    assert_every_param_has_a_gradient(&lm, &train, &opt);
    assert!(
        opt.params()
            .iter()
            .any(|p| p.name.ends_with(".input_range"))
    );
    let valid = StreamBatches::new(&c.valid, 2).unwrap();
    let before = perplexity(&lm, &valid, 10, &Device::Cpu).unwrap();
    train_epochs(&lm, &train, &mut opt, EPOCHS, &mut || {
        hwa::after_step(&lm, true)
    });
    for m in matrices(&lm) {
        let w = m.weight().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(
            w.iter().all(|v| v.abs() <= 1.0),
            "{} leaves [-1, 1]",
            m.name()
        );
    }
    let after = perplexity(&lm, &valid, 10, &Device::Cpu).unwrap();
    eprintln!(
        "HWA validation perplexity (clean weights, standard tile) {before:.2} -> {after:.2} after {EPOCHS} epochs"
    );
    assert!(after < 0.5 * before, "perplexity {before} -> {after}");
}
