//! `aimc export` of built-in image classifiers (issue 18): a ResNet and a WRN in the HWA
//! parametrisation (normalised weights, output scales), with batch-norm statistics moved by
//! training passes, written as ONNX and imported again compute the network's logits on the
//! ideal preset (to f32 rounding: 6 sqrt(2) 2^-24 sqrt(sum of fan-ins), the bound of
//! tests/onnx_light.rs); the CLI refuses what it does not export yet.

mod common;

use aimc::models::resnet::ResNetConfig;
use aimc::models::wide_resnet::WideResNetConfig;
use aimc::models::{Model, ModelConfig};
use aimc::nn::{matrices, seeded_var_builder};
use aimc::onnx::execute::run_graph;
use aimc::onnx::fold::fold_constants;
use aimc::onnx::read::parse_model;
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarMap;
use std::collections::HashMap;
use std::path::Path;

fn images(seed: u64) -> Tensor {
    let mut v = vec![0f32; 4 * 3 * 16 * 16];
    NoiseRng::new(seed).fill_normal(&mut v);
    Tensor::from_vec(v, (4, 3, 16, 16), &Device::Cpu).unwrap()
}

#[test]
fn resnet_and_wrn_export_and_import_to_the_same_logits() {
    let configs = [
        ModelConfig::Resnet(ResNetConfig {
            depth: 8,
            classes: 10,
            in_channels: 3,
            width: 4,
        }),
        ModelConfig::Wrn(WideResNetConfig {
            depth: 10,
            width: 1,
            classes: 10,
            in_channels: 3,
            dropout: 0.0,
        }),
    ];
    let device = Device::Cpu;
    for config in configs {
        let varmap = VarMap::new();
        let vb = seeded_var_builder(&varmap, 5, DType::F32, &device);
        let tile = TileConfig::ideal();
        let model = Model::build(&config, vb, &tile, NoiseRng::new(2)).unwrap();
        // Batch-norm statistics away from their initial values, then HWA's parametrisation.
        for seed in 0..3 {
            model.classify_t(&images(seed), true).unwrap();
        }
        aimc::train::hwa::remap_all(&model).unwrap();
        let x = images(9);
        let want = model.classify_t(&x, false).unwrap();
        let bytes = model
            .onnx_bytes(&[None, Some(3), None, None], &[None, Some(10)])
            .unwrap()
            .unwrap();
        let onnx = parse_model(&bytes, Path::new("exported.onnx"), Path::new(".")).unwrap();
        let constants = fold_constants(&onnx).unwrap();
        let inputs = HashMap::from([(onnx.inputs[0].0.clone(), x)]);
        let got = run_graph(&onnx, &constants, &inputs, &device)
            .unwrap()
            .remove(0);
        let err = (&got - &want).unwrap().abs().unwrap().max_all().unwrap();
        let scale = want.abs().unwrap().max_all().unwrap();
        let rel = err.to_scalar::<f32>().unwrap() / scale.to_scalar::<f32>().unwrap();
        let fan_ins: usize = matrices(&model).iter().map(|m| m.matrix_size().0).sum();
        let bound = 6.0 * 2f32.sqrt() * 2f32.powi(-24) * (fan_ins as f32).sqrt();
        eprintln!("{}: relative error {rel} (bound {bound})", config.name());
        assert!(rel <= bound, "{}: {rel} > {bound}", config.name());
        // Every analog layer of the network is an analog node of the imported graph.
        let map = aimc::onnx::plan::plan_graph(&onnx, &constants, Default::default()).unwrap();
        assert_eq!(map.matrices().len(), matrices(&model).len());
    }
}
