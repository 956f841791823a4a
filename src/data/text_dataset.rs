//! The text datasets a language-model experiment can name and where their files are: Penn
//! Treebank (`ptb.{train,valid,test}.txt`, `aimc data fetch ptb`) and WikiText-2
//! (`wiki.{train,valid,test}.tokens`, supplied by the user), each in `<data dir>/<name>/` unless
//! the experiment gives a directory.

use super::text_corpus::TextCorpus;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A text dataset by name (`dataset = "..."` in a language-model experiment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextDataset {
    Ptb,
    Wikitext2,
}

impl TextDataset {
    /// The name used in files and directories.
    pub fn name(self) -> &'static str {
        match self {
            TextDataset::Ptb => "ptb",
            TextDataset::Wikitext2 => "wikitext2",
        }
    }

    /// The training, validation and test files.
    pub fn files(self) -> [&'static str; 3] {
        match self {
            TextDataset::Ptb => ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"],
            TextDataset::Wikitext2 => {
                ["wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"]
            }
        }
    }

    /// `<data dir>/<name>` (see `aimc data list`).
    pub fn default_dir(self) -> PathBuf {
        super::catalog::data_dir().join(self.name())
    }

    /// Reads the three splits from `dir`.
    pub fn load(self, dir: &Path) -> Result<TextCorpus> {
        let [train, valid, test] = self.files().map(|f| dir.join(f));
        if let Some(missing) = [&train, &valid, &test].into_iter().find(|p| !p.is_file()) {
            return Err(Error::data(
                missing.display(),
                format!(
                    "missing; `aimc data fetch {}` gets the dataset or says where to put it",
                    self.name()
                ),
            ));
        }
        TextCorpus::read(&train, &valid, &test)
    }
}
