//! The `[data]` section of an experiment: an image dataset (subsets, augmentation,
//! normalisation), a text corpus (subsets, the BPTT window, evaluation streams) or labelled
//! sentences (subsets, the longest sentence, the held-out fraction); defaults written out by
//! their accessors.

use crate::data::Dataset;
use serde::{Deserialize, Serialize};

/// `[data]`: an image dataset (subsets, augmentation) or a text corpus (subsets, the BPTT
/// window, the evaluation batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    pub dataset: Dataset,
    /// Directory of the files (default: `<data dir>/<dataset>`, see `aimc data list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// Use only the first N training / test images, or words of a text (0 = all; for a text
    /// `test_subset` caps the validation split too).
    #[serde(default)]
    pub train_subset: usize,
    #[serde(default)]
    pub test_subset: usize,
    /// Text: steps of truncated back-propagation through time [default 35].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bptt: Option<usize>,
    /// Text: parallel streams of validation and test evaluation [default 10]; sentences: the
    /// evaluation batch [default 32].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_batch_size: Option<usize>,
    /// Sentences: at most this many tokens, [CLS] and [SEP] included [default 128].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<usize>,
    /// Sentences of one file (`sentiment`): the fraction held out for evaluation, chosen by a
    /// shuffle seeded with the experiment's seed [default 0.1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev_fraction: Option<f64>,
    /// Random crop after zero padding of this many pixels (0 = none).
    #[serde(default)]
    pub crop_padding: usize,
    #[serde(default)]
    pub horizontal_flip: bool,
    /// Normalise each channel by the training set's mean and std.
    #[serde(default = "yes")]
    pub normalize: bool,
}

pub(super) fn yes() -> bool {
    true
}

impl DataConfig {
    /// The BPTT window of a text (35 unless given: Zaremba et al.'s and the paper's).
    pub fn bptt(&self) -> usize {
        self.bptt.unwrap_or(35)
    }

    /// Streams of the evaluation of a text (10 unless given), sentences per evaluation batch (32).
    pub fn eval_batch_size(&self) -> usize {
        let default = match self.dataset {
            Dataset::Sentences(_) => 32,
            _ => 10,
        };
        self.eval_batch_size.unwrap_or(default)
    }

    /// The longest token sequence of a sentence (128 unless given).
    pub fn max_len(&self) -> usize {
        self.max_len.unwrap_or(128)
    }

    /// The section with the defaults of its dataset's kind written out (as saved beside a
    /// checkpoint).
    pub fn with_defaults_written(&self) -> DataConfig {
        let mut c = self.clone();
        if c.dataset.is_text() {
            c.bptt = Some(c.bptt());
            c.eval_batch_size = Some(c.eval_batch_size());
        }
        if let Dataset::Sentences(d) = c.dataset {
            c.max_len = Some(c.max_len());
            c.eval_batch_size = Some(c.eval_batch_size());
            if d.is_split() {
                c.dev_fraction = Some(c.dev_fraction());
            }
        }
        c
    }

    /// The held-out fraction of a one-file sentence dataset (0.1 unless given).
    pub fn dev_fraction(&self) -> f64 {
        self.dev_fraction.unwrap_or(0.1)
    }
}
