//! Word-level text corpora for language models (Penn Treebank `ptb.{train,valid,test}.txt`,
//! WikiText-2 `wiki.{train,valid,test}.tokens`): one sentence per line, words split on
//! whitespace, `<eos>` appended to every line (as the reference word-language-model reader
//! does, so blank lines count as one `<eos>`). The vocabulary is built from the training split,
//! ids in order of first appearance; `<unk>` is an ordinary word of these corpora. A word of the
//! validation or test split that the training split lacks becomes `<unk>`, or is an error naming
//! the file and line when the vocabulary has no `<unk>`.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

/// The end-of-sentence token appended to every line.
pub const EOS: &str = "<eos>";
/// The unknown-word token of PTB and WikiText.
pub const UNK: &str = "<unk>";

/// Words and their ids.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vocabulary {
    words: Vec<String>,
    index: HashMap<String, u32>,
}

impl Vocabulary {
    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The id of `word`.
    pub fn id(&self, word: &str) -> Option<u32> {
        self.index.get(word).copied()
    }

    /// The word of `id`.
    pub fn word(&self, id: u32) -> Option<&str> {
        self.words.get(id as usize).map(String::as_str)
    }

    /// The id of `word`, adding it when new.
    fn add(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.index.get(word) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.push(word.to_string());
        self.index.insert(word.to_string(), id);
        id
    }
}

/// The words of `text`, line by line, each line followed by `<eos>`, with its 1-based line number.
fn words_of(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().flat_map(|(i, line)| {
        line.split_whitespace()
            .chain(std::iter::once(EOS))
            .map(move |w| (i + 1, w))
    })
}

/// A corpus as token ids.
#[derive(Debug, Clone, PartialEq)]
pub struct TextCorpus {
    pub vocab: Vocabulary,
    pub train: Vec<u32>,
    pub valid: Vec<u32>,
    pub test: Vec<u32>,
}

impl TextCorpus {
    /// Builds the vocabulary from `train` and encodes all three texts; `names` name the texts in
    /// errors (train, valid, test).
    pub fn from_texts(train: &str, valid: &str, test: &str, names: [&str; 3]) -> Result<Self> {
        if train.split_whitespace().next().is_none() {
            return Err(Error::data(
                names[0],
                "no words: the training text is empty",
            ));
        }
        let mut vocab = Vocabulary::default();
        let train_ids: Vec<u32> = words_of(train).map(|(_, w)| vocab.add(w)).collect();
        let encode = |text: &str, name: &str| -> Result<Vec<u32>> {
            let unk = vocab.id(UNK);
            words_of(text)
                .map(|(line, w)| match (vocab.id(w), unk) {
                    (Some(id), _) => Ok(id),
                    (None, Some(unk)) => Ok(unk),
                    (None, None) => Err(Error::data(
                        format!("{name}:{line}"),
                        format!(
                            "word `{w}` is not in the training vocabulary, which has no `{UNK}` \
                             to stand for it"
                        ),
                    )),
                })
                .collect()
        };
        let valid_ids = encode(valid, names[1])?;
        let test_ids = encode(test, names[2])?;
        Ok(Self {
            vocab,
            train: train_ids,
            valid: valid_ids,
            test: test_ids,
        })
    }

    /// Reads the three files.
    pub fn read(train: &Path, valid: &Path, test: &Path) -> Result<Self> {
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Error::io(p, e));
        let names = [train, valid, test].map(|p| p.display().to_string());
        Self::from_texts(
            &read(train)?,
            &read(valid)?,
            &read(test)?,
            [&names[0], &names[1], &names[2]],
        )
    }
}

/// A token stream cut into `batch` contiguous streams, one per row of a [batch, len] matrix
/// (row-major), for truncated back-propagation through time: row b holds tokens
/// b * len .. (b + 1) * len; the tokens after batch * len are dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamBatches {
    pub data: Vec<u32>,
    pub batch: usize,
    pub len: usize,
}

impl StreamBatches {
    /// Cuts `tokens` into `batch` streams; an error when a stream would hold fewer than 2 tokens.
    pub fn new(tokens: &[u32], batch: usize) -> Result<Self> {
        let len = tokens.len().checked_div(batch).unwrap_or(0);
        if batch == 0 || len < 2 {
            return Err(Error::invalid_argument(
                "batch size",
                format!(
                    "at least 1 and at most half the {} tokens of the text",
                    tokens.len()
                ),
                batch,
            ));
        }
        Ok(Self {
            data: tokens[..batch * len].to_vec(),
            batch,
            len,
        })
    }

    /// The windows of at most `bptt` steps: (start, steps) with inputs at start .. start + steps
    /// and targets one token later; every token but the last of a stream is an input once.
    pub fn windows(&self, bptt: usize) -> Vec<(usize, usize)> {
        let bptt = bptt.max(1);
        (0..self.len - 1)
            .step_by(bptt)
            .map(|s| (s, bptt.min(self.len - 1 - s)))
            .collect()
    }

    /// Inputs and targets [batch, steps] of the window at `start`, row-major.
    pub fn window(&self, start: usize, steps: usize) -> (Vec<u32>, Vec<u32>) {
        let mut inputs = Vec::with_capacity(self.batch * steps);
        let mut targets = Vec::with_capacity(self.batch * steps);
        for b in 0..self.batch {
            let row = &self.data[b * self.len..(b + 1) * self.len];
            inputs.extend_from_slice(&row[start..start + steps]);
            targets.extend_from_slice(&row[start + 1..start + steps + 1]);
        }
        (inputs, targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRAIN: &str = " the cat sat \n the dog <unk> \n\n";
    const NAMES: [&str; 3] = ["train.txt", "valid.txt", "test.txt"];

    #[test]
    fn vocabulary_comes_from_training_in_order_with_eos_per_line() {
        let c = TextCorpus::from_texts(TRAIN, "the bird\n", "dog\n", NAMES).unwrap();
        let words: Vec<&str> = (0..c.vocab.len() as u32)
            .map(|i| c.vocab.word(i).unwrap())
            .collect();
        assert_eq!(words, ["the", "cat", "sat", "<eos>", "dog", "<unk>"]);
        // 3 lines: 3 + 1, 3 + 1, 0 + 1 tokens.
        assert_eq!(c.train, [0, 1, 2, 3, 0, 4, 5, 3, 3]);
        // `bird` is unknown: `<unk>`.
        assert_eq!(c.valid, [0, 5, 3]);
        assert_eq!(c.test, [4, 3]);
    }

    #[test]
    fn unknown_word_without_unk_names_file_and_line() {
        let err = TextCorpus::from_texts("a b\n", "a\na c\n", "a\n", NAMES)
            .unwrap_err()
            .to_string();
        assert!(err.contains("valid.txt:2") && err.contains("`c`"), "{err}");
        let err = TextCorpus::from_texts(" \n", "a\n", "a\n", NAMES)
            .unwrap_err()
            .to_string();
        assert!(err.contains("train.txt") && err.contains("empty"), "{err}");
    }

    #[test]
    fn streams_and_bptt_windows_have_the_expected_shapes() {
        let tokens: Vec<u32> = (0..23).collect();
        let s = StreamBatches::new(&tokens, 4).unwrap();
        // 23 / 4 = 5 tokens a stream, the last 3 dropped.
        assert_eq!((s.batch, s.len, s.data.len()), (4, 5, 20));
        assert_eq!(s.windows(3), [(0, 3), (3, 1)]);
        let (x, y) = s.window(0, 3);
        assert_eq!(x, [0, 1, 2, 5, 6, 7, 10, 11, 12, 15, 16, 17]);
        assert_eq!(y, [1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18]);
        let (x, y) = s.window(3, 1);
        assert_eq!((x, y), (vec![3, 8, 13, 18], vec![4, 9, 14, 19]));
        assert!(StreamBatches::new(&tokens, 12).is_err());
        assert!(StreamBatches::new(&tokens, 0).is_err());
    }
}
