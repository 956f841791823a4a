//! The memory of a hardware-aware training step (issue 19, item 4): a WRN on CIFAR-sized inputs,
//! the standard PCM tile (weights normalised, PCM weight noise, clipping, learned input ranges
//! and output scales), SGD with momentum and weight decay, on the CPU. Every heap allocation of
//! this test binary is counted (a counting global allocator: live and peak bytes), so what a
//! step leaves behind is measured exactly: after the optimiser's first step has created its
//! state, every further step ends with exactly the bytes it started with (no tensor outlives its
//! step; SGD's momentum buffer once held every earlier step's through a recorded weight-decay
//! operation, 6 parameter sizes a step). The step's peak above the resident model is reported
//! beside the tensors that dominate it: the unfolded convolution inputs (im2col patches,
//! B H' W' x C k^2) every analog convolution keeps for its backward pass.
//!
//! `cargo test --release --test memory -- --ignored --nocapture` measures the WRN-16-4 at batch
//! 128 (minutes).

mod common;

use aimc::nn::conv2d::{AnalogConv2d, Conv2dGeometry};
use aimc::nn::matrices;
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use candle_core::{Device, ModuleT, Tensor};
use common::wrn_step::WrnStep;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// The system allocator, counting the live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn added(size: usize) {
    let now = LIVE.fetch_add(size, SeqCst) + size;
    PEAK.fetch_max(now, SeqCst);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            added(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            added(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), SeqCst);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            LIVE.fetch_sub(layout.size(), SeqCst);
            added(new_size);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MB: f64 = 1024.0 * 1024.0;

/// The counters are the process's: the tests take turns (the harness runs them in threads).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// What steps of a WRN-`depth`-`width` at batch `batch` left behind (bytes, per step after the
/// first), and of the last step: the bytes its forward pass kept for the backward pass (held
/// by the loss), its peak above the live bytes before it, and its seconds.
struct Measured {
    left: Vec<i64>,
    before: usize,
    kept: usize,
    peak: usize,
    seconds: f64,
    patches: usize,
    largest: (usize, String),
}

fn measure(depth: usize, width: usize, batch: usize, steps: u64, hwa: bool) -> Measured {
    let mut s = WrnStep::new(depth, width, batch, hwa, &Device::Cpu);
    // The first step creates the optimiser's state (momentum buffers).
    s.run();
    let (mut left, mut before, mut kept, mut seconds) = (Vec::new(), 0, 0, 0.0);
    for _ in 1..steps {
        before = LIVE.load(SeqCst);
        PEAK.store(before, SeqCst);
        let start = std::time::Instant::now();
        let loss = s.forward();
        kept = LIVE.load(SeqCst) - before;
        s.update(loss);
        seconds = start.elapsed().as_secs_f64();
        left.push(LIVE.load(SeqCst) as i64 - before as i64);
    }
    let peak = PEAK.load(SeqCst) - before;
    // The unfolded inputs of every analog convolution: B H' W' rows of C k^2 (+1 with an
    // analog bias) f32 values.
    let mut patches = 0usize;
    let mut largest = (0usize, String::new());
    for m in matrices(&s.model) {
        if m.kind() != "conv2d" {
            continue;
        }
        let bytes = batch * output_positions(m.name()) * m.matrix_size().0 * 4;
        patches += bytes;
        if bytes > largest.0 {
            largest = (bytes, m.name().to_string());
        }
    }
    Measured {
        left,
        before,
        kept,
        peak,
        seconds,
        patches,
        largest,
    }
}

fn report(what: &str, m: &Measured) {
    eprintln!(
        "{what}: step {:.1} s; resident before it {:.0} MB; kept by the forward pass for the \
         backward {:.0} MB; peak above the resident {:.0} MB; left behind by each step {:?} \
         bytes; the convolutions' patches {:.0} MB in all (largest {:.0} MB, {})",
        m.seconds,
        m.before as f64 / MB,
        m.kept as f64 / MB,
        m.peak as f64 / MB,
        m.left,
        m.patches as f64 / MB,
        m.largest.0 as f64 / MB,
        m.largest.1,
    );
}

/// A WRN-10-2 at batch 16, three steps after the first: each ends with the bytes it started
/// with, and the forward pass keeps at least the patches (they are kept for the backward pass).
#[test]
fn a_hwa_training_step_leaves_nothing_behind() {
    let _turn = serial();
    let m = measure(10, 2, 16, 4, true);
    report("WRN-10-2 HWA step, batch 16", &m);
    assert_eq!(m.left, vec![0, 0, 0], "bytes left behind by each step");
    assert!(m.kept > m.patches && m.peak >= m.kept);
}

/// The WRN-16-4 at batch 128 of the issue (minutes on two cores), HWA and FP: nothing left
/// behind, the forward pass's kept bytes and the peak reported.
#[test]
#[ignore = "minutes: cargo test --release --test memory -- --ignored --nocapture"]
fn the_wrn_16_4_hwa_step_at_batch_128() {
    let _turn = serial();
    for hwa in [true, false] {
        let m = measure(16, 4, 128, 2, hwa);
        let what = if hwa { "HWA" } else { "FP" };
        report(&format!("WRN-16-4 {what} step, batch 128"), &m);
        assert_eq!(m.left, vec![0], "bytes left behind by the step");
        assert!(m.kept > m.patches && m.peak >= m.kept);
    }
}

/// What one analog convolution's forward pass keeps for the backward pass, tensor by tensor
/// in units of its patches (B H' W' x C k^2) and outputs (B H' W' x C_out): the WRN-16-4's
/// group-1 3x3 convolution (64 to 64 channels at 32x32, batch `batch`) on the `ideal` tile
/// (its digital weights: the FP step) and on the standard PCM tile in HWA training.
fn kept_by_one_convolution(batch: usize, tile: &TileConfig) -> (usize, usize, usize) {
    let device = Device::Cpu;
    let mut w = vec![0f32; 64 * 64 * 9];
    NoiseRng::new(3).fill_normal(&mut w);
    let w = Tensor::from_vec(w, (64, 64, 3, 3), &device).unwrap();
    let w = candle_core::Var::from_tensor(&(w * 0.05).unwrap()).unwrap();
    let geometry = Conv2dGeometry {
        stride: 1,
        padding: 1,
    };
    let conv = AnalogConv2d::new(
        "conv",
        w.as_tensor().clone(),
        None,
        geometry,
        tile,
        NoiseRng::new(4),
    )
    .unwrap();
    let mut x = vec![0f32; batch * 64 * 32 * 32];
    NoiseRng::new(5).fill_normal(&mut x);
    let x = Tensor::from_vec(x, (batch, 64, 32, 32), &device).unwrap();
    conv.matrix().set_batch_seed(1);
    let before = LIVE.load(SeqCst);
    let y = conv.forward_t(&x, true).unwrap().sum_all().unwrap();
    let kept = LIVE.load(SeqCst) - before;
    drop(y);
    let patches = batch * 32 * 32 * 64 * 9 * 4;
    let outputs = batch * 32 * 32 * 64 * 4;
    (kept, patches, outputs)
}

/// The bytes one analog convolution keeps (ideal and standard tile), in patches and outputs
/// (batch 16 here; the counts scale with the batch).
#[test]
fn what_one_analog_convolution_keeps() {
    let _turn = serial();
    let hwa_tile = TileConfig::standard();
    for (what, tile) in [("ideal", TileConfig::ideal()), ("standard", hwa_tile)] {
        let (kept, patches, outputs) = kept_by_one_convolution(16, &tile);
        eprintln!(
            "one 3x3 64->64 convolution at 32x32, batch 16, {what} tile: keeps {:.1} MB = \
             {:.2} patch sizes ({:.1} MB each) or {:.1} output sizes ({:.1} MB each)",
            kept as f64 / MB,
            kept as f64 / patches as f64,
            patches as f64 / MB,
            kept as f64 / outputs as f64,
            outputs as f64 / MB,
        );
        assert!(kept >= patches, "the patches are kept");
    }
}

/// H' W' of convolution `name` of a WRN on 32x32 inputs: the stem and group 1 at 32x32, group
/// 2 at 16x16, group 3 at 8x8 (a group's strided first convolution and its shortcut give the
/// group's size).
fn output_positions(name: &str) -> usize {
    let side = if name.starts_with("block2") {
        16
    } else if name.starts_with("block3") {
        8
    } else {
        32
    };
    side * side
}
