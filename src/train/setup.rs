//! What a training stage (or an evaluation) needs from an experiment: its data (images: subsets
//! taken, checked against the model, normalisation statistics; text: the corpus, checked against
//! the model's vocabulary, in evaluation streams; sentences: the training and evaluation sets
//! with the pretrained model's tokenizer) and its model, fresh from the seed or with the
//! variables of a checkpoint.

use super::checkpoint::{self, TrainState, load_into_varmap};
use super::experiment::Experiment;
use super::stage::{Stage, checkpoint_path};
use crate::data::Dataset;
use crate::data::ImageSet;
use crate::data::sentence_dataset::SentenceSet;
use crate::data::text_corpus::{StreamBatches, TextCorpus};
use crate::data::tokenizer::SentenceTokenizer;
use crate::error::{Error, Result};
use crate::models::{Model, ModelConfig};
use crate::nn::{matrices, seeded_var_builder};
use crate::rng::NoiseRng;
use crate::sweep::Metric;
use crate::tile::TileConfig;
use candle_core::{DType, Device};
use candle_nn::VarMap;
use std::path::Path;

/// The data of an experiment: training and test sets (subsets taken) and the normalisation.
#[derive(Debug, Clone)]
pub struct ExperimentData {
    pub train: ImageSet,
    pub test: ImageSet,
    pub stats: Vec<(f64, f64)>,
}

/// The data of a language-model experiment: the corpus (subsets taken) and the validation and
/// test text as evaluation streams.
pub struct TextData {
    pub corpus: TextCorpus,
    pub valid: StreamBatches,
    pub test: StreamBatches,
    /// Steps of truncated back-propagation through time (and of evaluation windows).
    pub bptt: usize,
}

impl TextData {
    /// The training text in `batch` streams.
    pub fn train_streams(&self, batch: usize) -> Result<StreamBatches> {
        StreamBatches::new(&self.corpus.train, batch)
    }
}

/// The data of a BERT experiment: labelled sentences and the tokenizer that turns them into ids.
pub struct SentenceData {
    pub train: SentenceSet,
    /// The evaluation set: SST-2's dev.tsv, or the held-out part of the snippets.
    pub test: SentenceSet,
    pub tokenizer: SentenceTokenizer,
    /// At most this many tokens per sentence.
    pub max_len: usize,
    /// Sentences per evaluation batch.
    pub eval_batch: usize,
}

/// The data of any experiment.
pub enum TaskData {
    Images(ExperimentData),
    Text(TextData),
    /// Boxed: the tokenizer is large.
    Sentences(Box<SentenceData>),
}

impl TaskData {
    /// Accuracy for images, perplexity for text.
    pub fn metric(&self) -> Metric {
        match self {
            TaskData::Images(_) | TaskData::Sentences(_) => Metric::Accuracy,
            TaskData::Text(_) => Metric::Perplexity,
        }
    }

    /// Training and test sizes: images, words or sentences.
    pub fn sizes(&self) -> (usize, usize) {
        match self {
            TaskData::Images(d) => (d.train.len(), d.test.len()),
            TaskData::Sentences(d) => (d.train.len(), d.test.len()),
            TaskData::Text(d) => (d.corpus.train.len(), d.corpus.test.len()),
        }
    }

    /// `N images of HxW (C channel(s)), K classes` or `N training words, vocabulary V`.
    pub fn describe(&self) -> String {
        match self {
            TaskData::Images(d) => format!(
                "{} images of {}x{} ({} channel(s)), {} classes",
                d.train.len(),
                d.train.height,
                d.train.width,
                d.train.channels,
                d.train.classes
            ),
            TaskData::Text(d) => format!(
                "{} training words, vocabulary {}",
                d.corpus.train.len(),
                d.corpus.vocab.len()
            ),
            TaskData::Sentences(d) => {
                let [neg, pos] = d.train.counts();
                format!(
                    "{} training sentences ({neg} negative, {pos} positive), {} for evaluation",
                    d.train.len(),
                    d.test.len()
                )
            }
        }
    }

    /// The chance level of the metric: 1 / classes (two for sentences), or the vocabulary size.
    pub fn chance(&self) -> f64 {
        match self {
            TaskData::Images(d) => 1.0 / d.test.classes.max(1) as f64,
            TaskData::Text(d) => d.corpus.vocab.len() as f64,
            TaskData::Sentences(_) => 0.5,
        }
    }
}

/// Reads the experiment's dataset, images or text.
pub fn load_task_data(exp: &Experiment) -> Result<TaskData> {
    Ok(match exp.config.data.dataset {
        Dataset::Image(_) => TaskData::Images(load_data(exp)?),
        Dataset::Text(_) => TaskData::Text(load_text_data(exp)?),
        Dataset::Sentences(_) => TaskData::Sentences(Box::new(load_sentence_data(exp)?)),
    })
}

/// Reads the experiment's sentences (subsets taken: the first N of each set) and the tokenizer
/// of its pretrained model, whose vocabulary must fit the model's.
pub fn load_sentence_data(exp: &Experiment) -> Result<SentenceData> {
    let c = &exp.config;
    let (Dataset::Sentences(dataset), ModelConfig::Bert(model), Some(pretrained)) =
        (c.data.dataset, &c.model, exp.pretrained_dir())
    else {
        return Err(Error::invalid_value(
            &exp.file,
            "data.dataset",
            "a sentence dataset (\"sst2\", \"sentiment\") with a pretrained \"bert\" model",
            c.data.dataset.name(),
        ));
    };
    let (mut train, mut test) =
        dataset.load(&exp.data_dir(), c.data.dev_fraction(), c.experiment.seed)?;
    let cap = |set: &mut SentenceSet, n: usize| {
        if n > 0 {
            set.sentences.truncate(n);
            set.labels.truncate(n);
        }
    };
    cap(&mut train, c.data.train_subset);
    cap(&mut test, c.data.test_subset);
    for (set, what) in [(&train, "training"), (&test, "evaluation")] {
        if set.is_empty() {
            return Err(Error::data(
                exp.data_dir().display(),
                format!("no {what} sentences in `{}`", dataset.name()),
            ));
        }
    }
    let tokenizer = SentenceTokenizer::from_dir(&pretrained)?;
    if tokenizer.vocab_size() > model.vocab_size {
        return Err(Error::invalid_value(
            &exp.file,
            "model.vocab_size",
            format!(
                "at least the {} tokens of the tokenizer in {}",
                tokenizer.vocab_size(),
                pretrained.display()
            ),
            model.vocab_size,
        ));
    }
    Ok(SentenceData {
        train,
        test,
        tokenizer,
        max_len: c.data.max_len(),
        eval_batch: c.data.eval_batch_size(),
    })
}

/// Reads the experiment's text corpus and checks its vocabulary is the model's.
pub fn load_text_data(exp: &Experiment) -> Result<TextData> {
    let c = &exp.config;
    let (Dataset::Text(dataset), ModelConfig::LstmLm(model)) = (c.data.dataset, &c.model) else {
        return Err(Error::invalid_value(
            &exp.file,
            "data.dataset",
            "a text dataset (\"ptb\", \"wikitext2\") with an \"lstm-lm\" model",
            c.data.dataset.name(),
        ));
    };
    let mut corpus = dataset.load(&exp.data_dir())?;
    if corpus.vocab.len() != model.vocab {
        return Err(Error::invalid_value(
            &exp.file,
            "model.vocab",
            format!(
                "the vocabulary size of `{}` ({} words in its training text)",
                dataset.name(),
                corpus.vocab.len()
            ),
            model.vocab.to_string(),
        ));
    }
    let cap = |tokens: &mut Vec<u32>, n: usize| {
        if n > 0 {
            tokens.truncate(n);
        }
    };
    cap(&mut corpus.train, c.data.train_subset);
    cap(&mut corpus.valid, c.data.test_subset);
    cap(&mut corpus.test, c.data.test_subset);
    let eval = c.data.eval_batch_size();
    let streams = |tokens: &[u32], split: &str| {
        StreamBatches::new(tokens, eval).map_err(|_| {
            Error::invalid_value(
                &exp.file,
                "data.eval_batch_size",
                format!(
                    "at most half the {} words of the {split} text",
                    tokens.len()
                ),
                eval.to_string(),
            )
        })
    };
    Ok(TextData {
        valid: streams(&corpus.valid, "validation")?,
        test: streams(&corpus.test, "test")?,
        corpus,
        bptt: c.data.bptt(),
    })
}

/// Reads the experiment's image dataset and checks it fits the model.
pub fn load_data(exp: &Experiment) -> Result<ExperimentData> {
    let c = &exp.config;
    let Dataset::Image(dataset) = c.data.dataset else {
        return Err(Error::invalid_value(
            &exp.file,
            "data.dataset",
            "an image dataset",
            c.data.dataset.name(),
        ));
    };
    let (classes, channels) = match &c.model {
        ModelConfig::Resnet(m) => (m.classes, m.in_channels),
        ModelConfig::Wrn(m) => (m.classes, m.in_channels),
        _ => {
            return Err(Error::invalid_value(
                &exp.file,
                "model.architecture",
                "an image classifier (\"resnet\" or \"wrn\")",
                "a language model",
            ));
        }
    };
    let (mut train, mut test) = dataset.load(&exp.data_dir(), classes)?;
    if c.data.train_subset > 0 {
        train = train.take(c.data.train_subset);
    }
    if c.data.test_subset > 0 {
        test = test.take(c.data.test_subset);
    }
    if train.channels != channels || train.classes > classes {
        return Err(Error::invalid_value(
            &exp.file,
            "model",
            format!(
                "a model for {} channel(s) and {} classes (the dataset's)",
                train.channels, train.classes
            ),
            format!("{channels} channel(s), {classes} classes"),
        ));
    }
    let stats = if c.data.normalize {
        train.channel_stats()
    } else {
        vec![(0.0, 1.0); train.channels]
    };
    Ok(ExperimentData { train, test, stats })
}

/// A model of the experiment on `tile`, with its variables.
pub fn build_model(
    exp: &Experiment,
    tile: &TileConfig,
    device: &Device,
) -> Result<(Model, VarMap)> {
    let varmap = VarMap::new();
    let seed = exp.config.experiment.seed;
    let vb = seeded_var_builder(&varmap, seed, DType::F32, device);
    let model = Model::build(
        &exp.config.model,
        vb,
        tile,
        NoiseRng::stream(seed, &[0x6d0d]),
    )?;
    Ok((model, varmap))
}

/// A model of the experiment on `tile` with the variables of checkpoint `path`.
pub fn load_model(
    exp: &Experiment,
    tile: &TileConfig,
    path: &Path,
    device: &Device,
) -> Result<(Model, VarMap, TrainState)> {
    let (model, varmap) = build_model(exp, tile, device)?;
    let ckpt = checkpoint::load(path, device)?;
    load_into_varmap(&varmap, &ckpt.tensors, &path.display().to_string())?;
    for m in matrices(&model) {
        m.set_normalised(ckpt.state.normalised);
    }
    Ok((model, varmap, ckpt.state))
}

/// The model of a stage's checkpoint, for evaluation: on the experiment's tile (`hwa`) or the
/// ideal one (`fp`).
pub fn trained_model(
    exp: &Experiment,
    out: &Path,
    stage: Stage,
    tile: &TileConfig,
    device: &Device,
) -> Result<Model> {
    Ok(load_model(exp, tile, &checkpoint_path(out, stage), device)?.0)
}
