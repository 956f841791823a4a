//! Drift (physics.md section 2, Eq. 8-9): the drift exponent nu = |N(mu_nu, sigma_nu)|, drawn
//! once at programming, with mu_nu and sigma_nu as clipped log-linear laws in g/g_max, tables
//! over g, formulas in x = g/g_max and g, or no drift; and the `[drift]` section of a device
//! file (`law`, `mu`, `sigma`, `g_us`, `nu_mean`, `nu_std`, `scale`), read and written back.

use super::super::file::checker::Checker;
use super::super::formula::{FieldsOrFormula, Formula};
use super::super::statistical::DeviceParams;
use super::super::table::PiecewiseLinear;
use crate::error::{Error, InvalidKey};
use crate::value_check::{finite, non_negative};
use serde::{Deserialize, Serialize};

/// `clip(slope * ln(g_hat) + intercept, min, max)`: the log-linear laws of physics.md Eq. 9.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClippedLogLinear {
    pub slope: f64,
    pub intercept: f64,
    pub min: f64,
    pub max: f64,
}

impl ClippedLogLinear {
    /// The law at each `ln(g_hat)` (already clamped, see [`super::ln_g_hat_into`]).
    #[inline(always)]
    pub fn eval_into(&self, ln_g_hat: &[f32], out: &mut [f32]) {
        let (a, b) = (self.slope as f32, self.intercept as f32);
        let (lo, hi) = (self.min as f32, self.max as f32);
        for (o, &l) in out.iter_mut().zip(ln_g_hat) {
            *o = (a * l + b).max(lo).min(hi);
        }
    }

    /// Checks the law at `key` (e.g. `drift.mu`): finite numbers, min <= max, and for a
    /// standard deviation (`is_sigma`) min >= 0.
    pub fn validate(&self, key: &str, is_sigma: bool) -> Result<(), InvalidKey> {
        for (field, v) in [
            ("slope", self.slope),
            ("intercept", self.intercept),
            ("min", self.min),
            ("max", self.max),
        ] {
            finite(&format!("{key}.{field}"), v)?;
        }
        if self.min > self.max {
            return Err(InvalidKey::new(
                format!("{key}.max"),
                format!("a value >= min = {}", self.min),
                self.max,
            ));
        }
        if is_sigma {
            non_negative(&format!("{key}.min"), self.min)?;
        }
        Ok(())
    }
}

/// Mean and std of the normal whose absolute value is the drift exponent nu (folded normal).
#[derive(Debug, Clone, PartialEq)]
pub enum DriftLaw {
    /// No drift: nu = 0.
    None,
    /// mu_nu and sigma_nu as clipped log-linear laws in g_hat (physics.md Eq. 9).
    LogLinear {
        mu: ClippedLogLinear,
        sigma: ClippedLogLinear,
    },
    /// mu_nu and sigma_nu interpolated over tables in g (µS).
    Table {
        mu: PiecewiseLinear,
        sigma: PiecewiseLinear,
    },
    /// mu_nu and sigma_nu by formulas in x = g/g_max and g (µS).
    Formula { mu: Formula, sigma: Formula },
}

impl DriftLaw {
    /// (mu_nu, sigma_nu) for each target `g_us` with `g_hat` and clamped `ln(g_hat)`.
    #[inline(always)]
    pub fn mu_sigma_into(
        &self,
        g_us: &[f32],
        g_hat: &[f32],
        ln_g_hat: &[f32],
        mu: &mut [f32],
        sigma: &mut [f32],
    ) {
        match self {
            DriftLaw::None => {
                mu.fill(0.0);
                sigma.fill(0.0);
            }
            DriftLaw::LogLinear { mu: m, sigma: s } => {
                m.eval_into(ln_g_hat, mu);
                s.eval_into(ln_g_hat, sigma);
            }
            DriftLaw::Table { mu: m, sigma: s } => {
                for ((om, os), &g) in mu.iter_mut().zip(sigma.iter_mut()).zip(g_us) {
                    *om = m.eval(g as f64) as f32;
                    *os = (s.eval(g as f64) as f32).max(0.0);
                }
            }
            DriftLaw::Formula { mu: m, sigma: s } => {
                m.eval_conductance_into(g_us, g_hat, mu);
                s.eval_conductance_into(g_us, g_hat, sigma);
                for o in sigma.iter_mut() {
                    *o = o.max(0.0);
                }
            }
        }
    }

    /// Checks the law (tables are checked when built; formulas finite over [g_min, g_max],
    /// sigma >= 0).
    pub fn validate(&self, g_min_us: f64, g_max_us: f64) -> Result<(), InvalidKey> {
        match self {
            DriftLaw::LogLinear { mu, sigma } => {
                mu.validate("drift.mu", false)?;
                sigma.validate("drift.sigma", true)
            }
            DriftLaw::Formula { mu, sigma } => {
                mu.check_conductance("drift.mu", f64::MIN, g_min_us, g_max_us)?;
                sigma.check_conductance("drift.sigma", 0.0, g_min_us, g_max_us)
            }
            DriftLaw::None | DriftLaw::Table { .. } => Ok(()),
        }
    }
}

/// `law` of `[drift]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftLawName {
    None,
    LogLinear,
    Table,
    Formula,
}

/// `{ slope, intercept, min, max }` of a clipped log-linear law.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClippedLogLinearSection {
    pub slope: Option<f64>,
    pub intercept: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// `[drift]`: the drift exponent nu = |N(mu_nu, sigma_nu)|.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSection {
    pub law: Option<DriftLawName>,
    /// Log-linear: mu_nu and sigma_nu laws in ln(g/g_max); formula: in x and g.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mu: Option<FieldsOrFormula<ClippedLogLinearSection>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma: Option<FieldsOrFormula<ClippedLogLinearSection>>,
    /// Table: conductances (µS), mu_nu and sigma_nu at each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g_us: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nu_mean: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nu_std: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
}

/// A clipped log-linear law at `key`: the section's fields, the base's where absent.
fn read_clipped(
    c: &Checker,
    key: &str,
    s: Option<ClippedLogLinearSection>,
    base: Option<ClippedLogLinear>,
) -> Result<ClippedLogLinear, Error> {
    let s = match (s, base) {
        (Some(s), _) => s,
        (None, Some(_)) => ClippedLogLinearSection::default(),
        (None, None) => {
            return Err(c.err(
                key,
                "a table { slope, intercept, min, max } (required with law = \"log_linear\")",
                "nothing",
            ));
        }
    };
    let get = |field: &str, v: Option<f64>, b: Option<f64>| -> Result<f64, Error> {
        c.required(&format!("{key}.{field}"), v.or(b), "a number")
    };
    Ok(ClippedLogLinear {
        slope: get("slope", s.slope, base.map(|b| b.slope))?,
        intercept: get("intercept", s.intercept, base.map(|b| b.intercept))?,
        min: get("min", s.min, base.map(|b| b.min))?,
        max: get("max", s.max, base.map(|b| b.max))?,
    })
}

/// The law and scale of section `s` (absent: the base's, for pcm).
pub(crate) fn read_section(
    c: &Checker,
    s: Option<DriftSection>,
    base: Option<&DeviceParams>,
) -> Result<(DriftLaw, f64), Error> {
    let s = c.section_or_base(s, base, "drift")?;
    let scale = s.scale.unwrap_or(base.map_or(1.0, |b| b.drift_scale));
    let base_law = base.map(|b| &b.drift);
    let law = match (s.law, base_law) {
        (Some(l), _) => l,
        (None, Some(DriftLaw::None)) => DriftLawName::None,
        (None, Some(DriftLaw::LogLinear { .. })) => DriftLawName::LogLinear,
        (None, Some(DriftLaw::Table { .. })) => DriftLawName::Table,
        (None, Some(DriftLaw::Formula { .. })) => DriftLawName::Formula,
        (None, None) => {
            return Err(c.err(
                "drift.law",
                "\"none\", \"log_linear\", \"table\" or \"formula\" (required here)",
                "nothing",
            ));
        }
    };
    let law = match law {
        DriftLawName::None => {
            for (k, present) in [
                ("drift.mu", s.mu.is_some()),
                ("drift.sigma", s.sigma.is_some()),
                ("drift.g_us", s.g_us.is_some()),
                ("drift.nu_mean", s.nu_mean.is_some()),
                ("drift.nu_std", s.nu_std.is_some()),
            ] {
                c.unused(k, &present.then_some(()), "none")?;
            }
            DriftLaw::None
        }
        DriftLawName::LogLinear => {
            c.unused("drift.g_us", &s.g_us, "log_linear")?;
            c.unused("drift.nu_mean", &s.nu_mean, "log_linear")?;
            c.unused("drift.nu_std", &s.nu_std, "log_linear")?;
            let (bm, bs) = match base_law {
                Some(DriftLaw::LogLinear { mu, sigma }) => (Some(*mu), Some(*sigma)),
                _ => (None, None),
            };
            DriftLaw::LogLinear {
                mu: read_clipped(c, "drift.mu", fields(c, "drift.mu", s.mu)?, bm)?,
                sigma: read_clipped(c, "drift.sigma", fields(c, "drift.sigma", s.sigma)?, bs)?,
            }
        }
        DriftLawName::Formula => {
            c.unused("drift.g_us", &s.g_us, "formula")?;
            c.unused("drift.nu_mean", &s.nu_mean, "formula")?;
            c.unused("drift.nu_std", &s.nu_std, "formula")?;
            DriftLaw::Formula {
                mu: formula(c, "drift.mu", s.mu)?,
                sigma: formula(c, "drift.sigma", s.sigma)?,
            }
        }
        DriftLawName::Table => {
            c.unused("drift.mu", &s.mu, "table")?;
            c.unused("drift.sigma", &s.sigma, "table")?;
            let mu = c.table("drift", s.g_us.clone(), "nu_mean", s.nu_mean)?;
            let sigma = c.table("drift", s.g_us, "nu_std", s.nu_std)?;
            DriftLaw::Table { mu, sigma }
        }
    };
    Ok((law, scale))
}

/// The `{ slope, intercept, min, max }` table at `key` (log_linear), refusing a formula.
fn fields(
    c: &Checker,
    key: &str,
    v: Option<FieldsOrFormula<ClippedLogLinearSection>>,
) -> Result<Option<ClippedLogLinearSection>, Error> {
    match v {
        Some(FieldsOrFormula::Formula(_)) => Err(c.err(
            key,
            "a table { slope, intercept, min, max } with law = \"log_linear\"",
            "a formula",
        )),
        Some(FieldsOrFormula::Fields(f)) => Ok(Some(f)),
        None => Ok(None),
    }
}

/// The formula at `key` (law = "formula"), in x = g/g_max and g.
fn formula(
    c: &Checker,
    key: &str,
    v: Option<FieldsOrFormula<ClippedLogLinearSection>>,
) -> Result<Formula, Error> {
    let source = match v {
        Some(FieldsOrFormula::Formula(f)) => f,
        Some(FieldsOrFormula::Fields(_)) => {
            return Err(c.err(
                key,
                "a formula (a string) with law = \"formula\"",
                "a table",
            ));
        }
        None => c.required(key, None, "a formula in x = g/g_max and g")?,
    };
    Formula::of_conductance(key, &source).map_err(|e| c.invalid(e))
}

fn clipped_section(l: &ClippedLogLinear) -> FieldsOrFormula<ClippedLogLinearSection> {
    FieldsOrFormula::Fields(clipped_section_fields(l))
}

fn clipped_section_fields(l: &ClippedLogLinear) -> ClippedLogLinearSection {
    ClippedLogLinearSection {
        slope: Some(l.slope),
        intercept: Some(l.intercept),
        min: Some(l.min),
        max: Some(l.max),
    }
}

/// The section of `law` with `scale`, every key explicit.
pub(crate) fn write_section(law: &DriftLaw, scale: f64) -> DriftSection {
    let mut s = DriftSection {
        scale: Some(scale),
        ..Default::default()
    };
    match law {
        DriftLaw::None => s.law = Some(DriftLawName::None),
        DriftLaw::LogLinear { mu, sigma } => {
            s.law = Some(DriftLawName::LogLinear);
            s.mu = Some(clipped_section(mu));
            s.sigma = Some(clipped_section(sigma));
        }
        DriftLaw::Table { mu, sigma } => {
            s.law = Some(DriftLawName::Table);
            s.g_us = Some(mu.x().to_vec());
            s.nu_mean = Some(mu.y().to_vec());
            s.nu_std = Some(sigma.y().to_vec());
        }
        DriftLaw::Formula { mu, sigma } => {
            s.law = Some(DriftLawName::Formula);
            s.mu = Some(FieldsOrFormula::Formula(mu.source().to_string()));
            s.sigma = Some(FieldsOrFormula::Formula(sigma.source().to_string()));
        }
    }
    s
}
