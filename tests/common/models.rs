//! Small built-in architectures the export tests write and compare.

use aimc::models::ModelConfig;
use aimc::models::bert::{BertConfig, Pooling};
use aimc::models::lstm_lm::LstmLmConfig;

/// A 2-layer BERT: vocabulary 30, hidden 8, 2 heads, FFN 16, 16 positions, 3 labels.
pub fn tiny_bert(pooling: Pooling) -> ModelConfig {
    ModelConfig::Bert(BertConfig {
        pretrained: None,
        vocab_size: 30,
        hidden_size: 8,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 16,
        max_position_embeddings: 16,
        type_vocab_size: 2,
        num_labels: 3,
        pooling,
        dropout: 0.0,
        layer_norm_eps: 1e-12,
    })
}

/// A 2-layer LSTM language model: vocabulary 20, embedding 6, hidden 5.
pub fn tiny_lstm_lm() -> ModelConfig {
    ModelConfig::LstmLm(LstmLmConfig {
        vocab: 20,
        embedding: 6,
        hidden: 5,
        layers: 2,
        dropout: 0.0,
    })
}
