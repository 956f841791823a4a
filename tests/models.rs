//! The paper's architectures on tiles, at toy sizes: forward shapes, gradients reach every
//! trainable variable in training, and the visitor finds every matrix.

use aimc::models::bert::{BertClassifier, BertConfig, Pooling};
use aimc::models::lstm_lm::{LstmLm, LstmLmConfig};
use aimc::models::resnet::ResNetConfig;
use aimc::models::wide_resnet::WideResNetConfig;
use aimc::models::{Model, ModelConfig};
use aimc::nn::{matrices, program_all, read_all};
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use candle_core::{DType, Device, Result, Tensor};
use candle_nn::{VarBuilder, VarMap};

fn build(config: &ModelConfig, tile: &TileConfig) -> Result<(VarMap, Model)> {
    let vm = VarMap::new();
    let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
    let model = Model::build(config, vb, tile, NoiseRng::new(0))?;
    Ok((vm, model))
}

/// Every trainable variable (batch-norm running statistics are state, not trained) has a
/// gradient, non-zero except for attention key biases: adding b to every key adds q.b to every
/// score of a query, which the softmax cancels, so their gradient is zero in exact arithmetic.
fn assert_all_gradients(vm: &VarMap, loss: &Tensor) -> Result<()> {
    let grads = loss.backward()?;
    let data = vm.data().lock().unwrap();
    let mut names: Vec<_> = data.keys().cloned().collect();
    names.sort();
    for name in names.iter().filter(|n| !n.contains("running_")) {
        let g = grads
            .get(&data[name])
            .unwrap_or_else(|| panic!("no gradient for {name}"));
        if name.ends_with("attention.self.key.bias") {
            continue;
        }
        let total = g.abs()?.sum_all()?.to_scalar::<f32>()?;
        assert!(total > 0.0, "zero gradient for {name}");
    }
    Ok(())
}

fn images(b: usize, c: usize, hw: usize) -> Result<Tensor> {
    let mut rng = NoiseRng::new(3);
    let v: Vec<f32> = (0..b * c * hw * hw).map(|_| rng.normal() as f32).collect();
    Tensor::from_vec(v, (b, c, hw, hw), &Device::Cpu)
}

#[test]
fn resnet_and_wrn_forward_and_backward() -> Result<()> {
    let tile = TileConfig::standard()
        .edit(|t| (t.rows, t.cols) = (64, 32))
        .unwrap();
    for (config, c, hw) in [
        (
            ModelConfig::Resnet(ResNetConfig {
                depth: 8,
                classes: 10,
                in_channels: 3,
                width: 16,
            }),
            3,
            8,
        ),
        (
            ModelConfig::Wrn(WideResNetConfig {
                depth: 10,
                width: 1,
                classes: 7,
                in_channels: 1,
                dropout: 0.1,
            }),
            1,
            12,
        ),
    ] {
        let (vm, model) = build(&config, &tile)?;
        let x = images(2, c, hw)?;
        let y = model.classify_t(&x, true)?;
        assert_eq!(y.dims()[0], 2);
        assert_all_gradients(&vm, &y.sqr()?.sum_all()?)?;
        // Inference after programming and a read at 1 day gives finite outputs of the same shape.
        program_all(&model, &aimc::Device::Statistical(aimc::device::pcm()), 1)?;
        read_all(&model, 86_400.0, 2)?;
        let y2 = model.classify_t(&x, false)?;
        assert_eq!(y2.dims(), y.dims());
        assert!(
            y2.flatten_all()?
                .to_vec1::<f32>()?
                .iter()
                .all(|v| v.is_finite())
        );
    }
    Ok(())
}

#[test]
fn lstm_lm_forward_and_backward() -> Result<()> {
    let config = ModelConfig::LstmLm(LstmLmConfig {
        vocab: 11,
        embedding: 6,
        hidden: 5,
        layers: 2,
        dropout: 0.2,
    });
    let (vm, model) = build(
        &config,
        &TileConfig::standard()
            .edit(|t| (t.rows, t.cols) = (8, 8))
            .unwrap(),
    )?;
    let lm = model.downcast_ref::<LstmLm>().expect("an LSTM LM");
    let tokens = Tensor::new(&[[1u32, 4, 2, 9], [0, 3, 3, 10]], &Device::Cpu)?;
    let states = lm.zero_states(2, &Tensor::zeros(1, DType::F32, &Device::Cpu)?)?;
    let (logits, new_states) = lm.forward_t(&tokens, &states, true)?;
    assert_eq!(logits.dims(), &[2, 4, 11]);
    assert_eq!(new_states.len(), 2);
    // 2 layers x (input, recurrent) + decoder.
    assert_eq!(matrices(&model).len(), 5);
    assert_all_gradients(&vm, &logits.sqr()?.sum_all()?)
}

#[test]
fn bert_forward_and_backward() -> Result<()> {
    for pooling in [Pooling::Cls, Pooling::Mean] {
        let config = ModelConfig::Bert(BertConfig {
            pretrained: None,
            vocab_size: 20,
            hidden_size: 8,
            num_hidden_layers: 2,
            num_attention_heads: 2,
            intermediate_size: 16,
            max_position_embeddings: 10,
            type_vocab_size: 2,
            num_labels: 2,
            pooling,
            dropout: 0.1,
            layer_norm_eps: 1e-12,
        });
        let (vm, model) = build(
            &config,
            &TileConfig::standard()
                .edit(|t| (t.rows, t.cols) = (8, 8))
                .unwrap(),
        )?;
        let bert = model
            .downcast_ref::<BertClassifier>()
            .expect("a BERT classifier");
        let ids = Tensor::new(&[[2u32, 5, 7, 0], [3, 4, 0, 0]], &Device::Cpu)?;
        let mask = Tensor::new(&[[1u32, 1, 1, 0], [1, 1, 0, 0]], &Device::Cpu)?;
        // The batch seed keys dropout and tile noise: the same seed, the same training forward.
        let run = |seed: u64| -> Result<Vec<f32>> {
            bert.set_batch_seed(seed);
            bert.forward_t(&ids, &mask, true)?
                .flatten_all()?
                .to_vec1::<f32>()
        };
        assert_eq!(run(5)?, run(5)?);
        assert_ne!(run(5)?, run(6)?);
        let logits = bert.forward_t(&ids, &mask, true)?;
        assert_eq!(logits.dims(), &[2, 2]);
        assert_eq!(matrices(&model).len(), 2 * 6 + 2);
        let loss = logits.sqr()?.sum_all()?;
        if pooling == Pooling::Cls {
            // Token-type embeddings only see type 0; all variables still get gradients.
            assert_all_gradients(&vm, &loss)?;
        } else {
            // Mean pooling bypasses the pooler: it gets no gradient, everything else does.
            let grads = loss.backward()?;
            let data = vm.data().lock().unwrap();
            assert!(grads.get(&data["pooler.dense.weight"]).is_none());
            assert!(
                grads
                    .get(&data["encoder.layer.0.attention.self.query.weight"])
                    .is_some()
            );
        }
    }
    Ok(())
}

#[test]
fn ideal_preset_model_is_deterministic_and_noise_free() -> Result<()> {
    let config = ModelConfig::Resnet(ResNetConfig {
        depth: 8,
        classes: 10,
        in_channels: 3,
        width: 16,
    });
    let (_vm, model) = build(&config, &TileConfig::ideal())?;
    let x = images(2, 3, 8)?;
    let a = model
        .classify_t(&x, false)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let b = model
        .classify_t(&x, false)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    assert_eq!(a, b);
    Ok(())
}

#[test]
fn same_seed_same_network() -> Result<()> {
    let config = ModelConfig::Wrn(WideResNetConfig {
        depth: 10,
        width: 1,
        classes: 5,
        in_channels: 1,
        dropout: 0.0,
    });
    let run = |seed: u64| -> Result<Vec<f32>> {
        let vm = VarMap::new();
        let vb = aimc::nn::seeded_var_builder(&vm, seed, DType::F32, &Device::Cpu);
        let model = Model::build(&config, vb, &TileConfig::ideal(), NoiseRng::new(seed))?;
        model
            .classify_t(&images(2, 1, 8)?, false)?
            .flatten_all()?
            .to_vec1::<f32>()
    };
    assert_eq!(run(11)?, run(11)?);
    assert_ne!(run(11)?, run(12)?);
    Ok(())
}
