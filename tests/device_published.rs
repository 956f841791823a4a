//! The shipped device files against the published models they transcribe (issue 20): for each,
//! the model as IBM aihwkit's code computes it (inference/noise/hermes.py and custom.py, written
//! out here independently in double precision: programming noise, drift exponent, drift and read
//! noise, its clamps) is sampled beside `aimc`'s device (program, then read), and the mean and
//! the standard deviation of the conductance agree at several targets and times after
//! programming. Both are samples: the tolerance is 5 standard errors of the difference,
//! sqrt(s1^2/n + s2^2/n) for the mean and sqrt((m4_1 - s1^4)/n + (m4_2 - s2^4)/n) for the
//! variance. (t = 0 is left out: aimc reads the programmed state there, aihwkit adds the read
//! noise of t = t0.)

use aimc::device::registry::resolve_device;
use aimc::device::{DeviceModel, StatisticalDevice};
use aimc::rng::NoiseRng;

const N: usize = 200_000;
const TIMES: [f64; 4] = [1.0, 3600.0, 86_400.0, 31_536_000.0];

/// A published model: sigma_P(g_T), (mu_nu, sigma_nu)(g_T), Q_s(g_prog) and its constants.
struct Published {
    g_max: f64,
    t0: f64,
    t_read: f64,
    sigma_prog: fn(f64) -> f64,
    drift: fn(f64) -> (f64, f64),
    /// The read noise's std relative to |g_D|, before the time factor, at x = g_prog / g_max.
    read_level: fn(f64) -> f64,
}

impl Published {
    /// One device programmed to `g_t`, read at `t` (aihwkit's apply_programming_noise, then
    /// apply_drift_noise_to_conductance), in double precision.
    fn sample(&self, g_t: f64, t: f64, rng: &mut NoiseRng) -> f64 {
        let mut xi = [0f32; 3];
        rng.fill_normal(&mut xi);
        let x = g_t / self.g_max;
        let g_prog = (g_t + (self.sigma_prog)(x) * xi[0] as f64).max(0.0);
        let (mu, sigma) = (self.drift)(x.abs().max(1e-7));
        let nu = (mu + sigma * xi[1] as f64).abs();
        let t = t + self.t0;
        let g_drift = if t > self.t0 {
            g_prog * (t / self.t0).powf(-nu)
        } else {
            g_prog
        };
        let q = (self.read_level)(g_prog.abs() / self.g_max);
        let sig = q * ((t + self.t_read) / (2.0 * self.t_read)).ln().sqrt();
        (g_drift + g_drift.abs() * sig * xi[2] as f64).max(0.0)
    }
}

struct Moments {
    mean: f64,
    var: f64,
    m4: f64,
}

fn moments(v: &[f64]) -> Moments {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = v.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    Moments { mean, var, m4 }
}

/// aimc's device `name` against `model` at `targets` (µS) and [`TIMES`].
fn compare(name: &str, model: &Published, targets: &[f64]) {
    assert_eq!(
        resolve_device(name).unwrap().device.g_max_us(),
        model.g_max,
        "{name}: g_max"
    );
    compare_with(name, targets, &TIMES, |g_t, t, rng| {
        model.sample(g_t, t, rng)
    });
}

/// aimc's device `name` against a sampler of the published model (one device programmed to
/// g_T and read at t) at `targets` (µS) and `times` (s).
fn compare_with(
    name: &str,
    targets: &[f64],
    times: &[f64],
    published: impl Fn(f64, f64, &mut NoiseRng) -> f64,
) {
    let d: StatisticalDevice = resolve_device(name)
        .unwrap()
        .device
        .as_statistical()
        .unwrap()
        .clone();
    let mut rng = NoiseRng::new(11);
    let mut reference_rng = NoiseRng::new(12);
    let mut g = vec![0f32; N];
    let n = N as f64;
    for &g_t in targets {
        let state = d.program(&vec![g_t as f32; N], &mut rng);
        for &t in times {
            d.read(&state, t, &mut rng, &mut g);
            let ours: Vec<f64> = g.iter().map(|&v| v as f64).collect();
            let theirs: Vec<f64> = (0..N)
                .map(|_| published(g_t, t, &mut reference_rng))
                .collect();
            let (a, b) = (moments(&ours), moments(&theirs));
            let se_mean = (a.var / n + b.var / n).sqrt();
            assert!(
                (a.mean - b.mean).abs() <= 5.0 * se_mean,
                "{name} g_T = {g_t} µS, t = {t} s: mean {} vs the published model's {} (5 SE {})",
                a.mean,
                b.mean,
                5.0 * se_mean
            );
            let se_var =
                ((a.m4 - a.var * a.var).max(0.0) / n + (b.m4 - b.var * b.var).max(0.0) / n).sqrt();
            assert!(
                (a.var - b.var).abs() <= 5.0 * se_var,
                "{name} g_T = {g_t} µS, t = {t} s: std {} vs the published model's {} (5 SE of \
                 the variance {})",
                a.var.sqrt(),
                b.var.sqrt(),
                5.0 * se_var
            );
        }
    }
}

fn cubic(c: [f64; 4], x: f64) -> f64 {
    c[0] + c[1] * x + c[2] * x * x + c[3] * x * x * x
}

/// mu_nu of HermesNoiseModel (both device counts).
fn hermes_mu(x: f64) -> f64 {
    if x < 0.0945 {
        (-0.0387 * x.ln() - 0.0182).clamp(0.0720, 0.13)
    } else {
        -0.0436 * x * x - 0.0126 * x + 0.0736
    }
}

#[test]
fn hermes_two_devices_is_the_published_model() {
    let model = Published {
        g_max: 20.7,
        t0: 300.0,
        t_read: 512e-9,
        sigma_prog: |x| cubic([0.16603222, 4.71806468, -8.48101252, 4.68961419], x),
        drift: |x| {
            let sigma = if x < 0.3055 {
                (-0.0117 * x.ln() - 0.0057).clamp(0.0091, 0.04)
            } else {
                -0.0118 * x * x + 0.0093 * x + 0.0073
            };
            (hermes_mu(x), sigma)
        },
        read_level: |x| {
            if x < 0.16 {
                (-0.0117 * x.ln() - 0.0069).clamp(0.015, 0.04)
            } else {
                0.0069 * x.powi(3) - 0.0280 * x * x + 0.0211 * x + 0.0123
            }
        },
    };
    compare("hermes-2dev", &model, &[0.0, 1.0, 5.0, 10.35, 20.7]);
}

#[test]
fn hermes_one_device_is_the_published_model() {
    let model = Published {
        g_max: 10.35,
        t0: 200.0,
        t_read: 512e-9,
        sigma_prog: |x| cubic([0.15781817, 2.32443916, -2.16310839, 0.68841818], x),
        drift: |x| {
            let sigma = if x < 0.3039 {
                (-0.0120 * x.ln() - 0.0023).clamp(0.0124, 0.04)
            } else {
                -0.0165 * x * x + 0.0116 * x + 0.0104
            };
            (hermes_mu(x), sigma)
        },
        read_level: |x| {
            if x < 0.1591 {
                (-0.0078 * x.ln() + 0.0038).clamp(0.0179, 0.04)
            } else {
                0.0664 * x.powi(3) - 0.1352 * x * x + 0.0768 * x + 0.0088
            }
        },
    };
    compare("hermes-1dev", &model, &[0.0, 0.5, 2.5, 5.0, 10.35]);
}

#[test]
fn state_independent_is_the_published_model() {
    let model = Published {
        g_max: 25.0,
        t0: 20.0,
        t_read: 250e-9,
        sigma_prog: |_| 0.2,
        drift: |_| (0.1, 0.05),
        read_level: |_| 1.0 / 25.0,
    };
    compare("state-independent", &model, &[0.0, 2.0, 12.5, 25.0]);
}

/// aihwkit's ReRamCMONoiseModel (defaults: the 0.2 % programming fit, relaxation additive in ln t,
/// read noise K log10(g) sqrt(ln((t + t_read) / (2 t_read))), clamped to [g_min, g_max]).
#[test]
fn reram_cmo_is_the_published_model() {
    let (g_min, g_max) = (9.0, 88.199997);
    compare_with(
        "reram-cmo",
        &[9.0, 20.0, 48.6, 88.199997],
        &TIMES,
        |g_t, t, rng| {
            let mut xi = [0f32; 3];
            rng.fill_normal(&mut xi);
            let g_prog = g_t + (0.00081107 + 0.00106879 * g_t) * xi[0] as f64;
            let mean = g_prog - 0.08900206 * t.ln();
            let sigma_relaxation = 0.04201137 * t.ln() + 0.41183342;
            let g_drift = mean + xi[1] as f64 * sigma_relaxation;
            let sigma_read =
                0.0277316483 * g_drift.log10() * ((t + 1e-6) / (2.0 * 1e-6)).ln().sqrt();
            (g_drift + sigma_read * xi[2] as f64).clamp(g_min, g_max)
        },
    );
}

/// aihwkit's ReRamWan2022NoiseModel (defaults): the deviation around the target drawn at each
/// measured time from that time's quartic fit, clamped at 0; compared at the measured times (away
/// from g = 0, see the device file).
#[test]
fn reram_wan2022_is_the_published_model() {
    let fits: [(f64, [f64; 5]); 3] = [
        (1.0, [0.348, 16.030, -43.853, 45.393, -16.815]),
        (86_400.0, [0.701, 22.086, -50.773, 47.095, -16.458]),
        (172_800.0, [0.782, 20.274, -43.507, 37.062, -11.934]),
    ];
    let times: Vec<f64> = fits.iter().map(|f| f.0).collect();
    compare_with(
        "reram-wan2022",
        &[6.25, 12.5, 25.0],
        &times,
        |g_t, t, rng| {
            let c = fits.iter().find(|f| f.0 == t).unwrap().1;
            let x = g_t / 25.0;
            let sigma = c[0] + c[1] * x + c[2] * x * x + c[3] * x.powi(3) + c[4] * x.powi(4);
            let mut xi = [0f32; 1];
            rng.fill_normal(&mut xi);
            (g_t + sigma * xi[0] as f64).max(0.0)
        },
    );
    // After the last measured time there is no model: refused.
    let d = resolve_device("reram-wan2022").unwrap().device;
    assert_eq!(d.max_time_s(), Some(172_800.0));
    let e = aimc::device::sample::sample_device(&d, &[12.5], &[1e6], 10, 0).unwrap_err();
    assert!(e.to_string().contains("a time up to 172800 s"), "{e}");
}
