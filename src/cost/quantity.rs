//! Physical quantities of the cost model written with their units, e.g. `"25 fJ"`, `"1 ns"`,
//! `"0.62 mm2"`: parsed from hardware files and printed in tables by the same unit tables, so
//! that what is printed parses back to the same value (docs/cost.md, "Units").

/// What a quantity measures; each has its SI base unit and the prefixed units accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Energy,
    Time,
    Area,
    Voltage,
    Conductance,
    Frequency,
}

impl Dimension {
    /// Units and their factor to the SI base unit, the printed ones first (largest to
    /// smallest), then accepted spellings.
    fn units(self) -> &'static [(&'static str, i32)] {
        match self {
            Dimension::Energy => &[
                ("J", 0),
                ("mJ", -3),
                ("uJ", -6),
                ("nJ", -9),
                ("pJ", -12),
                ("fJ", -15),
                ("aJ", -18),
                ("µJ", -6),
            ],
            Dimension::Time => &[
                ("s", 0),
                ("ms", -3),
                ("us", -6),
                ("ns", -9),
                ("ps", -12),
                ("fs", -15),
                ("µs", -6),
            ],
            Dimension::Area => &[
                ("mm2", -6),
                ("um2", -12),
                ("nm2", -18),
                ("mm²", -6),
                ("µm²", -12),
                ("um²", -12),
                ("µm2", -12),
                ("m2", 0),
            ],
            Dimension::Voltage => &[("V", 0), ("mV", -3), ("uV", -6), ("µV", -6)],
            Dimension::Conductance => &[("S", 0), ("mS", -3), ("uS", -6), ("nS", -9), ("µS", -6)],
            Dimension::Frequency => &[("GHz", 9), ("MHz", 6), ("kHz", 3), ("Hz", 0)],
        }
    }

    /// How many of [`Dimension::units`] are used for printing.
    fn printed(self) -> usize {
        match self {
            Dimension::Energy => 7,
            Dimension::Time => 6,
            Dimension::Area => 3,
            Dimension::Voltage => 3,
            Dimension::Conductance => 4,
            Dimension::Frequency => 4,
        }
    }

    /// The units accepted, for error messages.
    pub fn expected(self) -> String {
        let names: Vec<&str> = self.units().iter().map(|(u, _)| *u).collect();
        format!("a number and a unit ({}), e.g. \"{}\"", names.join(", "), {
            let (u, _) = self.units()[self.printed() / 2];
            format!("2.5 {u}")
        })
    }

    /// Parses `text` as a value of this dimension, in its SI base unit.
    pub fn parse(self, text: &str) -> Option<f64> {
        let t = text.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')))
            .unwrap_or(t.len());
        let (number, unit) = (t[..split].trim(), t[split..].trim());
        let value: f64 = number.parse().ok()?;
        let (_, k) = self.units().iter().find(|(u, _)| *u == unit)?;
        let v = scale(value, *k);
        v.is_finite().then_some(v)
    }

    /// The printed unit of `value` and its factor to the base unit (an axis in that unit shows
    /// value / factor). Areas print in mm2 down to 0.01 mm2, in um2 below.
    pub fn unit_for(self, value: f64) -> (&'static str, f64) {
        let units = &self.units()[..self.printed()];
        let at_least = |k: i32| match self {
            Dimension::Area if k == -6 => 1e-8,
            _ => scale(1.0, k),
        };
        let (unit, k) = *units
            .iter()
            .find(|(_, k)| value.abs() >= at_least(*k))
            .unwrap_or(&units[units.len() - 1]);
        (unit, scale(1.0, k))
    }

    /// `value` (SI base unit) with the largest printed unit giving at least 1, to `digits`
    /// significant digits.
    pub fn format(self, value: f64, digits: usize) -> String {
        let (unit, factor) = self.unit_for(value);
        let scaled = value / factor;
        let decimals = if scaled == 0.0 {
            0
        } else {
            let magnitude = scaled.abs().log10().floor() as i64 + 1;
            (digits as i64 - magnitude).max(0) as usize
        };
        format!("{scaled:.decimals$} {unit}")
    }
}

/// `v` times 10^k, rounded once (a division by 10^-k for k < 0, so that "25 uS" is 25e-6).
fn scale(v: f64, k: i32) -> f64 {
    if k >= 0 {
        v * 10f64.powi(k)
    } else {
        v / 10f64.powi(-k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_units() {
        // Within one rounding of the literal (a decimal fraction such as 0.3 is not exact).
        let near = |d: Dimension, text: &str, v: f64| {
            let p = d.parse(text).unwrap();
            assert!(
                (p - v).abs() <= 2.0 * f64::EPSILON * v.abs(),
                "{text}: {p} vs {v}"
            );
        };
        assert_eq!(Dimension::Energy.parse("25 fJ"), Some(25e-15));
        assert_eq!(Dimension::Conductance.parse("25 uS"), Some(25e-6));
        near(Dimension::Energy, "1.5pJ", 1.5e-12);
        near(Dimension::Time, "0.3 ns", 0.3e-9);
        near(Dimension::Area, "0.62 mm2", 0.62e-6);
        near(Dimension::Area, "200 µm²", 200e-12);
        near(Dimension::Frequency, "1 GHz", 1e9);
        near(Dimension::Voltage, "0.2 V", 0.2);
    }

    #[test]
    fn refuses_missing_or_wrong_units() {
        for bad in ["25", "25 J/s", "fJ", "", "1e400 fJ", "25 ns"] {
            assert_eq!(Dimension::Energy.parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn prints_what_parses_back() {
        for dim in [
            Dimension::Energy,
            Dimension::Time,
            Dimension::Area,
            Dimension::Voltage,
            Dimension::Conductance,
            Dimension::Frequency,
        ] {
            for v in [
                1.0e-17, 3.25e-14, 1.0e-12, 12.48e-9, 0.62e-6, 2.0, 1.0e9, 4.2e11,
            ] {
                let printed = dim.format(v, 6);
                let back = dim.parse(&printed).expect(&printed);
                assert!(
                    (back - v).abs() <= 1e-5 * v,
                    "{dim:?} {v} -> {printed} -> {back}"
                );
            }
        }
        assert_eq!(Dimension::Energy.format(12.48e-9, 4), "12.48 nJ");
        assert_eq!(Dimension::Time.format(133e-9, 3), "133 ns");
        assert_eq!(Dimension::Area.format(0.62e-6, 3), "0.620 mm2");
        assert_eq!(Dimension::Area.format(200e-12, 3), "200 um2");
        assert_eq!(Dimension::Energy.format(0.0, 3), "0 aJ");
    }
}
