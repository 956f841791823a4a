//! The pairing of task and model (physics.md section 6): images for image classifiers
//! (accuracy), a text for the language model (perplexity), labelled sentences for sentence
//! classifiers (accuracy). Which dataset fits which network (checked when an experiment file is
//! read, from the network's [`Interface`], never its architecture), and the task's data: images
//! with their subsets and normalisation, the text in evaluation streams, the sentences with the
//! pretrained model's tokenizer.

use super::data_section::DataConfig;
use super::file::{Experiment, ExperimentConfig};
use super::metric::Metric;
use crate::data::sentence_dataset::SentenceSet;
use crate::data::text_corpus::{StreamBatches, TextCorpus};
use crate::data::tokenizer::SentenceTokenizer;
use crate::data::{Dataset, ImageSet};
use crate::error::{Error, Result};
use crate::models::{Interface, ModelConfig, Task};
use crate::toml_file::key_line;

/// The task of the data of `dataset`.
pub fn task_of(dataset: Dataset) -> Task {
    match dataset {
        Dataset::Image(_) => Task::Images,
        Dataset::Text(_) => Task::Text,
        Dataset::Sentences(_) => Task::Sentences,
    }
}

/// The data of an image classifier: training and test sets (subsets taken) and the
/// normalisation.
#[derive(Debug, Clone)]
pub struct ImageData {
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
    Images(ImageData),
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

/// Reads the experiment's data: images, text or sentences.
pub fn load_task_data(exp: &Experiment) -> Result<TaskData> {
    Ok(match task_of(exp.config.data.dataset) {
        Task::Images => TaskData::Images(load_image_data(exp)?),
        Task::Text => TaskData::Text(load_text_data(exp)?),
        Task::Sentences => TaskData::Sentences(Box::new(load_sentence_data(exp)?)),
    })
}

/// Reads the experiment's sentences (subsets taken: the first N of each set) and the tokenizer
/// of its pretrained model, whose vocabulary must fit the model's.
pub fn load_sentence_data(exp: &Experiment) -> Result<SentenceData> {
    let c = &exp.config;
    let (Dataset::Sentences(dataset), Interface::Sentences { vocab_size, .. }, Some(pretrained)) =
        (c.data.dataset, c.model.interface(), exp.pretrained_dir())
    else {
        return Err(Error::invalid_value(
            &exp.file,
            "data.dataset",
            "a sentence dataset (\"sst2\", \"sentiment\") with a pretrained sentence classifier",
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
    if tokenizer.vocab_size() > vocab_size {
        return Err(Error::invalid_value(
            &exp.file,
            "model.vocab_size",
            format!(
                "at least the {} tokens of the tokenizer in {}",
                tokenizer.vocab_size(),
                pretrained.display()
            ),
            vocab_size,
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
    let (Dataset::Text(dataset), Interface::Text { vocab }) = (c.data.dataset, c.model.interface())
    else {
        return Err(Error::invalid_value(
            &exp.file,
            "data.dataset",
            "a text dataset (\"ptb\", \"wikitext2\") with a language model",
            c.data.dataset.name(),
        ));
    };
    let mut corpus = dataset.load(&exp.data_dir())?;
    if corpus.vocab.len() != vocab {
        return Err(Error::invalid_value(
            &exp.file,
            "model.vocab",
            format!(
                "the vocabulary size of `{}` ({} words in its training text)",
                dataset.name(),
                corpus.vocab.len()
            ),
            vocab.to_string(),
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
pub fn load_image_data(exp: &Experiment) -> Result<ImageData> {
    let c = &exp.config;
    let Dataset::Image(dataset) = c.data.dataset else {
        return Err(Error::invalid_value(
            &exp.file,
            "data.dataset",
            "an image dataset",
            c.data.dataset.name(),
        ));
    };
    let Interface::Images {
        classes,
        in_channels: channels,
        ..
    } = c.model.interface()
    else {
        return Err(Error::invalid_value(
            &exp.file,
            "model.architecture",
            format!("an image classifier ({})", image_architectures()),
            c.model.task().network(),
        ));
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
    Ok(ImageData { train, test, stats })
}

/// The names of the image classifiers, for messages (`"resnet" or "wrn"`).
fn image_architectures() -> String {
    names(Task::Images)
}

/// The architectures of `task` as `"a" or "b"`.
fn names(task: Task) -> String {
    let quoted: Vec<String> = ModelConfig::architectures_of(task)
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect();
    quoted.join(" or ")
}

/// The model fits the dataset: the model's own checks, a network of the dataset's task, what
/// the task needs (two labels and a tokenizer from a pretrained directory for sentences,
/// sequences no longer than the positions the model has), and each dataset's keys only with it.
pub(crate) fn check_pairing(c: &ExperimentConfig, file: &str, text: &str) -> Result<()> {
    let at = |key: &str| key_line(text, key).map_or(file.to_string(), |l| format!("{file}:{l}"));
    let d = &c.data;
    let task = task_of(d.dataset);
    if c.model.task() != task {
        return Err(Error::invalid_value(
            at("model.architecture"),
            "model.architecture",
            format!("{} for {}", names(task), task.data()),
            format!(
                "\"{}\", {} (dataset `{}`)",
                c.model.name(),
                c.model.task().network(),
                d.dataset.name()
            ),
        ));
    }
    c.model.validate().map_err(|e| e.in_file(file, text, ""))?;
    let checks: Vec<(&str, bool, &str, String)> = match c.model.interface() {
        Interface::Images { preprocessed, .. } => {
            let mut checks = vec![(
                "data.normalize",
                !(preprocessed && d.normalize),
                "false for an imported network (its [model] scale, mean and std give the input it expects)",
                d.normalize.to_string(),
            )];
            checks.extend(not_for(
                "no text or sentence keys for an image dataset",
                &[
                    ("data.bptt", d.bptt.map(|v| v.to_string())),
                    (
                        "data.eval_batch_size",
                        d.eval_batch_size.map(|v| v.to_string()),
                    ),
                    ("data.max_len", d.max_len.map(|v| v.to_string())),
                    ("data.dev_fraction", d.dev_fraction.map(|v| v.to_string())),
                ],
            ));
            checks
        }
        Interface::Text { .. } => {
            let (bptt, eval) = (d.bptt(), d.eval_batch_size());
            let mut checks = vec![
                ("data.bptt", bptt >= 1, "at least 1 step", bptt.to_string()),
                (
                    "data.eval_batch_size",
                    eval >= 1,
                    "at least 1",
                    eval.to_string(),
                ),
            ];
            checks.extend(not_for(
                "no sentence keys for a text corpus",
                &[
                    ("data.max_len", d.max_len.map(|v| v.to_string())),
                    ("data.dev_fraction", d.dev_fraction.map(|v| v.to_string())),
                ],
            ));
            checks.extend(no_augmentation(d));
            checks
        }
        Interface::Sentences {
            num_labels,
            max_position_embeddings,
            ..
        } => {
            let (max_len, eval, dev) = (d.max_len(), d.eval_batch_size(), d.dev_fraction());
            let mut checks = vec![
                (
                    "model.pretrained",
                    c.model.pretrained().is_some(),
                    "a pretrained model directory (e.g. \"minilm\", `aimc data fetch minilm`): its tokenizer reads the sentences",
                    "nothing".to_string(),
                ),
                (
                    "model.num_labels",
                    num_labels == 2,
                    "2 labels (negative, positive)",
                    num_labels.to_string(),
                ),
                (
                    "data.max_len",
                    max_len >= 3 && max_len <= max_position_embeddings,
                    "at least 3 tokens and at most the model's max_position_embeddings",
                    format!("{max_len} (max_position_embeddings {max_position_embeddings})"),
                ),
                (
                    "data.eval_batch_size",
                    eval >= 1,
                    "at least 1",
                    eval.to_string(),
                ),
                (
                    "data.dev_fraction",
                    dev > 0.0 && dev < 1.0,
                    "a fraction in (0, 1)",
                    dev.to_string(),
                ),
            ];
            if let Dataset::Sentences(sentences) = d.dataset
                && !sentences.is_split()
            {
                checks.extend(not_for(
                    "no dev_fraction for `sst2` (its dev.tsv is the evaluation set)",
                    &[("data.dev_fraction", d.dev_fraction.map(|v| v.to_string()))],
                ));
            }
            checks.extend(not_for(
                "no bptt for sentences",
                &[("data.bptt", d.bptt.map(|v| v.to_string()))],
            ));
            checks.extend(no_augmentation(d));
            checks
        }
    };
    for (key, ok, expected, found) in checks {
        if !ok {
            return Err(Error::invalid_value(at(key), key, expected, found));
        }
    }
    Ok(())
}

/// Checks that refuse the keys of `keys` that are set (`expected` says why).
fn not_for<'a>(
    expected: &'a str,
    keys: &[(&'a str, Option<String>)],
) -> Vec<(&'a str, bool, &'a str, String)> {
    keys.iter()
        .filter_map(|(key, v)| v.clone().map(|v| (*key, false, expected, v)))
        .collect()
}

/// Checks that refuse image augmentation for a text or sentences.
fn no_augmentation(d: &DataConfig) -> Vec<(&'static str, bool, &'static str, String)> {
    vec![
        (
            "data.crop_padding",
            d.crop_padding == 0,
            "no image augmentation for text",
            d.crop_padding.to_string(),
        ),
        (
            "data.horizontal_flip",
            !d.horizontal_flip,
            "no image augmentation for text",
            "true".into(),
        ),
    ]
}
