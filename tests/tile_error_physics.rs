//! The physics of the tile stays as it was when the speed work of issue 23 changed how the
//! output noise is drawn (the same normals, from other streams: blocks of 8192 keyed by their
//! index, drawn in parallel). `aimc tile error --tile standard --seed 3` (1000 input vectors)
//! per non-ideality is compared to the file the code of issue 22 wrote
//! (`tests/fixtures/outputs/tile_error_standard_seed3_issue22.json`):
//! - rows that draw no output or read noise (DAC/ADC, programming noise, IR drop, drift) equal
//!   it up to rounding (1e-5 relative: matrix-product kernels may sum in another order);
//! - rows that do (all, output noise, read noise) lie within four standard errors of the
//!   difference of two independent estimates, sqrt(2) s / sqrt(1000) with s the spread of the
//!   per-vector errors. That bound is conservative: both estimates share the inputs and the
//!   programmed weights, and only the noise draws differ.

use aimc::device::resolve_device;
use aimc::tile::TileConfig;
use aimc::tile::mvm_error::{isolate, mvm_errors_per_vector, nonidealities};

const BATCH: usize = 1000;
const SEED: u64 = 3;

fn fixture() -> Vec<(String, f64)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/outputs/tile_error_standard_seed3_issue22.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["nonideality"].as_str().unwrap().to_string(),
                r["eps_m"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn tile_error_per_nonideality_is_within_sampling_error_of_issue_22() {
    let tile = TileConfig::resolve("standard").unwrap();
    let spec = resolve_device(&tile.device).unwrap();
    let before = fixture();
    assert_eq!(
        before.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        nonidealities()
    );
    for (which, old) in before {
        let (config, device) = isolate(&which, &tile, &spec).unwrap();
        let e = mvm_errors_per_vector(&config, &device, BATCH, 0.0, SEED).unwrap();
        let n = e.len() as f64;
        let mean = e.iter().sum::<f64>() / n;
        let var = e.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let draws_noise = ["all", "out_noise", "read_noise"].contains(&which.as_str());
        let tolerance = if draws_noise {
            4.0 * (2.0 * var / n).sqrt()
        } else {
            1e-5 * old
        };
        eprintln!(
            "{which}: {mean:.6} against {old:.6} (difference {:.2e}, tolerance {tolerance:.2e})",
            mean - old
        );
        assert!(
            (mean - old).abs() <= tolerance,
            "{which}: eps_M {mean} against {old} before, tolerance {tolerance}"
        );
    }
}
