//! `aimc device fit`: measurements generated from `devices/pcm.toml` with a known seed are fitted
//! back to the paper's coefficients within the tolerance their sample size allows (4 standard
//! errors of each fitted coefficient), the written file loads and `aimc device sample` on it
//! reproduces the input statistics; bad files are named with line and column. Without the
//! `linalg` feature the command says how to enable it.

mod common;

use common::aimc;
use std::fmt::Write;
use std::path::Path;

/// Target levels of the synthetic measurements, µS.
const LEVELS: [f64; 12] = [
    1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.5, 16.0, 20.0, 25.0,
];
/// Read times of the drift data, s.
const TIMES: [f64; 8] = [20.0, 100.0, 500.0, 2500.0, 1.25e4, 6e4, 3e5, 1e6];
const PROG_DEVICES: usize = 4000;
const DRIFT_DEVICES: usize = 400;

/// Programming and drift CSVs of the PCM device file (seed 11) in `dir`.
fn write_measurements(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/devices/pcm.toml");
    let spec = aimc::device::load_device_file(Path::new(file)).unwrap();
    write_measurements_of(&spec.device, dir)
}

/// Programming and drift CSVs of `device` (seed 11) in `dir`.
fn write_measurements_of(
    device: &aimc::device::Device,
    dir: &Path,
) -> (std::path::PathBuf, std::path::PathBuf) {
    use aimc::device::DeviceModel;
    use aimc::rng::NoiseRng;
    let mut prog = String::from("g_target_us,g_measured_us\n");
    let mut drift = String::from("device_id,g_target_us,t_s,g_us\n");
    for (k, &g) in LEVELS.iter().enumerate() {
        let mut rng = NoiseRng::stream(11, &[k as u64]);
        let state = device.program(&vec![g as f32; PROG_DEVICES], &mut rng);
        for v in &state.g_prog_us {
            writeln!(prog, "{g},{v}").unwrap();
        }
        let state = device.program(&vec![g as f32; DRIFT_DEVICES], &mut rng);
        let mut reads = vec![0.0f32; DRIFT_DEVICES];
        for (j, &t) in TIMES.iter().enumerate() {
            let mut read_rng = NoiseRng::stream(11, &[k as u64, j as u64, 7]);
            device.read(&state, t, &mut read_rng, &mut reads);
            for (d, v) in reads.iter().enumerate() {
                writeln!(drift, "L{k}D{d},{g},{t},{v}").unwrap();
            }
        }
    }
    let (p, d) = (dir.join("prog.csv"), dir.join("drift.csv"));
    std::fs::write(&p, prog).unwrap();
    std::fs::write(&d, drift).unwrap();
    (p, d)
}

/// `aimc device fit` of both files into `out` under `name`.
#[cfg(feature = "linalg")]
fn fit_cli(prog: &Path, drift: &Path, name: &str, out: &Path) -> (bool, String, String) {
    aimc(&[
        "device",
        "fit",
        "--programming",
        prog.to_str().unwrap(),
        "--drift",
        drift.to_str().unwrap(),
        "--name",
        name,
        "--out",
        out.to_str().unwrap(),
    ])
}

#[cfg(feature = "linalg")]
#[test]
fn the_paper_pcm_model_is_recovered_from_its_own_measurements() {
    use aimc::device::fit::drift_fit::NuLaw;
    use aimc::device::fit::{FitOptions, fit_device};
    let dir = tempfile::tempdir().unwrap();
    let (prog, drift) = write_measurements(dir.path());
    let fit = fit_device(&FitOptions {
        programming: &prog,
        drift: Some(&drift),
        name: "pcm-fitted",
        degree: 2,
        g_max_us: None,
        t0_s: 20.0,
        t_read_s: 250e-9,
    })
    .unwrap();
    let within = |what: &str, got: f64, want: f64, se: f64| {
        assert!(
            (got - want).abs() < 4.0 * se,
            "{what}: fitted {got}, paper {want}, 4 standard errors {}",
            4.0 * se
        );
    };
    // Programming noise: c = [0.26348, 1.9650, -1.1731] µS at g_max 25 µS (Eq. 7).
    assert_eq!(fit.prog.g_max_us, 25.0);
    for (k, want) in [0.26348, 1.9650, -1.1731].into_iter().enumerate() {
        let (c, se) = (fit.prog.coefficients_us[k], fit.prog.standard_errors_us[k]);
        within(&format!("c{k}"), c, want, se);
    }
    assert!(fit.prog.r_squared > 0.95, "{}", fit.prog.r_squared);
    // Drift exponent (Eq. 9): the law, not a table.
    let d = fit.drift.as_ref().unwrap();
    let NuLaw::LogLinear { mu, sigma } = &d.nu_law else {
        panic!("{:?}", d.nu_law)
    };
    within("mu slope", mu.slope, -0.0155, mu.slope_se);
    within("mu intercept", mu.intercept, 0.0244, mu.intercept_se);
    within("sigma slope", sigma.slope, -0.0125, sigma.slope_se);
    within(
        "sigma intercept",
        sigma.intercept,
        -0.0059,
        sigma.intercept_se,
    );
    for l in &d.levels {
        let x = (l.g_target_us / 25.0).ln();
        let true_mu = (-0.0155 * x + 0.0244).clamp(0.049, 0.1);
        let true_sigma = (-0.0125 * x - 0.0059).clamp(0.008, 0.045);
        within(
            &format!("mu at {}", l.g_target_us),
            mu.eval(x),
            true_mu,
            l.nu_mean_se,
        );
        within(
            &format!("sigma at {}", l.g_target_us),
            sigma.eval(x),
            true_sigma,
            l.nu_std_se,
        );
    }
    // Read noise (Eq. 11): Q_s = 0.0088 g^^-0.65.
    let r = d.read_fit.as_ref().unwrap();
    within("ln q_coeff", r.intercept, 0.0088f64.ln(), r.intercept_se);
    within("q_exponent", -r.slope, 0.65, r.slope_se);

    eprintln!(
        "c = {:?} ± {:?}; mu {:?}; sigma {:?}; ln Q {:?}",
        fit.prog.coefficients_us, fit.prog.standard_errors_us, mu, sigma, r
    );
    // The file loads like any device file.
    let spec = aimc::device::parse_device("pcm-fitted.toml", &fit.toml, "x").unwrap();
    assert_eq!(spec.name, "pcm-fitted");
}

#[cfg(feature = "linalg")]
#[test]
fn the_cli_writes_a_device_that_samples_like_the_measurements() {
    let dir = tempfile::tempdir().unwrap();
    let (prog, drift) = write_measurements(dir.path());
    let out = dir.path().join("devices/pcm-fitted.toml");
    let (ok, stdout, err) = fit_cli(&prog, &drift, "pcm-fitted", &out);
    assert!(ok, "{err}");
    assert!(stdout.contains("drift law: clipped log-linear"), "{stdout}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("# Programming noise") && text.contains("R^2 = "),
        "{text}"
    );
    for f in ["pcm-fitted-fit.png", "pcm-fitted-fit.svg"] {
        assert!(dir.path().join("devices").join(f).is_file(), "{f}");
    }
    // `aimc device sample` of the fitted file against the measured statistics at t = 0 (the
    // programming spread) and t = 1 day (the drifted mean).
    let levels = ["2", "10", "25"];
    let (ok, json, err) = aimc(&[
        "device",
        "sample",
        out.to_str().unwrap(),
        "--g-us",
        &levels.join(","),
        "--t-s",
        "0,86400",
        "--n",
        "100000",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let reference = aimc::device::resolve_device("pcm").unwrap().device;
    let truth = aimc::device::sample::sample_device(
        &reference,
        &[2.0, 10.0, 25.0],
        &[0.0, 86400.0],
        100_000,
        3,
    )
    .unwrap();
    for (row, want) in rows.iter().zip(&truth) {
        let (mean, std) = (
            row["g_mean_us"].as_f64().unwrap(),
            row["g_std_us"].as_f64().unwrap(),
        );
        // Two samples of 100,000, and the fit's own error (from 4,000 / 400 devices per
        // level): 4 standard errors of the fitted model's sigma and mean.
        let se_std = want.g_std_us / (2.0 * PROG_DEVICES as f64).sqrt();
        let se_mean = want.g_std_us / (DRIFT_DEVICES as f64).sqrt();
        assert!(
            (std - want.g_std_us).abs() < 4.0 * se_std,
            "std at g = {}, t = {}: {std} vs {}",
            want.g_target_us,
            want.t_s,
            want.g_std_us
        );
        assert!(
            (mean - want.g_mean_us).abs() < 4.0 * se_mean,
            "mean at g = {}, t = {}: {mean} vs {}",
            want.g_target_us,
            want.t_s,
            want.g_mean_us
        );
    }
}

/// A drift exponent whose mean zigzags in g follows no clipped log-linear law: the fit writes a
/// table, says why, and the file loads.
#[cfg(feature = "linalg")]
#[test]
fn data_off_the_law_give_a_table() {
    let text = r#"
name = "zigzag"
kind = "custom"
g_max_us = 25.0
g_min_us = 0.0
t0_s = 20.0
t_read_s = 250e-9
[programming_noise]
law = "polynomial"
coefficients_us = [0.3, 0.5]
reference_g_max_us = 25.0
[drift]
law = "table"
g_us = [1.0, 3.0, 6.0, 12.0, 25.0]
nu_mean = [0.05, 0.09, 0.03, 0.08, 0.04]
nu_std = [0.01, 0.01, 0.01, 0.01, 0.01]
[read_noise]
law = "constant"
sigma_rel = 0.01
"#;
    let device = aimc::device::parse_device("zigzag.toml", text, "zigzag")
        .unwrap()
        .device;
    let dir = tempfile::tempdir().unwrap();
    let (prog, drift) = write_measurements_of(&device, dir.path());
    let out = dir.path().join("zigzag-fit.toml");
    let (ok, stdout, err) = fit_cli(&prog, &drift, "zigzag-fit", &out);
    assert!(ok, "{err}");
    assert!(
        stdout.contains("drift law: table (nu_mean: chi^2"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("law = \"table\"") && written.contains("written as a table"));
    aimc::device::parse_device("zigzag-fit.toml", &written, "x").unwrap();
}

#[cfg(feature = "linalg")]
#[test]
fn bad_measurements_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "cols.csv",
            "g_target_us,g\n1,1\n",
            vec!["cols.csv:1", "g_measured_us"],
        ),
        (
            "text.csv",
            "g_target_us,g_measured_us\n1,1\n1,abc\n",
            vec!["text.csv:3", "column 2 (g_measured_us)", "abc"],
        ),
        (
            "single.csv",
            "g_target_us,g_measured_us\n1,1\n1,1.1\n2,2\n",
            vec!["single.csv:4", "single device"],
        ),
    ];
    for (name, text, needles) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let out = dir.path().join("x.toml");
        let (ok, _, err) = aimc(&[
            "device",
            "fit",
            "--programming",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!ok && !out.exists(), "{name}: accepted");
        for n in needles {
            assert!(err.contains(n), "{name}: `{n}` not in {err}");
        }
    }
    let prog = dir.path().join("prog.csv");
    std::fs::write(
        &prog,
        "g_target_us,g_measured_us\n1,1\n1,1.1\n2,2\n2,2.2\n5,5\n5,5.5\n",
    )
    .unwrap();
    let drift = dir.path().join("drift.csv");
    std::fs::write(
        &drift,
        "device_id,g_target_us,t_s,g_us\na,1,20,1\na,1,-5,1\n",
    )
    .unwrap();
    let (ok, _, err) = aimc(&[
        "device",
        "fit",
        "--programming",
        prog.to_str().unwrap(),
        "--drift",
        drift.to_str().unwrap(),
        "--out",
        dir.path().join("y.toml").to_str().unwrap(),
    ]);
    assert!(
        !ok && err.contains("drift.csv:3") && err.contains("column 3 (t_s)"),
        "{err}"
    );
}

#[cfg(not(feature = "linalg"))]
#[test]
fn without_linear_algebra_the_command_says_how_to_enable_it() {
    let dir = tempfile::tempdir().unwrap();
    let (prog, _) = write_measurements(dir.path());
    let (ok, _, err) = aimc(&["device", "fit", "--programming", prog.to_str().unwrap()]);
    assert!(
        !ok && err.contains("--features linalg") && err.contains("libopenblas-dev"),
        "{err}"
    );
}
