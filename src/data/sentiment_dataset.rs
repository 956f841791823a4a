//! The sentence-classification datasets an experiment can name and where their files are: GLUE
//! SST-2 (`train.tsv` for training, `dev.tsv` for evaluation: the test labels are not public;
//! supplied by the user) and the Rotten Tomatoes snippets (`aimc data fetch sentiment`; one file,
//! split into training and dev sets by a seeded shuffle), each in `<data dir>/<name>/` unless the
//! experiment gives a directory.

use super::sentence_dataset::{SentenceSet, read_snippets, read_sst2_tsv, split};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A sentence dataset by name (`dataset = "..."` in a BERT experiment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SentimentDataset {
    Sst2,
    Sentiment,
}

/// The snippets file of `aimc data fetch sentiment`.
const SNIPPETS: &str = "movieReviewSnippets_GroundTruth.txt";

impl SentimentDataset {
    /// The name used in files and directories.
    pub fn name(self) -> &'static str {
        match self {
            SentimentDataset::Sst2 => "sst2",
            SentimentDataset::Sentiment => "sentiment",
        }
    }

    /// Whether the dataset is one file split by `dev_fraction` (else it has its own dev file).
    pub fn is_split(self) -> bool {
        self == SentimentDataset::Sentiment
    }

    /// `<data dir>/<name>` (see `aimc data list`).
    pub fn default_dir(self) -> PathBuf {
        super::catalog::data_dir().join(self.name())
    }

    /// The training and evaluation sentences in `dir`; the snippets are split with
    /// `dev_fraction` and `seed`.
    pub fn load(
        self,
        dir: &Path,
        dev_fraction: f64,
        seed: u64,
    ) -> Result<(SentenceSet, SentenceSet)> {
        let files: &[&str] = match self {
            SentimentDataset::Sst2 => &["train.tsv", "dev.tsv"],
            SentimentDataset::Sentiment => &[SNIPPETS],
        };
        if let Some(missing) = files.iter().map(|f| dir.join(f)).find(|p| !p.is_file()) {
            return Err(Error::data(
                missing.display(),
                format!(
                    "missing; `aimc data fetch {}` gets the dataset or says where to put it",
                    self.name()
                ),
            ));
        }
        Ok(match self {
            SentimentDataset::Sst2 => (
                read_sst2_tsv(&dir.join("train.tsv"))?,
                read_sst2_tsv(&dir.join("dev.tsv"))?,
            ),
            SentimentDataset::Sentiment => {
                split(&read_snippets(&dir.join(SNIPPETS))?, dev_fraction, seed)
            }
        })
    }
}
