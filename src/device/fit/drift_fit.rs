//! Drift and read noise of measured devices (physics.md Eq. 8-12). Per device: the curve
//! g = g_P ((t + t0)/t0)^-nu fitted to its reads.
//! Per target level: mu_nu and sigma_nu of the folded normal nu = |N(mu, sigma)| from the mean
//! and mean square of the fitted exponents (their estimation variance removed), with standard
//! errors; then both as clipped log-linear laws in ln(g/g_max) (Eq. 9), or tables where the
//! chi^2 of the law against the standard errors rejects it (p < 0.001). Read noise: the
//! residuals of each device's line, relative to g, have variance Q_s^2 ln((t + t0 + t_read) /
//! (2 t_read)) at t > 0 (Eq. 11-12); per level Q_s from the residuals (leverages accounted),
//! then Q_s = min(q_coeff g^^(-q_exponent), q_max) by a log-linear fit. Each device's curve is
//! fitted to g itself (relative residuals), not to ln g, whose mean read noise biases.

use super::clipped_fit::{ClippedFit, Plateaus, fit_clipped};
use super::measurements::DriftTrace;
use crate::error::{Error, Result};
use statrs::distribution::{ContinuousCDF, Normal};
use std::collections::BTreeMap;

/// One device's fitted line.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDrift {
    pub nu: f64,
    /// Variance of the fitted nu from the scatter of the reads about the line.
    pub nu_var: f64,
    /// sum of squared relative residuals g / g_D - 1, and sum over reads of (1 - leverage) L(t).
    pub residual_ss: f64,
    pub read_weight: f64,
    /// Reads less the two fitted parameters.
    pub residual_dof: f64,
}

/// The drift statistics of one target level.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftLevel {
    pub g_target_us: f64,
    /// Devices fitted (those with a read of 0 are left out: ln 0).
    pub n: usize,
    pub skipped: usize,
    pub nu_mean: f64,
    pub nu_std: f64,
    pub nu_mean_se: f64,
    pub nu_std_se: f64,
    /// Q_s estimated from the residuals (0 when the level has no reads at t > 0 beyond the fit).
    pub q_s: f64,
    pub q_s_rel_se: f64,
}

/// How nu's mean and std are written: the clipped log-linear law or a table (and why).
#[derive(Debug, Clone, PartialEq)]
pub enum NuLaw {
    LogLinear { mu: ClippedFit, sigma: ClippedFit },
    Table { reason: String },
}

/// Everything fitted from drift data.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftFit {
    pub g_max_us: f64,
    pub t0_s: f64,
    pub t_read_s: f64,
    pub levels: Vec<DriftLevel>,
    pub nu_law: NuLaw,
    /// The mu and sigma fits even when rejected (for the report).
    pub mu_fit: ClippedFit,
    pub sigma_fit: ClippedFit,
    /// ln Q_s law: slope = -q_exponent, intercept = ln q_coeff, max = ln q_max.
    pub read_fit: Option<ClippedFit>,
}

impl DriftFit {
    pub fn q_coeff(&self) -> Option<f64> {
        self.read_fit.as_ref().map(|f| f.intercept.exp())
    }

    pub fn q_exponent(&self) -> Option<f64> {
        self.read_fit.as_ref().map(|f| -f.slope)
    }

    pub fn q_max(&self) -> Option<f64> {
        self.read_fit.as_ref().map(|f| f.max.exp())
    }
}

/// ln((t + t0 + t_read) / (2 t_read)) for t > 0, else 0 (no read noise at programming).
fn read_log(t: f64, t0: f64, t_read: f64) -> f64 {
    if t > 0.0 {
        ((t + t0 + t_read) / (2.0 * t_read)).ln()
    } else {
        0.0
    }
}

/// The drift of one device, or None when a read is 0. Starts from the line through ln g; then,
/// since the read noise is relative to g_D(t) (and ln g is biased and skewed where it is large),
/// fits g = exp(c - nu x) itself by iteratively reweighted Gauss-Newton steps on the relative
/// residuals u = g / g_D - 1 (each step the least-squares line of u on x), which solve the
/// unbiased estimating equations sum (g - g_D) dg_D / g_D^2 = 0.
pub fn fit_device(trace: &DriftTrace, t0: f64, t_read: f64) -> Option<DeviceDrift> {
    if trace.reads.iter().any(|r| r.1 <= 0.0) {
        return None;
    }
    let m = trace.reads.len() as f64;
    let x: Vec<f64> = trace.reads.iter().map(|r| ((r.0 + t0) / t0).ln()).collect();
    let mx = x.iter().sum::<f64>() / m;
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    // The least-squares line (intercept at mx, slope) of `y` on x.
    let line = |y: &[f64]| {
        let my = y.iter().sum::<f64>() / m;
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        (my, sxy / sxx)
    };
    let ln_g: Vec<f64> = trace.reads.iter().map(|r| r.1.ln()).collect();
    let (mut c, mut slope) = line(&ln_g);
    let relative = |c: f64, slope: f64| -> Vec<f64> {
        trace
            .reads
            .iter()
            .zip(&x)
            .map(|(r, a)| r.1 / (c + slope * (a - mx)).exp() - 1.0)
            .collect()
    };
    for _ in 0..20 {
        let (dc, ds) = line(&relative(c, slope));
        c += dc;
        slope += ds;
        if dc.abs() < 1e-12 && ds.abs() < 1e-12 {
            break;
        }
    }
    let residual_ss: f64 = relative(c, slope).iter().map(|u| u * u).sum();
    let read_weight: f64 = trace
        .reads
        .iter()
        .zip(&x)
        .map(|(r, xv)| (1.0 - 1.0 / m - (xv - mx).powi(2) / sxx) * read_log(r.0, t0, t_read))
        .sum();
    Some(DeviceDrift {
        nu: -slope,
        nu_var: residual_ss / (m - 2.0) / sxx,
        residual_ss,
        read_weight,
        residual_dof: m - 2.0,
    })
}

/// E|N(mu, sigma)|.
fn folded_mean(mu: f64, sigma: f64) -> f64 {
    if sigma <= 0.0 {
        return mu.abs();
    }
    let n = Normal::standard();
    sigma * (2.0 / std::f64::consts::PI).sqrt() * (-mu * mu / (2.0 * sigma * sigma)).exp()
        + mu * (1.0 - 2.0 * n.cdf(-mu / sigma))
}

/// (mu, sigma) >= 0 of the folded normal with mean `m1` and mean square `m2`.
pub fn folded_normal_moments(m1: f64, m2: f64) -> (f64, f64) {
    let m2 = m2.max(m1 * m1);
    let r = m2.sqrt();
    if m1 <= folded_mean(0.0, r) {
        return (0.0, r);
    }
    let (mut lo, mut hi) = (0.0, r);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if folded_mean(mid, (m2 - mid * mid).max(0.0).sqrt()) < m1 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mu = (lo + hi) / 2.0;
    (mu, (m2 - mu * mu).max(0.0).sqrt())
}

/// The statistics of one level from its fitted devices.
fn level_stats(g_target_us: f64, devices: &[DeviceDrift], skipped: usize) -> DriftLevel {
    let n = devices.len() as f64;
    let m1 = devices.iter().map(|d| d.nu).sum::<f64>() / n;
    let m2 = devices.iter().map(|d| d.nu * d.nu).sum::<f64>() / n;
    let estimation = devices.iter().map(|d| d.nu_var).sum::<f64>() / n;
    let (mu, sigma) = folded_normal_moments(m1, m2 - estimation);
    let spread = (sigma * sigma + estimation).sqrt();
    let residual_ss: f64 = devices.iter().map(|d| d.residual_ss).sum();
    let read_weight: f64 = devices.iter().map(|d| d.read_weight).sum();
    // Degrees of freedom of the residuals that carry read noise (for the spread of Q_s).
    let dof: f64 = devices
        .iter()
        .filter(|d| d.read_weight > 0.0)
        .map(|d| d.residual_dof)
        .sum::<f64>();
    DriftLevel {
        g_target_us,
        n: devices.len(),
        skipped,
        nu_mean: mu,
        nu_std: sigma,
        nu_mean_se: spread / n.sqrt(),
        nu_std_se: spread / (2.0 * (n - 1.0).max(1.0)).sqrt(),
        q_s: if read_weight > 0.0 {
            (residual_ss / read_weight).sqrt()
        } else {
            0.0
        },
        q_s_rel_se: 1.0 / (2.0 * dof.max(1.0)).sqrt(),
    }
}

/// Fits drift and read noise to the traces; `g_max_us` normalises g, `t0_s` and `t_read_s` are
/// the model's reference times.
pub fn fit_drift(
    traces: &[DriftTrace],
    g_max_us: f64,
    t0_s: f64,
    t_read_s: f64,
) -> Result<DriftFit> {
    let mut by_level: BTreeMap<u64, (f64, Vec<&DriftTrace>)> = BTreeMap::new();
    for trace in traces {
        by_level
            .entry(trace.g_target_us.to_bits())
            .or_insert_with(|| (trace.g_target_us, Vec::new()))
            .1
            .push(trace);
    }
    let mut levels: Vec<DriftLevel> = Vec::new();
    for (g, traces) in by_level.into_values() {
        if g <= 0.0 {
            continue;
        }
        let devices: Vec<DeviceDrift> = traces
            .iter()
            .filter_map(|t| fit_device(t, t0_s, t_read_s))
            .collect();
        if devices.len() < 2 {
            return Err(Error::Fit(format!(
                "the drift level {g} µS has {} device(s) with nonzero reads: at least 2 are needed",
                devices.len()
            )));
        }
        levels.push(level_stats(g, &devices, traces.len() - devices.len()));
    }
    levels.sort_by(|a, b| a.g_target_us.total_cmp(&b.g_target_us));
    let x: Vec<f64> = levels
        .iter()
        .map(|l| (l.g_target_us / g_max_us).ln())
        .collect();
    let both = Plateaus {
        low_x: true,
        high_x: true,
    };
    let column = |f: fn(&DriftLevel) -> f64| levels.iter().map(f).collect::<Vec<f64>>();
    let mu_fit = fit_clipped(&x, &column(|l| l.nu_mean), &column(|l| l.nu_mean_se), both)?;
    let sigma_fit = fit_clipped(&x, &column(|l| l.nu_std), &column(|l| l.nu_std_se), both)?;
    let reject = |name: &str, f: &ClippedFit| {
        (f.p_value() < 1e-3).then(|| {
            format!(
                "{name}: chi^2 = {:.1} for {} degrees of freedom (p = {:.1e}): the per-level values depart from a clipped log-linear law in ln(g) by more than their standard errors",
                f.chi2,
                f.dof,
                f.p_value()
            )
        })
    };
    let reasons: Vec<String> = [reject("nu_mean", &mu_fit), reject("nu_std", &sigma_fit)]
        .into_iter()
        .flatten()
        .collect();
    let nu_law = if reasons.is_empty() {
        NuLaw::LogLinear {
            mu: mu_fit.clone(),
            sigma: sigma_fit.clone(),
        }
    } else {
        NuLaw::Table {
            reason: reasons.join("; "),
        }
    };
    let with_noise: Vec<usize> = (0..levels.len()).filter(|&k| levels[k].q_s > 0.0).collect();
    let read_fit = if with_noise.len() >= 2 {
        let pick = |f: &dyn Fn(&DriftLevel) -> f64| -> Vec<f64> {
            with_noise.iter().map(|&k| f(&levels[k])).collect()
        };
        let xs: Vec<f64> = with_noise.iter().map(|&k| x[k]).collect();
        Some(fit_clipped(
            &xs,
            &pick(&|l| l.q_s.ln()),
            &pick(&|l| l.q_s_rel_se),
            Plateaus {
                low_x: true,
                high_x: false,
            },
        )?)
    } else {
        None
    };
    Ok(DriftFit {
        g_max_us,
        t0_s,
        t_read_s,
        levels,
        nu_law,
        mu_fit,
        sigma_fit,
        read_fit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_normal_moments_invert_the_folded_mean() {
        for (mu, sigma) in [(0.085, 0.043), (0.049, 0.008), (0.01, 0.04), (0.0, 0.02)] {
            let m1 = folded_mean(mu, sigma);
            let (m, s) = folded_normal_moments(m1, mu * mu + sigma * sigma);
            assert!(
                (m - mu).abs() < 1e-9 && (s - sigma).abs() < 1e-9,
                "{mu} {sigma}: {m} {s}"
            );
        }
    }

    #[test]
    fn an_exact_power_law_gives_its_exponent() {
        let trace = DriftTrace {
            device_id: "a".into(),
            g_target_us: 10.0,
            reads: [0.0, 20.0, 3600.0, 86400.0]
                .iter()
                .map(|&t| (t, 9.0 * ((t + 20.0) / 20.0f64).powf(-0.05)))
                .collect(),
        };
        let d = fit_device(&trace, 20.0, 250e-9).unwrap();
        assert!((d.nu - 0.05).abs() < 1e-12 && d.residual_ss < 1e-20);
    }
}
