//! Conductance relaxation (issue 20): a change of the programmed conductance over time that adds
//! to it (in µS) rather than scaling it as drift does, g(t) = g_D(t) + m(t) + s(t) xi_r, with one
//! normal xi_r per device drawn at programming and kept (aimc's trajectory semantics: the
//! marginal at each time is the published one, and a later read follows the earlier). Two forms:
//!
//! - `formula`: m(t) and s(t) as formulas in t (s), x = g_T/g_max and g = g_T (µS), e.g. the
//!   CMO ReRAM's mean shift and spread growing with ln t; s is taken in absolute value.
//! - `measured`: the total standard deviation of g(t) around the target, published only at a
//!   few times t_1 < ... < t_k (a formula in x and g for each). With sigma_P the programming
//!   noise, s(t)^2 = sigma(t)^2 - sigma_P^2, where sigma(t)^2 is interpolated linearly in ln t
//!   between measured times and is sigma(t_1)^2 before t_1; beyond t_k there is no model: reads
//!   are refused (`max_time_s`). sigma(t_j) >= sigma_P is checked at every conductance.
//!
//! And the `[relaxation]` section of a device file (`law`, `mean_us`, `std_us`, `times_s`).

use super::super::file::checker::Checker;
use super::super::formula::Formula;
use crate::error::{Error, InvalidKey};
use serde::{Deserialize, Serialize};

/// The variables of a law of time and target: t (s), x = g/g_max, g (µS).
pub const TIME_VARIABLES: [&str; 3] = ["t", "x", "g"];

/// How the conductance relaxes additively over time.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum RelaxationLaw {
    #[default]
    None,
    /// m(t) and s(t) by formulas in t, x and g.
    Formula { mean: Formula, std: Formula },
    /// The total std around the target at measured times (formulas in t, x and g; t is the
    /// measured time).
    Measured {
        times_s: Vec<f64>,
        std: Vec<Formula>,
    },
}

impl RelaxationLaw {
    /// Whether devices relax (and keep a relaxation normal and their target).
    pub fn any(&self) -> bool {
        !matches!(self, RelaxationLaw::None)
    }

    /// The last time the law describes, if it ends (measured: the last measured time).
    pub fn max_time_s(&self) -> Option<f64> {
        match self {
            RelaxationLaw::Measured { times_s, .. } => times_s.last().copied(),
            _ => None,
        }
    }

    /// m(t) and s(t) of each device at `t_s` > 0, from its target `g_us` (with `g_hat`) and its
    /// programming-noise sigma `sigma_prog_us` (measured form), into `mean` and `std`.
    pub fn mean_std_into(
        &self,
        t_s: f64,
        g_us: &[f32],
        g_hat: &[f32],
        sigma_prog_us: &[f32],
        mean: &mut [f32],
        std: &mut [f32],
    ) {
        match self {
            RelaxationLaw::None => {
                mean.fill(0.0);
                std.fill(0.0);
            }
            RelaxationLaw::Formula { mean: m, std: s } => {
                // t is one value for all devices: bound (its terms folded), its input unused.
                let t = g_us;
                m.bind("t", t_s).eval_into(&[t, g_hat, g_us], mean);
                s.bind("t", t_s).eval_into(&[t, g_hat, g_us], std);
                for v in std.iter_mut() {
                    *v = v.abs();
                }
            }
            RelaxationLaw::Measured { times_s, std: laws } => {
                mean.fill(0.0);
                // sigma(t)^2 = (1 - w) sigma(t_j)^2 + w sigma(t_j+1)^2, w linear in ln t.
                let j = times_s.iter().rposition(|&tj| tj <= t_s).unwrap_or(0);
                let k = (j + 1).min(times_s.len() - 1);
                let w = if k == j || t_s <= times_s[0] {
                    0.0
                } else {
                    ((t_s / times_s[j]).ln() / (times_s[k] / times_s[j]).ln()) as f32
                };
                let mut a = vec![0f32; g_us.len()];
                let mut b = vec![0f32; g_us.len()];
                laws[j]
                    .bind("t", times_s[j])
                    .eval_into(&[g_us, g_hat, g_us], &mut a);
                laws[k]
                    .bind("t", times_s[k])
                    .eval_into(&[g_us, g_hat, g_us], &mut b);
                for i in 0..g_us.len() {
                    let total = (1.0 - w) * a[i] * a[i] + w * b[i] * b[i];
                    let sp = sigma_prog_us[i];
                    std[i] = (total - sp * sp).max(0.0).sqrt();
                }
            }
        }
    }

    /// Checks the law: formulas finite over t in [1 ms, 10 years] (formula form; s >= 0 not
    /// required, its absolute value is used) and [g_min, g_max]; measured times positive and
    /// increasing, one std formula each, finite and at least `sigma_prog` at every conductance.
    pub fn validate(
        &self,
        g_min_us: f64,
        g_max_us: f64,
        sigma_prog: &dyn Fn(f64) -> f64,
    ) -> Result<(), InvalidKey> {
        let grid = |times: &[f64]| {
            let mut points = Vec::new();
            for &t in times {
                for k in 0..=50 {
                    let g = g_min_us + (g_max_us - g_min_us) * k as f64 / 50.0;
                    points.push((vec![t, g / g_max_us, g], format!("t = {t} s, g = {g} µS")));
                }
            }
            points
        };
        match self {
            RelaxationLaw::None => Ok(()),
            RelaxationLaw::Formula { mean, std } => {
                let times: Vec<f64> = (-3..=9).map(|e| 10f64.powi(e) * 0.3156).collect();
                mean.check_on(MEAN, f64::MIN, grid(&times))?;
                std.check_on(STD, f64::MIN, grid(&times))
            }
            RelaxationLaw::Measured { times_s, std } => {
                if times_s.is_empty() || times_s.len() != std.len() {
                    return Err(InvalidKey::new(
                        TIMES,
                        format!("one measured time per formula of `{STD}` ({})", std.len()),
                        format!("{} times", times_s.len()),
                    ));
                }
                for (i, w) in times_s.windows(2).enumerate() {
                    if w[1] <= w[0] {
                        return Err(InvalidKey::new(
                            format!("{TIMES}[{}]", i + 1),
                            format!("times increasing (above {})", w[0]),
                            w[1],
                        ));
                    }
                }
                if times_s[0] <= 0.0 {
                    return Err(InvalidKey::new(
                        format!("{TIMES}[0]"),
                        "a time > 0 s",
                        times_s[0],
                    ));
                }
                for (j, (f, &t)) in std.iter().zip(times_s).enumerate() {
                    let key = format!("{STD}[{j}]");
                    f.check_on(&key, 0.0, grid(&[t]))?;
                    for (inputs, at) in grid(&[t]) {
                        let (s, sp) = (f.eval(&inputs), sigma_prog(inputs[2]));
                        // sigma_P is evaluated in single precision, as the device does.
                        if s < sp * (1.0 - 1e-5) {
                            return Err(InvalidKey::new(
                                key,
                                "a total std at least the programming noise's (the spread \
                                 after programming cannot shrink)",
                                format!("{s} < sigma_P = {sp} at {at}"),
                            ));
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

const MEAN: &str = "relaxation.mean_us";
const STD: &str = "relaxation.std_us";
const TIMES: &str = "relaxation.times_s";

/// `law` of `[relaxation]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelaxationLawName {
    None,
    Formula,
    Measured,
}

/// `[relaxation]`: additive change of the conductance over time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaxationSection {
    pub law: Option<RelaxationLawName>,
    /// Formula: m(t) in µS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_us: Option<String>,
    /// Formula: s(t) in µS (a string); measured: the total std at each measured time (a list of
    /// strings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std_us: Option<StdUs>,
    /// Measured: the times, in s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times_s: Option<Vec<f64>>,
}

/// `std_us`: one formula, or a list of formulas (one per measured time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StdUs {
    One(String),
    Each(Vec<String>),
}

/// The law of section `s` (absent: none).
pub(crate) fn read_section(
    c: &Checker,
    s: Option<RelaxationSection>,
) -> Result<RelaxationLaw, Error> {
    let Some(s) = s else {
        return Ok(RelaxationLaw::None);
    };
    let parse = |key: &str, source: &str| {
        Formula::parse(key, source, &TIME_VARIABLES).map_err(|e| c.invalid(e))
    };
    let law = s.law.unwrap_or(RelaxationLawName::None);
    Ok(match law {
        RelaxationLawName::None => {
            c.unused(MEAN, &s.mean_us, "none")?;
            c.unused(STD, &s.std_us, "none")?;
            c.unused(TIMES, &s.times_s, "none")?;
            RelaxationLaw::None
        }
        RelaxationLawName::Formula => {
            c.unused(TIMES, &s.times_s, "formula")?;
            let mean = c.required(
                MEAN,
                s.mean_us,
                "a formula of the mean shift in µS, in t, x and g",
            )?;
            let std = match s.std_us {
                Some(StdUs::One(f)) => f,
                Some(StdUs::Each(_)) => {
                    return Err(c.err(
                        STD,
                        "one formula (a string) with law = \"formula\"",
                        "a list",
                    ));
                }
                None => c.required(STD, None, "a formula of the spread in µS, in t, x and g")?,
            };
            RelaxationLaw::Formula {
                mean: parse(MEAN, &mean)?,
                std: parse(STD, &std)?,
            }
        }
        RelaxationLawName::Measured => {
            c.unused(MEAN, &s.mean_us, "measured")?;
            let times_s = c.required(TIMES, s.times_s, "the measured times in s")?;
            let sources = match s.std_us {
                Some(StdUs::Each(v)) => v,
                Some(StdUs::One(_)) => {
                    return Err(c.err(
                        STD,
                        "a list of formulas, one per measured time, with law = \"measured\"",
                        "one formula",
                    ));
                }
                None => c.required(STD, None, "a list of formulas, one per measured time")?,
            };
            let std = sources
                .iter()
                .enumerate()
                .map(|(j, f)| parse(&format!("{STD}[{j}]"), f))
                .collect::<Result<Vec<_>, _>>()?;
            RelaxationLaw::Measured { times_s, std }
        }
    })
}

/// The section of `law`, every key explicit (none: no section).
pub(crate) fn write_section(law: &RelaxationLaw) -> Option<RelaxationSection> {
    match law {
        RelaxationLaw::None => None,
        RelaxationLaw::Formula { mean, std } => Some(RelaxationSection {
            law: Some(RelaxationLawName::Formula),
            mean_us: Some(mean.source().to_string()),
            std_us: Some(StdUs::One(std.source().to_string())),
            times_s: None,
        }),
        RelaxationLaw::Measured { times_s, std } => Some(RelaxationSection {
            law: Some(RelaxationLawName::Measured),
            mean_us: None,
            std_us: Some(StdUs::Each(
                std.iter().map(|f| f.source().to_string()).collect(),
            )),
            times_s: Some(times_s.clone()),
        }),
    }
}
