//! Wide ResNet WRN-d-k (Zagoruyko & Komodakis 2016): 3x3 conv (16), three groups of
//! n = (d - 4) / 6 pre-activation blocks (16k, 32k, 64k channels; stride 2 at groups 2 and 3;
//! 1x1 convolution shortcuts where the width changes), batch norm, ReLU, global average pool,
//! linear classifier. Convolutions and the classifier on tiles; batch norm digital.

use super::{Architecture, ImageClassifier, Interface, Network, Task};
use crate::error::InvalidKey;
use crate::nn::{
    AnalogConv2d, AnalogLinear, AnalogModule, Conv2dGeometry, SeededDropout, analog_conv2d_no_bias,
    analog_linear,
};
use crate::onnx::write::GraphWriter;
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TiledMatrix};
use candle_core::{D, ModuleT, Result, Tensor};
use candle_nn::{BatchNorm, VarBuilder, batch_norm};

/// WRN options.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WideResNetConfig {
    /// 6n + 4, e.g. 16.
    pub depth: usize,
    /// Widening factor k.
    pub width: usize,
    pub classes: usize,
    /// 3 for CIFAR (32x32x3), 1 for (Fashion-)MNIST (28x28x1).
    pub in_channels: usize,
    #[serde(default)]
    pub dropout: f32,
}

#[derive(Debug)]
struct Block {
    bn1: BatchNorm,
    conv1: AnalogConv2d,
    bn2: BatchNorm,
    conv2: AnalogConv2d,
    shortcut: Option<AnalogConv2d>,
    dropout: SeededDropout,
}

impl Block {
    fn new(
        in_ch: usize,
        out_ch: usize,
        stride: usize,
        dropout: f32,
        vb: VarBuilder,
        tile: &TileConfig,
        rng: &mut NoiseRng,
    ) -> Result<Self> {
        let shortcut = if in_ch != out_ch {
            Some(analog_conv2d_no_bias(
                in_ch,
                out_ch,
                1,
                Conv2dGeometry { stride, padding: 0 },
                vb.pp("convShortcut"),
                tile,
                NoiseRng::new(rng.next_u64()),
            )?)
        } else {
            None
        };
        Ok(Self {
            bn1: batch_norm(in_ch, 1e-5, vb.pp("bn1"))?,
            conv1: analog_conv2d_no_bias(
                in_ch,
                out_ch,
                3,
                Conv2dGeometry { stride, padding: 1 },
                vb.pp("conv1"),
                tile,
                NoiseRng::new(rng.next_u64()),
            )?,
            bn2: batch_norm(out_ch, 1e-5, vb.pp("bn2"))?,
            conv2: analog_conv2d_no_bias(
                out_ch,
                out_ch,
                3,
                Conv2dGeometry {
                    stride: 1,
                    padding: 1,
                },
                vb.pp("conv2"),
                tile,
                NoiseRng::new(rng.next_u64()),
            )?,
            shortcut,
            dropout: SeededDropout::new(dropout, NoiseRng::new(rng.next_u64()))?,
        })
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let a = self.bn1.forward_t(x, train)?.relu()?;
        let y = self.conv1.forward_t(&a, train)?;
        let y = self.bn2.forward_t(&y, train)?.relu()?;
        let y = self
            .conv2
            .forward_t(&self.dropout.forward_t(&y, train)?, train)?;
        let s = match &self.shortcut {
            Some(conv) => conv.forward_t(&a, train)?,
            None => x.clone(),
        };
        y + s
    }
}

/// A Wide ResNet on tiles.
#[derive(Debug)]
pub struct WideResNet {
    conv1: AnalogConv2d,
    blocks: Vec<Block>,
    bn: BatchNorm,
    fc: AnalogLinear,
}

impl WideResNet {
    /// Builds the network; parameter names as in the reference PyTorch WRN
    /// (`conv1`, `block1.layer.0.bn1`, ..., `bn1`, `fc`).
    pub fn new(
        c: WideResNetConfig,
        vb: VarBuilder,
        tile: &TileConfig,
        mut rng: NoiseRng,
    ) -> Result<Self> {
        if c.depth < 10 || !(c.depth - 4).is_multiple_of(6) || c.width == 0 {
            candle_core::bail!(
                "WRN depth must be 6n + 4 with n >= 1 and width >= 1, found {}-{}",
                c.depth,
                c.width
            );
        }
        let n = (c.depth - 4) / 6;
        let widths = [16 * c.width, 32 * c.width, 64 * c.width];
        let conv1 = analog_conv2d_no_bias(
            c.in_channels,
            16,
            3,
            Conv2dGeometry {
                stride: 1,
                padding: 1,
            },
            vb.pp("conv1"),
            tile,
            NoiseRng::new(rng.next_u64()),
        )?;
        let mut blocks = Vec::new();
        let mut in_ch = 16;
        for (g, &out_ch) in widths.iter().enumerate() {
            for i in 0..n {
                let stride = if g > 0 && i == 0 { 2 } else { 1 };
                let vb_b = vb.pp(format!("block{}.layer.{i}", g + 1));
                blocks.push(Block::new(
                    in_ch, out_ch, stride, c.dropout, vb_b, tile, &mut rng,
                )?);
                in_ch = out_ch;
            }
        }
        Ok(Self {
            conv1,
            blocks,
            bn: batch_norm(in_ch, 1e-5, vb.pp("bn1"))?,
            fc: analog_linear(
                in_ch,
                c.classes,
                true,
                vb.pp("fc"),
                tile,
                NoiseRng::new(rng.next_u64()),
            )?,
        })
    }
}

impl ModuleT for WideResNet {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let mut y = self.conv1.forward_t(x, train)?;
        for b in &self.blocks {
            y = b.forward_t(&y, train)?;
        }
        let y = self.bn.forward_t(&y, train)?.relu()?;
        let pooled = y.mean(D::Minus1)?.mean(D::Minus1)?;
        self.fc.forward_t(&pooled, train)
    }
}

impl AnalogModule for WideResNet {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        self.conv1.visit_matrices(f);
        for b in &self.blocks {
            b.conv1.visit_matrices(f);
            b.conv2.visit_matrices(f);
            if let Some(s) = &b.shortcut {
                s.visit_matrices(f);
            }
        }
        self.fc.visit_matrices(f);
    }
}

impl Architecture for WideResNetConfig {
    const TASK: Task = Task::Images;

    fn interface(&self) -> Interface {
        Interface::Images {
            classes: self.classes,
            in_channels: self.in_channels,
            preprocessed: false,
        }
    }

    fn validate(&self) -> std::result::Result<(), InvalidKey> {
        super::resnet::at_least_two_classes(self.classes)
    }

    fn build(&self, vb: VarBuilder, tile: &TileConfig, rng: NoiseRng) -> Result<Box<dyn Network>> {
        Ok(Box::new(WideResNet::new(*self, vb, tile, rng)?))
    }
}

impl ImageClassifier for WideResNet {
    fn classify_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.forward_t(x, train)
    }

    /// Each block's masks from stream [block] of `seed`.
    fn seed_dropout(&self, seed: u64) {
        for (i, b) in self.blocks.iter().enumerate() {
            b.dropout
                .reseed(NoiseRng::stream(seed, &[i as u64]).next_u64());
        }
    }
}

impl WideResNet {
    /// The inference pass as ONNX nodes (dropout is the identity there).
    fn write(&self, w: &mut GraphWriter, x: &str) -> crate::error::Result<String> {
        let mut y = w.conv(x, &self.conv1)?;
        for (i, b) in self.blocks.iter().enumerate() {
            let a = w.batch_norm(&y, &b.bn1, &format!("block{i}.bn1"))?;
            let a = w.node("Relu", &[&a], vec![]);
            let z = w.conv(&a, &b.conv1)?;
            let z = w.batch_norm(&z, &b.bn2, &format!("block{i}.bn2"))?;
            let z = w.node("Relu", &[&z], vec![]);
            let z = w.conv(&z, &b.conv2)?;
            let s = match &b.shortcut {
                Some(conv) => w.conv(&a, conv)?,
                None => y.clone(),
            };
            y = w.node("Add", &[&z, &s], vec![]);
        }
        let y = w.batch_norm(&y, &self.bn, "bn1")?;
        let y = w.node("Relu", &[&y], vec![]);
        let pooled = w.global_average(&y);
        w.linear(&pooled, &self.fc)
    }
}

impl Network for WideResNet {
    fn as_image_classifier(&self) -> Option<&dyn ImageClassifier> {
        Some(self)
    }

    fn write_onnx(&self, w: &mut GraphWriter, input: &str) -> Option<crate::error::Result<String>> {
        Some(self.write(w, input))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
