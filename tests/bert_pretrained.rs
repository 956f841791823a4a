//! Pretrained BERT (issue 8): Hugging Face weights load by name, with or without the `bert.`
//! prefix, and a missing or misshaped tensor is named; with the fetched all-MiniLM-L6-v2, the
//! tokenizer gives the reference ids and the mean-pooled, L2-normalised embedding of "This is an
//! example sentence" matches the reference values of shared/data.md to 1e-4.

mod common;

use aimc::data::tokenizer::SentenceTokenizer;
use aimc::models::bert::{BertClassifier, BertConfig, Pooling};
use aimc::models::bert_pretrained::{load_bert_weights, read_bert_config};
use aimc::nn::seeded_var_builder;
use aimc::rng::NoiseRng;
use aimc::tile::TileConfig;
use candle_core::{D, DType, Device, Tensor};
use candle_nn::VarMap;
use std::path::Path;

fn build(c: BertConfig, seed: u64) -> (BertClassifier, VarMap) {
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, seed, DType::F32, &Device::Cpu);
    let m = BertClassifier::new(c, vb.clone(), vb, &TileConfig::ideal(), NoiseRng::new(0)).unwrap();
    (m, varmap)
}

fn tiny() -> BertConfig {
    BertConfig {
        pretrained: None,
        vocab_size: 30,
        hidden_size: 8,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 16,
        max_position_embeddings: 12,
        type_vocab_size: 2,
        num_labels: 2,
        pooling: Pooling::Mean,
        dropout: 0.0,
        layer_norm_eps: 1e-12,
    }
}

/// Writes the encoder tensors of `varmap` as a Hugging Face file: `bert.` prefix, no head and no
/// tile parameters, plus tensors the model does not have; `edit` may change the set.
/// Named tensors as a safetensors file holds them.
type Named = Vec<(String, Tensor)>;

fn write_hf(varmap: &VarMap, path: &Path, edit: &dyn Fn(&mut Named)) {
    let mut tensors: Named = varmap
        .data()
        .lock()
        .unwrap()
        .iter()
        .filter(|(n, _)| {
            !(n.starts_with("classifier.")
                || n.ends_with(".input_range")
                || n.ends_with(".out_scale"))
        })
        .map(|(n, v)| (format!("bert.{n}"), v.as_tensor().clone()))
        .collect();
    let ids = Tensor::arange(0u32, 12, &Device::Cpu).unwrap();
    tensors.push(("bert.embeddings.position_ids".into(), ids));
    tensors.push((
        "cls.predictions.bias".into(),
        Tensor::zeros(30, DType::F32, &Device::Cpu).unwrap(),
    ));
    edit(&mut tensors);
    candle_core::safetensors::save(&tensors.into_iter().collect(), path).unwrap();
}

#[test]
fn weights_load_by_name_and_errors_name_the_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let (a, va) = build(tiny(), 1);
    let (b, vb) = build(tiny(), 2);
    let ids = Tensor::new(&[[2u32, 7, 9, 3, 0], [2, 11, 3, 0, 0]], &Device::Cpu).unwrap();
    let mask = Tensor::new(&[[1u32, 1, 1, 1, 0], [1, 1, 1, 0, 0]], &Device::Cpu).unwrap();
    let hidden = |m: &BertClassifier| {
        let h = m.encode(&ids, &mask, false).unwrap();
        h.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    };
    assert_ne!(hidden(&a), hidden(&b));
    let path = dir.path().join("model.safetensors");
    write_hf(&va, &path, &|_| {});
    let loaded = load_bert_weights(&vb, &path, &Device::Cpu).unwrap();
    assert!(loaded > 20, "{loaded}");
    assert_eq!(hidden(&a), hidden(&b));

    write_hf(&va, &path, &|t| {
        t.retain(|(n, _)| !n.ends_with("layer.1.output.dense.weight"))
    });
    let e = load_bert_weights(&vb, &path, &Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("model.safetensors")
            && e.contains("`encoder.layer.1.output.dense.weight` missing"),
        "{e}"
    );
    write_hf(&va, &path, &|t| {
        for (n, x) in t.iter_mut() {
            if n == "bert.embeddings.word_embeddings.weight" {
                *x = Tensor::zeros((31, 8), DType::F32, &Device::Cpu).unwrap();
            }
        }
    });
    let e = load_bert_weights(&vb, &path, &Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`embeddings.word_embeddings.weight` has shape [31, 8]")
            && e.contains("[30, 8]"),
        "{e}"
    );
}

#[test]
fn minilm_matches_the_reference_embedding() {
    let Some(dir) = common::minilm_dir() else {
        return;
    };
    let sentence = "This is an example sentence";
    let reference_ids = [101u32, 2023, 2003, 2019, 2742, 6251, 102];
    let json = SentenceTokenizer::from_json(&dir.join("tokenizer.json")).unwrap();
    let vocab = SentenceTokenizer::from_vocab(&dir.join("vocab.txt")).unwrap();
    assert_eq!(json.encode(sentence).unwrap(), reference_ids);
    assert_eq!(vocab.encode(sentence).unwrap(), reference_ids);
    assert_eq!(
        json.decode(&reference_ids).unwrap(),
        sentence.to_lowercase()
    );

    let config = read_bert_config(&dir.join("config.json"), 2, Pooling::Mean).unwrap();
    assert_eq!((config.hidden_size, config.num_hidden_layers), (384, 6));
    let (model, varmap) = build(config, 0);
    load_bert_weights(&varmap, &dir.join("model.safetensors"), &Device::Cpu).unwrap();
    let batch = json.encode_batch(&[sentence], 128).unwrap();
    let ids = Tensor::from_vec(batch.ids, (1, batch.len), &Device::Cpu).unwrap();
    let mask = Tensor::from_vec(batch.mask, (1, batch.len), &Device::Cpu).unwrap();
    let hidden = model.encode(&ids, &mask, false).unwrap();
    let pooled = BertClassifier::mean_pool(&hidden, &mask).unwrap();
    let norm = pooled
        .sqr()
        .unwrap()
        .sum_keepdim(D::Minus1)
        .unwrap()
        .sqrt()
        .unwrap();
    let e = pooled.broadcast_div(&norm).unwrap().flatten_all().unwrap();
    let e = e.to_vec1::<f32>().unwrap();
    assert_eq!(e.len(), 384);
    for (got, want) in e.iter().zip([0.067657f32, 0.063496, 0.048713, 0.079305]) {
        assert!((got - want).abs() < 1e-4, "{got} vs {want}: {:?}", &e[..4]);
    }
}
