//! Text data on the real files: Penn Treebank (issue 7), the canonical vocabulary and token counts
//! of shared/data.md. Runs when `aimc data fetch ptb` has stored the files in the data directory
//! (`$AIMC_DATA`, else `./data`); skipped with a message otherwise.

use aimc::data::text_corpus::{EOS, StreamBatches};
use aimc::data::text_dataset::TextDataset;

#[test]
fn penn_treebank_has_the_canonical_vocabulary_and_token_counts() {
    let dir = TextDataset::Ptb.default_dir();
    if !dir.join("ptb.train.txt").is_file() {
        eprintln!(
            "skipped: {} has no Penn Treebank (aimc data fetch ptb)",
            dir.display()
        );
        return;
    }
    let c = TextDataset::Ptb.load(&dir).unwrap();
    assert_eq!(c.vocab.len(), 10_000);
    assert_eq!(
        (c.train.len(), c.valid.len(), c.test.len()),
        (929_589, 73_760, 82_430)
    );
    // Every line ends with <eos>: the last token of each split.
    let eos = c.vocab.id(EOS).unwrap();
    assert!(
        [&c.train, &c.valid, &c.test]
            .iter()
            .all(|s| *s.last().unwrap() == eos)
    );
    // The paper's training batches: 20 streams of 46,479 tokens.
    let s = StreamBatches::new(&c.train, 20).unwrap();
    assert_eq!(s.len, 46_479);
}

#[test]
fn a_missing_corpus_names_the_file_and_the_fetch_command() {
    let dir = tempfile::tempdir().unwrap();
    let err = TextDataset::Wikitext2
        .load(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("wiki.train.tokens") && err.contains("aimc data fetch wikitext2"),
        "{err}"
    );
}

/// The Rotten Tomatoes snippets (issue 8): 10,605 sentences, 37 with a zero score dropped,
/// 5,242 positive and 5,326 negative (shared/data.md). Runs when `aimc data fetch sentiment` has
/// stored the file; skipped with a message otherwise.
#[test]
fn the_movie_review_snippets_have_the_documented_labels() {
    use aimc::data::sentence_dataset::{read_snippets, split};
    let path = aimc::data::catalog::data_dir()
        .join("sentiment")
        .join("movieReviewSnippets_GroundTruth.txt");
    if !path.is_file() {
        eprintln!(
            "skipped: {} missing (aimc data fetch sentiment)",
            path.display()
        );
        return;
    }
    let set = read_snippets(&path).unwrap();
    assert_eq!(set.counts(), [5_326, 5_242]);
    assert!(set.sentences[0].starts_with("The Rock is destined"));
    let (train, dev) = split(&set, 0.1, 0);
    assert_eq!((train.len(), dev.len()), (9_511, 1_057));
}
