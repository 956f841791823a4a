//! Verifying data files: SHA-256 digests, IDX item counts, JSON parses and sizes, and the state
//! of a whole set in the data directory (present, missing or corrupt).

use super::catalog::{Check, DataFile, DataSet};
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Read;
use std::path::Path;

/// The state of a data set in the data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every file is there and passes the check.
    Present,
    /// No file of the set is there.
    Missing,
    /// Some file is missing, has the wrong size or fails verification.
    Corrupt,
}

impl Status {
    /// `present`, `missing` or `corrupt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Missing => "missing",
            Status::Corrupt => "corrupt",
        }
    }
}

/// The status of a set and, when not present, what is wrong, one line per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetState {
    pub status: Status,
    pub problems: Vec<String>,
}

/// The SHA-256 digest of a file, lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Verifies the content of `path` as the catalogue file `file`: the SHA-256 digest, else the
/// size and the IDX item count or the JSON parse. Errors name the file (and for a digest mismatch
/// the expected and the found digest).
pub fn verify_file(path: &Path, file: &DataFile) -> Result<()> {
    verify_as(path, file, &path.display().to_string())
}

/// [`verify_file`] with `label` naming the file in errors.
pub(crate) fn verify_as(path: &Path, file: &DataFile, label: &str) -> Result<()> {
    let len = fs::metadata(path)
        .map_err(|e| Error::data(label, format!("cannot read: {e}")))?
        .len();
    if let Check::Sha256(expected) = file.check {
        let found = sha256_file(path)?;
        if found != expected {
            return Err(Error::data(
                label,
                format!("SHA-256 mismatch: expected {expected}, found {found} ({len} bytes)"),
            ));
        }
        return Ok(());
    }
    check_size(len, file, label)?;
    match file.check {
        Check::Idx { items } => {
            let a = super::idx::read_idx(path).map_err(|e| Error::data(label, e.to_string()))?;
            if a.dims.first() != Some(&items) {
                return Err(Error::data(
                    label,
                    format!(
                        "expected an IDX file of {items} items, found dimensions {:?}",
                        a.dims
                    ),
                ));
            }
        }
        Check::Json => {
            let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
            serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
                .map_err(|e| Error::data(label, format!("not valid JSON: {e}")))?;
        }
        Check::Sha256(_) | Check::Exists => {}
    }
    Ok(())
}

fn check_size(len: u64, file: &DataFile, label: &str) -> Result<()> {
    match file.size {
        Some(size) if size != len => Err(Error::data(
            label,
            format!("expected {size} bytes, found {len} (truncated or not the official file)"),
        )),
        _ => Ok(()),
    }
}

/// The state of `set` in `data_dir`: with `full`, every file is verified (hashes computed),
/// else only existence and size are checked.
pub fn check_set(set: &DataSet, data_dir: &Path, full: bool) -> SetState {
    let dir = set.dir(data_dir);
    let mut missing = 0;
    let mut problems = Vec::new();
    for f in set.files {
        let path = dir.join(f.name);
        let result = match fs::metadata(&path) {
            Err(_) => {
                missing += 1;
                Err(Error::data(f.name, "missing"))
            }
            Ok(_) if full => verify_as(&path, f, f.name),
            Ok(m) => check_size(m.len(), f, f.name),
        };
        if let Err(e) = result {
            problems.push(e.to_string());
        }
    }
    let status = if missing == set.files.len() {
        Status::Missing
    } else if problems.is_empty() {
        Status::Present
    } else {
        Status::Corrupt
    };
    SetState { status, problems }
}
