//! Text corpora on the real Penn Treebank (issue 7): the canonical vocabulary and token counts
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
