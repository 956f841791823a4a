//! The structural checks of a device file, with the file (name and text) for messages: keys a
//! law requires, keys the chosen law does not use, tables. The values themselves are checked
//! by the laws and the device (`StatisticalDevice::new`), and located here.

use crate::device::table::PiecewiseLinear;
use crate::error::{Error, InvalidKey};
use crate::toml_file::key_line;

/// Checks, with the file (name and text) for messages.
pub struct Checker<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Checker<'_> {
    /// An invalid value of `key`, located at its line when the key is in the file.
    pub fn err(&self, key: &str, expected: &str, found: impl std::fmt::Display) -> Error {
        let file = match key_line(self.text, key) {
            Some(line) => format!("{}:{line}", self.file),
            None => self.file.to_string(),
        };
        Error::invalid_value(file, key, expected, found)
    }

    /// A value check's error, located in the file.
    pub fn invalid(&self, e: InvalidKey) -> Error {
        e.in_file(self.file, self.text, "")
    }

    /// `value`, required here.
    pub fn required<T>(&self, key: &str, value: Option<T>, expected: &str) -> Result<T, Error> {
        value.ok_or_else(|| self.err(key, &format!("{expected} (required here)"), "nothing"))
    }

    /// Refuses a key that the chosen law does not use.
    pub fn unused<T>(&self, key: &str, value: &Option<T>, law: &str) -> Result<(), Error> {
        match value {
            Some(_) => Err(self.err(key, &format!("no such key with law = \"{law}\""), "a value")),
            None => Ok(()),
        }
    }

    /// The table `section.g_us` -> `section.name`.
    pub fn table(
        &self,
        section: &str,
        x: Option<Vec<f64>>,
        name: &str,
        y: Option<Vec<f64>>,
    ) -> Result<PiecewiseLinear, Error> {
        let x_key = format!("{section}.g_us");
        let x = self.required(&x_key, x, "a list of conductances in µS")?;
        let y_key = format!("{section}.{name}");
        let y = self.required(&y_key, y, "a list of values, one per `g_us`")?;
        PiecewiseLinear::new(&x_key, x, &y_key, y).map_err(|e| self.invalid(e))
    }

    /// The section as given, or (when the device has a base, pcm) an empty one taking the
    /// base's law; required otherwise.
    pub fn section_or_base<S: Default, B>(
        &self,
        section: Option<S>,
        base: Option<&B>,
        key: &str,
    ) -> Result<S, Error> {
        match (section, base) {
            (Some(s), _) => Ok(s),
            (None, Some(_)) => Ok(S::default()),
            (None, None) => {
                Err(self.err(key, "a section (required for kind = \"custom\")", "nothing"))
            }
        }
    }
}
