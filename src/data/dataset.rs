//! The dataset an experiment names (`[data] dataset = "..."`): an image dataset (for the image
//! classifiers), a text corpus (for the language model) or labelled sentences (for BERT).
//! Written and read as its name.

use super::image_dataset::ImageDataset;
use super::sentiment_dataset::SentimentDataset;
use super::text_dataset::TextDataset;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::PathBuf;

/// An image, a text or a sentence dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    Image(ImageDataset),
    Text(TextDataset),
    Sentences(SentimentDataset),
}

/// Every name a `dataset` key accepts.
pub const DATASET_NAMES: [&str; 10] = [
    "fashion-mnist",
    "fashion-mnist-demo",
    "mnist",
    "cifar10",
    "cifar100",
    "png-folder",
    "ptb",
    "wikitext2",
    "sst2",
    "sentiment",
];

impl Dataset {
    /// The dataset called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        let value = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(name);
        if let Ok(d) = ImageDataset::deserialize(value) {
            return Some(Dataset::Image(d));
        }
        let value = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(name);
        if let Ok(d) = TextDataset::deserialize(value) {
            return Some(Dataset::Text(d));
        }
        let value = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(name);
        SentimentDataset::deserialize(value)
            .ok()
            .map(Dataset::Sentences)
    }

    pub fn name(self) -> &'static str {
        match self {
            Dataset::Image(d) => d.name(),
            Dataset::Text(d) => d.name(),
            Dataset::Sentences(d) => d.name(),
        }
    }

    /// `<data dir>/<name>` (see `aimc data list`).
    pub fn default_dir(self) -> PathBuf {
        match self {
            Dataset::Image(d) => d.default_dir(),
            Dataset::Text(d) => d.default_dir(),
            Dataset::Sentences(d) => d.default_dir(),
        }
    }

    /// Height and width of an image set's images.
    pub fn image_size(self) -> Option<(usize, usize)> {
        match self {
            Dataset::Image(d) => d.image_size(),
            _ => None,
        }
    }

    /// A language-model corpus.
    pub fn is_text(self) -> bool {
        matches!(self, Dataset::Text(_))
    }

    /// What training and evaluation count: `images`, `words` or `sentences`.
    pub fn items(self) -> &'static str {
        match self {
            Dataset::Image(_) => "images",
            Dataset::Text(_) => "words",
            Dataset::Sentences(_) => "sentences",
        }
    }
}

impl Serialize for Dataset {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Dataset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Dataset::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown dataset `{name}`, expected one of {}",
                DATASET_NAMES.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_and_unknown_names_are_listed() {
        for name in DATASET_NAMES {
            let d = Dataset::from_name(name).unwrap();
            assert_eq!(d.name(), name);
            assert_eq!(d.is_text(), name == "ptb" || name == "wikitext2");
            let sentences = name == "sst2" || name == "sentiment";
            assert_eq!(d.items() == "sentences", sentences);
        }
        assert!(Dataset::from_name("imagenet").is_none());
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Doc {
            dataset: Dataset,
        }
        let e = toml::from_str::<Doc>("dataset = \"imagenet\"").unwrap_err();
        assert!(e.to_string().contains("sentiment"), "{e}");
    }
}
