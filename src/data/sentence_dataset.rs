//! Labelled sentences for sentiment classification: GLUE SST-2 (`train.tsv` and `dev.tsv`,
//! header `sentence<TAB>label`, labels 0/1, user-supplied) and the Rotten Tomatoes snippets of
//! Hutto (2014) (`movieReviewSnippets_GroundTruth.txt`: header, `id<TAB>score<TAB>text`, CRLF;
//! label 1 for a positive score, 0 for a negative one, zero scores dropped) split into training
//! and dev sets by a seeded shuffle. Errors name the file, the line and the column.

use crate::error::{Error, Result};
use crate::rng::NoiseRng;
use std::path::Path;

/// Sentences and their labels (0 = negative, 1 = positive).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SentenceSet {
    pub sentences: Vec<String>,
    pub labels: Vec<u32>,
}

impl SentenceSet {
    pub fn len(&self) -> usize {
        self.sentences.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sentences.is_empty()
    }

    /// How many of each label: [negative, positive].
    pub fn counts(&self) -> [usize; 2] {
        let positive = self.labels.iter().filter(|&&l| l == 1).count();
        [self.len() - positive, positive]
    }
}

/// The lines of a text file after its header, numbered from 2, without line endings.
fn data_lines(path: &Path, header: &[&str]) -> Result<Vec<(usize, String)>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let first = lines.next().unwrap_or_default();
    let found: Vec<&str> = first.split('\t').collect();
    if found != header {
        return Err(Error::data(
            format!("{}:1", path.display()),
            format!(
                "expected the header `{}`, found `{}`",
                header.join("<TAB>"),
                found.join("<TAB>")
            ),
        ));
    }
    Ok(lines
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 2, l.to_string()))
        .collect())
}

/// A GLUE SST-2 TSV file: `sentence<TAB>label`.
pub fn read_sst2_tsv(path: &Path) -> Result<SentenceSet> {
    let mut set = SentenceSet::default();
    for (line, text) in data_lines(path, &["sentence", "label"])? {
        let at = format!("{}:{line}", path.display());
        let Some((sentence, label)) = text.rsplit_once('\t') else {
            return Err(Error::data(at, "expected `sentence<TAB>label` (2 columns)"));
        };
        let label = match label.trim() {
            "0" => 0,
            "1" => 1,
            other => {
                return Err(Error::data(
                    at,
                    format!("column 2 (label): expected 0 or 1, found `{other}`"),
                ));
            }
        };
        set.sentences.push(sentence.trim().to_string());
        set.labels.push(label);
    }
    Ok(set)
}

/// The snippets file: every sentence with a non-zero score, labelled by the score's sign.
pub fn read_snippets(path: &Path) -> Result<SentenceSet> {
    let mut set = SentenceSet::default();
    for (line, text) in data_lines(path, &["id", "sentiment", "text"])? {
        let at = format!("{}:{line}", path.display());
        let cols: Vec<&str> = text.splitn(3, '\t').collect();
        if cols.len() != 3 {
            return Err(Error::data(
                at,
                format!(
                    "expected 3 columns (id, sentiment, text), found {}",
                    cols.len()
                ),
            ));
        }
        let score: f64 = cols[1].trim().parse().map_err(|_| {
            Error::data(
                &at,
                format!(
                    "column 2 (sentiment): expected a number, found `{}`",
                    cols[1]
                ),
            )
        })?;
        if score == 0.0 {
            continue;
        }
        set.sentences.push(cols[2].trim().to_string());
        set.labels.push(u32::from(score > 0.0));
    }
    Ok(set)
}

/// Splits `set` by a shuffle seeded with `seed`: the first `dev_fraction` of the shuffled
/// sentences (rounded) for dev, the rest for training, both in the shuffled order, so that the
/// first N of either are a random sample (the snippets file lists every positive sentence first).
pub fn split(set: &SentenceSet, dev_fraction: f64, seed: u64) -> (SentenceSet, SentenceSet) {
    let n = set.len();
    let order = NoiseRng::new(seed).permutation(n);
    let n_dev = ((n as f64 * dev_fraction).round() as usize).min(n);
    let take = |indices: &[usize]| SentenceSet {
        sentences: indices.iter().map(|&i| set.sentences[i].clone()).collect(),
        labels: indices.iter().map(|&i| set.labels[i]).collect(),
    };
    (take(&order[n_dev..]), take(&order[..n_dev]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.tsv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn sst2_and_snippets_read_and_bad_lines_are_named() {
        let (_d, p) = write("sentence\tlabel\na fine film \t1\nboring\t0\n\n");
        let s = read_sst2_tsv(&p).unwrap();
        assert_eq!(s.sentences, ["a fine film", "boring"]);
        assert_eq!(s.labels, [1, 0]);
        let (_d, p) = write("sentence\tlabel\nok\t1\nbad\tyes\n");
        let e = read_sst2_tsv(&p).unwrap_err().to_string();
        assert!(
            e.contains("f.tsv:3") && e.contains("column 2") && e.contains("`yes`"),
            "{e}"
        );
        let (_d, p) = write("text\tlabel\n");
        let e = read_sst2_tsv(&p).unwrap_err().to_string();
        assert!(
            e.contains("f.tsv:1") && e.contains("sentence<TAB>label"),
            "{e}"
        );

        let (_d, p) =
            write("id\tsentiment\ttext\r\n1\t2.5\tGreat.\r\n2\t0\tMeh.\r\n3\t-1.2\tDull.\r\n");
        let s = read_snippets(&p).unwrap();
        assert_eq!(s.sentences, ["Great.", "Dull."]);
        assert_eq!(s.labels, [1, 0]);
        let (_d, p) = write("id\tsentiment\ttext\n1\tgood\tGreat.\n");
        let e = read_snippets(&p).unwrap_err().to_string();
        assert!(
            e.contains("f.tsv:2") && e.contains("column 2 (sentiment)"),
            "{e}"
        );
    }

    #[test]
    fn the_split_is_seeded_and_complete() {
        let set = SentenceSet {
            sentences: (0..100).map(|i| format!("s{i}")).collect(),
            labels: (0..100).map(|i| i % 2).collect(),
        };
        let (train, dev) = split(&set, 0.1, 7);
        assert_eq!((train.len(), dev.len()), (90, 10));
        // Shuffled: the first half of the training set is not the file's first half.
        let first: Vec<&String> = train.sentences[..45].iter().collect();
        assert!(first.iter().any(|s| s[1..].parse::<usize>().unwrap() >= 50));
        // Each sentence keeps its label.
        for (s, l) in train.sentences.iter().zip(&train.labels) {
            assert_eq!(s[1..].parse::<u32>().unwrap() % 2, *l);
        }
        assert_eq!(split(&set, 0.1, 7), (train.clone(), dev.clone()));
        assert_ne!(split(&set, 0.1, 8).1, dev);
        let mut all: Vec<&String> = train.sentences.iter().chain(&dev.sentences).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 100);
    }
}
