//! Weight mappings (`[tile] mapping`, issue 20): N pairs per weight average independent device
//! noise, so the MVM error of programming noise alone falls as 1/sqrt(N); a tile file names the
//! mapping and bad ones are refused by key.

use aimc::device::{Device, resolve_device};
use aimc::tile::TileConfig;
use aimc::tile::mapping::WeightMapping;
use aimc::tile::mvm_error::{isolate, mvm_error};

/// eps_M of the programming noise alone on a 256 x 256 tile of PCM with the idle conductance
/// `g_min` (µS) and `mapping`, for seeds 0..k.
fn prog_noise_eps(mapping: WeightMapping, g_min: f64, seeds: u64) -> Vec<f64> {
    let tile = TileConfig::standard()
        .edit(|t| {
            t.rows = 256;
            t.cols = 256;
            t.mapping = mapping;
        })
        .unwrap();
    let mut pcm = resolve_device("pcm").unwrap();
    let d = pcm
        .device
        .statistical_view()
        .edit(|p| p.g_min_us = g_min)
        .unwrap();
    pcm.device = Device::Statistical(d);
    let (config, device) = isolate("prog_noise", &tile, &pcm).unwrap();
    (0..seeds)
        .map(|seed| mvm_error(&config, &device, 200, 0.0, seed).unwrap())
        .collect()
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// eps_M is the rms of (W_realised - W) x over ||W x||. With N pairs programmed to the same
/// targets, each weight's error is the mean of N independent pair errors: its variance falls as
/// 1/N. With the idle devices at g_min = 5 µS no programmed conductance is clamped at 0, the
/// errors have mean 0, and eps_M falls as 1/sqrt(N). Tolerance: 5 standard errors of the ratio
/// (6 seeds each).
#[test]
fn n_pairs_divide_the_programming_noise_error_by_sqrt_n() {
    let (one, se_one) = mean_se(&prog_noise_eps(WeightMapping::Pair, 5.0, 6));
    for n in [2usize, 4] {
        let (many, se_many) = mean_se(&prog_noise_eps(WeightMapping::Pairs(n), 5.0, 6));
        let ratio = many / one;
        let se = ratio * ((se_one / one).powi(2) + (se_many / many).powi(2)).sqrt();
        let want = 1.0 / (n as f64).sqrt();
        eprintln!(
            "{n} pairs: eps_M {many:.5} vs one pair {one:.5}: ratio {ratio:.4} (theory {want:.4}, \
             SE {se:.4})"
        );
        assert!(
            (ratio - want).abs() <= 5.0 * se,
            "{ratio} vs {want} (5 SE {})",
            5.0 * se
        );
    }
}

/// With g_min = 0 (the paper's PCM) the idle device of each pair is clamped at 0 after its
/// noise (Eq. 7): an error of mean > 0 that N pairs do not average away. Then eps_M^2 = B + V/N
/// (bias and variance parts): B and V from 1 and 2 pairs predict 4 and 8 pairs.
#[test]
fn n_pairs_average_the_variance_but_not_the_clamped_idle_devices_bias() {
    let eps2 = |n: usize| {
        let mapping = if n == 1 {
            WeightMapping::Pair
        } else {
            WeightMapping::Pairs(n)
        };
        let (m, se) = mean_se(&prog_noise_eps(mapping, 0.0, 6));
        (m * m, 2.0 * m * se)
    };
    let ((e1, s1), (e2, s2)) = (eps2(1), eps2(2));
    let v = 2.0 * (e1 - e2);
    let b = e1 - v;
    assert!(b > 0.0, "a bias part: B = {b}");
    for n in [4usize, 8] {
        let (e, s) = eps2(n);
        let want = b + v / n as f64;
        // B + V/N = (2/N - 1) e1 + (2 - 2/N) e2: its standard error from those of e1, e2.
        let (c1, c2) = (2.0 / n as f64 - 1.0, 2.0 - 2.0 / n as f64);
        let se = (s * s + (c1 * s1).powi(2) + (c2 * s2).powi(2)).sqrt();
        eprintln!("{n} pairs: eps_M^2 {e:.6} vs B + V/N = {want:.6} (SE {se:.6})");
        assert!(
            (e - want).abs() <= 5.0 * se,
            "{e} vs {want} (5 SE {})",
            5.0 * se
        );
    }
}

/// One pair written as `Pairs(1)` is the paper's mapping, to the bit.
#[test]
fn one_of_n_pairs_is_the_pair() {
    assert_eq!(
        prog_noise_eps(WeightMapping::Pairs(1), 0.0, 2),
        prog_noise_eps(WeightMapping::Pair, 0.0, 2)
    );
}

#[test]
fn a_tile_file_names_the_mapping_and_bad_ones_are_refused() {
    let read = |m: &str| TileConfig::from_toml("t.toml", &format!("[tile]\nmapping = {m}\n"));
    assert_eq!(
        read("\"single_device\"").unwrap().mapping,
        WeightMapping::SingleDevice
    );
    assert_eq!(
        read("{ pairs = 4 }").unwrap().mapping,
        WeightMapping::Pairs(4)
    );
    assert_eq!(
        read("{ significance = [1.0, 3.0] }").unwrap().mapping,
        WeightMapping::Significance(vec![1.0, 3.0])
    );
    assert_eq!(TileConfig::standard().mapping, WeightMapping::Pair);
    let e = read("{ pairs = 0 }").unwrap_err().to_string();
    assert!(
        e.contains("mapping.pairs") && e.contains("at least 1 pair"),
        "{e}"
    );
    let e = read("{ significance = [1.0, -3.0] }")
        .unwrap_err()
        .to_string();
    assert!(e.contains("mapping.significance[1]"), "{e}");
    let e = read("\"quad\"").unwrap_err().to_string();
    assert!(e.contains("t.toml") && e.contains("mapping"), "{e}");
}
