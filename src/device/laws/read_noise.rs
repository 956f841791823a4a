//! Read noise (physics.md section 2, Eq. 10-12): the relative std of a read as a per-device level
//! times a function of the time since programming (accumulated 1/f noise with Q_s as a power law
//! or a formula, a constant relative sigma, or none); and the `[read_noise]` section of a device
//! file (`law`, `q_coeff`, `q_exponent`, `q_max`, `sigma_rel`, `level`, `scale`), read and
//! written back.

use super::super::file::checker::Checker;
use super::super::formula::Formula;
use super::super::statistical::DeviceParams;
use crate::error::{Error, InvalidKey};
use crate::fastmath::exp_f32;
use crate::value_check::{finite, non_negative};
use serde::{Deserialize, Serialize};

/// Read noise: the relative std of a read, as a per-device level times a function of time.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadNoiseLaw {
    /// No read noise.
    None,
    /// Accumulated 1/f noise (physics.md Eq. 10-12): Q_s = min(q_coeff * g_hat^(-q_exponent), q_max),
    /// sigma_read(t) = g_D(t) * Q_s * sqrt(ln((t + t0 + t_read) / (2 t_read))).
    OneOverF {
        q_coeff: f64,
        q_exponent: f64,
        q_max: f64,
    },
    /// sigma_read = sigma_rel * g_D(t), independent of t (for t > 0).
    ConstantRelative { sigma_rel: f64 },
    /// Accumulated 1/f noise as `OneOverF`, with the level Q_s by a formula in x = g/g_max and
    /// g (µS) of the target.
    OneOverFFormula(Formula),
    /// sigma_read in µS by a formula in t (s), x = g/g_max and g, with g the conductance read
    /// (drifted and relaxed), its absolute value taken (0 where not finite); for t > 0.
    Absolute(Formula),
}

impl ReadNoiseLaw {
    /// The per-device level (Q_s for 1/f, sigma_rel for constant) for each target `g_us` with
    /// `g_hat` and clamped `ln(g_hat)`, before the scale factor.
    ///
    /// # Formula
    /// Q_s = min(q_coeff * exp(-q_exponent * ln(g_hat)), q_max) (physics.md Eq. 11).
    #[inline(always)]
    pub fn level_into(&self, g_us: &[f32], g_hat: &[f32], ln_g_hat: &[f32], out: &mut [f32]) {
        match *self {
            ReadNoiseLaw::None => out.fill(0.0),
            ReadNoiseLaw::OneOverF {
                q_coeff,
                q_exponent,
                q_max,
            } => {
                let (c, e, m) = (q_coeff as f32, q_exponent as f32, q_max as f32);
                for (o, &l) in out.iter_mut().zip(ln_g_hat) {
                    *o = (c * exp_f32(-e * l)).min(m);
                }
            }
            ReadNoiseLaw::ConstantRelative { sigma_rel } => out.fill(sigma_rel as f32),
            ReadNoiseLaw::Absolute(_) => out.fill(0.0),
            ReadNoiseLaw::OneOverFFormula(ref f) => {
                f.eval_conductance_into(g_us, g_hat, out);
                for o in out.iter_mut() {
                    *o = o.max(0.0);
                }
            }
        }
    }

    /// The time factor multiplying the level at time `t_s` > 0 after programming; 0 at t <= 0
    /// (a read right after programming sees the programmed state).
    ///
    /// # Formula
    /// 1/f: sqrt(ln((t + t0 + t_read) / (2 t_read))) (physics.md Eq. 12); constant: 1.
    pub fn time_factor(&self, t_s: f64, t0_s: f64, t_read_s: f64) -> f64 {
        if t_s <= 0.0 {
            return 0.0;
        }
        match self {
            ReadNoiseLaw::None | ReadNoiseLaw::Absolute(_) => 0.0,
            ReadNoiseLaw::OneOverF { .. } | ReadNoiseLaw::OneOverFFormula(_) => {
                ((t_s + t0_s + t_read_s) / (2.0 * t_read_s))
                    .ln()
                    .max(0.0)
                    .sqrt()
            }
            ReadNoiseLaw::ConstantRelative { .. } => 1.0,
        }
    }

    /// Checks the law: levels >= 0, a finite exponent; a formula finite and >= 0 over
    /// [g_min, g_max].
    pub fn validate(&self, g_min_us: f64, g_max_us: f64) -> Result<(), InvalidKey> {
        match *self {
            ReadNoiseLaw::None => {}
            ReadNoiseLaw::OneOverF {
                q_coeff,
                q_exponent,
                q_max,
            } => {
                non_negative("read_noise.q_coeff", q_coeff)?;
                finite("read_noise.q_exponent", q_exponent)?;
                non_negative("read_noise.q_max", q_max)?;
            }
            ReadNoiseLaw::ConstantRelative { sigma_rel } => {
                non_negative("read_noise.sigma_rel", sigma_rel)?;
            }
            ReadNoiseLaw::OneOverFFormula(ref f) => {
                f.check_conductance(LEVEL, 0.0, g_min_us, g_max_us)?;
            }
            ReadNoiseLaw::Absolute(ref f) => {
                let mut grid = Vec::new();
                for e in -3..=9 {
                    let t = 10f64.powi(e) * 0.3156;
                    for k in 0..=50 {
                        let g = g_min_us + (g_max_us - g_min_us) * k as f64 / 50.0;
                        grid.push((vec![t, g / g_max_us, g], format!("t = {t} s, g = {g} µS")));
                    }
                }
                f.check_on(SIGMA, f64::MIN, grid)?;
            }
        }
        Ok(())
    }
}

/// Where a device's read-noise level is evaluated: at its target (physics.md section 2, the
/// paper's PCM) or at its programmed conductance (as IBM aihwkit's noise models do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelAt {
    #[default]
    Target,
    Programmed,
}

/// The key of the level formula.
const LEVEL: &str = "read_noise.level";

/// The key of the absolute sigma formula.
const SIGMA: &str = "read_noise.sigma_us";

/// `law` of `[read_noise]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadNoiseLawName {
    None,
    OneOverF,
    Constant,
    OneOverFFormula,
    Formula,
}

/// `[read_noise]`: 1/f law (Q_s a power law or a formula `level`), constant relative sigma, or
/// none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadNoiseSection {
    pub law: Option<ReadNoiseLawName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_coeff: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_exponent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q_max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma_rel: Option<f64>,
    /// one_over_f_formula: Q_s by a formula in x = g/g_max and g.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// formula: sigma_read in µS by a formula in t, x and g (the conductance read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma_us: Option<String>,
    /// Where the level is evaluated: "target" (default) or "programmed".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_at: Option<LevelAt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
}

/// The law, scale and level position of section `s` (absent: the base's, for pcm).
pub(crate) fn read_section(
    c: &Checker,
    s: Option<ReadNoiseSection>,
    base: Option<&DeviceParams>,
) -> Result<(ReadNoiseLaw, f64, LevelAt), Error> {
    let s = c.section_or_base(s, base, "read_noise")?;
    let scale = s.scale.unwrap_or(base.map_or(1.0, |b| b.read_noise_scale));
    let level_at = s
        .level_at
        .unwrap_or(base.map_or(LevelAt::Target, |b| b.read_level_at));
    let base_law = base.map(|b| &b.read_noise);
    let law = match (s.law, base_law) {
        (Some(l), _) => l,
        (None, Some(ReadNoiseLaw::None)) => ReadNoiseLawName::None,
        (None, Some(ReadNoiseLaw::OneOverF { .. })) => ReadNoiseLawName::OneOverF,
        (None, Some(ReadNoiseLaw::ConstantRelative { .. })) => ReadNoiseLawName::Constant,
        (None, Some(ReadNoiseLaw::OneOverFFormula(_))) => ReadNoiseLawName::OneOverFFormula,
        (None, Some(ReadNoiseLaw::Absolute(_))) => ReadNoiseLawName::Formula,
        (None, None) => {
            return Err(c.err(
                "read_noise.law",
                "\"none\", \"one_over_f\", \"one_over_f_formula\" or \"constant\" (required \
                 here)",
                "nothing",
            ));
        }
    };
    let one_over_f_keys = [
        ("read_noise.q_coeff", s.q_coeff),
        ("read_noise.q_exponent", s.q_exponent),
        ("read_noise.q_max", s.q_max),
    ];
    let law = match law {
        ReadNoiseLawName::None => {
            for (k, v) in one_over_f_keys
                .iter()
                .chain([("read_noise.sigma_rel", s.sigma_rel)].iter())
            {
                c.unused(k, v, "none")?;
            }
            c.unused(LEVEL, &s.level, "none")?;
            ReadNoiseLaw::None
        }
        ReadNoiseLawName::OneOverF => {
            c.unused("read_noise.sigma_rel", &s.sigma_rel, "one_over_f")?;
            c.unused(LEVEL, &s.level, "one_over_f")?;
            let (bc, be, bm) = match base_law {
                Some(ReadNoiseLaw::OneOverF {
                    q_coeff,
                    q_exponent,
                    q_max,
                }) => (Some(*q_coeff), Some(*q_exponent), Some(*q_max)),
                _ => (None, None, None),
            };
            let get = |k: &str, v: Option<f64>, b: Option<f64>| -> Result<f64, Error> {
                c.required(k, v.or(b), "a number")
            };
            ReadNoiseLaw::OneOverF {
                q_coeff: get("read_noise.q_coeff", s.q_coeff, bc)?,
                q_exponent: get("read_noise.q_exponent", s.q_exponent, be)?,
                q_max: get("read_noise.q_max", s.q_max, bm)?,
            }
        }
        ReadNoiseLawName::Constant => {
            for (k, v) in &one_over_f_keys {
                c.unused(k, v, "constant")?;
            }
            c.unused(LEVEL, &s.level, "constant")?;
            let k = "read_noise.sigma_rel";
            ReadNoiseLaw::ConstantRelative {
                sigma_rel: c.required(k, s.sigma_rel, "a relative sigma")?,
            }
        }
        ReadNoiseLawName::OneOverFFormula => {
            for (k, v) in &one_over_f_keys {
                c.unused(k, v, "one_over_f_formula")?;
            }
            c.unused("read_noise.sigma_rel", &s.sigma_rel, "one_over_f_formula")?;
            let source = c.required(
                LEVEL,
                s.level,
                "a formula of the relative level Q_s in x = g/g_max and g",
            )?;
            ReadNoiseLaw::OneOverFFormula(
                Formula::of_conductance(LEVEL, &source).map_err(|e| c.invalid(e))?,
            )
        }
        ReadNoiseLawName::Formula => {
            for (k, v) in &one_over_f_keys {
                c.unused(k, v, "formula")?;
            }
            c.unused("read_noise.sigma_rel", &s.sigma_rel, "formula")?;
            c.unused(LEVEL, &s.level, "formula")?;
            let source = c.required(
                SIGMA,
                s.sigma_us.clone(),
                "a formula of sigma_read in µS, in t, x and g",
            )?;
            ReadNoiseLaw::Absolute(
                Formula::parse(SIGMA, &source, &super::relaxation::TIME_VARIABLES)
                    .map_err(|e| c.invalid(e))?,
            )
        }
    };
    if law_name_is_not_formula(&law) {
        c.unused(SIGMA, &s.sigma_us, "other than \"formula\"")?;
    }
    Ok((law, scale, level_at))
}

/// Whether `law` takes no `sigma_us`.
fn law_name_is_not_formula(law: &ReadNoiseLaw) -> bool {
    !matches!(law, ReadNoiseLaw::Absolute(_))
}

/// The section of `law` with `scale` and `level_at`, every key explicit.
pub(crate) fn write_section(law: &ReadNoiseLaw, scale: f64, level_at: LevelAt) -> ReadNoiseSection {
    let mut s = ReadNoiseSection {
        scale: Some(scale),
        level_at: Some(level_at),
        ..Default::default()
    };
    match law {
        ReadNoiseLaw::None => s.law = Some(ReadNoiseLawName::None),
        ReadNoiseLaw::OneOverF {
            q_coeff,
            q_exponent,
            q_max,
        } => {
            s.law = Some(ReadNoiseLawName::OneOverF);
            s.q_coeff = Some(*q_coeff);
            s.q_exponent = Some(*q_exponent);
            s.q_max = Some(*q_max);
        }
        ReadNoiseLaw::ConstantRelative { sigma_rel } => {
            s.law = Some(ReadNoiseLawName::Constant);
            s.sigma_rel = Some(*sigma_rel);
        }
        ReadNoiseLaw::OneOverFFormula(f) => {
            s.law = Some(ReadNoiseLawName::OneOverFFormula);
            s.level = Some(f.source().to_string());
        }
        ReadNoiseLaw::Absolute(f) => {
            s.law = Some(ReadNoiseLawName::Formula);
            s.sigma_us = Some(f.source().to_string());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_time_factor_zero_at_programming() {
        let law = ReadNoiseLaw::OneOverF {
            q_coeff: 0.0088,
            q_exponent: 0.65,
            q_max: 0.2,
        };
        assert_eq!(law.time_factor(0.0, 20.0, 250e-9), 0.0);
        let one_s = law.time_factor(1.0, 20.0, 250e-9);
        let expected = ((21.0f64 + 250e-9) / 500e-9).ln().sqrt();
        assert!((one_s - expected).abs() < 1e-12);
    }
}
