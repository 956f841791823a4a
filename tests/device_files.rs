//! Device files: the shipped files resolve as documented, and every class of bad input is refused
//! with the file, the key and what was expected.

use aimc::device::laws::{DriftLaw, ProgNoiseLaw, ReadNoiseLaw};
use aimc::device::registry::BUILTIN_DEVICES;
use aimc::device::resolved_file;
use aimc::device::{Device, DeviceKind, parse_device, pcm};

fn builtin(name: &str) -> &'static str {
    BUILTIN_DEVICES.iter().find(|(n, _)| *n == name).unwrap().1
}

fn err(text: &str) -> String {
    parse_device("bad.toml", text, "bad")
        .unwrap_err()
        .to_string()
}

/// Asserts that the error names the file and all `parts`.
fn assert_err(text: &str, parts: &[&str]) {
    let msg = err(text);
    assert!(msg.starts_with("bad.toml"), "no file in: {msg}");
    for p in parts {
        assert!(msg.contains(p), "`{p}` missing in: {msg}");
    }
}

const CUSTOM: &str = r#"
kind = "custom"
g_max_us = 25.0
[programming_noise]
law = "polynomial"
coefficients_us = [0.26348, 1.9650, -1.1731]
[drift]
law = "log_linear"
mu = { slope = -0.0155, intercept = 0.0244, min = 0.049, max = 0.1 }
sigma = { slope = -0.0125, intercept = -0.0059, min = 0.008, max = 0.045 }
[read_noise]
law = "one_over_f"
q_coeff = 0.0088
q_exponent = 0.65
q_max = 0.2
"#;

#[test]
fn pcm_file_and_minimal_pcm_and_custom_pcm_are_the_same_model() {
    let shipped = parse_device("pcm.toml", builtin("pcm"), "pcm").unwrap();
    let minimal = parse_device("m.toml", "kind = \"pcm\"\n", "m").unwrap();
    let custom = parse_device("c.toml", CUSTOM, "c").unwrap();
    let paper = Device::Statistical(pcm());
    assert_eq!(shipped.device, paper);
    assert_eq!(minimal.device, paper);
    assert_eq!(custom.device, paper);
    assert_eq!(shipped.kind, DeviceKind::Pcm);
    assert_eq!(custom.kind, DeviceKind::Custom);
}

#[test]
fn shipped_files_resolve() {
    for (name, text) in BUILTIN_DEVICES {
        let spec = parse_device(name, text, name).unwrap();
        assert_eq!(spec.name, name);
        assert!(!spec.description.is_empty());
    }
    let drift = parse_device("d", builtin("pcm-custom-drift"), "d").unwrap();
    let d = drift.device.as_statistical().unwrap();
    assert!(matches!(d.drift, DriftLaw::Table { .. }));
    let reram = parse_device("r", builtin("reram-like"), "r").unwrap();
    let r = reram.device.as_statistical().unwrap();
    assert_eq!(r.drift, DriftLaw::None);
    assert_eq!(r.read_noise, ReadNoiseLaw::None);
    // Larger programming noise than PCM everywhere on [0, 1] * g_max.
    let p = pcm();
    for k in 0..=10 {
        let x = k as f64 / 10.0;
        assert!(
            r.target_laws(x * r.g_max_us).sigma_prog_us
                > p.target_laws(x * p.g_max_us).sigma_prog_us
        );
    }
    assert!(matches!(
        parse_device("i", builtin("ideal"), "i").unwrap().device,
        Device::Ideal(_)
    ));
}

#[test]
fn resolved_file_round_trips() {
    for (name, text) in BUILTIN_DEVICES {
        let spec = parse_device(name, text, name).unwrap();
        let written = toml::to_string(&resolved_file(&spec)).unwrap();
        let again = parse_device("again.toml", &written, "x").unwrap();
        assert_eq!(again, spec, "{name}:\n{written}");
    }
}

#[test]
fn pcm_keys_override_single_constants() {
    let text =
        "kind = \"pcm\"\n[drift]\nmu = { min = 0.06 }\nscale = 2.0\n[stuck]\np_reset = 0.01\n";
    let spec = parse_device("p.toml", text, "p").unwrap();
    let d = spec.device.as_statistical().unwrap();
    match &d.drift {
        DriftLaw::LogLinear { mu, sigma } => {
            assert_eq!(mu.min, 0.06);
            assert_eq!(mu.slope, -0.0155);
            assert_eq!(*sigma, aimc::device::pcm::PCM_SIGMA_NU);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(d.drift_scale, 2.0);
    assert_eq!(d.stuck.p_reset, 0.01);
    assert!(matches!(
        d.programming_noise,
        ProgNoiseLaw::Polynomial { .. }
    ));
}

#[test]
fn refuses_unknown_key() {
    assert_err(
        "kind = \"pcm\"\ng_maxx_us = 3.0\n",
        &["bad.toml:2:", "unknown field `g_maxx_us`"],
    );
}

#[test]
fn refuses_misspelt_nested_key() {
    assert_err(
        "kind = \"pcm\"\n[drift]\nmu = { slop = 1.0 }\n",
        &["drift.mu", "unknown field `slop`", "expected one of"],
    );
}

#[test]
fn refuses_unknown_section() {
    assert_err("kind = \"pcm\"\n[drfit]\n", &["unknown field `drfit`"]);
}

#[test]
fn refuses_wrong_type() {
    assert_err(
        "kind = \"pcm\"\ng_max_us = \"25\"\n",
        &["bad.toml:2:", "g_max_us", "expected f64"],
    );
    assert_err(
        "kind = \"pcm\"\n[programming_noise]\ncoefficients_us = 0.3\n",
        &["programming_noise.coefficients_us", "expected a sequence"],
    );
}

#[test]
fn refuses_unknown_kind_or_law() {
    assert_err(
        "kind = \"flash\"\n",
        &["kind", "unknown variant `flash`", "ideal"],
    );
    assert_err(
        "kind = \"pcm\"\n[drift]\nlaw = \"exponential\"\n",
        &["drift.law", "log_linear"],
    );
}

#[test]
fn refuses_missing_kind() {
    assert_err("g_max_us = 25.0\n", &["key `kind`", "ideal"]);
}

#[test]
fn refuses_invalid_toml() {
    assert_err("kind = \"pcm\"\ng_max_us = = 3\n", &["bad.toml:2:"]);
}

#[test]
fn refuses_negative_sigmas() {
    assert_err(
        "kind = \"pcm\"\n[programming_noise]\ncoefficients_us = [0.1, -1.0]\n",
        &["programming_noise.coefficients_us", "sigma >= 0", "g/g_max"],
    );
    assert_err(
        "kind = \"pcm\"\n[programming_noise]\nlaw = \"table\"\ng_us = [0.0, 25.0]\nsigma_us = [0.3, -0.1]\n",
        &["programming_noise.sigma_us[1]", ">= 0", "-0.1"],
    );
    assert_err(
        "kind = \"pcm\"\n[drift]\nsigma = { min = -0.01 }\n",
        &["drift.sigma.min", ">= 0"],
    );
    assert_err(
        "kind = \"pcm\"\n[read_noise]\nlaw = \"constant\"\nsigma_rel = -0.02\n",
        &["read_noise.sigma_rel", ">= 0"],
    );
    assert_err(
        "kind = \"pcm\"\n[drift]\nscale = -1.0\n",
        &["drift.scale", ">= 0"],
    );
}

#[test]
fn refuses_probabilities_outside_unit_interval() {
    assert_err(
        "kind = \"pcm\"\n[stuck]\np_reset = 1.5\n",
        &["stuck.p_reset", "[0, 1]", "1.5"],
    );
    assert_err(
        "kind = \"pcm\"\n[stuck]\np_g_max = -0.1\n",
        &["stuck.p_g_max", "[0, 1]"],
    );
    assert_err(
        "kind = \"pcm\"\n[stuck]\np_reset = 0.6\np_random = 0.6\n",
        &["stuck", "summing to at most 1"],
    );
}

#[test]
fn refuses_g_max_not_above_g_min() {
    assert_err(
        "kind = \"pcm\"\ng_max_us = 5.0\ng_min_us = 5.0\n",
        &["g_max_us", "above g_min_us = 5"],
    );
    assert_err(
        "kind = \"ideal\"\ng_max_us = 1.0\ng_min_us = 2.0\n",
        &["g_max_us"],
    );
    assert_err("kind = \"pcm\"\ng_max_us = -1.0\n", &["g_max_us", "> 0"]);
}

#[test]
fn refuses_tables_not_increasing() {
    assert_err(
        "kind = \"pcm\"\n[drift]\nlaw = \"table\"\ng_us = [1.0, 5.0, 5.0]\nnu_mean = [0.1, 0.05, 0.05]\nnu_std = [0.01, 0.01, 0.01]\n",
        &["drift.g_us", "strictly increasing", "index 2"],
    );
}

#[test]
fn refuses_columns_of_different_length() {
    assert_err(
        "kind = \"pcm\"\n[drift]\nlaw = \"table\"\ng_us = [1.0, 5.0, 10.0]\nnu_mean = [0.1, 0.05, 0.05]\nnu_std = [0.01, 0.01]\n",
        &[
            "drift.nu_std",
            "3 values (as many as `drift.g_us`)",
            "2 values",
        ],
    );
}

#[test]
fn refuses_missing_law_parts_for_custom() {
    assert_err(
        "kind = \"custom\"\ng_max_us = 25.0\n",
        &["programming_noise", "custom"],
    );
    let no_drift_mu = CUSTOM.replace(
        "mu = { slope = -0.0155, intercept = 0.0244, min = 0.049, max = 0.1 }\n",
        "",
    );
    assert_err(&no_drift_mu, &["drift.mu", "required"]);
    let no_g_max = CUSTOM.replace("g_max_us = 25.0\n", "");
    assert_err(&no_g_max, &["g_max_us", "required"]);
}

#[test]
fn refuses_keys_of_another_law() {
    assert_err(
        "kind = \"pcm\"\n[drift]\nlaw = \"none\"\nnu_mean = [0.1]\n",
        &["drift.nu_mean", "law = \"none\""],
    );
    assert_err(
        "kind = \"ideal\"\n[drift]\nlaw = \"none\"\n",
        &["drift", "kind = \"ideal\""],
    );
}

#[test]
fn refuses_non_finite_numbers() {
    assert_err("kind = \"pcm\"\nt0_s = inf\n", &["t0_s", "finite"]);
    assert_err(
        "kind = \"pcm\"\n[drift]\nmu = { slope = nan }\n",
        &["drift.mu.slope", "finite"],
    );
}

/// A custom device whose three laws are formulas (the drift of PCM written out, a constant
/// programming noise, HERMES's two-device read level at the programmed conductance).
const FORMULAS: &str = r#"
kind = "custom"
g_max_us = 25.0
[programming_noise]
law = "formula"
sigma_us = "0.2 + 0.01 * g"
[drift]
law = "formula"
mu = "clip(-0.0155 * ln(max(x, 1e-7)) + 0.0244, 0.049, 0.1)"
sigma = "clip(-0.0125 * ln(max(x, 1e-7)) - 0.0059, 0.008, 0.045)"
[read_noise]
law = "one_over_f_formula"
level = "if(x < 0.16, clip(-0.0117 * ln(x) - 0.0069, 0.015, 0.04), 0.0069 * x^3 - 0.0280 * x^2 + 0.0211 * x + 0.0123)"
level_at = "programmed"
"#;

/// Formula laws evaluate what they say (PCM's drift law as a formula gives PCM's drift), write
/// back as written, and read back to the same device.
#[test]
fn formula_laws_evaluate_and_round_trip() {
    let spec = parse_device("f.toml", FORMULAS, "f").unwrap();
    let d = spec.device.as_statistical().unwrap();
    let p = pcm();
    for g in [0.0, 0.01, 1.0, 5.0, 12.5, 25.0] {
        let (ours, paper) = (d.target_laws(g), p.target_laws(g));
        assert!((ours.mu_nu - paper.mu_nu).abs() < 1e-6, "mu at {g}");
        assert!(
            (ours.sigma_nu - paper.sigma_nu).abs() < 1e-6,
            "sigma at {g}"
        );
        assert!((ours.sigma_prog_us - (0.2 + 0.01 * g)).abs() < 1e-6);
    }
    assert!((d.target_laws(25.0).read_level - 0.0123).abs() < 1e-6);
    assert!((d.target_laws(0.0).read_level - 0.04).abs() < 1e-7);
    let text = toml::to_string(&resolved_file(&spec)).unwrap();
    assert!(text.contains("mu = \"clip(-0.0155 * ln(max(x, 1e-7)) + 0.0244, 0.049, 0.1)\""));
    assert!(text.contains("level_at = \"programmed\""));
    let again = parse_device("again.toml", &text, "f").unwrap();
    assert_eq!(again.device, spec.device);
}

#[test]
fn refuses_bad_formulas_by_key_line_and_column() {
    let with = |from: &str, to: &str| FORMULAS.replace(from, to);
    // A syntax error: the key, its line, the column and what was expected.
    assert_err(
        &with("0.2 + 0.01 * g", "0.2 + * g"),
        &[
            "bad.toml:6",
            "programming_noise.sigma_us",
            "column 7",
            "a number, a name or `(`",
        ],
    );
    // An unknown variable or function.
    assert_err(
        &with("0.2 + 0.01 * g", "0.2 + t"),
        &[
            "programming_noise.sigma_us",
            "one of the variables x, g, found `t`",
        ],
    );
    assert_err(
        &with("clip(-0.0155", "clamp(-0.0155"),
        &["bad.toml:9", "drift.mu", "a function (ln, log10"],
    );
    // A formula negative somewhere on [g_min, g_max], or not finite.
    assert_err(
        &with("0.2 + 0.01 * g", "0.2 - 0.01 * g"),
        &[
            "programming_noise.sigma_us",
            ">= 0 everywhere",
            "at g = 20.125 µS",
        ],
    );
    assert_err(
        &with("level = \"if", "level = \"ln(x) + 0 * if"),
        &["read_noise.level", "finite", "at g = 0 µS"],
    );
    // A formula where a list or a table is expected, and the other way round.
    assert_err(
        &with(
            "law = \"formula\"\nsigma_us",
            "law = \"table\"\ng_us = [0.0, 25.0]\nsigma_us",
        ),
        &[
            "programming_noise.sigma_us",
            "a list of numbers with law = \"table\"",
        ],
    );
    assert_err(
        &with("law = \"formula\"\nmu", "law = \"log_linear\"\nmu"),
        &[
            "drift.mu",
            "a table { slope, intercept, min, max } with law = \"log_linear\"",
        ],
    );
    assert_err(
        &with("sigma_us = \"0.2 + 0.01 * g\"", "sigma_us = 3"),
        &["a list of numbers (a table) or a formula (a string)"],
    );
    assert_err(
        &with("level_at = \"programmed\"", "level_at = \"drifted\""),
        &["level_at", "target", "programmed"],
    );
}
