//! Times after programming as users write them: a number with a unit suffix `s`, `m` (minutes),
//! `h`, `d`, `mo` (30 days), `y` (365 days), or plain seconds (physics.md section 6).

use crate::error::{Error, Result};

/// Seconds per unit.
const UNITS: [(&str, f64); 6] = [
    ("mo", 30.0 * 86_400.0),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3_600.0),
    ("d", 86_400.0),
    ("y", 365.0 * 86_400.0),
];

/// One time of a sweep: seconds and the label it was written with.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepTime {
    pub seconds: f64,
    pub label: String,
}

/// Parses one time, e.g. `1s`, `1h`, `1d`, `1y`, `2.5mo`, `3600`.
pub fn parse_time(s: &str) -> Result<f64> {
    let t = s.trim();
    let bad = || {
        Error::invalid_argument(
            "time",
            "a number of seconds or a number with a unit s, m, h, d, mo, y (e.g. 1h)",
            format!("`{s}`"),
        )
    };
    let (number, factor) = UNITS
        .iter()
        .find_map(|(u, f)| t.strip_suffix(u).map(|n| (n, *f)))
        .unwrap_or((t, 1.0));
    let v: f64 = number.trim().parse().map_err(|_| bad())?;
    if !v.is_finite() || v < 0.0 {
        return Err(bad());
    }
    Ok(v * factor)
}

/// Parses a comma-separated list of times, keeping each label as written.
pub fn parse_times(list: &str) -> Result<Vec<SweepTime>> {
    let times: Vec<SweepTime> = list
        .split(',')
        .map(|s| {
            Ok(SweepTime {
                seconds: parse_time(s)?,
                label: s.trim().to_string(),
            })
        })
        .collect::<Result<_>>()?;
    if times.is_empty() {
        return Err(Error::invalid_argument(
            "times",
            "at least one time",
            "none",
        ));
    }
    Ok(times)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_labels() {
        let t = parse_times("1s, 1m,1h,1d,1mo,1y,3600,0.5h").unwrap();
        let s: Vec<f64> = t.iter().map(|t| t.seconds).collect();
        assert_eq!(
            s,
            vec![
                1.0,
                60.0,
                3600.0,
                86400.0,
                2_592_000.0,
                31_536_000.0,
                3600.0,
                1800.0
            ]
        );
        assert_eq!(t[1].label, "1m");
        for bad in ["", "1x", "h", "-1s", "inf", "1h,,2h"] {
            let e = parse_times(bad).unwrap_err().to_string();
            assert!(e.contains("time"), "{bad}: {e}");
        }
    }
}
