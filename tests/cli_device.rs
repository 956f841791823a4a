//! The `aimc device` commands end to end, including their errors.

use std::path::Path;
use std::process::{Command, Output};

fn aimc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aimc"))
        .args(args)
        .current_dir(dir)
        .env_remove("AIMC_DEVICES")
        .output()
        .expect("run aimc")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn failure(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn list_shows_every_shipped_device() {
    let out = stdout(&aimc(repo(), &["device", "list"]));
    for (name, _) in aimc::device::registry::BUILTIN_DEVICES {
        assert!(
            out.lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{out}"
        );
    }
    // From elsewhere the built-ins are listed.
    let tmp = tempfile::tempdir().unwrap();
    let out = stdout(&aimc(tmp.path(), &["device", "list", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v.as_array().unwrap().len(),
        aimc::device::registry::BUILTIN_DEVICES.len()
    );
    assert!(out.contains("built-in"));
}

#[test]
fn list_reads_aimc_devices_and_flags_broken_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("mine.toml"),
        "kind = \"pcm\"\ndescription = \"my pcm\"\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("broken.toml"), "kind = \"pcm\"\nfoo = 1\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_aimc"))
        .args(["device", "list"])
        .current_dir(tmp.path())
        .env("AIMC_DEVICES", tmp.path())
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("my pcm"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("broken") && l.contains("unknown field `foo`")),
        "{out}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_aimc"))
        .args(["device", "sample", "mine", "--n", "10", "--format", "csv"])
        .current_dir(tmp.path())
        .env("AIMC_DEVICES", tmp.path())
        .output()
        .unwrap();
    assert!(stdout(&o).starts_with("g_target_us,t_s,"));
}

#[test]
fn show_prints_a_file_that_loads_to_the_same_device() {
    let out = stdout(&aimc(repo(), &["device", "show", "pcm"]));
    assert!(
        out.contains("coefficients_us = [0.26348, 1.965, -1.1731]"),
        "{out}"
    );
    let spec = aimc::device::parse_device("shown.toml", &out, "x").unwrap();
    assert_eq!(spec.device, aimc::Device::Statistical(aimc::device::pcm()));
    let json = stdout(&aimc(
        repo(),
        &[
            "device",
            "show",
            "devices/reram-like.toml",
            "--format",
            "json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["drift"]["law"], "none");
    assert_eq!(v["g_max_us"], 39.26);
}

#[test]
fn sample_json_has_the_documented_keys() {
    let out = stdout(&aimc(
        repo(),
        &[
            "device",
            "sample",
            "pcm",
            "--g-us",
            "0.5,12.5,25",
            "--t-s",
            "0,1,3600",
            "--n",
            "2000",
            "--format",
            "json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 9);
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let mut expected = vec![
        "g_target_us",
        "t_s",
        "g_mean_us",
        "g_std_us",
        "nu_mean",
        "nu_std",
        "n",
    ];
    expected.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, expected);
    assert_eq!(rows[0]["n"], 2000);
    // t = 0: no drift; at 1 h the mean has drifted down.
    let g0 = rows[3]["g_mean_us"].as_f64().unwrap();
    let g1h = rows[5]["g_mean_us"].as_f64().unwrap();
    assert!((g0 - 12.5).abs() < 0.1 && g1h < 0.85 * g0, "{g0} {g1h}");
}

#[test]
fn sample_is_reproducible_by_seed() {
    let args = |seed: &'static str| {
        vec![
            "device", "sample", "pcm", "--n", "500", "--seed", seed, "--format", "csv",
        ]
    };
    let a = stdout(&aimc(repo(), &args("5")));
    assert_eq!(a, stdout(&aimc(repo(), &args("5"))));
    assert_ne!(a, stdout(&aimc(repo(), &args("6"))));
}

#[test]
fn sample_table_is_aligned_text() {
    let out = stdout(&aimc(repo(), &["device", "sample", "ideal", "--n", "10"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("g_target_us"));
    assert!(lines[1].starts_with("---"));
    assert_eq!(lines.len(), 2 + 15);
    // The ideal device reads its targets exactly.
    assert!(lines[2].contains("0.50000   0.00000"), "{}", lines[2]);
}

#[test]
fn plot_writes_valid_png_and_svg() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("plots");
    let out = stdout(&aimc(
        repo(),
        &[
            "device",
            "plot",
            "pcm",
            "reram-like",
            "devices/ideal.toml",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    ));
    assert_eq!(out.lines().count(), 2);
    let png = std::fs::read(out_dir.join("devices.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(out_dir.join("devices.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("reram-like") && svg.contains("Drift exponent"));
    // No temporary files are left behind.
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 2);
}

#[test]
fn errors_name_the_problem_and_exit_non_zero() {
    let err = failure(&aimc(repo(), &["device", "show", "nosuch"]));
    assert!(
        err.contains("unknown device `nosuch`") && err.contains("pcm"),
        "{err}"
    );
    let err = failure(&aimc(repo(), &["device", "show", "missing.toml"]));
    assert!(
        err.contains("missing.toml") && err.contains("No such file"),
        "{err}"
    );
    let err = failure(&aimc(repo(), &["device", "sample", "pcm", "--g-us", "26"]));
    assert!(err.contains("[0, 25]"), "{err}");
    let err = failure(&aimc(
        repo(),
        &["device", "sample", "pcm", "--t-s", "1,abc"],
    ));
    assert!(err.contains("abc"), "{err}");
    let err = failure(&aimc(repo(), &["device", "sample", "pcm", "--n", "1"]));
    assert!(err.contains("at least 2"), "{err}");
    let err = failure(&aimc(
        repo(),
        &["device", "sample", "pcm", "--format", "xml"],
    ));
    assert!(err.contains("xml"), "{err}");
    let err = failure(&aimc(repo(), &["device", "plot"]));
    assert!(err.contains("DEVICES"), "{err}");
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "kind = \"custom\"\ng_max_us = 25.0\n[stuck]\np_reset = 2.0\n",
    )
    .unwrap();
    let err = failure(&aimc(repo(), &["device", "show", bad.to_str().unwrap()]));
    assert!(
        err.contains("bad.toml") && err.contains("programming_noise"),
        "{err}"
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["device", "--help"],
        vec!["device", "list", "--help"],
        vec!["device", "show", "--help"],
        vec!["device", "sample", "--help"],
        vec!["device", "plot", "--help"],
    ] {
        let out = stdout(&aimc(repo(), &args));
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
}

/// A device measured only up to some time (reram-wan2022: 2 days) is refused later by the
/// commands, naming the time and the device.
#[test]
fn times_beyond_a_measured_device_are_refused() {
    let sample = aimc(
        repo(),
        &[
            "device",
            "sample",
            "reram-wan2022",
            "--t-s",
            "1,31536000",
            "--n",
            "10",
        ],
    );
    let msg = failure(&sample);
    assert!(msg.contains("a time up to 172800 s"), "{msg}");
    assert!(msg.contains("31536000 s"), "{msg}");
    let tile = aimc(
        repo(),
        &[
            "tile",
            "error",
            "--device",
            "reram-wan2022",
            "--t-s",
            "200000",
            "--batch",
            "10",
        ],
    );
    let msg = failure(&tile);
    assert!(
        msg.contains("device `reram-wan2022` is measured only up to then"),
        "{msg}"
    );
}
