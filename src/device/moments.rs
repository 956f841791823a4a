//! Analytic moments of a statistical device at a target and a time (physics.md section 2):
//! what `aimc device sample` should measure, used by the tests and the device plots.
//!
//! With X ~ N(m, s^2): the programmed conductance is rectified, g_P = max(0, X) (Eq. 7); nu is
//! folded, nu = k|Y| with Y ~ N(mu, sigma^2) (Eq. 9); the drift factor exp(-nu L),
//! L = ln((t + t0)/t0) (Eq. 8), is independent of g_P; the read noise is relative, so
//! g = g_D max(0, 1 + r xi) with r = level * time factor (Eq. 10-12). Stuck devices mix in.
//! Where the level is evaluated at the programmed conductance (`read_level_at = programmed`),
//! r depends on g_P: those moments integrate over g_P numerically.

use super::laws::read_noise::LevelAt;
use super::model::DeviceModel;
use super::statistical::StatisticalDevice;
use statrs::distribution::{ContinuousCDF, Normal};
use std::f64::consts::PI;

/// Standard normal CDF.
fn phi_cdf(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

/// Standard normal density.
fn phi_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// First two raw moments of max(0, X), X ~ N(m, s^2).
///
/// # Formula
/// E = m Phi(m/s) + s phi(m/s); E2 = (m^2 + s^2) Phi(m/s) + m s phi(m/s).
pub fn rectified_normal_moments(m: f64, s: f64) -> (f64, f64) {
    if s <= 0.0 {
        let v = m.max(0.0);
        return (v, v * v);
    }
    let a = m / s;
    let (cdf, pdf) = (phi_cdf(a), phi_pdf(a));
    (m * cdf + s * pdf, (m * m + s * s) * cdf + m * s * pdf)
}

/// First two raw moments of |Y|, Y ~ N(mu, sigma^2).
///
/// # Formula
/// E = sigma sqrt(2/pi) exp(-mu^2 / 2 sigma^2) + mu (1 - 2 Phi(-mu/sigma)); E2 = mu^2 + sigma^2.
pub fn folded_normal_moments(mu: f64, sigma: f64) -> (f64, f64) {
    if sigma <= 0.0 {
        return (mu.abs(), mu * mu);
    }
    let mean = sigma * (2.0 / PI).sqrt() * (-mu * mu / (2.0 * sigma * sigma)).exp()
        + mu * (1.0 - 2.0 * phi_cdf(-mu / sigma));
    (mean, mu * mu + sigma * sigma)
}

/// E[exp(-c |Y|)], Y ~ N(mu, sigma^2), c >= 0: the mean drift factor.
///
/// # Formula
/// exp(-c mu + c^2 sigma^2 / 2) Phi(mu/sigma - c sigma)
///   + exp(c mu + c^2 sigma^2 / 2) Phi(-mu/sigma - c sigma).
pub fn folded_normal_exp_moment(mu: f64, sigma: f64, c: f64) -> f64 {
    if sigma <= 0.0 {
        return (-c * mu.abs()).exp();
    }
    let half = 0.5 * c * c * sigma * sigma;
    (-c * mu + half).exp() * phi_cdf(mu / sigma - c * sigma)
        + (c * mu + half).exp() * phi_cdf(-mu / sigma - c * sigma)
}

/// E[g_P R1(r(g_P))] and E[g_P^2 R2(r(g_P))] with g_P = max(0, X), X ~ N(m, s^2), r(g) the
/// device's read level at g times `factor`, and R1, R2 the raw moments of max(0, 1 + r xi):
/// composite Simpson over X within 12 s of m (4,000 intervals; g_P = 0 contributes nothing).
fn programmed_level_moments(d: &StatisticalDevice, m: f64, s: f64, factor: f64) -> (f64, f64) {
    let at = |g: f64| {
        let r = d.target_laws(g).read_level * factor;
        let (r1, r2) = rectified_normal_moments(1.0, r);
        (g * r1, g * g * r2)
    };
    if s <= 0.0 {
        return at(m.max(0.0));
    }
    let (lo, hi) = ((m - 12.0 * s).max(0.0), m + 12.0 * s);
    if hi <= lo {
        return (0.0, 0.0);
    }
    let intervals = 4000;
    let h = (hi - lo) / intervals as f64;
    let (mut e1, mut e2) = (0.0, 0.0);
    for k in 0..=intervals {
        let x = lo + k as f64 * h;
        let w = match k {
            0 => 1.0,
            k if k == intervals => 1.0,
            k if k % 2 == 1 => 4.0,
            _ => 2.0,
        } * h
            / 3.0
            * phi_pdf((x - m) / s)
            / s;
        let (a, b) = at(x);
        e1 += w * a;
        e2 += w * b;
    }
    (e1, e2)
}

/// The raw moments (`g1`, `g2`) of a read at `t_s` > 0 with the relaxation (independent of the
/// drift: its mean adds, its variance adds), the absolute read noise (E[sigma(G)^2] added, G
/// normal with the moments so far: Simpson within 8 std) and the clamp to [g_min, g_max] (the
/// moments of the clamped normal). Exact without clamping and with a read noise of constant
/// sigma; otherwise these normal approximations (a clamp acts only near g_min and g_max).
fn relaxed_read_moments(
    d: &StatisticalDevice,
    g_us: f64,
    t_s: f64,
    g1: f64,
    g2: f64,
) -> (f64, f64) {
    use super::laws::ReadNoiseLaw;
    use super::statistical::Clamp;
    let absolute = matches!(d.read_noise, ReadNoiseLaw::Absolute(_));
    if !d.relaxation.any() && !absolute && d.clamp == Clamp::Zero {
        return (g1, g2);
    }
    let (mut mean, mut var) = (g1, (g2 - g1 * g1).max(0.0));
    if d.relaxation.any() {
        let laws = d.target_laws(g_us);
        let (mut m, mut s) = ([0f32], [0f32]);
        let g = [g_us as f32];
        let h = [(g_us / d.g_max_us) as f32];
        d.relaxation
            .mean_std_into(t_s, &g, &h, &[laws.sigma_prog_us as f32], &mut m, &mut s);
        mean += m[0] as f64;
        var += (s[0] as f64).powi(2);
    }
    if let ReadNoiseLaw::Absolute(f) = &d.read_noise {
        let sd = var.sqrt();
        let sigma2 = |g: f64| {
            let v = f.eval(&[t_s, g / d.g_max_us, g]).abs() * d.read_noise_scale;
            if v.is_finite() { v * v } else { 0.0 }
        };
        var += if sd > 0.0 {
            let intervals = 2000;
            let (lo, hi) = (mean - 8.0 * sd, mean + 8.0 * sd);
            let h = (hi - lo) / intervals as f64;
            (0..=intervals)
                .map(|k| {
                    let x = lo + k as f64 * h;
                    let w = match k {
                        0 => 1.0,
                        k if k == intervals => 1.0,
                        k if k % 2 == 1 => 4.0,
                        _ => 2.0,
                    };
                    w * h / 3.0 * phi_pdf((x - mean) / sd) / sd * sigma2(x)
                })
                .sum::<f64>()
        } else {
            sigma2(mean)
        };
    }
    match d.clamp {
        Clamp::Zero if !d.relaxation.any() && !absolute => (g1, g2),
        Clamp::Zero => clamped_normal_moments(mean, var.sqrt(), 0.0, f64::INFINITY),
        Clamp::Range => clamped_normal_moments(mean, var.sqrt(), d.g_min_us, d.g_max_us),
    }
}

/// First two raw moments of clamp(X, a, b), X ~ N(m, s^2).
///
/// # Formula
/// With alpha = (a - m)/s, beta = (b - m)/s and Z the standard normal: the mass below a sits at
/// a, above b at b, and between them E[X 1] = m (Phi(beta) - Phi(alpha)) + s (phi(alpha) -
/// phi(beta)), E[X^2 1] = (m^2 + s^2)(Phi(beta) - Phi(alpha)) + 2 m s (phi(alpha) - phi(beta))
/// + s^2 (alpha phi(alpha) - beta phi(beta)).
pub fn clamped_normal_moments(m: f64, s: f64, a: f64, b: f64) -> (f64, f64) {
    if s <= 0.0 {
        let v = m.clamp(a, b);
        return (v, v * v);
    }
    let (alpha, beta) = ((a - m) / s, (b - m) / s);
    let (ca, cb) = (
        phi_cdf(alpha),
        if b.is_finite() { phi_cdf(beta) } else { 1.0 },
    );
    let (pa, pb) = (
        phi_pdf(alpha),
        if b.is_finite() { phi_pdf(beta) } else { 0.0 },
    );
    let (ta, tb) = (alpha * pa, if b.is_finite() { beta * pb } else { 0.0 });
    let inside = cb - ca;
    let e1 = m * inside + s * (pa - pb);
    let e2 = (m * m + s * s) * inside + 2.0 * m * s * (pa - pb) + s * s * (ta - tb);
    let above = if b.is_finite() { 1.0 - cb } else { 0.0 };
    let b_part = if b.is_finite() { b } else { 0.0 };
    (
        e1 + a * ca + b_part * above,
        e2 + a * a * ca + b_part * b_part * above,
    )
}

/// Mean and std of the conductance read and of the drift exponent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeviceMoments {
    pub g_mean_us: f64,
    pub g_std_us: f64,
    pub nu_mean: f64,
    pub nu_std: f64,
}

/// The exact moments of one read at `t_s` after programming at target `g_us`.
pub fn device_moments(d: &StatisticalDevice, g_us: f64, t_s: f64) -> DeviceMoments {
    let laws = d.target_laws(g_us);
    let (gp1, gp2) = rectified_normal_moments(g_us, laws.sigma_prog_us);
    let (nu1, nu2) = folded_normal_moments(laws.mu_nu, laws.sigma_nu);
    let k = d.drift_scale;
    let log_ratio = if t_s > 0.0 {
        ((t_s + d.t0_s) / d.t0_s).ln()
    } else {
        0.0
    };
    let f1 = folded_normal_exp_moment(laws.mu_nu, laws.sigma_nu, k * log_ratio);
    let f2 = folded_normal_exp_moment(laws.mu_nu, laws.sigma_nu, 2.0 * k * log_ratio);
    let factor = d.read_time_factor(t_s);
    // Not stuck.
    let (g1_ok, g2_ok) = match d.read_level_at {
        LevelAt::Target => {
            let (r1, r2) = rectified_normal_moments(1.0, laws.read_level * factor);
            (gp1 * f1 * r1, gp2 * f2 * r2)
        }
        LevelAt::Programmed => {
            let (e1, e2) = programmed_level_moments(d, g_us, laws.sigma_prog_us, factor);
            (e1 * f1, e2 * f2)
        }
    };
    let (n1_ok, n2_ok) = (k * nu1, k * k * nu2);
    // Mixture with stuck devices (nu = 0, no read noise).
    let s = &d.stuck;
    let (a, b) = (d.g_min_us, d.g_max_us);
    let p_ok = s.p_ok();
    let g1 = p_ok * g1_ok + s.p_g_max * b + s.p_random * (a + b) / 2.0;
    let g2 = p_ok * g2_ok + s.p_g_max * b * b + s.p_random * (a * a + a * b + b * b) / 3.0;
    let (nu_m1, nu_m2) = (p_ok * n1_ok, p_ok * n2_ok);
    let (g1, g2) = if t_s > 0.0 {
        relaxed_read_moments(d, g_us, t_s, g1, g2)
    } else {
        (g1, g2)
    };
    DeviceMoments {
        g_mean_us: g1,
        g_std_us: (g2 - g1 * g1).max(0.0).sqrt(),
        nu_mean: nu_m1,
        nu_std: (nu_m2 - nu_m1 * nu_m1).max(0.0).sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectified_far_from_zero_is_the_normal() {
        let (m1, m2) = rectified_normal_moments(10.0, 1.0);
        assert!((m1 - 10.0).abs() < 1e-12 && (m2 - 101.0).abs() < 1e-9);
    }

    #[test]
    fn rectified_at_zero_mean() {
        // max(0, N(0, s^2)): mean s/sqrt(2 pi), second moment s^2 / 2.
        let (m1, m2) = rectified_normal_moments(0.0, 2.0);
        assert!((m1 - 2.0 / (2.0 * PI).sqrt()).abs() < 1e-12);
        assert!((m2 - 2.0).abs() < 1e-12);
    }

    #[test]
    fn folded_at_zero_mean_is_half_normal() {
        let (m1, m2) = folded_normal_moments(0.0, 1.0);
        assert!((m1 - (2.0 / PI).sqrt()).abs() < 1e-12);
        assert_eq!(m2, 1.0);
    }

    #[test]
    fn clamped_normal_limits() {
        // No clamp within reach: the normal's moments; at zero: the rectified normal's.
        let (m1, m2) = clamped_normal_moments(10.0, 1.0, -100.0, 100.0);
        assert!((m1 - 10.0).abs() < 1e-12 && (m2 - 101.0).abs() < 1e-9);
        let (r1, r2) = rectified_normal_moments(0.3, 1.0);
        let (c1, c2) = clamped_normal_moments(0.3, 1.0, 0.0, f64::INFINITY);
        assert!((r1 - c1).abs() < 1e-12 && (r2 - c2).abs() < 1e-12);
        // Symmetric about the middle of [a, b]: mean m.
        let (e1, _) = clamped_normal_moments(5.0, 2.0, 3.0, 7.0);
        assert!((e1 - 5.0).abs() < 1e-12);
        // Against numerical integration of clamp(x, a, b)^k against the normal density
        // (composite Simpson within 12 s, 24,000 intervals: error far below 1e-9).
        let (m, sd, a, b) = (4.0, 2.0, 3.0, 7.0);
        let n = 24_000;
        let (lo, h) = (m - 12.0 * sd, 24.0 * sd / n as f64);
        let (mut q1, mut q2) = (0.0, 0.0);
        for k in 0..=n {
            let x: f64 = lo + k as f64 * h;
            let w = if k == 0 || k == n {
                1.0
            } else if k % 2 == 1 {
                4.0
            } else {
                2.0
            };
            let p = w * h / 3.0 * phi_pdf((x - m) / sd) / sd;
            let c = x.clamp(a, b);
            q1 += p * c;
            q2 += p * c * c;
        }
        let (w1, w2) = clamped_normal_moments(m, sd, a, b);
        assert!(
            (w1 - q1).abs() < 1e-9 && (w2 - q2).abs() < 1e-9,
            "{w1} {q1} {w2} {q2}"
        );
    }

    #[test]
    fn exp_moment_limits() {
        assert!((folded_normal_exp_moment(0.05, 0.01, 0.0) - 1.0).abs() < 1e-12);
        // Far from zero the fold is inactive: the lognormal mean exp(-c mu + c^2 s^2 / 2).
        let (mu, s, c) = (1.0f64, 0.05, 2.0);
        let expected = (-c * mu + 0.5 * c * c * s * s).exp();
        assert!((folded_normal_exp_moment(mu, s, c) - expected).abs() < 1e-12);
    }
}
