//! Analog layers on tiles: the ideal preset reproduces candle's digital layers, drift
//! compensation restores drifted outputs, gradients flow straight through the periphery, the
//! visitor programs, reads and counts every tile, and the same seed gives the same numbers.

use aimc::device::{Device as AnalogDevice, parse_device, pcm};
use aimc::nn::{AnalogConv2d, AnalogLinear, AnalogLstm, AnalogModule, Conv2dGeometry, LstmState};
use aimc::nn::{matrices, program_all, read_all, tile_count};
use aimc::rng::NoiseRng;
use aimc::tile::mvm_error::{mvm_error, mvm_error_report};
use aimc::tile::{DriftCompensation, InputScaling, TileConfig, TiledMatrix};
use candle_core::{DType, Device, ModuleT, Result, Tensor, Var};

fn randn(shape: &[usize], std: f64, seed: u64) -> Result<Tensor> {
    let mut rng = NoiseRng::new(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| (rng.normal() * std) as f32).collect();
    Tensor::from_vec(v, shape, &Device::Cpu)
}

fn max_rel_diff(a: &Tensor, b: &Tensor) -> Result<f32> {
    let scale = b.abs()?.max_all()?.to_scalar::<f32>()?.max(1e-6);
    Ok((a - b)?.abs()?.max_all()?.to_scalar::<f32>()? / scale)
}

fn small_tiles(rows: usize, cols: usize) -> TileConfig {
    TileConfig::ideal()
        .edit(|t| (t.rows, t.cols) = (rows, cols))
        .unwrap()
}

#[test]
fn ideal_linear_equals_candle_linear() -> Result<()> {
    for (inp, out, tile) in [
        (20, 7, small_tiles(512, 512)),
        (37, 23, small_tiles(8, 5)),
        (600, 520, TileConfig::ideal()),
    ] {
        let w = randn(&[out, inp], 0.3, 1)?;
        let b = randn(&[out], 0.1, 2)?;
        let x = randn(&[4, 3, inp], 1.0, 3)?;
        let digital = candle_nn::Linear::new(w.clone(), Some(b.clone()));
        let analog = AnalogLinear::new("l", w, Some(b), &tile, NoiseRng::new(0))?;
        let expected = candle_core::Module::forward(&digital, &x)?;
        assert_eq!(analog.forward(&x)?.dims(), expected.dims());
        assert!(max_rel_diff(&analog.forward(&x)?, &expected)? < 2e-6);
        assert!(max_rel_diff(&analog.forward_t(&x, true)?, &expected)? < 2e-6);
        // Programmed with the ideal device and read a year later: still the digital layer.
        program_all(&analog, &AnalogDevice::Ideal(Default::default()), 5)?;
        read_all(&analog, 3.15e7, 6)?;
        assert!(max_rel_diff(&analog.forward(&x)?, &expected)? < 2e-6);
    }
    Ok(())
}

#[test]
fn analog_bias_on_tiles_equals_digital_bias_when_ideal() -> Result<()> {
    // 10 inputs on tiles of 4 rows: the bias row shares the last tile; 3 inputs on tiles of 1
    // row: the bias row is a tile alone.
    for (inputs, rows, last) in [(10, 4, 3), (3, 1, 1)] {
        let w = randn(&[6, inputs], 0.3, 1)?;
        let b = randn(&[6], 0.5, 2)?;
        let x = randn(&[5, inputs], 1.0, 3)?;
        let tile = small_tiles(rows, 4)
            .edit(|t| t.periphery.bias.digital = false)
            .unwrap();
        let analog = AnalogLinear::new("l", w.clone(), Some(b.clone()), &tile, NoiseRng::new(0))?;
        let expected = x.matmul(&w.t()?)?.broadcast_add(&b)?;
        let chunks = &analog.matrix().grid().row_chunks;
        assert_eq!(chunks.iter().map(|r| r.len()).sum::<usize>(), inputs + 1);
        assert_eq!(chunks.last().unwrap().len(), last);
        assert!(max_rel_diff(&analog.forward(&x)?, &expected)? < 2e-6);
    }
    Ok(())
}

#[test]
fn ideal_conv2d_equals_candle_conv2d() -> Result<()> {
    for (stride, padding, tile) in [
        (1, 1, TileConfig::ideal()),
        (2, 1, small_tiles(10, 3)),
        (1, 0, small_tiles(512, 512)),
    ] {
        let w = randn(&[5, 3, 3, 3], 0.3, 1)?;
        let b = randn(&[5], 0.1, 2)?;
        let x = randn(&[2, 3, 9, 8], 1.0, 3)?;
        let expected = x
            .conv2d(&w, padding, stride, 1, 1)?
            .broadcast_add(&b.reshape((1, 5, 1, 1))?)?;
        let conv = AnalogConv2d::new(
            "c",
            w,
            Some(b),
            Conv2dGeometry { stride, padding },
            &tile,
            NoiseRng::new(0),
        )?;
        let y = conv.forward(&x)?;
        assert_eq!(y.dims(), expected.dims());
        assert!(
            max_rel_diff(&y, &expected)? < 2e-6,
            "stride {stride} padding {padding}"
        );
    }
    Ok(())
}

#[test]
fn ideal_lstm_equals_candle_lstm() -> Result<()> {
    let (inp, hid) = (5, 4);
    let w_ih = randn(&[4 * hid, inp], 0.4, 1)?;
    let w_hh = randn(&[4 * hid, hid], 0.4, 2)?;
    let b_ih = randn(&[4 * hid], 0.1, 3)?;
    let b_hh = randn(&[4 * hid], 0.1, 4)?;
    let x = randn(&[2, 6, inp], 1.0, 5)?;
    let lstm = AnalogLstm::new(
        "lstm",
        w_ih.clone(),
        w_hh.clone(),
        b_ih.clone(),
        b_hh.clone(),
        &small_tiles(3, 5),
        NoiseRng::new(0),
    )?;
    let state = lstm.zero_state(2, &x)?;
    let (out, last) = lstm.forward_t(&x, &state, false)?;
    // Reference: the LSTM equations step by step.
    let (mut h, mut c) = (state.h.clone(), state.c.clone());
    for t in 0..6 {
        let xt = x.narrow(1, t, 1)?.squeeze(1)?;
        let gates = (xt.matmul(&w_ih.t()?)?.broadcast_add(&b_ih)?
            + h.matmul(&w_hh.t()?)?.broadcast_add(&b_hh)?)?;
        let g = gates.chunk(4, 1)?;
        let sig = |t: &Tensor| candle_nn::ops::sigmoid(t);
        c = ((sig(&g[1])? * &c)? + (sig(&g[0])? * g[2].tanh()?)?)?;
        h = (sig(&g[3])? * c.tanh()?)?;
        assert!(max_rel_diff(&out.narrow(1, t, 1)?.squeeze(1)?, &h)? < 2e-6);
    }
    assert!(max_rel_diff(&last.h, &h)? < 2e-6 && max_rel_diff(&last.c, &c)? < 2e-6);
    let LstmState { h: h0, .. } = state;
    assert_eq!(h0.dims(), &[2, hid]);
    assert_eq!(matrices(&lstm).len(), 2);
    Ok(())
}

#[test]
fn ideal_preset_has_zero_mvm_error() {
    let ideal = TileConfig::ideal();
    let eps = mvm_error(&ideal, &AnalogDevice::Ideal(Default::default()), 50, 0.0, 0).unwrap();
    assert!(eps < 2e-6, "{eps}");
}

#[test]
fn standard_tile_errors_are_ordered_sensibly() {
    let spec = aimc::device::resolve_device("pcm").unwrap();
    let rows = mvm_error_report(
        &TileConfig::standard(),
        &spec,
        100,
        0.0,
        0,
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let get = |k: &str| rows.iter().find(|r| r.nonideality == k).unwrap().eps_m;
    // Each non-ideality alone adds error; at t = 0 there is no drift.
    for k in [
        "dac_adc",
        "out_noise",
        "read_noise",
        "prog_noise",
        "ir_drop",
    ] {
        assert!(get(k) > 1e-3, "{k}: {}", get(k));
        assert!(get(k) < get("all"), "{k}");
    }
    assert!(get("drift") < 2e-6);
}

/// A device whose drift exponent is the same for every device (nu = 0.06), nothing else.
fn uniform_drift_device() -> AnalogDevice {
    let text = r#"
kind = "custom"
g_max_us = 25.0
[programming_noise]
law = "polynomial"
coefficients_us = [0.0]
[drift]
law = "log_linear"
mu = { slope = 0.0, intercept = 0.06, min = 0.06, max = 0.06 }
sigma = { slope = 0.0, intercept = 0.0, min = 0.0, max = 0.0 }
[read_noise]
law = "none"
"#;
    parse_device("uniform.toml", text, "uniform")
        .unwrap()
        .device
}

#[test]
fn global_compensation_restores_drifted_outputs() -> Result<()> {
    let w = randn(&[30, 40], 0.3, 1)?;
    let x = randn(&[16, 40], 0.5, 2)?;
    let device = uniform_drift_device();
    for comp in [DriftCompensation::Global, DriftCompensation::PerColumn] {
        let tile = small_tiles(16, 16)
            .edit(|t| t.periphery.drift_compensation.mode = comp)
            .unwrap();
        let m = TiledMatrix::new("m", w.clone(), &tile, NoiseRng::new(0))?;
        m.program(&device, 1)?;
        let fresh = m.forward_t(&x, false)?;
        m.read_at(3.15e7, 2)?;
        let drifted = m.forward_t(&x, false)?;
        assert!(max_rel_diff(&drifted, &fresh)? < 1e-5, "{comp:?}");
    }
    // Without compensation the outputs shrink by the drift factor ((t + t0)/t0)^-0.06.
    let tile = small_tiles(16, 16);
    let m = TiledMatrix::new("m", w, &tile, NoiseRng::new(0))?;
    m.program(&device, 1)?;
    let fresh = m.forward_t(&x, false)?;
    m.read_at(3.15e7, 2)?;
    let factor = ((3.15e7f64 + 20.0) / 20.0).powf(-0.06);
    assert!(max_rel_diff(&m.forward_t(&x, false)?, &(fresh * factor)?)? < 1e-5);
    Ok(())
}

#[test]
fn training_gradients_reach_every_variable_and_stop_at_saturation() -> Result<()> {
    let dev = Device::Cpu;
    let w = Var::from_tensor(&randn(&[12, 20], 0.3, 1)?)?;
    let b = Var::from_tensor(&randn(&[12], 0.1, 2)?)?;
    let layer = AnalogLinear::new(
        "l",
        w.as_tensor().clone(),
        Some(b.as_tensor().clone()),
        &TileConfig::standard()
            .edit(|t| (t.rows, t.cols) = (8, 5))
            .unwrap(),
        NoiseRng::new(0),
    )?;
    let x = randn(&[6, 20], 0.5, 3)?;
    let grads = layer.forward_t(&x, true)?.sqr()?.sum_all()?.backward()?;
    for (name, v) in [("weight", &w), ("bias", &b)] {
        let g = grads
            .get(v)
            .unwrap_or_else(|| panic!("no gradient for {name}"));
        assert!(g.abs()?.sum_all()?.to_scalar::<f32>()? > 0.0, "{name}");
    }
    // The static input range of every tile is learnable: 3 x 3 tiles, each with a gradient.
    let ranges = layer.matrix().input_range();
    assert_eq!(ranges.dims1()?, 9);
    let g = grads.get(ranges).expect("no gradient for the input ranges");
    for (t, g) in g.to_vec1::<f32>()?.iter().enumerate() {
        assert!(*g != 0.0, "input range {t}");
    }
    // Output 0 (sum of 16 inputs of 1: 16 > the ADC bound 10) saturates and passes no
    // gradient; output 1 (half of one input) does.
    let tile = TileConfig::standard()
        .edit(|t| {
            t.periphery.ir_drop.on = false;
            t.periphery.out_noise.sigma = 0.0;
            t.periphery.read_noise.sigma = 0.0;
        })
        .unwrap();
    let mut wv = vec![1.0f32; 16];
    wv.extend(std::iter::once(0.5).chain(std::iter::repeat_n(0.0, 15)));
    let w = Var::from_vec(wv, (2, 16), &dev)?;
    let m = TiledMatrix::new("m", w.as_tensor().clone(), &tile, NoiseRng::new(0))?;
    let grads = m
        .forward_t(&Tensor::ones((1, 16), DType::F32, &dev)?, true)?
        .sum_all()?
        .backward()?;
    let g = grads.get(&w).unwrap().to_vec2::<f32>()?;
    assert!(
        g[0].iter().all(|&v| v == 0.0),
        "saturated output passed gradient: {:?}",
        g[0]
    );
    assert!(
        g[1].iter().all(|&v| v != 0.0),
        "unsaturated output lost gradient: {:?}",
        g[1]
    );
    Ok(())
}

#[test]
fn visitor_programs_reads_and_counts_every_tile() -> Result<()> {
    struct Two(AnalogLinear, AnalogConv2d);
    impl AnalogModule for Two {
        fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
            self.0.visit_matrices(f);
            self.1.visit_matrices(f);
        }
    }
    let tile = TileConfig::standard()
        .edit(|t| (t.rows, t.cols) = (10, 4))
        .unwrap();
    let model = Two(
        AnalogLinear::new(
            "fc",
            randn(&[9, 25], 0.3, 1)?,
            None,
            &tile,
            NoiseRng::new(1),
        )?,
        AnalogConv2d::new(
            "conv",
            randn(&[6, 2, 3, 3], 0.3, 2)?,
            None,
            Conv2dGeometry::default(),
            &tile,
            NoiseRng::new(2),
        )?,
    );
    // fc: 25 inputs -> 3 row chunks, 9 outputs -> 3 col chunks; conv: 18 -> 2, 6 -> 2.
    assert_eq!(tile_count(&model), 9 + 4);
    assert!(matrices(&model).iter().all(|m| !m.is_programmed()));
    program_all(&model, &AnalogDevice::Statistical(pcm()), 3)?;
    assert!(matrices(&model).iter().all(|m| m.is_programmed()));
    let x = randn(&[3, 25], 1.0, 4)?;
    let at_1s = {
        read_all(&model, 1.0, 5)?;
        model.0.forward(&x)?
    };
    let at_1y = {
        read_all(&model, 3.15e7, 5)?;
        model.0.forward(&x)?
    };
    assert!(
        max_rel_diff(&at_1y, &at_1s)? > 1e-3,
        "reading later changes the weights"
    );
    Ok(())
}

#[test]
fn same_seed_same_outputs() -> Result<()> {
    let run = |seed: u64| -> Result<Vec<f32>> {
        let w = randn(&[20, 30], 0.3, 1)?;
        let m = TiledMatrix::new(
            "m",
            w,
            &TileConfig::standard()
                .edit(|t| (t.rows, t.cols) = (16, 8))
                .unwrap(),
            NoiseRng::new(seed),
        )?;
        m.program(&AnalogDevice::Statistical(pcm()), seed)?;
        m.read_at(3600.0, seed)?;
        m.forward_t(&randn(&[4, 30], 1.0, 2)?, false)?
            .flatten_all()?
            .to_vec1::<f32>()
    };
    assert_eq!(run(7)?, run(7)?);
    assert_ne!(run(7)?, run(8)?);
    Ok(())
}

#[test]
fn iterative_bound_management_reduces_saturation_error() {
    let device = AnalogDevice::Ideal(Default::default());
    let base = TileConfig::standard()
        .edit(|t| {
            t.device = "ideal".into();
            t.periphery.out_noise.sigma = 0.0;
            t.periphery.read_noise.sigma = 0.0;
            t.periphery.ir_drop.on = false;
        })
        .unwrap();
    // With x ~ U(-1, 1) over 512 rows, outputs of std ~ 4 saturate the bound 10 at times.
    let static_eps = mvm_error(&base, &device, 200, 0.0, 0).unwrap();
    let with = |mode| {
        base.edit(|t| t.periphery.input_scaling.mode = mode)
            .unwrap()
    };
    let (dynamic, iterative) = (with(InputScaling::Dynamic), with(InputScaling::Iterative));
    let it_eps = mvm_error(&iterative, &device, 200, 0.0, 0).unwrap();
    let dyn_eps = mvm_error(&dynamic, &device, 200, 0.0, 0).unwrap();
    assert!(
        it_eps < static_eps,
        "iterative {it_eps} vs static {static_eps}"
    );
    assert!(dyn_eps > 0.0);
}

/// One hidden unit, one input, two steps: the analog LSTM on the ideal preset against the LSTM
/// equations written out in scalars (gates in PyTorch's order i, f, g, o).
#[test]
fn ideal_lstm_matches_a_hand_computed_tiny_case() -> Result<()> {
    let (w_ih, w_hh) = ([0.5, -0.3, 0.8, 0.2], [0.1, 0.4, -0.6, 0.7]);
    let (b_ih, b_hh) = ([0.05, 0.1, -0.05, 0.0], [0.0, 0.2, 0.1, -0.1]);
    let xs = [1.0, -2.0];
    let dev = Device::Cpu;
    let t = |v: &[f64], shape: &[usize]| {
        let v: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        Tensor::from_vec(v, shape, &dev)
    };
    let lstm = AnalogLstm::new(
        "tiny",
        t(&w_ih, &[4, 1])?,
        t(&w_hh, &[4, 1])?,
        t(&b_ih, &[4])?,
        t(&b_hh, &[4])?,
        &TileConfig::ideal(),
        NoiseRng::new(0),
    )?;
    let x = t(&xs, &[1, 2, 1])?;
    let (out, last) = lstm.forward_t(&x, &lstm.zero_state(1, &x)?, false)?;
    let out = out.flatten_all()?.to_vec1::<f32>()?;
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    let (mut h, mut c) = (0.0f64, 0.0f64);
    for (step, &xt) in xs.iter().enumerate() {
        let gate = |k: usize| w_ih[k] * xt + b_ih[k] + w_hh[k] * h + b_hh[k];
        let (i, f, g, o) = (
            sigmoid(gate(0)),
            sigmoid(gate(1)),
            gate(2).tanh(),
            sigmoid(gate(3)),
        );
        c = f * c + i * g;
        h = o * c.tanh();
        assert!(
            (out[step] as f64 - h).abs() < 1e-6,
            "step {step}: {} vs {h}",
            out[step]
        );
    }
    // Step 1 by hand: i = s(0.55), f = s(-0.0), g = tanh(0.85), o = s(0.1).
    let c1 = sigmoid(0.55) * 0.85f64.tanh();
    assert!((out[0] as f64 - sigmoid(0.1) * c1.tanh()).abs() < 1e-6);
    let c_last = last.c.flatten_all()?.to_vec1::<f32>()?[0] as f64;
    assert!((c_last - c).abs() < 1e-6);
    Ok(())
}
