//! `aimc tile error` and `aimc map` end to end, including their errors.

use std::path::Path;
use std::process::{Command, Output};

fn aimc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aimc"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .expect("run aimc")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn fails(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8(o.stderr.clone()).unwrap();
    assert!(
        !err.contains("panicked") && !err.contains("stack backtrace"),
        "{err}"
    );
    err
}

#[test]
fn tile_error_json_lists_every_nonideality() {
    let out = ok(&aimc(&[
        "tile", "error", "--batch", "50", "--rows", "128", "--cols", "64", "--format", "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let results = v["results"].as_array().unwrap();
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["nonideality"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "all",
            "dac_adc",
            "out_noise",
            "read_noise",
            "prog_noise",
            "ir_drop",
            "drift"
        ]
    );
    let all = results[0]["eps_m"].as_f64().unwrap();
    assert!(all > 0.01 && all < 0.5, "{all}");
    // At t = 0 there is no drift.
    assert!(results[6]["eps_m"].as_f64().unwrap() < 1e-5);
}

#[test]
fn tile_error_of_the_ideal_preset_is_zero() {
    let out = ok(&aimc(&[
        "tile", "error", "--tile", "ideal", "--batch", "20", "--rows", "64", "--cols", "32",
        "--format", "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for r in v["results"].as_array().unwrap() {
        assert!(r["eps_m"].as_f64().unwrap() < 2e-6, "{r}");
    }
}

#[test]
fn tile_error_drift_grows_with_time_and_table_prints() {
    let eps = |t: &str| -> f64 {
        let out = ok(&aimc(&[
            "tile",
            "error",
            "--batch",
            "40",
            "--rows",
            "64",
            "--cols",
            "32",
            "--t-s",
            t,
            "--format",
            "json",
            "--tile",
            "tests/data/no-compensation.toml",
        ]));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["results"][6]["eps_m"].as_f64().unwrap()
    };
    let (hour, year) = (eps("3600"), eps("31536000"));
    assert!(hour > 0.1 && year > hour, "{hour} {year}");
    let table = ok(&aimc(&[
        "tile", "error", "--batch", "10", "--rows", "32", "--cols", "16",
    ]));
    assert!(
        table.contains("nonideality") && table.contains("prog_noise"),
        "{table}"
    );
}

#[test]
fn tile_error_refuses_bad_input() {
    assert!(fails(&aimc(&["tile", "error", "--rows", "0"])).contains("at least 1 row"));
    assert!(fails(&aimc(&["tile", "error", "--tile", "fancy"])).contains("fancy"));
    assert!(
        fails(&aimc(&["tile", "error", "--device", "nosuch"])).contains("unknown device `nosuch`")
    );
    assert!(fails(&aimc(&["tile", "error", "--t-s=-1"])).contains("--t-s"));
    assert!(
        fails(&aimc(&[
            "tile", "error", "--batch", "0", "--rows", "8", "--cols", "8"
        ]))
        .contains("batch")
    );
    let err = fails(&aimc(&[
        "tile",
        "error",
        "--tile",
        "tests/data/bad-tile.toml",
    ]));
    assert!(
        err.contains("tests/data/bad-tile.toml:3") && err.contains("tile.out_noise"),
        "{err}"
    );
}

#[test]
fn map_of_the_papers_models() {
    let json = |model: &str| -> serde_json::Value {
        serde_json::from_str(&ok(&aimc(&["map", model, "--format", "json"]))).unwrap()
    };
    // ResNet-32: 0.46 M weights, all convolutions and the classifier on tiles.
    let r = json("resnet32");
    assert_eq!(r["totals"]["mapped_parameters"], 461_872);
    assert_eq!(r["layers"].as_array().unwrap().len(), 32); // 31 convolutions + fc
    assert_eq!(r["layers"][0]["rows"], 27); // 3 * 3 * 3 inputs
    // WRN-16-4: the widest convolution, 64k = 256 channels, 3x3: 2304 inputs over 5 tiles.
    let w = json("wrn16-4");
    let widest = w["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "block3.layer.0.conv2")
        .unwrap();
    assert_eq!(
        (
            widest["rows"].as_u64(),
            widest["cols"].as_u64(),
            widest["tiles"].as_u64()
        ),
        (Some(2304), Some(256), Some(5))
    );
    assert_eq!(w["totals"]["total_tiles"], 41);
    // LSTM-PTB: 4 LSTM matrices of 650 x 2600 and the decoder 650 x 10000.
    let l = json("lstm-ptb");
    assert_eq!(
        l["totals"]["mapped_parameters"],
        4 * 650 * 2600 + 650 * 10_000
    );
    assert_eq!(l["layers"][1]["kind"], "lstm_recurrent");
    // BERT-base: 12 x 6 linears + pooler + classifier; embeddings digital.
    let b = json("bert-base");
    assert_eq!(b["layers"].as_array().unwrap().len(), 74);
    let digital = b["totals"]["digital_parameters"].as_u64().unwrap();
    assert!(digital > 30_522 * 768, "{digital}");
}

#[test]
fn map_tile_size_changes_the_grid_and_formats() {
    let small: serde_json::Value = serde_json::from_str(&ok(&aimc(&[
        "map", "resnet32", "--tile", "128x64", "--format", "json",
    ])))
    .unwrap();
    assert!(small["totals"]["total_tiles"].as_u64().unwrap() > 41);
    let csv = ok(&aimc(&["map", "wrn16-4", "--format", "csv"]));
    assert!(csv.starts_with("layer,kind,rows,cols,grid,tiles,utilisation\n"));
    let table = ok(&aimc(&["map", "tests/data/small-wrn.toml"]));
    assert!(
        table.contains("total:") && table.contains("block1.layer.0.conv1"),
        "{table}"
    );
}

#[test]
fn map_refuses_bad_input() {
    assert!(fails(&aimc(&["map", "vgg16"])).contains("unknown model `vgg16`"));
    assert!(fails(&aimc(&["map", "resnet32", "--tile", "512"])).contains("ROWSxCOLS"));
    assert!(fails(&aimc(&["map", "missing.toml"])).contains("missing.toml"));
    let err = fails(&aimc(&["map", "tests/data/bad-model.toml"]));
    assert!(
        err.contains("tests/data/bad-model.toml:4") && err.contains("model.widht"),
        "{err}"
    );
}

/// `--compute cpu` is the default (the same output, to the byte); `--compute cuda` in a build
/// without CUDA is an error naming the flag (issue 19: the GPU check compares cuda with cpu).
#[test]
fn tile_error_computes_where_asked() {
    let args = [
        "tile", "error", "--batch", "20", "--rows", "64", "--cols", "32", "--format", "json",
    ];
    let default = ok(&aimc(&args));
    let mut on_cpu = args.to_vec();
    on_cpu.extend(["--compute", "cpu"]);
    assert_eq!(ok(&aimc(&on_cpu)), default);
    if !cfg!(feature = "cuda") {
        let mut on_cuda = args.to_vec();
        on_cuda.extend(["--compute", "cuda"]);
        let err = fails(&aimc(&on_cuda));
        assert!(
            err.contains("--compute cuda") && err.contains("features cuda"),
            "{err}"
        );
    }
}
