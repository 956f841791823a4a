//! The cost model (issue 21, docs/cost.md): closed forms of one MVM on one tile computed by
//! hand, a layer split over tiles adding up, the shipped HERMES file reproducing its chip's
//! published TOPS/W and TOPS/mm2, MVMs counted per inference, units printed and parsed alike, and
//! bad hardware files refused with file:line and key.

mod common;

use aimc::cost::{Dimension, LayerLoad, network_cost, parse_hardware, resolve_hardware};
use aimc::models::ModelConfig;
use aimc::models::mvm_count::{Sample, count_model};
use aimc::tile::TileGeometry;
use common::aimc;

/// A small chip with round figures, so that every closed form can be worked by hand.
const SMALL: &str = r#"
name = "small"
[tile]
rows = 4
cols = 4
[array]
devices_per_weight = 2
cell_area = "1 um2"
read_voltage = "0.5 V"
full_weight_conductance = "10 uS"
idle_conductance = "1 uS"
mean_weight = 0.5
mean_input = 0.5
[dac]
bits = 3
lsb_time = "2 ns"
energy_per_step = "1 fJ"
area = "2 um2"
[adc]
bits = 4
conversion = "sar"
energy_per_step = "2 fJ"
cycle = "0.5 ns"
columns_per_adc = 2
area = "10 um2"
[digital]
clock = "1 GHz"
energy_per_op = "3 fJ"
cycles_per_mvm = 2
tile_area = "100 um2"
"#;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
}

fn linear(name: &str, rows: usize, cols: usize, mvms: f64) -> LayerLoad {
    LayerLoad {
        name: name.into(),
        kind: "linear".into(),
        rows,
        cols,
        mvms,
        weight_sums: None,
        duty: None,
    }
}

#[test]
fn one_mvm_on_one_tile_by_hand() {
    let hw = parse_hardware("small.toml", SMALL).unwrap();
    // Window T = (2^(3-1) - 1) x 2 ns = 6 ns.
    assert!(close(hw.input_window(), 6e-9));
    // DAC 2^3 x 1 fJ = 8 fJ, ADC 2^4 x 2 fJ = 32 fJ per conversion.
    assert!(close(hw.dac_conversion_energy(), 8e-15));
    assert!(close(hw.adc_conversion_energy(), 32e-15));
    let c = network_cost(
        &hw,
        TileGeometry::new(4, 4).unwrap(),
        &[linear("fc", 4, 4, 1.0)],
    );
    let e = c.energy;
    // 4 rows x 8 fJ.
    assert!(close(e.dac, 32e-15), "{e:?}");
    // V^2 T d (G_full sum|w| + G_idle n) = 0.25 x 6 ns x 0.5 x (10 uS x 8 + 1 uS x 16) = 72 fJ.
    assert!(close(e.array, 72e-15), "{e:?}");
    // 4 columns x 32 fJ.
    assert!(close(e.adc, 128e-15), "{e:?}");
    // 4 scalings + 4 biases + 4 activations, 3 fJ each.
    assert!(close(e.digital, 36e-15), "{e:?}");
    assert!(close(c.energy_total, 268e-15));
    // SAR: T + m (b + 1) t_ADC + cycles = 6 + 2 x 5 x 0.5 + 2 x 1 = 13 ns.
    assert!(close(c.mvm_time, 13e-9));
    assert!(close(c.latency, 13e-9));
    // 16 cells x 1 um2 + 4 DACs x 2 um2 + 2 ADCs x 10 um2 + 100 um2 = 144 um2.
    assert!(close(c.area, 144e-12));
    // 32 operations / 268 fJ; 32 operations / 13 ns / 144e-6 mm2.
    assert!(close(c.tops_per_w, 32.0 / 268e-15 / 1e12));
    assert!(close(c.tops_per_mm2, 32.0 / 13e-9 / 144e-6 / 1e12));
    // A counting ADC converts during the window, m windows: 2 x max(6, 2^4 x 0.5) + 2 = 18 ns.
    let counting = SMALL.replace("\"sar\"", "\"counting\"");
    let hw = parse_hardware("small.toml", &counting).unwrap();
    assert!(close(hw.mvm_time(), 18e-9));
}

#[test]
fn a_layer_split_over_tiles_adds_up() {
    let hw = parse_hardware("small.toml", SMALL).unwrap();
    let g = TileGeometry::new(4, 4).unwrap();
    // 10 inputs x 6 outputs on 4x4 tiles: rows 4 + 3 + 3, columns 3 + 3: six tiles.
    let c = network_cost(
        &hw,
        g,
        &[linear("big", 10, 6, 5.0), linear("fc", 4, 4, 1.0)],
    );
    let big = &c.layers[0];
    assert_eq!(big.tiles, 6);
    let per_mvm = |v: f64| v / 5.0;
    // DAC: every input row drives each of the 2 tile columns: 10 x 2 x 8 fJ.
    assert!(close(per_mvm(big.energy.dac), 160e-15), "{big:?}");
    // ADC: every output column is read on each of the 3 tile rows: 6 x 3 x 32 fJ.
    assert!(close(per_mvm(big.energy.adc), 576e-15));
    // Array: 0.25 x 6 ns x 0.5 x (10 uS x 0.5 x 60 + 1 uS x 60) = 270 fJ.
    assert!(close(per_mvm(big.energy.array), 270e-15));
    // Digital: 18 tile scalings, 2 x 6 partial sums added, 6 biases, 6 activations: 42 x 3 fJ.
    assert!(close(per_mvm(big.energy.digital), 126e-15));
    // The sum of its tiles' energies as one tile each would give, plus the accumulation.
    let tiles: f64 = [(4, 3), (4, 3), (3, 3), (3, 3), (3, 3), (3, 3)]
        .iter()
        .map(|&(r, c)| hw.tile_mvm_energy(r, c, 0.5 * (r * c) as f64, 0.5).total())
        .sum();
    let accumulation = (2 * 6 + 2 * 6) as f64 * 3e-15;
    assert!(close(per_mvm(big.energy.total()), tiles + accumulation));
    // Totals: the layers' sums; layers one after another; the slowest layer pipelined.
    assert!(close(
        c.energy_total,
        c.layers.iter().map(|l| l.energy.total()).sum()
    ));
    assert_eq!(c.tiles, 7);
    assert!(close(c.latency, 6.0 * 13e-9));
    assert!(close(c.pipelined_interval, 5.0 * 13e-9));
    assert!(close(c.ops, 2.0 * (60.0 * 5.0 + 16.0)));
    assert!(close(c.area, 7.0 * 144e-12));
}

#[test]
fn the_hermes_file_gives_its_published_figures() {
    // One full 256x256 tile at the chip's 8-bit precision: Khaddam-Aljameh et al., JSSC 2022,
    // 10.5 TOPS/W and 1.59 TOPS/mm2.
    let hw = resolve_hardware("hermes").unwrap();
    let c = network_cost(
        &hw,
        TileGeometry::new(256, 256).unwrap(),
        &[linear("core", 256, 256, 1.0)],
    );
    let (w, mm2) = (c.tops_per_w, c.tops_per_mm2);
    println!(
        "hermes, one full tile: {w:.4} TOPS/W, {mm2:.4} TOPS/mm2, {:.1} ns, {:.4} nJ per MVM",
        c.mvm_time * 1e9,
        c.energy_total * 1e9
    );
    assert!((w / 10.5 - 1.0).abs() < 0.25, "{w} TOPS/W against 10.5");
    assert!(
        (mm2 / 1.59 - 1.0).abs() < 0.25,
        "{mm2} TOPS/mm2 against 1.59"
    );
    // The MVM time [P3]: 133 ns.
    assert!((c.mvm_time - 133e-9).abs() < 1e-12, "{}", c.mvm_time);
    // The sanity check of hardware-cost.md: on the order of 10 nJ per full MVM.
    assert!(
        (5e-9..20e-9).contains(&c.energy_total),
        "{}",
        c.energy_total
    );
}

#[test]
fn mvms_are_counted_per_inference() {
    let g = TileGeometry::new(256, 256).unwrap();
    let (counts, sample) =
        count_model(&ModelConfig::builtin("resnet32").unwrap(), g, None).unwrap();
    assert_eq!(
        sample,
        Sample::Image {
            height: 32,
            width: 32
        }
    );
    let by = |n: &str| counts.iter().find(|c| c.name == n).unwrap().mvms;
    // The first convolution at 32x32 (stride 1, padding 1), the last stage at 8x8, one vector
    // through the classifier.
    assert_eq!(by("conv1"), 1024);
    assert_eq!(by("layer3.4.conv2"), 64);
    assert_eq!(by("fc"), 1);
    // A language model: one vector per matrix per token.
    let lm = ModelConfig::builtin("lstm-ptb").unwrap();
    let (counts, _) = count_model(&lm, g, None).unwrap();
    assert!(counts.iter().all(|c| c.mvms == 1), "{counts:?}");
    let (counts, _) = count_model(&lm, g, Some(Sample::Tokens { length: 35 })).unwrap();
    assert!(counts.iter().all(|c| c.mvms == 35), "{counts:?}");
}

#[test]
fn cost_command_prints_units_that_parse_back_and_totals_that_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("energy");
    let (ok, table, err) = aimc(&[
        "cost",
        "models/demo-fashion.toml",
        "--plot",
        stem.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(table.contains("one 28x28 image"), "{table}");
    assert!(stem.with_extension("png").is_file() && stem.with_extension("svg").is_file());
    let (ok, json, err) = aimc(&["cost", "models/demo-fashion.toml", "--format", "json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let total = v["cost"]["energy_total"].as_f64().unwrap();
    // The table's total, printed with its unit to 4 digits, parses back to the JSON's value.
    let line = table.lines().find(|l| l.starts_with("total")).unwrap();
    let cells: Vec<&str> = line.split("  ").filter(|c| !c.trim().is_empty()).collect();
    let printed = cells[cells.len() - 2].trim();
    let parsed = Dimension::Energy.parse(printed).unwrap();
    assert!((parsed / total - 1.0).abs() < 5e-4, "{printed} vs {total}");
    // CSV: SI numbers whose layers add up to the total row.
    let (ok, csv, err) = aimc(&["cost", "models/demo-fashion.toml", "--format", "csv"]);
    assert!(ok, "{err}");
    let rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let energy = |r: &Vec<String>| r[8].parse::<f64>().unwrap();
    let (total_row, layers) = rows.split_last().unwrap();
    assert_eq!(total_row[0], "total");
    // Printed to 7 significant digits: each value within 5e-7 of itself, so the sum too.
    let sum: f64 = layers.iter().map(energy).sum();
    assert!((sum / energy(total_row) - 1.0).abs() < 1e-6);
    assert!((energy(total_row) / total - 1.0).abs() < 1e-6);
    // A smaller ADC costs less; a tile size changes the tile count.
    let total_of = |args: &[&str]| {
        let mut a = vec!["cost", "models/demo-fashion.toml", "--format", "json"];
        a.extend_from_slice(args);
        let (ok, out, err) = aimc(&a);
        assert!(ok, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["cost"].clone()
    };
    let six = total_of(&["--adc-bits", "6"]);
    assert!(six["energy_total"].as_f64().unwrap() < total);
    let small = total_of(&["--tile", "64x64"]);
    assert!(small["tiles"].as_u64().unwrap() > v["cost"]["tiles"].as_u64().unwrap());
}

#[test]
fn bad_hardware_files_are_refused_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("cycle = \"0.5 ns\"", "cycle = \"0.5\"", "adc.cycle", ":23"),
        (
            "energy_per_op = \"3 fJ\"",
            "energy_per_op = \"3 ns\"",
            "digital.energy_per_op",
            ":28",
        ),
        (
            "cell_area = \"1 um2\"",
            "cell_area = \"-1 um2\"",
            "array.cell_area",
            ":8",
        ),
        ("bits = 4", "bits = 0", "adc.bits", ":20"),
        (
            "columns_per_adc = 2",
            "columns_per_adc = 5",
            "adc.columns_per_adc",
            ":24",
        ),
        (
            "mean_input = 0.5",
            "mean_input = 1.5",
            "array.mean_input",
            ":13",
        ),
        (
            "cycles_per_mvm = 2",
            "cycles_per_mvm = 2\nspeed = 1",
            "speed",
            ":30",
        ),
        ("[dac]", "[dax]", "dax", ":14"),
    ];
    for (from, to, key, line) in cases {
        let text = SMALL.replacen(from, to, 1);
        assert_ne!(text, SMALL, "{from}");
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, &text).unwrap();
        let (ok, out, err) = aimc(&["cost", "resnet32", "--hardware", path.to_str().unwrap()]);
        assert!(!ok && out.is_empty(), "{key}: {out}");
        assert!(
            err.contains(&format!("bad.toml{line}")) && err.contains(key),
            "{key}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let (ok, _, err) = aimc(&["cost", "resnet32", "--hardware", "nonesuch"]);
    assert!(!ok && err.contains("hermes"), "{err}");
    let (ok, _, err) = aimc(&["cost", "resnet32", "--input", "32by32"]);
    assert!(!ok && err.contains("--input"), "{err}");
    let (ok, _, err) = aimc(&["cost", "resnet32", "--input", "5"]);
    assert!(!ok && err.contains("a sequence of 5 tokens"), "{err}");
}
