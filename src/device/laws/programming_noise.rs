//! Programming noise (physics.md section 2, Eq. 7): the standard deviation sigma_P of the
//! programmed conductance around its target, as a polynomial in g/g_max, a table over g or a
//! formula in x = g/g_max and g; and the `[programming_noise]` section of a device file (`law`,
//! `coefficients_us`, `reference_g_max_us`, `g_us`, `sigma_us`, `scale`), read and written back.

use super::super::file::checker::Checker;
use super::super::formula::{Formula, NumbersOrFormula};
use super::super::statistical::DeviceParams;
use super::super::table::PiecewiseLinear;
use crate::error::{Error, InvalidKey};
use crate::value_check::{finite, positive};
use serde::{Deserialize, Serialize};

/// Programming-noise standard deviation as a function of the target conductance.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgNoiseLaw {
    /// sigma_P = (sum_k c_k g_hat^k) * g_max / reference_g_max  (physics.md Eq. 7).
    Polynomial {
        coefficients_us: Vec<f64>,
        reference_g_max_us: f64,
    },
    /// sigma_P interpolated over a table of (g in µS, sigma in µS).
    Table(PiecewiseLinear),
    /// sigma_P in µS by a formula in x = g/g_max and g (µS).
    Formula(Formula),
}

/// The key of the coefficients.
const COEFFICIENTS: &str = "programming_noise.coefficients_us";

/// The key of a table's or a formula's sigma.
const SIGMA: &str = "programming_noise.sigma_us";

impl ProgNoiseLaw {
    /// sigma_P in µS for each target `g_us` (with `g_hat = g / g_max`), before the scale factor.
    /// Negative values are clamped to 0.
    ///
    /// # Formula
    /// Polynomial: sigma_P = (c0 + c1 g^ + c2 g^^2 + ...) * g_max / g_ref (physics.md Eq. 7).
    #[inline(always)]
    pub fn sigma_into(&self, g_us: &[f32], g_hat: &[f32], g_max_us: f64, out: &mut [f32]) {
        match self {
            ProgNoiseLaw::Polynomial {
                coefficients_us,
                reference_g_max_us,
            } => {
                let factor = (g_max_us / reference_g_max_us) as f32;
                out.fill(0.0);
                for &c in coefficients_us.iter().rev() {
                    let c = c as f32;
                    for (o, &x) in out.iter_mut().zip(g_hat) {
                        *o = *o * x + c;
                    }
                }
                for o in out.iter_mut() {
                    *o = (*o * factor).max(0.0);
                }
            }
            ProgNoiseLaw::Table(t) => {
                for (o, &g) in out.iter_mut().zip(g_us) {
                    *o = (t.eval(g as f64) as f32).max(0.0);
                }
            }
            ProgNoiseLaw::Formula(f) => {
                f.eval_conductance_into(g_us, g_hat, out);
                for o in out.iter_mut() {
                    *o = o.max(0.0);
                }
            }
        }
    }

    /// Checks the law: at least one finite coefficient, a reference g_max > 0, and a
    /// polynomial sigma >= 0 over g/g_max in [0, 1]; a formula finite and >= 0 over
    /// [g_min, g_max] (tables are checked when built).
    pub fn validate(&self, g_min_us: f64, g_max_us: f64) -> Result<(), InvalidKey> {
        let (coefficients_us, reference_g_max_us) = match self {
            ProgNoiseLaw::Polynomial {
                coefficients_us,
                reference_g_max_us,
            } => (coefficients_us, reference_g_max_us),
            ProgNoiseLaw::Table(_) => return Ok(()),
            ProgNoiseLaw::Formula(f) => {
                return f.check_conductance(SIGMA, 0.0, g_min_us, g_max_us);
            }
        };
        if coefficients_us.is_empty() {
            return Err(InvalidKey::new(
                COEFFICIENTS,
                "at least one coefficient",
                "an empty list",
            ));
        }
        for (i, &v) in coefficients_us.iter().enumerate() {
            finite(&format!("{COEFFICIENTS}[{i}]"), v)?;
        }
        positive("programming_noise.reference_g_max_us", *reference_g_max_us)?;
        let sigma = |g_hat: f64| {
            coefficients_us
                .iter()
                .rev()
                .fold(0.0, |acc, c| acc * g_hat + c)
        };
        if let Some(k) = (0..=100).find(|&k| sigma(k as f64 / 100.0) < 0.0) {
            let g_hat = k as f64 / 100.0;
            return Err(InvalidKey::new(
                COEFFICIENTS,
                "a polynomial sigma >= 0 for every g/g_max in [0, 1]",
                format!("{} at g/g_max = {g_hat}", sigma(g_hat)),
            ));
        }
        Ok(())
    }
}

/// `law` of `[programming_noise]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgNoiseLawName {
    Polynomial,
    Table,
    Formula,
}

/// `[programming_noise]`: sigma_P as a polynomial in g/g_max, a table over g or a formula.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgNoiseSection {
    pub law: Option<ProgNoiseLawName>,
    /// Polynomial: c_k in µS, sigma = sum c_k g^^k * g_max / reference_g_max_us.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coefficients_us: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_g_max_us: Option<f64>,
    /// Table: conductances (µS) and sigma (µS) at each; formula: sigma (µS) in x and g.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g_us: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma_us: Option<NumbersOrFormula>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
}

/// The law and scale of section `s` (absent: the base's, for pcm), on a device of `g_max_us`.
pub(crate) fn read_section(
    c: &Checker,
    s: Option<ProgNoiseSection>,
    base: Option<&DeviceParams>,
    g_max_us: f64,
) -> Result<(ProgNoiseLaw, f64), Error> {
    let s = c.section_or_base(s, base, "programming_noise")?;
    let scale = s
        .scale
        .unwrap_or(base.map_or(1.0, |b| b.programming_noise_scale));
    let base_law = base.map(|b| &b.programming_noise);
    let law = match (s.law, base_law) {
        (Some(l), _) => l,
        (None, Some(ProgNoiseLaw::Polynomial { .. })) => ProgNoiseLawName::Polynomial,
        (None, Some(ProgNoiseLaw::Table(_))) => ProgNoiseLawName::Table,
        (None, Some(ProgNoiseLaw::Formula(_))) => ProgNoiseLawName::Formula,
        (None, None) => {
            return Err(c.err(
                "programming_noise.law",
                "\"polynomial\", \"table\" or \"formula\" (required here)",
                "nothing",
            ));
        }
    };
    let law = match law {
        ProgNoiseLawName::Polynomial => {
            c.unused("programming_noise.g_us", &s.g_us, "polynomial")?;
            c.unused("programming_noise.sigma_us", &s.sigma_us, "polynomial")?;
            let (base_coeffs, base_ref) = match base_law {
                Some(ProgNoiseLaw::Polynomial {
                    coefficients_us,
                    reference_g_max_us,
                }) => (Some(coefficients_us.clone()), Some(*reference_g_max_us)),
                _ => (None, None),
            };
            ProgNoiseLaw::Polynomial {
                coefficients_us: c.required(
                    COEFFICIENTS,
                    s.coefficients_us.or(base_coeffs),
                    "a list of polynomial coefficients in µS",
                )?,
                reference_g_max_us: s.reference_g_max_us.or(base_ref).unwrap_or(g_max_us),
            }
        }
        ProgNoiseLawName::Table => {
            c.unused(COEFFICIENTS, &s.coefficients_us, "table")?;
            c.unused(
                "programming_noise.reference_g_max_us",
                &s.reference_g_max_us,
                "table",
            )?;
            let sigma = match s.sigma_us {
                Some(NumbersOrFormula::Formula(_)) => {
                    return Err(c.err(
                        SIGMA,
                        "a list of numbers with law = \"table\"",
                        "a formula",
                    ));
                }
                Some(NumbersOrFormula::Numbers(v)) => Some(v),
                None => None,
            };
            ProgNoiseLaw::Table(c.table("programming_noise", s.g_us, "sigma_us", sigma)?)
        }
        ProgNoiseLawName::Formula => {
            c.unused(COEFFICIENTS, &s.coefficients_us, "formula")?;
            c.unused(
                "programming_noise.reference_g_max_us",
                &s.reference_g_max_us,
                "formula",
            )?;
            c.unused("programming_noise.g_us", &s.g_us, "formula")?;
            let source = match s.sigma_us {
                Some(NumbersOrFormula::Formula(f)) => f,
                Some(NumbersOrFormula::Numbers(_)) => {
                    return Err(c.err(
                        SIGMA,
                        "a formula (a string) with law = \"formula\"",
                        "a list",
                    ));
                }
                None => c.required(
                    SIGMA,
                    None,
                    "a formula of sigma_P in µS, in x = g/g_max and g",
                )?,
            };
            ProgNoiseLaw::Formula(
                Formula::of_conductance(SIGMA, &source).map_err(|e| c.invalid(e))?,
            )
        }
    };
    Ok((law, scale))
}

/// The section of `law` with `scale`, every key explicit.
pub(crate) fn write_section(law: &ProgNoiseLaw, scale: f64) -> ProgNoiseSection {
    let mut s = ProgNoiseSection {
        scale: Some(scale),
        ..Default::default()
    };
    match law {
        ProgNoiseLaw::Polynomial {
            coefficients_us,
            reference_g_max_us,
        } => {
            s.law = Some(ProgNoiseLawName::Polynomial);
            s.coefficients_us = Some(coefficients_us.clone());
            s.reference_g_max_us = Some(*reference_g_max_us);
        }
        ProgNoiseLaw::Table(t) => {
            s.law = Some(ProgNoiseLawName::Table);
            s.g_us = Some(t.x().to_vec());
            s.sigma_us = Some(NumbersOrFormula::Numbers(t.y().to_vec()));
        }
        ProgNoiseLaw::Formula(f) => {
            s.law = Some(ProgNoiseLawName::Formula);
            s.sigma_us = Some(NumbersOrFormula::Formula(f.source().to_string()));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomial_evaluates_horner() {
        let law = ProgNoiseLaw::Polynomial {
            coefficients_us: vec![1.0, 2.0, 3.0],
            reference_g_max_us: 10.0,
        };
        // g_hat = 0.5: 1 + 1 + 0.75 = 2.75, times 20/10.
        let mut out = [0.0f32];
        law.sigma_into(&[10.0], &[0.5], 20.0, &mut out);
        assert_eq!(out[0], 5.5);
    }

    #[test]
    fn negative_polynomial_clamps_to_zero_and_is_refused() {
        let law = ProgNoiseLaw::Polynomial {
            coefficients_us: vec![0.0, -1.0],
            reference_g_max_us: 1.0,
        };
        let mut out = [1.0f32];
        law.sigma_into(&[0.5], &[0.5], 1.0, &mut out);
        assert_eq!(out[0], 0.0);
        assert_eq!(law.validate(0.0, 1.0).unwrap_err().key, COEFFICIENTS);
    }
}
