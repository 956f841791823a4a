//! Sampled statistics of the device models against their exact moments (device::moments), with
//! tolerances derived from the sample size: a mean within 5 standard errors sigma/sqrt(n), a
//! variance within 5 standard errors sqrt((m4 - s^4)/n) (m4 the sample's fourth central moment).

use aimc::device::moments::{DeviceMoments, device_moments};
use aimc::device::registry::resolve_device;
use aimc::device::sample::sample_device;
use aimc::device::{DeviceModel, StatisticalDevice, pcm};
use aimc::rng::NoiseRng;

const N: usize = 200_000;
const TIMES: [f64; 5] = [0.0, 1.0, 3600.0, 86400.0, 31_536_000.0];

struct Sample {
    mean: f64,
    var: f64,
    m4: f64,
}

fn sample_stats(v: &[f32]) -> Sample {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = v.iter().map(|&x| (x as f64 - mean).powi(4)).sum::<f64>() / n;
    Sample { mean, var, m4 }
}

/// Checks mean and variance of `v` against the theory (mean, std).
fn check(what: &str, v: &[f32], mean: f64, std: f64) {
    let s = sample_stats(v);
    let n = v.len() as f64;
    let se_mean = std / n.sqrt();
    assert!(
        (s.mean - mean).abs() <= 5.0 * se_mean + 1e-6 * mean.abs(),
        "{what}: mean {} vs theory {mean} (5 SE = {})",
        s.mean,
        5.0 * se_mean
    );
    let se_var = ((s.m4 - s.var * s.var).max(0.0) / n).sqrt();
    let var = std * std;
    assert!(
        (s.var - var).abs() <= 5.0 * se_var + 1e-6 * var,
        "{what}: var {} vs theory {var} (5 SE = {})",
        s.var,
        5.0 * se_var
    );
}

fn check_device(name: &str, d: &StatisticalDevice, targets: &[f64], seed: u64) {
    let mut rng = NoiseRng::new(seed);
    let mut g = vec![0.0f32; N];
    for &g_t in targets {
        let state = d.program(&vec![g_t as f32; N], &mut rng);
        for &t in &TIMES {
            let m: DeviceMoments = device_moments(d, g_t, t);
            d.read(&state, t, &mut rng, &mut g);
            check(
                &format!("{name} g_T={g_t} t={t} g"),
                &g,
                m.g_mean_us,
                m.g_std_us,
            );
            check(
                &format!("{name} g_T={g_t} nu"),
                &state.nu,
                m.nu_mean,
                m.nu_std,
            );
        }
    }
}

#[test]
fn pcm_moments_match_theory() {
    check_device("pcm", &pcm(), &[0.0, 0.5, 5.0, 12.5, 25.0], 1);
}

/// Formula laws (HERMES: piecewise drift and read-noise laws, the read level at the programmed
/// conductance, whose moments integrate over g_P).
#[test]
fn formula_law_moments_match_theory() {
    for (name, g_max) in [("hermes-1dev", 10.35), ("hermes-2dev", 20.7)] {
        let spec = resolve_device(name).unwrap();
        let d = spec.device.as_statistical().unwrap();
        let targets: Vec<f64> = [0.0, 0.05, 0.3, 1.0].iter().map(|x| x * g_max).collect();
        check_device(name, d, &targets, 5);
    }
}

/// Relaxation and an absolute read noise (the CMO ReRAM) where its clamp to [g_min, g_max] is
/// out of reach: normal programming and relaxation, read noise integrated over the relaxed
/// conductance.
#[test]
fn relaxation_moments_match_theory() {
    let spec = resolve_device("reram-cmo").unwrap();
    let d = spec.device.as_statistical().unwrap();
    check_device("reram-cmo", d, &[30.0, 48.6], 6);
}

#[test]
fn table_drift_moments_match_theory() {
    let spec = resolve_device("pcm-custom-drift").unwrap();
    let d = spec.device.as_statistical().unwrap();
    check_device("pcm-custom-drift", d, &[0.5, 3.0, 12.5], 2);
}

#[test]
fn reram_moments_match_theory() {
    let spec = resolve_device("reram-like").unwrap();
    let d = spec.device.as_statistical().unwrap();
    check_device("reram-like", d, &[0.0, 10.0, 39.26], 3);
}

#[test]
fn scaled_pcm_with_stuck_devices_matches_theory() {
    let d = pcm()
        .edit(|p| {
            p.programming_noise_scale = 2.0;
            p.drift_scale = 1.5;
            p.read_noise_scale = 3.0;
            p.g_min_us = 1.0;
            p.stuck.p_reset = 0.02;
            p.stuck.p_g_max = 0.01;
            p.stuck.p_random = 0.03;
        })
        .unwrap();
    check_device("pcm-stuck", &d, &[1.0, 12.5, 25.0], 4);
}

#[test]
fn constant_read_noise_matches_theory() {
    let d = pcm()
        .edit(|p| {
            p.read_noise = aimc::device::laws::ReadNoiseLaw::ConstantRelative { sigma_rel: 0.05 }
        })
        .unwrap();
    check_device("pcm-const-read", &d, &[5.0, 20.0], 5);
}

#[test]
fn drift_factors_closed_form() {
    // Eq. 8 with nu = 0.049, t0 = 20 s: physics.md gives 0.998 (1 s), 0.775 (1 h),
    // 0.664 (1 day), 0.497 (1 year).
    let d = pcm();
    let state = aimc::ProgrammedState {
        g_prog_us: vec![1.0],
        nu: vec![0.049],
        read_level: vec![0.0],
        ..Default::default()
    };
    for (t, rounded) in [
        (1.0, 0.998),
        (3600.0, 0.775),
        (86400.0, 0.664),
        (31_536_000.0, 0.497),
    ] {
        let mut out = [0.0f32];
        d.drift(&state, t, &mut out);
        let exact = ((t + 20.0) / 20.0f64).powf(-0.049);
        assert!(
            (out[0] as f64 - exact).abs() < 1e-6,
            "t={t}: {} vs {exact}",
            out[0]
        );
        assert!(
            (exact - rounded).abs() < 5e-4,
            "t={t}: {exact} vs {rounded}"
        );
    }
}

#[test]
fn reads_follow_one_trajectory() {
    // Without read noise, the 1 day read is the 1 h read times the drift between them, device
    // by device: programming noise and nu are drawn once.
    let d = pcm().edit(|p| p.read_noise_scale = 0.0).unwrap();
    let mut rng = NoiseRng::new(9);
    let state = d.program(&vec![10.0f32; 1000], &mut rng);
    let (mut h, mut day) = (vec![0.0f32; 1000], vec![0.0f32; 1000]);
    d.read(&state, 3600.0, &mut rng, &mut h);
    d.read(&state, 86400.0, &mut rng, &mut day);
    for i in 0..1000 {
        let ratio = ((86420.0f64 / 20.0).ln() - (3620.0f64 / 20.0).ln()) * state.nu[i] as f64;
        let expected = h[i] as f64 * (-ratio).exp();
        assert!((day[i] as f64 - expected).abs() < 1e-4 * expected.max(1.0));
    }
}

#[test]
fn same_seed_same_numbers_other_seed_other_numbers() {
    let spec = resolve_device("pcm").unwrap();
    let run = |seed| sample_device(&spec.device, &[0.5, 12.5], &[0.0, 3600.0], 1000, seed).unwrap();
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

#[test]
fn sample_rows_cover_targets_and_times() {
    let spec = resolve_device("pcm").unwrap();
    let rows = sample_device(&spec.device, &[0.5, 25.0], &[0.0, 1.0, 3600.0], 500, 0).unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(
        (rows[4].g_target_us, rows[4].t_s, rows[4].n),
        (25.0, 1.0, 500)
    );
    // nu is drawn at programming: the same at every time of one target.
    assert_eq!(rows[0].nu_mean, rows[2].nu_mean);
}

#[test]
fn sample_refuses_bad_arguments() {
    let spec = resolve_device("pcm").unwrap();
    let e = |g: &[f64], t: &[f64], n| {
        sample_device(&spec.device, g, t, n, 0)
            .unwrap_err()
            .to_string()
    };
    assert!(e(&[30.0], &[0.0], 10).contains("[g_min, g_max] = [0, 25]"));
    assert!(e(&[-1.0], &[0.0], 10).contains("target conductance"));
    assert!(e(&[1.0], &[-5.0], 10).contains("time"));
    assert!(e(&[1.0], &[f64::NAN], 10).contains("time"));
    assert!(e(&[1.0], &[0.0], 1).contains("at least 2"));
}
