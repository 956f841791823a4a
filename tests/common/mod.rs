//! Helpers shared by the integration tests: running the binary, the fetched MiniLM model,
//! training options, the tensors of a checkpoint and the output fixtures.
#![allow(dead_code)]

pub mod models;
pub mod onnx_graph;
pub mod wrn_step;

use std::path::Path;
use std::process::Command;

/// Runs the `aimc` binary; returns (success, stdout, stderr).
pub fn aimc(args: &[&str]) -> (bool, String, String) {
    aimc_threads(args, None)
}

/// [`aimc`] with candle's thread count set when `threads` is given.
pub fn aimc_threads(args: &[&str], threads: Option<usize>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aimc"));
    if let Some(n) = threads {
        cmd.env("RAYON_NUM_THREADS", n.to_string());
    }
    let out = cmd.args(args).output().expect("the aimc binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The directory of the fetched MiniLM model (`aimc data fetch minilm`), if it is there (else
/// skipped or failed as [`fetched_set`] says).
pub fn minilm_dir() -> Option<std::path::PathBuf> {
    fetched_set("minilm", "model.safetensors")
}

/// The directory of a data set fetched with `aimc data fetch NAME`, if its file `probe` is
/// there. When it is not, the calling test is skipped with a message, unless
/// `AIMC_REQUIRE_DATA=1` (`.ci/run` fetches it): then it fails.
pub fn fetched_set(name: &str, probe: &str) -> Option<std::path::PathBuf> {
    let dir = aimc::data::catalog::data_dir().join(name);
    if dir.join(probe).is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("AIMC_REQUIRE_DATA").is_err(),
        "{} missing: aimc data fetch {name}",
        dir.display()
    );
    eprintln!(
        "skipped: {} missing (aimc data fetch {name})",
        dir.display()
    );
    None
}

/// Options of a quiet CPU training stage writing into `out`.
pub fn train_options(
    stage: aimc::experiment::Stage,
    out: &Path,
    epochs: Option<usize>,
    resume: bool,
) -> aimc::train::TrainOptions {
    aimc::train::TrainOptions {
        stage,
        out_dir: out.to_path_buf(),
        epochs,
        resume,
        device: candle_core::Device::Cpu,
        progress: false,
    }
}

/// Every tensor of the checkpoint at `path`, flattened to f32, sorted by name.
pub fn checkpoint_tensors(path: &Path) -> Vec<(String, Vec<f32>)> {
    let c = aimc::experiment::checkpoint::load(path, &candle_core::Device::Cpu).unwrap();
    let mut v: Vec<(String, Vec<f32>)> = c
        .tensors
        .iter()
        .map(|(n, t)| {
            let t = t.flatten_all().unwrap();
            let t = t.to_dtype(candle_core::DType::F32).unwrap();
            (n.clone(), t.to_vec1::<f32>().unwrap())
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// `aimc sweep RUN --reps 2 --times 1s,1d --out REPORT --quiet`: succeeds; returns its stdout
/// after checking that all five report files are there.
pub fn sweep_cli(run: &Path, report: &Path) -> String {
    let (ok, out, err) = aimc(&[
        "sweep",
        run.to_str().unwrap(),
        "--reps",
        "2",
        "--times",
        "1s,1d",
        "--out",
        report.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{err}");
    for f in [
        "sweep.csv",
        "sweep.json",
        "summary.md",
        "drift.png",
        "drift.svg",
    ] {
        assert!(report.join(f).is_file(), "{f}");
    }
    out
}

/// Whether this processor runs the same matrix kernels as the one that wrote the output fixtures
/// of `tests/fixtures/outputs/` (an x86-64 processor with AVX-512): candle's CPU matrix products
/// pick their SIMD code, and with it the order of a sum's terms, from the processor.
pub fn same_kernels_as_fixtures() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The output fixture `name` (`tests/fixtures/outputs/NAME`).
pub fn output_fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/outputs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
