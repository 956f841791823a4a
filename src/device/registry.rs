//! Finding devices by name or path: `devices/*.toml` in the directories searched (the
//! `AIMC_DEVICES` environment variable, then `./devices`), then the files built into the binary.

use super::file::parse_device;
use super::kind::{DeviceKind, DeviceSpec};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The shipped device files, built into the binary so it works from any directory.
pub const BUILTIN_DEVICES: [(&str, &str); 9] = [
    ("ideal", include_str!("../../devices/ideal.toml")),
    ("pcm", include_str!("../../devices/pcm.toml")),
    (
        "pcm-custom-drift",
        include_str!("../../devices/pcm-custom-drift.toml"),
    ),
    ("reram-like", include_str!("../../devices/reram-like.toml")),
    (
        "hermes-1dev",
        include_str!("../../devices/hermes-1dev.toml"),
    ),
    (
        "hermes-2dev",
        include_str!("../../devices/hermes-2dev.toml"),
    ),
    (
        "state-independent",
        include_str!("../../devices/state-independent.toml"),
    ),
    ("reram-cmo", include_str!("../../devices/reram-cmo.toml")),
    (
        "reram-wan2022",
        include_str!("../../devices/reram-wan2022.toml"),
    ),
];

/// Environment variable naming an extra device directory, searched first.
pub const DEVICES_ENV: &str = "AIMC_DEVICES";

/// The directories searched for `<name>.toml`, in order.
pub fn search_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os(DEVICES_ENV) {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from("devices"));
    dirs
}

/// Loads the device file at `path`.
pub fn load_device_file(path: &Path) -> Result<DeviceSpec> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("device");
    parse_device(&path.display().to_string(), &text, stem)
}

/// Whether `arg` names a file rather than a device.
fn is_path(arg: &str) -> bool {
    arg.ends_with(".toml") || arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR)
}

/// Resolves `arg`: a path to a `.toml`, a name in a device directory, or a built-in name.
pub fn resolve_device(arg: &str) -> Result<DeviceSpec> {
    if is_path(arg) {
        return load_device_file(Path::new(arg));
    }
    for dir in search_dirs() {
        let path = dir.join(format!("{arg}.toml"));
        if path.is_file() {
            return load_device_file(&path);
        }
    }
    if let Some((name, text)) = BUILTIN_DEVICES.iter().find(|(n, _)| *n == arg) {
        return parse_device(&format!("<built-in {name}.toml>"), text, name);
    }
    let known: Vec<String> = list_devices().into_iter().map(|e| e.name).collect();
    Err(Error::Unknown {
        what: "device",
        name: arg.to_string(),
        known: known.join(", "),
    })
}

/// One line of `aimc device list`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeviceEntry {
    pub name: String,
    /// Where it comes from: a file path or `built-in`.
    pub source: String,
    /// Kind and description, or the error that loading the file gave.
    pub kind: Option<DeviceKind>,
    pub description: String,
    pub error: Option<String>,
}

/// All devices found: the files of the search directories, then the built-ins they do not shadow.
/// A file that fails to load is listed with its error.
pub fn list_devices() -> Vec<DeviceEntry> {
    let mut entries: Vec<DeviceEntry> = Vec::new();
    for dir in search_dirs() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = read
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if entries.iter().any(|e| e.name == stem) {
                continue;
            }
            let entry = match load_device_file(&path) {
                Ok(spec) => entry_of(&spec, stem, path.display().to_string()),
                Err(e) => DeviceEntry {
                    name: stem.to_string(),
                    source: path.display().to_string(),
                    kind: None,
                    description: String::new(),
                    error: Some(e.to_string()),
                },
            };
            entries.push(entry);
        }
    }
    for (name, text) in BUILTIN_DEVICES {
        if entries.iter().any(|e| e.name == name) {
            continue;
        }
        if let Ok(spec) = parse_device(name, text, name) {
            entries.push(entry_of(&spec, name, "built-in".to_string()));
        }
    }
    entries
}

fn entry_of(spec: &DeviceSpec, name: &str, source: String) -> DeviceEntry {
    DeviceEntry {
        name: name.to_string(),
        source,
        kind: Some(spec.kind),
        description: spec.description.clone(),
        error: None,
    }
}
