//! Device files (`devices/*.toml`): parsing, validation and resolution into a [`DeviceSpec`].
//!
//! A file has `kind = "ideal" | "pcm" | "custom"`. For `pcm` every key is optional and defaults
//! to the paper's model (`pcm.rs`); for `custom` every law is given in the file. Both resolve to
//! one [`StatisticalDevice`]: one code path. Unknown keys, wrong types and impossible values are
//! refused with the file, the key and what was expected.

use super::ideal::IdealDevice;
use super::kind::{Device, DeviceKind, DeviceSpec};
use super::laws::{ClippedLogLinear, DriftLaw, ProgNoiseLaw, ReadNoiseLaw, StuckProbabilities};
use super::pcm::pcm;
use super::statistical::StatisticalDevice;
use super::table::PiecewiseLinear;
use crate::error::{Error, Result};
use crate::toml_file::{key_line, parse_toml};
use serde::{Deserialize, Serialize};

/// A device file as written: every key optional, unknown keys refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub kind: Option<DeviceKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g_max_us: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g_min_us: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t0_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t_read_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programming_noise: Option<ProgNoiseSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_noise: Option<ReadNoiseSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stuck: Option<StuckSection>,
}

/// `law` of `[programming_noise]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgNoiseLawName {
    Polynomial,
    Table,
}

/// `[programming_noise]`: sigma_P as a polynomial in g/g_max or a table over g.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgNoiseSection {
    pub law: Option<ProgNoiseLawName>,
    /// Polynomial: c_k in µS, sigma = sum c_k g^^k * g_max / reference_g_max_us.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coefficients_us: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_g_max_us: Option<f64>,
    /// Table: conductances (µS) and sigma (µS) at each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g_us: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma_us: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
}

/// `law` of `[drift]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftLawName {
    None,
    LogLinear,
    Table,
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
    /// Log-linear: mu_nu and sigma_nu laws in ln(g/g_max).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mu: Option<ClippedLogLinearSection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma: Option<ClippedLogLinearSection>,
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

/// `law` of `[read_noise]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadNoiseLawName {
    None,
    OneOverF,
    Constant,
}

/// `[read_noise]`: 1/f law, constant relative sigma, or none.
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
}

/// `[stuck]`: probabilities of stuck devices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StuckSection {
    pub p_reset: Option<f64>,
    pub p_g_max: Option<f64>,
    pub p_random: Option<f64>,
}

/// Parses and resolves the device file at `file` (used in messages) with contents `text`;
/// `default_name` is used when the file has no `name`.
pub fn parse_device(file: &str, text: &str, default_name: &str) -> Result<DeviceSpec> {
    let raw: DeviceFile = parse_toml(file, text)?;
    resolve(&Checker { file, text }, raw, default_name)
}

/// Checks, with the file (name and text) for messages.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
}

impl Checker<'_> {
    /// An invalid value of `key`, located at its line when the key is in the file.
    fn err(&self, key: &str, expected: &str, found: impl std::fmt::Display) -> Error {
        let file = match key_line(self.text, key) {
            Some(line) => format!("{}:{line}", self.file),
            None => self.file.to_string(),
        };
        Error::invalid_value(file, key, expected, found)
    }

    fn required<T>(&self, key: &str, value: Option<T>, expected: &str) -> Result<T> {
        value.ok_or_else(|| self.err(key, &format!("{expected} (required here)"), "nothing"))
    }

    fn finite(&self, key: &str, v: f64) -> Result<f64> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.err(key, "a finite number", v))
        }
    }

    fn non_negative(&self, key: &str, v: f64) -> Result<f64> {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(self.err(key, "a finite number >= 0", v))
        }
    }

    fn positive(&self, key: &str, v: f64) -> Result<f64> {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(self.err(key, "a finite number > 0", v))
        }
    }

    fn probability(&self, key: &str, v: f64) -> Result<f64> {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(self.err(key, "a probability in [0, 1]", v))
        }
    }

    /// Refuses a key that the chosen law does not use.
    fn unused<T>(&self, key: &str, value: &Option<T>, law: &str) -> Result<()> {
        match value {
            Some(_) => Err(self.err(key, &format!("no such key with law = \"{law}\""), "a value")),
            None => Ok(()),
        }
    }

    /// The abscissae of a table: non-empty, finite, >= 0, strictly increasing.
    fn abscissae(&self, key: &str, x: Vec<f64>) -> Result<Vec<f64>> {
        if x.is_empty() {
            return Err(self.err(key, "at least one value", "an empty list"));
        }
        for (i, &v) in x.iter().enumerate() {
            self.non_negative(&format!("{key}[{i}]"), v)?;
        }
        if let Some(i) = x.windows(2).position(|w| w[0] >= w[1]) {
            return Err(self.err(
                key,
                "strictly increasing values",
                format!("{} followed by {} at index {}", x[i], x[i + 1], i + 1),
            ));
        }
        Ok(x)
    }

    /// A table column: as many values as the abscissae `x_key`, each >= 0.
    fn column(&self, key: &str, y: Vec<f64>, x_key: &str, n: usize) -> Result<Vec<f64>> {
        if y.len() != n {
            return Err(self.err(
                key,
                &format!("{n} values (as many as `{x_key}`)"),
                format!("{} values", y.len()),
            ));
        }
        for (i, &v) in y.iter().enumerate() {
            self.non_negative(&format!("{key}[{i}]"), v)?;
        }
        Ok(y)
    }

    /// The table `section.g_us` -> `section.name`.
    fn table(
        &self,
        section: &str,
        x: Option<Vec<f64>>,
        name: &str,
        y: Option<Vec<f64>>,
    ) -> Result<PiecewiseLinear> {
        let x_key = format!("{section}.g_us");
        let x = self.abscissae(
            &x_key,
            self.required(&x_key, x, "a list of conductances in µS")?,
        )?;
        let y_key = format!("{section}.{name}");
        let y = self.required(&y_key, y, "a list of values, one per `g_us`")?;
        let y = self.column(&y_key, y, &x_key, x.len())?;
        Ok(PiecewiseLinear::new(x, y))
    }
}

fn resolve(c: &Checker, raw: DeviceFile, default_name: &str) -> Result<DeviceSpec> {
    let kind = c.required("kind", raw.kind, "one of \"ideal\", \"pcm\", \"custom\"")?;
    let name = raw.name.unwrap_or_else(|| default_name.to_string());
    let description = raw.description.unwrap_or_default();
    let base = match kind {
        DeviceKind::Pcm => Some(pcm()),
        DeviceKind::Custom | DeviceKind::Ideal => None,
    };
    let g_max_default = match kind {
        DeviceKind::Ideal => Some(IdealDevice::default().g_max_us),
        _ => base.as_ref().map(|b| b.g_max_us),
    };
    let g_max_us = c.positive(
        "g_max_us",
        c.required(
            "g_max_us",
            raw.g_max_us.or(g_max_default),
            "a conductance in µS",
        )?,
    )?;
    let g_min_us = c.non_negative("g_min_us", raw.g_min_us.unwrap_or(0.0))?;
    if g_max_us <= g_min_us {
        return Err(c.err(
            "g_max_us",
            &format!("a value above g_min_us = {g_min_us}"),
            g_max_us,
        ));
    }
    if kind == DeviceKind::Ideal {
        for (key, present) in [
            ("t0_s", raw.t0_s.is_some()),
            ("t_read_s", raw.t_read_s.is_some()),
            ("programming_noise", raw.programming_noise.is_some()),
            ("drift", raw.drift.is_some()),
            ("read_noise", raw.read_noise.is_some()),
            ("stuck", raw.stuck.is_some()),
        ] {
            if present {
                return Err(c.err(key, "no such key for kind = \"ideal\"", "a value"));
            }
        }
        return Ok(DeviceSpec {
            name,
            kind,
            description,
            device: Device::Ideal(IdealDevice { g_max_us, g_min_us }),
        });
    }
    let t0_s = c.positive(
        "t0_s",
        raw.t0_s
            .unwrap_or(base.as_ref().map_or(super::pcm::PCM_T0_S, |b| b.t0_s)),
    )?;
    let t_read_s = c.positive(
        "t_read_s",
        raw.t_read_s.unwrap_or(
            base.as_ref()
                .map_or(super::pcm::PCM_T_READ_S, |b| b.t_read_s),
        ),
    )?;
    let (programming_noise, programming_noise_scale) =
        resolve_prog_noise(c, raw.programming_noise, base.as_ref(), g_max_us)?;
    let (drift, drift_scale) = resolve_drift(c, raw.drift, base.as_ref())?;
    let (read_noise, read_noise_scale) = resolve_read_noise(c, raw.read_noise, base.as_ref())?;
    let stuck = resolve_stuck(c, raw.stuck.unwrap_or_default())?;
    Ok(DeviceSpec {
        name,
        kind,
        description,
        device: Device::Statistical(StatisticalDevice {
            g_max_us,
            g_min_us,
            t0_s,
            t_read_s,
            programming_noise,
            programming_noise_scale,
            drift,
            drift_scale,
            read_noise,
            read_noise_scale,
            stuck,
        }),
    })
}

/// The section as given, or (for pcm) the base's law written out as a section.
fn section_or_base<S: Default, B>(
    c: &Checker,
    section: Option<S>,
    base: Option<&B>,
    key: &str,
) -> Result<S> {
    match (section, base) {
        (Some(s), _) => Ok(s),
        (None, Some(_)) => Ok(S::default()),
        (None, None) => Err(c.err(key, "a section (required for kind = \"custom\")", "nothing")),
    }
}

fn resolve_prog_noise(
    c: &Checker,
    s: Option<ProgNoiseSection>,
    base: Option<&StatisticalDevice>,
    g_max_us: f64,
) -> Result<(ProgNoiseLaw, f64)> {
    let s = section_or_base(c, s, base, "programming_noise")?;
    let scale = c.non_negative(
        "programming_noise.scale",
        s.scale
            .unwrap_or(base.map_or(1.0, |b| b.programming_noise_scale)),
    )?;
    let base_law = base.map(|b| &b.programming_noise);
    let law = match (s.law, base_law) {
        (Some(l), _) => l,
        (None, Some(ProgNoiseLaw::Polynomial { .. })) => ProgNoiseLawName::Polynomial,
        (None, Some(ProgNoiseLaw::Table(_))) => ProgNoiseLawName::Table,
        (None, None) => {
            return Err(c.err(
                "programming_noise.law",
                "\"polynomial\" or \"table\" (required here)",
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
            let key = "programming_noise.coefficients_us";
            let coefficients_us = c.required(
                key,
                s.coefficients_us.or(base_coeffs),
                "a list of polynomial coefficients in µS",
            )?;
            if coefficients_us.is_empty() {
                return Err(c.err(key, "at least one coefficient", "an empty list"));
            }
            for (i, &v) in coefficients_us.iter().enumerate() {
                c.finite(&format!("{key}[{i}]"), v)?;
            }
            let reference_g_max_us = c.positive(
                "programming_noise.reference_g_max_us",
                s.reference_g_max_us.or(base_ref).unwrap_or(g_max_us),
            )?;
            let law = ProgNoiseLaw::Polynomial {
                coefficients_us,
                reference_g_max_us,
            };
            // A polynomial sigma must not go negative over the conductance range.
            let raw_poly = |g_hat: f64| match &law {
                ProgNoiseLaw::Polynomial {
                    coefficients_us, ..
                } => coefficients_us
                    .iter()
                    .rev()
                    .fold(0.0, |acc, c| acc * g_hat + c),
                ProgNoiseLaw::Table(_) => unreachable!(),
            };
            if let Some(k) = (0..=100).find(|&k| raw_poly(k as f64 / 100.0) < 0.0) {
                let g_hat = k as f64 / 100.0;
                return Err(c.err(
                    key,
                    "a polynomial sigma >= 0 for every g/g_max in [0, 1]",
                    format!("{} at g/g_max = {g_hat}", raw_poly(g_hat)),
                ));
            }
            law
        }
        ProgNoiseLawName::Table => {
            c.unused(
                "programming_noise.coefficients_us",
                &s.coefficients_us,
                "table",
            )?;
            c.unused(
                "programming_noise.reference_g_max_us",
                &s.reference_g_max_us,
                "table",
            )?;
            ProgNoiseLaw::Table(c.table("programming_noise", s.g_us, "sigma_us", s.sigma_us)?)
        }
    };
    Ok((law, scale))
}

fn resolve_clipped(
    c: &Checker,
    key: &str,
    s: Option<ClippedLogLinearSection>,
    base: Option<ClippedLogLinear>,
    is_sigma: bool,
) -> Result<ClippedLogLinear> {
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
    let get = |field: &str, v: Option<f64>, b: Option<f64>| -> Result<f64> {
        let k = format!("{key}.{field}");
        c.finite(&k, c.required(&k, v.or(b), "a number")?)
    };
    let law = ClippedLogLinear {
        slope: get("slope", s.slope, base.map(|b| b.slope))?,
        intercept: get("intercept", s.intercept, base.map(|b| b.intercept))?,
        min: get("min", s.min, base.map(|b| b.min))?,
        max: get("max", s.max, base.map(|b| b.max))?,
    };
    if law.min > law.max {
        return Err(c.err(
            &format!("{key}.max"),
            &format!("a value >= min = {}", law.min),
            law.max,
        ));
    }
    if is_sigma {
        c.non_negative(&format!("{key}.min"), law.min)?;
    }
    Ok(law)
}

fn resolve_drift(
    c: &Checker,
    s: Option<DriftSection>,
    base: Option<&StatisticalDevice>,
) -> Result<(DriftLaw, f64)> {
    let s = section_or_base(c, s, base, "drift")?;
    let scale = c.non_negative(
        "drift.scale",
        s.scale.unwrap_or(base.map_or(1.0, |b| b.drift_scale)),
    )?;
    let base_law = base.map(|b| &b.drift);
    let law = match (s.law, base_law) {
        (Some(l), _) => l,
        (None, Some(DriftLaw::None)) => DriftLawName::None,
        (None, Some(DriftLaw::LogLinear { .. })) => DriftLawName::LogLinear,
        (None, Some(DriftLaw::Table { .. })) => DriftLawName::Table,
        (None, None) => {
            return Err(c.err(
                "drift.law",
                "\"none\", \"log_linear\" or \"table\" (required here)",
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
                mu: resolve_clipped(c, "drift.mu", s.mu, bm, false)?,
                sigma: resolve_clipped(c, "drift.sigma", s.sigma, bs, true)?,
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

fn resolve_read_noise(
    c: &Checker,
    s: Option<ReadNoiseSection>,
    base: Option<&StatisticalDevice>,
) -> Result<(ReadNoiseLaw, f64)> {
    let s = section_or_base(c, s, base, "read_noise")?;
    let scale = c.non_negative(
        "read_noise.scale",
        s.scale.unwrap_or(base.map_or(1.0, |b| b.read_noise_scale)),
    )?;
    let base_law = base.map(|b| b.read_noise);
    let law = match (s.law, base_law) {
        (Some(l), _) => l,
        (None, Some(ReadNoiseLaw::None)) => ReadNoiseLawName::None,
        (None, Some(ReadNoiseLaw::OneOverF { .. })) => ReadNoiseLawName::OneOverF,
        (None, Some(ReadNoiseLaw::ConstantRelative { .. })) => ReadNoiseLawName::Constant,
        (None, None) => {
            return Err(c.err(
                "read_noise.law",
                "\"none\", \"one_over_f\" or \"constant\" (required here)",
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
            ReadNoiseLaw::None
        }
        ReadNoiseLawName::OneOverF => {
            c.unused("read_noise.sigma_rel", &s.sigma_rel, "one_over_f")?;
            let (bc, be, bm) = match base_law {
                Some(ReadNoiseLaw::OneOverF {
                    q_coeff,
                    q_exponent,
                    q_max,
                }) => (Some(q_coeff), Some(q_exponent), Some(q_max)),
                _ => (None, None, None),
            };
            let get = |k: &str, v: Option<f64>, b: Option<f64>| -> Result<f64> {
                c.required(k, v.or(b), "a number")
            };
            ReadNoiseLaw::OneOverF {
                q_coeff: c.non_negative(
                    "read_noise.q_coeff",
                    get("read_noise.q_coeff", s.q_coeff, bc)?,
                )?,
                q_exponent: c.finite(
                    "read_noise.q_exponent",
                    get("read_noise.q_exponent", s.q_exponent, be)?,
                )?,
                q_max: c.non_negative("read_noise.q_max", get("read_noise.q_max", s.q_max, bm)?)?,
            }
        }
        ReadNoiseLawName::Constant => {
            for (k, v) in &one_over_f_keys {
                c.unused(k, v, "constant")?;
            }
            let k = "read_noise.sigma_rel";
            ReadNoiseLaw::ConstantRelative {
                sigma_rel: c.non_negative(k, c.required(k, s.sigma_rel, "a relative sigma")?)?,
            }
        }
    };
    Ok((law, scale))
}

fn resolve_stuck(c: &Checker, s: StuckSection) -> Result<StuckProbabilities> {
    let stuck = StuckProbabilities {
        p_reset: c.probability("stuck.p_reset", s.p_reset.unwrap_or(0.0))?,
        p_g_max: c.probability("stuck.p_g_max", s.p_g_max.unwrap_or(0.0))?,
        p_random: c.probability("stuck.p_random", s.p_random.unwrap_or(0.0))?,
    };
    let total = stuck.p_reset + stuck.p_g_max + stuck.p_random;
    if total > 1.0 {
        return Err(c.err(
            "stuck",
            "probabilities p_reset + p_g_max + p_random summing to at most 1",
            total,
        ));
    }
    Ok(stuck)
}
