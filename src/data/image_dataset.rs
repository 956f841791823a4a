//! The image datasets an experiment can name, and where their files are: Fashion-MNIST and MNIST
//! (IDX, plain or gzipped), the Fashion-MNIST subset built into the binary, CIFAR-10 and CIFAR-100 (official binary version), a folder of PNGs
//! (`train/` and `test/`, files `*_<label>.png`).

use super::cifar::{Cifar, read_cifar};
use super::embedded::embedded_fashion_mnist;
use super::idx::read_idx_images;
use super::image_set::ImageSet;
use super::png_folder::read_png_folder;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// An image dataset by name (`dataset = "..."` in an experiment's `[data]` section).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageDataset {
    FashionMnist,
    /// The subset built into the binary (10,000 training, 1,000 test images); no directory.
    FashionMnistDemo,
    Mnist,
    Cifar10,
    Cifar100,
    PngFolder,
}

/// Where Debian's `dataset-fashion-mnist` package puts the files.
pub const SYSTEM_FASHION_MNIST: &str = "/usr/share/datasets/fashion-mnist";

impl ImageDataset {
    /// Height and width of the images; `None` for a folder of PNGs (any size).
    pub fn image_size(self) -> Option<(usize, usize)> {
        match self {
            ImageDataset::FashionMnist | ImageDataset::FashionMnistDemo | ImageDataset::Mnist => {
                Some((28, 28))
            }
            ImageDataset::Cifar10 | ImageDataset::Cifar100 => Some((32, 32)),
            ImageDataset::PngFolder => None,
        }
    }

    /// The name used in files and directories.
    pub fn name(self) -> &'static str {
        match self {
            ImageDataset::FashionMnist => "fashion-mnist",
            ImageDataset::FashionMnistDemo => "fashion-mnist-demo",
            ImageDataset::Mnist => "mnist",
            ImageDataset::Cifar10 => "cifar10",
            ImageDataset::Cifar100 => "cifar100",
            ImageDataset::PngFolder => "png-folder",
        }
    }

    /// The default directory: `<data dir>/<name>` (see `aimc data list`); for Fashion-MNIST the
    /// Debian package's directory when that one is absent.
    pub fn default_dir(self) -> PathBuf {
        let dir = super::catalog::data_dir().join(self.name());
        if self == ImageDataset::FashionMnist
            && !dir.exists()
            && Path::new(SYSTEM_FASHION_MNIST).exists()
        {
            return PathBuf::from(SYSTEM_FASHION_MNIST);
        }
        dir
    }

    /// Reads the training and test splits from `dir` (`classes` is needed for a PNG folder; the
    /// built-in set ignores `dir`).
    pub fn load(self, dir: &Path, classes: usize) -> Result<(ImageSet, ImageSet)> {
        if self != ImageDataset::FashionMnistDemo && !dir.is_dir() {
            return Err(Error::data(
                dir.display(),
                format!(
                    "no such directory for dataset `{}`; `aimc data fetch {}` gets it or says where to put it",
                    self.name(),
                    self.name()
                ),
            ));
        }
        match self {
            ImageDataset::FashionMnist | ImageDataset::Mnist => {
                let split = |prefix: &str| {
                    read_idx_images(
                        &find(dir, &format!("{prefix}-images-idx3-ubyte"))?,
                        &find(dir, &format!("{prefix}-labels-idx1-ubyte"))?,
                    )
                };
                Ok((split("train")?, split("t10k")?))
            }
            ImageDataset::FashionMnistDemo => embedded_fashion_mnist(),
            ImageDataset::Cifar100 => Ok((
                read_cifar(&find(dir, "train.bin")?, Cifar::Hundred)?,
                read_cifar(&find(dir, "test.bin")?, Cifar::Hundred)?,
            )),
            ImageDataset::Cifar10 => {
                let parts = (1..=5)
                    .map(|k| read_cifar(&find(dir, &format!("data_batch_{k}.bin"))?, Cifar::Ten))
                    .collect::<Result<Vec<_>>>()?;
                let test = read_cifar(&find(dir, "test_batch.bin")?, Cifar::Ten)?;
                Ok((concat(&parts), test))
            }
            ImageDataset::PngFolder => Ok((
                read_png_folder(&dir.join("train"), classes)?,
                read_png_folder(&dir.join("test"), classes)?,
            )),
        }
    }
}

/// `dir/name`, or `dir/name.gz`.
fn find(dir: &Path, name: &str) -> Result<PathBuf> {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if plain.exists() {
        Ok(plain)
    } else if gz.exists() {
        Ok(gz)
    } else {
        Err(Error::data(
            plain.display(),
            "missing (also looked for the .gz file)",
        ))
    }
}

/// The images of several sets of the same shape, in order.
fn concat(parts: &[ImageSet]) -> ImageSet {
    let mut all = parts[0].clone();
    for p in &parts[1..] {
        all.pixels.extend_from_slice(&p.pixels);
        all.labels.extend_from_slice(&p.labels);
    }
    all
}
