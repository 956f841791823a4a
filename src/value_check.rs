//! Checks of single configuration values, shared by every validating constructor (tiles,
//! devices): each returns an [`InvalidKey`] naming the key as written in a file, so that a file,
//! a command-line flag and a sensitivity knob report the same rule.

use crate::error::InvalidKey;

/// A finite number.
pub fn finite(key: &str, v: f64) -> Result<f64, InvalidKey> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(InvalidKey::new(key, "a finite number", v))
    }
}

/// A finite number >= 0.
pub fn non_negative(key: &str, v: f64) -> Result<f64, InvalidKey> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(InvalidKey::new(key, "a finite number >= 0", v))
    }
}

/// A finite number > 0.
pub fn positive(key: &str, v: f64) -> Result<f64, InvalidKey> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(InvalidKey::new(key, "a finite number > 0", v))
    }
}

/// A probability in [0, 1].
pub fn probability(key: &str, v: f64) -> Result<f64, InvalidKey> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(InvalidKey::new(key, "a probability in [0, 1]", v))
    }
}

/// A whole number (e.g. bits given as a knob value).
pub fn whole_number(key: &str, v: f64) -> Result<u32, InvalidKey> {
    if v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&v) {
        Ok(v as u32)
    } else {
        Err(InvalidKey::new(key, "a whole number", v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_names_its_key_and_rule() {
        assert_eq!(non_negative("a", 0.0), Ok(0.0));
        let e = non_negative("a", -1.0).unwrap_err();
        assert_eq!(
            (e.key.as_str(), e.expected.as_str()),
            ("a", "a finite number >= 0")
        );
        assert!(positive("b", 0.0).is_err() && positive("b", f64::INFINITY).is_err());
        assert!(finite("c", f64::NAN).is_err());
        assert!(probability("d", 1.5).is_err() && probability("d", 1.0).is_ok());
        assert_eq!(whole_number("e", 6.0), Ok(6));
        assert!(whole_number("e", 6.5).is_err() && whole_number("e", -1.0).is_err());
    }
}
