//! Reading TOML configuration files into serde structs with errors that name the file, the line,
//! the key path and what was expected.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.len(), |nl| before.len() - nl - 1) + 1;
    (line, col)
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
        let msg = parse_toml::<Outer>("x.toml", "aa = 1.0\n").unwrap_err().to_string();
        assert!(msg.contains("unknown field `aa`"), "{msg}");
        assert!(msg.starts_with("x.toml:1:"), "{msg}");
    }

    #[test]
    fn syntax_error_has_location() {
        let msg = parse_toml::<Outer>("x.toml", "a = = 1\n").unwrap_err().to_string();
        assert!(msg.starts_with("x.toml:1:"), "{msg}");
    }
}
