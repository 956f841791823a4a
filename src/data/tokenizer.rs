//! Sentence tokenizer for BERT models: the `tokenizers` crate reading a model's `tokenizer.json`,
//! or a BERT WordPiece tokenizer built from its `vocab.txt` (lower-casing, accents stripped,
//! `[CLS]` ... `[SEP]`). Padding and truncation are ours, not the file's: a batch is padded to
//! its longest sentence (at most `max_len` tokens, the last kept token being `[SEP]`), with an
//! attention mask of 1 for tokens and 0 for padding.

use crate::error::{Error, Result};
use std::path::Path;
use tokenizers::Tokenizer;

/// A batch of encoded sentences: ids and attention mask, [batch, len] row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedBatch {
    pub ids: Vec<u32>,
    pub mask: Vec<u32>,
    pub batch: usize,
    pub len: usize,
}

/// A BERT tokenizer.
#[derive(Debug, Clone)]
pub struct SentenceTokenizer {
    inner: Tokenizer,
    pad_id: u32,
    sep_id: u32,
}

impl SentenceTokenizer {
    /// `tokenizer.json` of `dir` if present, else its `vocab.txt`.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let json = dir.join("tokenizer.json");
        if json.is_file() {
            Self::from_json(&json)
        } else {
            Self::from_vocab(&dir.join("vocab.txt"))
        }
    }

    /// A `tokenizer.json` file (its own padding and truncation are switched off).
    pub fn from_json(path: &Path) -> Result<Self> {
        let mut inner = Tokenizer::from_file(path)
            .map_err(|e| Error::data(path.display(), format!("not a tokenizer.json: {e}")))?;
        inner.with_padding(None);
        inner
            .with_truncation(None)
            .map_err(|e| Error::data(path.display(), e.to_string()))?;
        Self::with_special_tokens(inner, path)
    }

    /// The BERT (uncased) WordPiece tokenizer of a `vocab.txt`, one token a line.
    pub fn from_vocab(path: &Path) -> Result<Self> {
        use tokenizers::models::wordpiece::WordPiece;
        use tokenizers::normalizers::bert::BertNormalizer;
        use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
        use tokenizers::processors::bert::BertProcessing;
        let name = path.display().to_string();
        if !path.is_file() {
            return Err(Error::data(
                &name,
                "missing: a BERT model directory holds tokenizer.json or vocab.txt",
            ));
        }
        let model = WordPiece::from_file(&name)
            .unk_token("[UNK]".into())
            .build()
            .map_err(|e| Error::data(&name, format!("not a WordPiece vocabulary: {e}")))?;
        let mut inner = Tokenizer::new(model);
        let id = |t: &str| {
            inner
                .token_to_id(t)
                .ok_or_else(|| Error::data(&name, format!("no `{t}` token")))
        };
        let (sep, cls) = (id("[SEP]")?, id("[CLS]")?);
        inner
            .with_normalizer(Some(BertNormalizer::new(true, true, None, true)))
            .map_err(|e| Error::data(&name, e.to_string()))?;
        inner.with_pre_tokenizer(Some(BertPreTokenizer));
        inner.with_post_processor(Some(BertProcessing::new(
            ("[SEP]".into(), sep),
            ("[CLS]".into(), cls),
        )));
        inner.with_decoder(Some(tokenizers::decoders::wordpiece::WordPiece::default()));
        let specials: Vec<tokenizers::AddedToken> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
            .into_iter()
            .filter(|t| inner.token_to_id(t).is_some())
            .map(|t| tokenizers::AddedToken::from(t, true))
            .collect();
        inner
            .add_special_tokens(specials)
            .map_err(|e| Error::data(&name, e.to_string()))?;
        Self::with_special_tokens(inner, path)
    }

    fn with_special_tokens(inner: Tokenizer, path: &Path) -> Result<Self> {
        let id = |t: &str| {
            inner
                .token_to_id(t)
                .ok_or_else(|| Error::data(path.display(), format!("no `{t}` token")))
        };
        Ok(Self {
            pad_id: id("[PAD]")?,
            sep_id: id("[SEP]")?,
            inner,
        })
    }

    /// The number of tokens the model's embedding must hold.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The ids of `sentence` with `[CLS]` and `[SEP]`.
    pub fn encode(&self, sentence: &str) -> Result<Vec<u32>> {
        let e = self
            .inner
            .encode(sentence, true)
            .map_err(|e| Error::Tensor(format!("tokenizing `{sentence}`: {e}")))?;
        Ok(e.get_ids().to_vec())
    }

    /// The text of `ids` (special tokens dropped, WordPiece pieces joined).
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, true)
            .map_err(|e| Error::Tensor(format!("decoding: {e}")))
    }

    /// `sentences` padded to the longest (at most `max_len` >= 2 tokens, truncated ones ending
    /// with `[SEP]`), with their attention masks.
    pub fn encode_batch(&self, sentences: &[&str], max_len: usize) -> Result<EncodedBatch> {
        let max_len = max_len.max(2);
        let mut rows = sentences
            .iter()
            .map(|s| self.encode(s))
            .collect::<Result<Vec<_>>>()?;
        for r in &mut rows {
            if r.len() > max_len {
                r.truncate(max_len - 1);
                r.push(self.sep_id);
            }
        }
        let len = rows.iter().map(Vec::len).max().unwrap_or(0);
        let (mut ids, mut mask) = (Vec::new(), Vec::new());
        for r in &rows {
            ids.extend_from_slice(r);
            ids.extend(std::iter::repeat_n(self.pad_id, len - r.len()));
            mask.extend(std::iter::repeat_n(1, r.len()));
            mask.extend(std::iter::repeat_n(0, len - r.len()));
        }
        Ok(EncodedBatch {
            ids,
            mask,
            batch: rows.len(),
            len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vocabulary of a few words, written as a `vocab.txt`.
    fn tokenizer() -> (tempfile::TempDir, SentenceTokenizer) {
        let dir = tempfile::tempdir().unwrap();
        let words = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "was", "great", "!",
            "bor", "##ing",
        ];
        std::fs::write(dir.path().join("vocab.txt"), words.join("\n") + "\n").unwrap();
        let t = SentenceTokenizer::from_dir(dir.path()).unwrap();
        (dir, t)
    }

    #[test]
    fn vocab_txt_round_trip_padding_and_truncation() {
        let (_dir, t) = tokenizer();
        assert_eq!(t.vocab_size(), 12);
        let ids = t.encode("The movie was BORING!").unwrap();
        assert_eq!(ids, [2, 5, 6, 7, 10, 11, 9, 3]);
        assert_eq!(t.decode(&ids).unwrap(), "the movie was boring!");
        // An unknown word is [UNK].
        assert_eq!(t.encode("great plot").unwrap(), [2, 8, 1, 3]);
        let b = t
            .encode_batch(&["the movie was great", "great", "the movie was boring"], 5)
            .unwrap();
        assert_eq!((b.batch, b.len), (3, 5));
        // Truncated to 5 with [SEP] last; padded with [PAD] = 0, mask 0.
        assert_eq!(&b.ids[..5], [2, 5, 6, 7, 3]);
        assert_eq!(&b.ids[5..10], [2, 8, 3, 0, 0]);
        assert_eq!(&b.mask[5..10], [1, 1, 1, 0, 0]);
        assert_eq!(&b.ids[10..], [2, 5, 6, 7, 3]);
    }

    #[test]
    fn a_missing_vocabulary_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = SentenceTokenizer::from_dir(dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("vocab.txt") && e.contains("tokenizer.json"),
            "{e}"
        );
    }
}
