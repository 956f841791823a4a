//! The crate's error type: every failure names what was wrong, where (file, key, line) and what
//! was expected. Library code returns [`Result`]; only the binary and tests use `anyhow`.

use std::path::PathBuf;

/// Everything that can go wrong in aimc's library code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        /// The cause (already part of the message).
        error: std::io::Error,
    },
    /// A configuration file is not valid TOML, has an unknown key or a value of the wrong type.
    #[error("{file}{location}: {message}")]
    Parse {
        file: String,
        /// `:line:column` when known, else empty.
        location: String,
        message: String,
    },
    /// A key holds a value outside what the model accepts.
    #[error("{file}: key `{key}`: expected {expected}, found {found}")]
    InvalidValue {
        file: String,
        key: String,
        expected: String,
        found: String,
    },
    /// A name (device, preset, model) that aimc does not know.
    #[error("unknown {what} `{name}`; known: {known}")]
    Unknown {
        what: &'static str,
        name: String,
        known: String,
    },
    /// An argument (CLI flag or function argument) outside its domain.
    #[error("invalid {argument}: expected {expected}, found {found}")]
    InvalidArgument {
        argument: String,
        expected: String,
        found: String,
    },
    /// A tensor operation failed (shapes, devices, a model definition).
    #[error("{0}")]
    Tensor(String),
    /// A data file is truncated, corrupt or not in the expected format.
    #[error("{file}: {message}")]
    Data { file: String, message: String },
    /// Training produced a non-finite loss or weight; the last good checkpoint is kept.
    #[error(
        "training diverged at epoch {epoch}, step {step}: {what}; the last good checkpoint is kept ({checkpoint})"
    )]
    Diverged {
        epoch: usize,
        step: u64,
        what: String,
        checkpoint: String,
    },
    /// A plot could not be drawn or written.
    /// A device fit that cannot be done (too few data, no linear algebra in this build).
    #[error("device fit: {0}")]
    Fit(String),
    #[error("plot {path}: {message}")]
    Plot { path: PathBuf, message: String },
}

impl From<candle_core::Error> for Error {
    /// Keeps candle's message, without the backtrace it attaches when RUST_BACKTRACE is set.
    fn from(e: candle_core::Error) -> Self {
        let mut e = &e;
        while let candle_core::Error::WithBacktrace { inner, .. } = e {
            e = inner;
        }
        Error::Tensor(e.to_string())
    }
}

/// A configuration value outside its domain, found by a validating constructor before anyone
/// says where the value came from: the key (as written in a file, e.g. `adc_bits`), what was
/// expected and what was found. [`InvalidKey::in_file`] and [`InvalidKey::as_argument`] turn it
/// into the [`Error`] of a file or of a command-line flag, so that files, flags and sensitivity
/// knobs go through the same checks.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidKey {
    pub key: String,
    pub expected: String,
    pub found: String,
}

impl InvalidKey {
    /// `key` holds `found` where `expected` was expected.
    pub fn new(
        key: impl Into<String>,
        expected: impl Into<String>,
        found: impl std::fmt::Display,
    ) -> Self {
        Self {
            key: key.into(),
            expected: expected.into(),
            found: found.to_string(),
        }
    }

    /// The key under `prefix` (e.g. `tile.adc_bits` for prefix `tile`; no prefix when empty).
    pub fn full_key(&self, prefix: &str) -> String {
        if prefix.is_empty() {
            self.key.clone()
        } else {
            format!("{prefix}.{}", self.key)
        }
    }

    /// The error of `file` (contents `text`), the key under `prefix`, located at its line when
    /// the file sets it.
    pub fn in_file(self, file: &str, text: &str, prefix: &str) -> Error {
        let key = self.full_key(prefix);
        let at = match crate::toml_file::key_line(text, &key) {
            Some(line) => format!("{file}:{line}"),
            None => file.to_string(),
        };
        Error::invalid_value(at, key, self.expected, self.found)
    }

    /// The error of command-line `argument` (e.g. `--values for adc-bits`).
    pub fn as_argument(self, argument: impl Into<String>) -> Error {
        Error::invalid_argument(argument, self.expected, self.found)
    }
}

impl std::fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "key `{}`: expected {}, found {}",
            self.key, self.expected, self.found
        )
    }
}

impl std::error::Error for InvalidKey {}

/// Result with aimc's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }

    /// A value of `key` in `file` outside its domain.
    pub fn invalid_value(
        file: impl Into<String>,
        key: impl Into<String>,
        expected: impl Into<String>,
        found: impl std::fmt::Display,
    ) -> Self {
        Error::InvalidValue {
            file: file.into(),
            key: key.into(),
            expected: expected.into(),
            found: found.to_string(),
        }
    }

    /// A bad data file.
    pub fn data(file: impl std::fmt::Display, message: impl Into<String>) -> Self {
        Error::Data {
            file: file.to_string(),
            message: message.into(),
        }
    }

    /// An argument outside its domain.
    pub fn invalid_argument(
        argument: impl Into<String>,
        expected: impl Into<String>,
        found: impl std::fmt::Display,
    ) -> Self {
        Error::InvalidArgument {
            argument: argument.into(),
            expected: expected.into(),
            found: found.to_string(),
        }
    }
}
