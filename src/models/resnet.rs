//! ResNet for CIFAR (He et al. 2016, section 4.2): 3x3 conv (16), three stages of n basic blocks
//! (16, 32, 64 channels, or k, 2k, 4k with `width = k`; stride 2 at the start of stages 2 and 3; parameter-free shortcuts:
//! subsample and zero-pad channels), global average pool, linear classifier. Depth 6n + 2
//! (ResNet-32: n = 5). Convolutions and the classifier on tiles; batch norm digital.

use super::{Architecture, ImageClassifier, Interface, Network, Task};
use crate::error::InvalidKey;
use crate::nn::{
    AnalogConv2d, AnalogLinear, AnalogModule, Conv2dGeometry, analog_conv2d_no_bias, analog_linear,
};
use crate::onnx::write::{GraphWriter, ints};
use crate::rng::NoiseRng;
use crate::tile::{TileConfig, TiledMatrix};
use candle_core::{D, ModuleT, Result, Tensor};
use candle_nn::{BatchNorm, VarBuilder, batch_norm};

/// ResNet-(6n+2) options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResNetConfig {
    /// 6n + 2, e.g. 32.
    pub depth: usize,
    pub classes: usize,
    pub in_channels: usize,
    /// Channels of the first stage (the paper's 16); the stages have width, 2 width, 4 width.
    #[serde(default = "default_width")]
    pub width: usize,
}

fn default_width() -> usize {
    16
}

#[derive(Debug)]
struct BasicBlock {
    conv1: AnalogConv2d,
    bn1: BatchNorm,
    conv2: AnalogConv2d,
    bn2: BatchNorm,
    stride: usize,
    in_ch: usize,
    out_ch: usize,
}

impl BasicBlock {
    fn new(
        in_ch: usize,
        out_ch: usize,
        stride: usize,
        vb: VarBuilder,
        tile: &TileConfig,
        rng: &mut NoiseRng,
    ) -> Result<Self> {
        let g1 = Conv2dGeometry { stride, padding: 1 };
        let g2 = Conv2dGeometry {
            stride: 1,
            padding: 1,
        };
        Ok(Self {
            conv1: analog_conv2d_no_bias(
                in_ch,
                out_ch,
                3,
                g1,
                vb.pp("conv1"),
                tile,
                NoiseRng::new(rng.next_u64()),
            )?,
            bn1: batch_norm(out_ch, 1e-5, vb.pp("bn1"))?,
            conv2: analog_conv2d_no_bias(
                out_ch,
                out_ch,
                3,
                g2,
                vb.pp("conv2"),
                tile,
                NoiseRng::new(rng.next_u64()),
            )?,
            bn2: batch_norm(out_ch, 1e-5, vb.pp("bn2"))?,
            stride,
            in_ch,
            out_ch,
        })
    }

    /// Option-A shortcut: subsample by the stride, zero-pad the new channels.
    fn shortcut(&self, x: &Tensor) -> Result<Tensor> {
        let mut s = x.clone();
        if self.stride > 1 {
            let (_, _, h, w) = x.dims4()?;
            let rows: Vec<u32> = (0..h).step_by(self.stride).map(|v| v as u32).collect();
            let cols: Vec<u32> = (0..w).step_by(self.stride).map(|v| v as u32).collect();
            s = s
                .index_select(&Tensor::new(rows.as_slice(), x.device())?, 2)?
                .contiguous()?
                .index_select(&Tensor::new(cols.as_slice(), x.device())?, 3)?;
        }
        if self.out_ch > self.in_ch {
            let extra = self.out_ch - self.in_ch;
            s = s.pad_with_zeros(1, extra / 2, extra - extra / 2)?;
        }
        Ok(s)
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let y = self
            .bn1
            .forward_t(&self.conv1.forward_t(x, train)?, train)?
            .relu()?;
        let y = self
            .bn2
            .forward_t(&self.conv2.forward_t(&y, train)?, train)?;
        (y + self.shortcut(x)?)?.relu()
    }
}

/// A CIFAR ResNet on tiles.
#[derive(Debug)]
pub struct ResNet {
    conv1: AnalogConv2d,
    bn1: BatchNorm,
    blocks: Vec<BasicBlock>,
    fc: AnalogLinear,
}

impl ResNet {
    /// Builds the network; parameter names follow torchvision-style CIFAR ResNets
    /// (`conv1`, `bn1`, `layer1.0.conv1`, ..., `fc`).
    pub fn new(
        c: ResNetConfig,
        vb: VarBuilder,
        tile: &TileConfig,
        mut rng: NoiseRng,
    ) -> Result<Self> {
        if c.depth < 8 || !(c.depth - 2).is_multiple_of(6) {
            candle_core::bail!("ResNet depth must be 6n + 2 with n >= 1, found {}", c.depth);
        }
        if c.width == 0 {
            candle_core::bail!("ResNet width must be at least 1, found 0");
        }
        let k = c.width;
        let n = (c.depth - 2) / 6;
        let conv1 = analog_conv2d_no_bias(
            c.in_channels,
            k,
            3,
            Conv2dGeometry {
                stride: 1,
                padding: 1,
            },
            vb.pp("conv1"),
            tile,
            NoiseRng::new(rng.next_u64()),
        )?;
        let bn1 = batch_norm(k, 1e-5, vb.pp("bn1"))?;
        let mut blocks = Vec::new();
        let mut in_ch = k;
        for (stage, out_ch) in [k, 2 * k, 4 * k].into_iter().enumerate() {
            for i in 0..n {
                let stride = if stage > 0 && i == 0 { 2 } else { 1 };
                let vb_b = vb.pp(format!("layer{}.{i}", stage + 1));
                blocks.push(BasicBlock::new(
                    in_ch, out_ch, stride, vb_b, tile, &mut rng,
                )?);
                in_ch = out_ch;
            }
        }
        let fc = analog_linear(
            4 * k,
            c.classes,
            true,
            vb.pp("fc"),
            tile,
            NoiseRng::new(rng.next_u64()),
        )?;
        Ok(Self {
            conv1,
            bn1,
            blocks,
            fc,
        })
    }
}

impl ModuleT for ResNet {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let mut y = self
            .bn1
            .forward_t(&self.conv1.forward_t(x, train)?, train)?
            .relu()?;
        for b in &self.blocks {
            y = b.forward_t(&y, train)?;
        }
        let pooled = y.mean(D::Minus1)?.mean(D::Minus1)?;
        self.fc.forward_t(&pooled, train)
    }
}

impl AnalogModule for ResNet {
    fn visit_matrices<'a>(&'a self, f: &mut dyn FnMut(&'a TiledMatrix)) {
        self.conv1.visit_matrices(f);
        for b in &self.blocks {
            b.conv1.visit_matrices(f);
            b.conv2.visit_matrices(f);
        }
        self.fc.visit_matrices(f);
    }
}

impl Architecture for ResNetConfig {
    const TASK: Task = Task::Images;

    fn interface(&self) -> Interface {
        Interface::Images {
            classes: self.classes,
            in_channels: self.in_channels,
            preprocessed: false,
        }
    }

    fn validate(&self) -> std::result::Result<(), InvalidKey> {
        at_least_two_classes(self.classes)
    }

    fn build(&self, vb: VarBuilder, tile: &TileConfig, rng: NoiseRng) -> Result<Box<dyn Network>> {
        Ok(Box::new(ResNet::new(*self, vb, tile, rng)?))
    }
}

/// A classifier needs at least two classes (`model.classes`).
pub(crate) fn at_least_two_classes(classes: usize) -> std::result::Result<(), InvalidKey> {
    if classes >= 2 {
        Ok(())
    } else {
        Err(InvalidKey::new(
            "model.classes",
            "at least 2 classes",
            classes,
        ))
    }
}

impl ImageClassifier for ResNet {
    fn classify_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        self.forward_t(x, train)
    }
}

impl ResNet {
    /// The inference pass as ONNX nodes; the option-A shortcut subsamples with a 1x1 MaxPool of
    /// the block's stride and zero-pads the new channels with Pad.
    fn write(&self, w: &mut GraphWriter, x: &str) -> crate::error::Result<String> {
        let y = w.conv(x, &self.conv1)?;
        let y = w.batch_norm(&y, &self.bn1, "bn1")?;
        let mut y = w.node("Relu", &[&y], vec![]);
        for (i, b) in self.blocks.iter().enumerate() {
            let z = w.conv(&y, &b.conv1)?;
            let z = w.batch_norm(&z, &b.bn1, &format!("block{i}.bn1"))?;
            let z = w.node("Relu", &[&z], vec![]);
            let z = w.conv(&z, &b.conv2)?;
            let z = w.batch_norm(&z, &b.bn2, &format!("block{i}.bn2"))?;
            let mut s = y.clone();
            if b.stride > 1 {
                let k = ints("kernel_shape", &[1, 1]);
                let st = b.stride as i64;
                s = w.node("MaxPool", &[&s], vec![k, ints("strides", &[st, st])]);
            }
            if b.out_ch > b.in_ch {
                let extra = (b.out_ch - b.in_ch) as i64;
                let pads = Tensor::new(
                    &[0i64, extra / 2, 0, 0, 0, extra - extra / 2, 0, 0],
                    &candle_core::Device::Cpu,
                )?;
                let pads = w.init_i64("pads", &pads)?;
                s = w.node("Pad", &[&s, &pads], vec![]);
            }
            let sum = w.node("Add", &[&z, &s], vec![]);
            y = w.node("Relu", &[&sum], vec![]);
        }
        let pooled = w.global_average(&y);
        w.linear(&pooled, &self.fc)
    }
}

impl Network for ResNet {
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
