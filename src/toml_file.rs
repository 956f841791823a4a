//! Reading TOML configuration files into serde structs with errors that name the file, the line,
//! the key path and what was expected.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, col)
}

/// The 1-based line where `key` (a dotted path such as `drift.nu_std` or `stuck.p_reset[1]`)
/// is set in `text`, found by looking for `name =` (or `name = {` inline) after the header of its
/// section; `None` when not found (e.g. a key that is missing).
pub fn key_line(text: &str, key: &str) -> Option<usize> {
    let key = key.split('[').next().unwrap_or(key);
    let parts: Vec<&str> = key.split('.').collect();
    let assigns = |line: &str, name: &str| {
        let t = line.trim_start();
        t.strip_prefix(name)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    };
    let mut section = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            section = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        // Key `a.b.c` is `c = ...` in section `a.b`, or `b = { c = ... }` in section `a`, or a
        // top-level `a` / `[a]` header.
        for split in (1..=parts.len()).rev() {
            let (sec, name) = (parts[..split - 1].join("."), parts[split - 1]);
            if sec == section && assigns(t, name) {
                return Some(i + 1);
            }
        }
    }
    let header = format!("[{key}]");
    text.lines().position(|l| l.trim() == header).map(|i| i + 1)
}

/// Parses `text` (the contents of `file`) into `T`. Unknown keys (with `deny_unknown_fields`),
/// wrong types and TOML syntax errors come back as [`Error::Parse`] naming the file, line,
/// column and key path.
pub fn parse_toml<T: DeserializeOwned>(file: &str, text: &str) -> Result<T> {
    let to_error = |e: &toml::de::Error, key: &str| {
        let location = e
            .span()
            .map(|s| {
                let (l, c) = line_col(text, s.start);
                format!(":{l}:{c}")
            })
            .unwrap_or_default();
        let message = e.message().trim().to_string();
        let message = if key.is_empty() || key == "." {
            message
        } else {
            format!("key `{key}`: {message}")
        };
        Error::Parse {
            file: file.to_string(),
            location,
            message,
        }
    };
    let de = toml::Deserializer::parse(text).map_err(|e| to_error(&e, ""))?;
    serde_path_to_error::deserialize(de).map_err(|e| to_error(e.inner(), &e.path().to_string()))
}

/// The table `section` of the TOML document `text` (the contents of `file`), other sections
/// ignored; `None` when absent.
pub fn section_value(file: &str, text: &str, section: &str) -> Result<Option<toml::Value>> {
    let table: toml::Table = toml::from_str(text).map_err(|e: toml::de::Error| Error::Parse {
        file: file.to_string(),
        location: e
            .span()
            .map(|s| {
                let (l, c) = line_col(text, s.start);
                format!(":{l}:{c}")
            })
            .unwrap_or_default(),
        message: e.message().trim().to_string(),
    })?;
    Ok(table.get(section).cloned())
}

/// Deserialises `value`, found at key path `prefix` of `file` (contents `text`), into `T`.
/// Errors name the file, the line of the key when it can be found, and the full key path.
pub fn from_value<T: DeserializeOwned>(
    file: &str,
    text: &str,
    prefix: &str,
    value: toml::Value,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let key = if inner.is_empty() || inner == "." {
            prefix.to_string()
        } else {
            format!("{prefix}.{inner}")
        };
        // An unknown field is reported at its parent's path; name the field's line if found.
        // toml appends "in `key`" on a second line; the key path is given already.
        let message = e
            .inner()
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let unknown = message
            .strip_prefix("unknown field `")
            .and_then(|r| r.split('`').next())
            .map(|f| format!("{key}.{f}"));
        let line = unknown
            .as_deref()
            .and_then(|k| key_line(text, k))
            .or_else(|| key_line(text, &key));
        Error::Parse {
            file: file.to_string(),
            location: line.map(|l| format!(":{l}")).unwrap_or_default(),
            message: format!("key `{key}`: {}", message.trim()),
        }
    })
}

/// Parses the table `section` of `text` into `T` (see [`section_value`], [`from_value`]).
pub fn parse_section<T: DeserializeOwned>(
    file: &str,
    text: &str,
    section: &str,
) -> Result<Option<T>> {
    section_value(file, text, section)?
        .map(|v| from_value(file, text, section, v))
        .transpose()
}

/// The keys of `table` (a section of `file`, contents `text`, at key path `prefix`) that `base`
/// has, read into a `T` that starts from `base`: each key `base` serialises is taken from
/// `table` (and removed from it) when there. Keys of other parts of the section stay in `table`.
/// Errors name the file, the key's line and the key path.
pub fn take_keys<T: serde::Serialize + DeserializeOwned>(
    base: &T,
    table: &mut toml::Table,
    file: &str,
    text: &str,
    prefix: &str,
) -> Result<T> {
    let mut merged = toml::Table::try_from(base)
        .map_err(|e| Error::Tensor(format!("{prefix}: cannot write the defaults: {e}")))?;
    for (key, value) in merged.iter_mut() {
        if let Some(given) = table.remove(key) {
            *value = given;
        }
    }
    from_value(file, text, prefix, toml::Value::Table(merged))
}

/// The error of the keys of section `prefix` that no part of it read (`left`, not empty): the
/// first one, at its line, with the keys the section knows (`known`).
pub fn unknown_key(
    file: &str,
    text: &str,
    prefix: &str,
    left: &toml::Table,
    known: &[String],
) -> Error {
    let key = left.keys().next().map(String::as_str).unwrap_or_default();
    let line = key_line(text, &format!("{prefix}.{key}"));
    let known: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    Error::Parse {
        file: file.to_string(),
        location: line.map(|l| format!(":{l}")).unwrap_or_default(),
        message: format!(
            "key `{prefix}`: unknown field `{key}`, expected one of {}",
            known.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        b: f64,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        a: Option<f64>,
        inner: Option<Inner>,
    }

    #[test]
    fn wrong_type_names_key_and_line() {
        let err = parse_toml::<Outer>("x.toml", "a = 1.0\n[inner]\nb = \"no\"\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("x.toml:3:"), "{msg}");
        assert!(msg.contains("inner.b"), "{msg}");
    }

    #[test]
    fn unknown_key_is_named() {
        let msg = parse_toml::<Outer>("x.toml", "aa = 1.0\n")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("unknown field `aa`"), "{msg}");
        assert!(msg.starts_with("x.toml:1:"), "{msg}");
    }

    #[test]
    fn section_errors_name_the_line_in_the_whole_file() {
        let text = "[other]\nx = 1\n[inner]\nb = \"no\"\n";
        let msg = parse_section::<Inner>("f.toml", text, "inner")
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("f.toml:4: key `inner.b`"), "{msg}");
        let text = "[inner]\nb = 1.0\nc = 2\n";
        let msg = parse_section::<Inner>("f.toml", text, "inner")
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("f.toml:3:") && msg.contains("unknown field `c`"),
            "{msg}"
        );
        assert!(
            parse_section::<Inner>("f.toml", "[other]\n", "inner")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn finds_key_lines() {
        let text =
            "kind = \"pcm\"\n[drift]\nmu = { min = 1 }\nnu_std = [1, 2]\n[stuck]\np_reset = 2\n";
        assert_eq!(key_line(text, "kind"), Some(1));
        assert_eq!(key_line(text, "drift.mu.min"), Some(3));
        assert_eq!(key_line(text, "drift.nu_std[1]"), Some(4));
        assert_eq!(key_line(text, "stuck.p_reset"), Some(6));
        assert_eq!(key_line(text, "stuck"), Some(5));
        assert_eq!(key_line(text, "drift.scale"), None);
    }

    #[test]
    fn syntax_error_has_location() {
        let msg = parse_toml::<Outer>("x.toml", "a = = 1\n")
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("x.toml:1:"), "{msg}");
    }
}
