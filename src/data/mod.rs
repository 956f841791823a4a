//! Dataset readers (CIFAR binary, IDX plain or gzipped, folders of PNGs, one-sentence-per-line
//! text, labelled sentences, tokenizers) and seeded, augmented mini-batches.

pub mod catalog;
pub mod cifar;
pub mod dataset;
pub mod embedded;
pub mod fetch;
pub mod idx;
pub mod image_dataset;
pub mod image_set;
pub mod loader;
pub mod png_folder;
pub mod sentence_dataset;
pub mod sentiment_dataset;
pub mod text_corpus;
pub mod text_dataset;
pub mod tokenizer;
pub mod verify;

pub use dataset::Dataset;
pub use image_set::ImageSet;
pub use loader::{Augment, Loader};
