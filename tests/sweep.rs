//! Time sweeps and reports end to end (issue 5) on a small network trained here on real
//! Fashion-MNIST images (the subset the binary embeds: no download needed).

mod common;

use common::{aimc, aimc_threads};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One small FP run shared by the tests: ResNet-8, 1 epoch on 1,024 images, 200 test images.
fn trained_run() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, run) = RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let exp = dir.path().join("exp.toml");
        std::fs::write(
            &exp,
            "[experiment]\nname = \"s\"\nseed = 1\n\n[model]\narchitecture = \"resnet\"\n\
             depth = 8\nclasses = 10\nin_channels = 1\n\n[data]\ndataset = \"fashion-mnist-demo\"\n\
             train_subset = 1024\ntest_subset = 200\n\n[fp]\nepochs = 1\n\
             batch_size = 32\noptimizer = { kind = \"sgd\", lr = 0.1 }\n",
        )
        .unwrap();
        let run = dir.path().join("run");
        let (ok, _, err) = aimc(&[
            "train",
            exp.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(ok, "{err}");
        (dir, run)
    });
    run
}

fn sweep(out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "sweep",
        trained_run().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let (ok, _, err) = aimc(&args);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(out.join("sweep.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn points(v: &serde_json::Value) -> &Vec<serde_json::Value> {
    v[0]["points"].as_array().unwrap()
}

#[test]
fn the_ideal_device_on_the_ideal_tile_keeps_the_fp_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let v = sweep(
        dir.path(),
        &[
            "--tile",
            "ideal",
            "--device",
            "ideal",
            "--reps",
            "2",
            "--times",
            "1s,1d,10y",
        ],
    );
    let fp = v[0]["fp"].as_f64().unwrap();
    assert!(fp > 0.3, "the trained network is poor: {fp}");
    for p in points(&v) {
        assert_eq!(p["mean"].as_f64().unwrap(), fp, "{p}");
        assert_eq!(p["std"].as_f64().unwrap(), 0.0);
        assert!((p["a_star"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn pcm_without_compensation_loses_accuracy_over_a_year_and_files_parse() {
    let dir = tempfile::tempdir().unwrap();
    let v = sweep(
        dir.path(),
        &["--compensation", "none", "--reps", "3", "--times", "1s,1y"],
    );
    let p = points(&v);
    let (at_1s, at_1y) = (
        p[0]["mean"].as_f64().unwrap(),
        p[1]["mean"].as_f64().unwrap(),
    );
    assert!(at_1y < at_1s, "1 s: {at_1s}, 1 y: {at_1y}");
    assert_eq!(p[0]["values"].as_array().unwrap().len(), 3);
    // CSV: a header and one row per (device, time), the same means.
    let csv = std::fs::read_to_string(dir.path().join("sweep.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[0].starts_with("run,device,time,time_s,n,mean,std,ci_low,ci_high"));
    let mean: f64 = rows[2].split(',').nth(5).unwrap().parse().unwrap();
    assert!((mean - at_1y).abs() < 1e-6);
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        md.contains("| run | device | FP | 1s | 1y | A* 1s | A* 1y |"),
        "{md}"
    );
    let png = std::fs::read(dir.path().join("drift.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(dir.path().join("drift.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    // `aimc report` reads it back and combines it with itself.
    let both = dir.path().join("both");
    let d = dir.path().to_str().unwrap();
    let (ok, out, err) = aimc(&["report", d, d, "--out", both.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("wrote"), "{out}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(both.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[test]
fn the_confidence_interval_shrinks_with_repeats_and_seeds_reproduce() {
    let width = |v: &serde_json::Value| {
        let p = &points(v)[0];
        p["ci_high"].as_f64().unwrap() - p["ci_low"].as_f64().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let few = sweep(&dir.path().join("few"), &["--reps", "2", "--times", "1h"]);
    let many = sweep(&dir.path().join("many"), &["--reps", "6", "--times", "1h"]);
    assert!(
        width(&many) < width(&few),
        "{} vs {}",
        width(&many),
        width(&few)
    );
    // The first 2 repeats of 6 are the 2 repeats: seeds are keyed by repeat.
    let (a, b) = (&points(&few)[0]["values"], &points(&many)[0]["values"]);
    assert_eq!(a.as_array().unwrap()[..], b.as_array().unwrap()[..2]);
    // Same seed, identical files, whatever the number of threads.
    let again = dir.path().join("again");
    let (ok, _, err) = aimc_threads(
        &[
            "sweep",
            trained_run().to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
            "--quiet",
            "--reps",
            "2",
            "--times",
            "1h",
        ],
        Some(1),
    );
    assert!(ok, "{err}");
    for f in ["sweep.csv", "sweep.json", "summary.md", "drift.svg"] {
        let x = std::fs::read(dir.path().join("few").join(f)).unwrap();
        let y = std::fs::read(again.join(f)).unwrap();
        assert!(x == y, "{f} differs between two runs with the same seed");
    }
}

#[test]
fn sensitivity_to_adc_bits_and_tile_size() {
    let dir = tempfile::tempdir().unwrap();
    let run = trained_run().to_str().unwrap();
    let out = dir.path().join("adc");
    let (ok, _, err) = aimc(&[
        "sensitivity",
        run,
        "--knob",
        "adc-bits",
        "--values",
        "2,8",
        "--reps",
        "2",
        "--time",
        "1s",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--hardware",
        "hermes",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sensitivity.json")).unwrap())
            .unwrap();
    let rows = v["rows"].as_array().unwrap();
    let acc = |i: usize| rows[i]["point"]["mean"].as_f64().unwrap();
    assert!(acc(0) < acc(1), "2-bit ADC {} vs 8-bit {}", acc(0), acc(1));
    assert!(out.join("sensitivity.png").is_file() && out.join("summary.md").is_file());
    // With a hardware file: the energy per inference of each value, the same as `aimc cost` of
    // the network at those bits, and the accuracy-against-energy plot.
    let energy = |i: usize| rows[i]["energy_j"].as_f64().unwrap();
    assert!(energy(0) < energy(1), "{} vs {}", energy(0), energy(1));
    let exp = trained_run().parent().unwrap().join("exp.toml");
    let (ok, cost, err) = aimc(&[
        "cost",
        exp.to_str().unwrap(),
        "--format",
        "json",
        "--adc-bits",
        "8",
        "--dac-bits",
        "8",
        "--tile",
        "512x512",
    ]);
    assert!(ok, "{err}");
    let cost: serde_json::Value = serde_json::from_str(&cost).unwrap();
    let same = cost["cost"]["energy_total"].as_f64().unwrap();
    assert!(
        (energy(1) / same - 1.0).abs() < 1e-12,
        "{} vs {same}",
        energy(1)
    );
    assert!(out.join("tradeoff.png").is_file() && out.join("tradeoff.svg").is_file());
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("hermes") && summary.contains("tradeoff.png"),
        "{summary}"
    );
    // The tile-mapping study: smaller tiles, more of them.
    let out = dir.path().join("tiles");
    let (ok, stdout, err) = aimc(&[
        "sensitivity",
        run,
        "--knob",
        "tile-size",
        "--values",
        "64,512",
        "--reps",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let tiles: Vec<u64> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tiles"].as_u64().unwrap())
        .collect();
    assert!(tiles[0] > tiles[1], "{tiles:?}");
}

#[test]
fn cost_of_a_trained_run_from_its_weights_and_test_images() {
    let run = trained_run().to_str().unwrap();
    let (ok, out, err) = aimc(&["cost", run, "--format", "json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["activity"]["kind"], "measured");
    let layers = v["cost"]["layers"].as_array().unwrap();
    // 28x28 Fashion-MNIST images: the first convolution reads one vector per pixel.
    assert_eq!(layers[0]["mvms"].as_f64().unwrap(), 784.0);
    for l in layers {
        let (w, d) = (
            l["mean_weight"].as_f64().unwrap(),
            l["duty"].as_f64().unwrap(),
        );
        assert!(w > 0.0 && w <= 1.0 && d > 0.0 && d <= 1.0, "{l}");
    }
    // The same network at the stated means gives other array energies, the same MVMs.
    let (ok, out, err) = aimc(&[
        "cost",
        "models/resnet8-fashion-small.toml",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let stated: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(stated["activity"]["kind"], "stated");
}

#[test]
fn pairs_per_weight_is_a_knob_with_its_energy() {
    let dir = tempfile::tempdir().unwrap();
    let run = trained_run().to_str().unwrap();
    let out = dir.path().join("pairs");
    let (ok, stdout, err) = aimc(&[
        "sensitivity",
        run,
        "--knob",
        "pairs-per-weight",
        "--values",
        "1,4",
        "--reps",
        "2",
        "--time",
        "1d",
        "--hardware",
        "hermes",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let energy = |i: usize| rows[i]["energy_j"].as_f64().unwrap();
    // Four pairs conduct four times the current of one: more array energy, nothing else.
    assert!(energy(1) > energy(0), "{} vs {}", energy(0), energy(1));
    assert_eq!(v["hardware"], "hermes");
}

/// `aimc sweep` of the shared run with seed 5 and `extra` flags (reps 3, two devices, two
/// times).
fn small_sweep(out: &Path, extra: &[&str]) -> (bool, String, String) {
    small_sweep_seeded(out, "5", extra)
}

fn small_sweep_seeded(out: &Path, seed: &str, extra: &[&str]) -> (bool, String, String) {
    let run = trained_run().to_str().unwrap();
    let mut args = vec![
        "sweep",
        run,
        "--device",
        "pcm",
        "--device",
        "hermes-2dev",
        "--reps",
        "3",
        "--times",
        "1s,1d",
        "--seed",
        seed,
        "--quiet",
        "--out",
    ];
    args.push(out.to_str().unwrap());
    args.extend_from_slice(extra);
    aimc(&args)
}

#[test]
fn shards_merge_into_the_report_of_the_whole_sweep_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let (ok, _, err) = small_sweep(&whole, &["--jobs", "1"]);
    assert!(ok, "{err}");
    // Six (device, repeat) units over 4 shards, run out of order; shards 1 and 2 hold two units
    // each, run as two jobs.
    let sharded = dir.path().join("sharded");
    for i in ["3/4", "1/4", "4/4", "2/4"] {
        let (ok, out, err) = small_sweep(&sharded, &["--shard", i]);
        assert!(ok && out.contains("wrote"), "{err}");
    }
    // A finished shard is kept unless --force.
    let (ok, out, _) = small_sweep(&sharded, &["--shard", "2/4"]);
    assert!(ok && out.contains("kept"), "{out}");
    let (ok, out, _) = small_sweep(&sharded, &["--shard", "2/4", "--force"]);
    assert!(ok && out.contains("wrote"), "{out}");
    let (ok, _, err) = aimc(&["report", "--merge", sharded.to_str().unwrap()]);
    assert!(ok, "{err}");
    for f in [
        "sweep.csv",
        "sweep.json",
        "summary.md",
        "drift.svg",
        "drift.png",
    ] {
        assert_eq!(
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(sharded.join(f)).unwrap(),
            "{f}"
        );
    }
    // Refused: a missing shard (named), a shard twice, a shard of another study (what differs
    // named); nothing written then.
    let merge_err = |d: &Path| {
        let (ok, _, err) = aimc(&["report", "--merge", d.to_str().unwrap()]);
        assert!(!ok && !d.join("sweep.csv").exists());
        err
    };
    let copy = |name: &str| {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for i in 1..=4 {
            let f = format!("shard-{i}-of-4.json");
            std::fs::copy(sharded.join(&f), d.join(&f)).unwrap();
        }
        d
    };
    let d = copy("missing");
    std::fs::remove_file(d.join("shard-3-of-4.json")).unwrap();
    assert!(merge_err(&d).contains("missing shard(s) 3/4"));
    let d = copy("twice");
    std::fs::copy(
        d.join("shard-2-of-4.json"),
        d.join("shard-2-of-4-again.json"),
    )
    .unwrap();
    assert!(merge_err(&d).contains("shard 2/4 twice"));
    let d = copy("other");
    let (ok, _, err) = small_sweep_seeded(&d, "6", &["--shard", "2/4", "--force"]);
    assert!(ok, "{err}");
    let e = merge_err(&d);
    assert!(e.contains("seed: 5 against 6"), "{e}");
    let (ok, _, err) = small_sweep(&d, &["--shard", "5/4"]);
    assert!(!ok && err.contains("--shard"), "{err}");
}

/// `aimc sensitivity` of the shared run: ADC bits 2 and 8, 2 repeats at 1 s on HERMES, with
/// `extra` flags.
fn adc_sensitivity(out: &Path, extra: &[&str]) -> (bool, String, String) {
    adc_sensitivity_at(out, "1s", extra)
}

fn adc_sensitivity_at(out: &Path, time: &str, extra: &[&str]) -> (bool, String, String) {
    let run = trained_run().to_str().unwrap();
    let mut args = vec![
        "sensitivity",
        run,
        "--knob",
        "adc-bits",
        "--values",
        "2,8",
        "--reps",
        "2",
        "--time",
        time,
        "--hardware",
        "hermes",
        "--quiet",
        "--out",
    ];
    args.push(out.to_str().unwrap());
    args.extend_from_slice(extra);
    aimc(&args)
}

#[test]
fn sensitivity_shards_and_jobs_give_the_report_of_one_job_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let (ok, _, err) = adc_sensitivity(&whole, &["--jobs", "1"]);
    assert!(ok, "{err}");
    // Each value's two repeats on two jobs.
    let jobs = dir.path().join("jobs");
    let (ok, _, err) = adc_sensitivity(&jobs, &["--jobs", "2"]);
    assert!(ok, "{err}");
    // Four (value, repeat) units over 3 shards: shard 1 holds a repeat of each value.
    let sharded = dir.path().join("sharded");
    for i in ["2/3", "3/3", "1/3"] {
        let (ok, out, err) = adc_sensitivity(&sharded, &["--shard", i]);
        assert!(ok && out.contains("wrote"), "{err}");
    }
    let (ok, out, _) = adc_sensitivity(&sharded, &["--shard", "3/3"]);
    assert!(ok && out.contains("kept"), "{out}");
    let (ok, out, err) = aimc(&["report", "--merge", sharded.to_str().unwrap()]);
    assert!(ok && out.contains("adc-bits"), "{out}{err}");
    for other in [&jobs, &sharded] {
        for f in [
            "sensitivity.csv",
            "sensitivity.json",
            "summary.md",
            "sensitivity.svg",
            "sensitivity.png",
            "tradeoff.svg",
            "tradeoff.png",
        ] {
            assert_eq!(
                std::fs::read(whole.join(f)).unwrap(),
                std::fs::read(other.join(f)).unwrap(),
                "{f} of {}",
                other.display()
            );
        }
    }
    // A shard of another study is refused, what differs named, nothing written.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    for i in 1..=3 {
        let f = format!("shard-{i}-of-3.json");
        std::fs::copy(sharded.join(&f), other.join(&f)).unwrap();
    }
    let (ok, _, err) = adc_sensitivity_at(&other, "1d", &["--shard", "2/3", "--force"]);
    assert!(ok, "{err}");
    let (ok, _, err) = aimc(&["report", "--merge", other.to_str().unwrap()]);
    assert!(!ok && err.contains("time: 1s against 1d"), "{err}");
    assert!(!other.join("sensitivity.csv").exists());
}

#[test]
fn bad_sweep_arguments_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-run");
    let (ok, _, err) = aimc(&["sweep", missing.to_str().unwrap()]);
    assert!(
        !ok && err.contains("no-such-run") && err.contains("no checkpoint"),
        "{err}"
    );
    let (ok, _, err) = aimc(&["sweep", missing.to_str().unwrap(), "--times", "1h,soon"]);
    assert!(!ok && err.contains("`soon`"), "{err}");
    let (ok, _, err) = aimc(&["sweep", missing.to_str().unwrap(), "--reps", "0"]);
    assert!(!ok && err.contains("--reps"), "{err}");
    let (ok, _, err) = aimc(&["report", missing.to_str().unwrap()]);
    assert!(!ok && err.contains("sweep.json"), "{err}");
    let (ok, out, _) = aimc(&["sweep", "--help"]);
    assert!(ok && out.contains("--compensation") && out.contains("--times"));
    let m = missing.to_str().unwrap();
    let (ok, _, err) = aimc(&[
        "sensitivity",
        m,
        "--knob",
        "adc-resolution",
        "--values",
        "4",
    ]);
    assert!(
        !ok && err.contains("adc-resolution") && err.contains("adc-bits"),
        "{err}"
    );
    let (ok, _, err) = aimc(&["sensitivity", m, "--knob", "adc-bits", "--values", "4,x"]);
    assert!(!ok && err.contains("`x`"), "{err}");
}
