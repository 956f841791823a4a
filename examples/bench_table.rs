//! Writes `benches/README.md`: every criterion benchmark of `benches/` with its floor (the plain
//! operation it is measured against in the same run), its goal and its ratio, per thread count,
//! from the results criterion saved (`target/criterion/GROUP/ID/BASELINE/estimates.json`,
//! median time). With several runs (`RUNS=3`, baselines threadsN-runR) each cell is the median
//! over the runs of the ratio, with its range. `scripts/bench-table.sh` runs the benchmarks and
//! then this; alone: `cargo run --release --example bench_table -- --threads 1,2 --runs 1`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One benchmark against its floor.
struct Row {
    /// The `cargo bench --bench` target.
    bench: &'static str,
    group: &'static str,
    id: &'static str,
    /// The id of the floor in the same group (None: a time without a floor).
    floor: Option<&'static str>,
    /// What the ratio may be at most (None: watched, no goal).
    goal: Option<f64>,
    /// What is measured and why the floor bounds it.
    what: &'static str,
}

/// Benchmarks that run on one thread by design, and why: their speed-ups measure the machine.
const SERIAL: &[(&str, &str)] = &[(
    "device_program",
    "programs one tile from one random stream, serially by design, and its floor draws from one \
     stream too (`TiledMatrix::program` runs the tiles of a layer in parallel, each from its \
     own stream)",
)];

const ROWS: &[Row] = &[
    Row {
        bench: "tile_forward",
        group: "linear_512x512_batch1024",
        id: "dac_adc_out_noise",
        floor: Some("candle_matmul"),
        goal: Some(1.3),
        what: "512x512 tile, batch 1024: DAC + ADC + output noise / candle matmul (one product plus element passes)",
    },
    Row {
        bench: "tile_forward",
        group: "linear_512x512_batch1024",
        id: "standard_preset",
        floor: Some("candle_matmul"),
        goal: Some(4.5),
        what: "512x512 standard tile after 1 h, batch 1024 / candle matmul (4 products: y, two IR-drop sums, read-noise variance)",
    },
    Row {
        bench: "tile_forward",
        group: "linear_512x512_batch1024",
        id: "aimc_product",
        floor: Some("candle_matmul"),
        goal: None,
        what: "the product of the tile's CPU passes (matrixmultiply's sgemm, `aimc::gemm`) / candle matmul, x [1024, 512] W^T",
    },
    Row {
        bench: "tile_forward",
        group: "conv2d_64x64_3x3_32x32_batch32",
        id: "analog_ideal",
        floor: Some("candle_conv2d"),
        goal: Some(1.0),
        what: "conv 64->64 3x3 32x32 b32, ideal tile / candle conv2d (the same product)",
    },
    Row {
        bench: "tile_forward",
        group: "conv2d_64x64_3x3_32x32_batch32",
        id: "analog_standard",
        floor: Some("candle_conv2d"),
        goal: Some(4.5),
        what: "conv, standard tile after 1 h / candle conv2d (as the linear case)",
    },
    Row {
        bench: "tile_forward",
        group: "layer_4096x4096",
        id: "program_and_read_1h",
        floor: None,
        goal: None,
        what: "programming a 4096x4096 layer with PCM and reading it at 1 h (33.5 M devices)",
    },
    Row {
        bench: "device_program",
        group: "tile_512x512_pairs",
        id: "pcm_program_and_read_1h",
        floor: Some("floor_three_normals"),
        goal: Some(2.0),
        what: "PCM: program + 1 h read of 512x512 pairs / three normals per device",
    },
    Row {
        bench: "device_program",
        group: "tile_512x512_pairs",
        id: "hermes-2dev_program_and_read_1h",
        floor: Some("floor_three_normals"),
        goal: Some(3.0),
        what: "hermes-2dev (piecewise formulas) / three normals",
    },
    Row {
        bench: "device_program",
        group: "tile_512x512_pairs",
        id: "reram-cmo_program_and_read_1h",
        floor: Some("floor_three_normals"),
        goal: Some(3.0),
        what: "reram-cmo (relaxation, read noise in log10 g) / three normals",
    },
    Row {
        bench: "device_program",
        group: "tile_512x512_pairs",
        id: "reram-wan2022_program_and_read_1h",
        floor: Some("floor_three_normals"),
        goal: Some(3.0),
        what: "reram-wan2022 (measured times) / three normals",
    },
    Row {
        bench: "train_step",
        group: "wrn16-4_batch64_step",
        id: "hwa",
        floor: Some("fp"),
        goal: Some(1.6),
        what: "WRN-16-4 batch 64: HWA step / FP step (6 product-units against 3)",
    },
    Row {
        bench: "train_step",
        group: "wrn16-4_batch64_step",
        id: "hwa_with_distillation",
        floor: Some("fp"),
        goal: None,
        what: "WRN-16-4: HWA step with the distillation teacher / FP step",
    },
    Row {
        bench: "lm_step",
        group: "lstm_lm_small_step",
        id: "hwa",
        floor: Some("fp"),
        goal: None,
        what: "small LSTM language model: HWA step / FP step",
    },
    Row {
        bench: "bert_step",
        group: "bert_minilm_step",
        id: "hwa",
        floor: Some("fp"),
        goal: Some(1.5),
        what: "MiniLM-sized fine-tuning (16 x 32 tokens): HWA step / FP step",
    },
    Row {
        bench: "bert_step",
        group: "bert_minilm_step",
        id: "hwa_without_ir_drop_and_read_noise",
        floor: Some("fp"),
        goal: None,
        what: "MiniLM: HWA step without IR drop and read noise / FP step",
    },
    Row {
        bench: "onnx_graph",
        group: "onnx_graph",
        id: "onnx",
        floor: Some("native"),
        goal: Some(1.3),
        what: "CNN imported from ONNX, inference on the ideal preset / the same network in aimc's layers",
    },
    Row {
        bench: "onnx_graph",
        group: "onnx_graph_hwa_step",
        id: "onnx",
        floor: Some("native"),
        goal: None,
        what: "CNN imported from ONNX, HWA step on the standard tile / native",
    },
    Row {
        bench: "onnx_graph",
        group: "onnx_resnet8_hwa_step",
        id: "onnx",
        floor: Some("native"),
        goal: Some(1.1),
        what: "aimc's ResNet-8 exported and imported, HWA step / native",
    },
];

/// The median time (s) criterion saved for `group`/`id` under `baseline`, if any.
fn median_s(root: &Path, group: &str, id: &str, baseline: &str) -> Result<Option<f64>, String> {
    let path = root
        .join(group)
        .join(id)
        .join(baseline)
        .join("estimates.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    v["median"]["point_estimate"]
        .as_f64()
        .map(|ns| Some(ns * 1e-9))
        .ok_or_else(|| format!("{}: no median.point_estimate", path.display()))
}

/// The baseline criterion saved run `run` (from 1) at `threads` threads under.
fn baseline(threads: usize, run: usize) -> String {
    match run {
        1 => format!("threads{threads}"),
        r => format!("threads{threads}-run{r}"),
    }
}

/// The median of `v` (None if empty).
fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some(0.5 * (v[n / 2 - 1] + v[n / 2])),
    }
}

/// One row's measurements at one thread count: the benchmark's median time and its floor's,
/// per run where it was run.
struct Runs {
    times: Vec<f64>,
    floors: Vec<f64>,
    /// benchmark / floor of each run where both ran.
    ratios: Vec<f64>,
}

impl Runs {
    fn read(root: &Path, row: &Row, threads: usize, runs: usize) -> Result<Runs, String> {
        let mut r = Runs {
            times: vec![],
            floors: vec![],
            ratios: vec![],
        };
        for run in 1..=runs {
            let b = baseline(threads, run);
            let t = median_s(root, row.group, row.id, &b)?;
            let f = match row.floor {
                Some(f) => median_s(root, row.group, f, &b)?,
                None => None,
            };
            r.times.extend(t);
            r.floors.extend(f);
            if let (Some(t), Some(f)) = (t, f) {
                r.ratios.push(t / f);
            }
        }
        Ok(r)
    }

    /// The table cell: median ratio (range over runs) and median times, or the median time.
    fn cell(&self, row: &Row) -> String {
        let (Some(t), floor) = (median(&self.times), median(&self.floors)) else {
            return "not run".to_string();
        };
        let Some(_) = row.floor else {
            return time(t);
        };
        let (Some(ratio), Some(f)) = (median(&self.ratios), floor) else {
            return "floor not run".to_string();
        };
        let mark = match row.goal {
            Some(g) if ratio > g => " (over)",
            _ => "",
        };
        let spread = match self.ratios.len() {
            1 => String::new(),
            n => {
                let lo = self.ratios.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = self.ratios.iter().copied().fold(0.0, f64::max);
                format!(", {lo:.2}-{hi:.2}x over {n} runs")
            }
        };
        format!("{ratio:.2}x{mark} ({} / {}{spread})", time(t), time(f))
    }
}

/// A time with its unit.
fn time(s: f64) -> String {
    match s {
        s if s >= 1.0 => format!("{s:.2} s"),
        s if s >= 1e-3 => format!("{:.2} ms", s * 1e3),
        s => format!("{:.1} µs", s * 1e6),
    }
}

struct Args {
    threads: Vec<usize>,
    runs: usize,
    criterion: PathBuf,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = Args {
        threads: vec![],
        runs: 1,
        criterion: root.join("target/criterion"),
        out: root.join("benches/README.md"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--threads" => {
                let v = value()?;
                args.threads = v
                    .split(',')
                    .map(|t| match t.trim().parse::<usize>() {
                        Ok(n) if n > 0 => Ok(n),
                        _ => Err(format!(
                            "invalid --threads: expected thread counts such as 1,2, found {v}"
                        )),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--runs" => {
                let v = value()?;
                args.runs = match v.trim().parse::<usize>() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        return Err(format!(
                            "invalid --runs: expected a number of runs such as 3, found {v}"
                        ));
                    }
                };
            }
            "--criterion" => args.criterion = value()?.into(),
            "--out" => args.out = value()?.into(),
            "-h" | "--help" => {
                println!(
                    "bench_table [--threads 1,2] [--runs 1] [--criterion target/criterion] [--out benches/README.md]\n\
                     Writes the table of benchmarks, floors, goals and ratios from the results\n\
                     saved as criterion baselines threadsN and threadsN-runR (runs after the\n\
                     first; scripts/bench-table.sh runs them)."
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.threads.is_empty() {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        args.threads = vec![n];
    }
    Ok(args)
}

/// The Markdown page.
fn page(args: &Args) -> Result<String, String> {
    let mut md = String::new();
    let runs = match args.runs {
        1 => String::new(),
        r => format!("RUNS={r} "),
    };
    let cmd = format!(
        "{runs}THREADS=\"{}\" scripts/bench-table.sh",
        args.threads
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let method = match args.runs {
        1 => "Each ratio is the benchmark's median time over its floor's, both measured in the \
              same run"
            .to_string(),
        r => format!(
            "Every benchmark ran {r} times, one run of all after the other (baselines `threadsN` \
             and `threadsN-runR`); each ratio is the median over the runs of the benchmark's \
             median time over its floor's in the same run, with the range over the runs, and \
             the times are the medians over the runs"
        ),
    };
    writeln!(
        md,
        "# Benchmarks\n\n\
         Written by `{cmd}` (criterion benchmarks of `benches/`, each run with \
         `RAYON_NUM_THREADS` threads and saved as baseline `threadsN`, then \
         `cargo run --release --example bench_table`). {method}; goals are at most. On {} \
         logical cores of this machine; a ratio moves by 10-30 % from run to run on this shared \
         machine. docs/benchmarks.md has the history and the profiles behind the numbers.\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    )
    .unwrap();
    let mut header = "| benchmark / floor | goal |".to_string();
    let mut rule = "| --- | ---: |".to_string();
    for t in &args.threads {
        write!(header, " {t} thread{} |", if *t == 1 { "" } else { "s" }).unwrap();
        rule.push_str(" ---: |");
    }
    writeln!(md, "{header}\n{rule}").unwrap();
    let mut times = Vec::new();
    for row in ROWS {
        let goal = row.goal.map_or("-".to_string(), |g| format!("<= {g}x"));
        let mut line = format!("| {} (`{}`) | {goal} |", row.what, row.bench);
        let mut row_times = Vec::new();
        for &t in &args.threads {
            let runs = Runs::read(&args.criterion, row, t, args.runs)?;
            write!(line, " {} |", runs.cell(row)).unwrap();
            row_times.push((median(&runs.times), median(&runs.floors)));
        }
        writeln!(md, "{line}").unwrap();
        times.push((row, row_times));
    }
    if args.threads.len() > 1 {
        let (t0, tn) = (args.threads[0], *args.threads.last().unwrap());
        let scale = tn as f64 / t0 as f64;
        writeln!(
            md,
            "\nScaling from {t0} to {tn} threads: speed-up of the benchmark and of its floor, and \
             parallel efficiency (speed-up / {scale}); benchmarks run at both counts.\n\n\
             | benchmark | speed-up | efficiency | floor speed-up | floor efficiency |\n\
             | --- | ---: | ---: | ---: | ---: |"
        )
        .unwrap();
        let cell = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (
                format!("{:.2}x", a / b),
                format!("{:.0} %", 100.0 * a / b / scale),
            ),
            _ => ("-".to_string(), "-".to_string()),
        };
        let mut serial_shown = Vec::new();
        for (row, row_times) in &times {
            let (first, last) = (row_times[0], *row_times.last().unwrap());
            if first.0.is_none() || last.0.is_none() {
                continue; // not run at both thread counts
            }
            let (s, mut e) = cell(first.0, last.0);
            let (fs, mut fe) = cell(first.1, last.1);
            if let Some(serial) = SERIAL.iter().find(|(b, _)| *b == row.bench) {
                e = "serial by design".to_string();
                fe = e.clone();
                if !serial_shown.contains(&serial) {
                    serial_shown.push(serial);
                }
            }
            writeln!(
                md,
                "| {} / {} | {s} | {e} | {fs} | {fe} |",
                row.group, row.id
            )
            .unwrap();
        }
        for (bench, why) in serial_shown {
            writeln!(md, "\n`{bench}` {why}.").unwrap();
        }
    }
    Ok(md)
}

fn main() {
    let result = parse_args().and_then(|args| {
        let md = page(&args)?;
        let tmp = args.out.with_extension("md.tmp");
        std::fs::write(&tmp, &md)
            .and_then(|_| std::fs::rename(&tmp, &args.out))
            .map_err(|e| format!("{}: {e}", args.out.display()))?;
        print!("{md}");
        Ok(())
    });
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
