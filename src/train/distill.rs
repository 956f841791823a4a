//! Losses: cross-entropy and knowledge distillation from a teacher (physics.md section 5):
//! L = w T^2 KL(softmax(t / T) || softmax(s / T)) + (1 - w) CE(s, y), with temperature T = 10
//! and weight w = 0.75 by default (the T^2 factor of Hinton et al. keeps the gradient scale).

use crate::experiment::stages::Distillation;
use candle_core::{D, Result, Tensor};
use candle_nn::ops::log_softmax;

/// Mean cross-entropy of logits [B, K] against labels [B] (u32).
pub fn cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    candle_nn::loss::cross_entropy(logits, labels)
}

/// The distillation loss of `student` logits against `teacher` logits [B, K] and labels [B].
pub fn distillation_loss(
    student: &Tensor,
    teacher: &Tensor,
    labels: &Tensor,
    d: &Distillation,
) -> Result<Tensor> {
    let t = d.temperature;
    let log_p_s = log_softmax(&(student / t)?, D::Minus1)?;
    let log_p_t = log_softmax(&(teacher.detach() / t)?, D::Minus1)?;
    let kl = (log_p_t.exp()? * (&log_p_t - log_p_s)?)?
        .sum(D::Minus1)?
        .mean_all()?;
    let ce = cross_entropy(student, labels)?;
    (kl * (d.weight * t * t))? + (ce * (1.0 - d.weight))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// One sample, two classes, T = 2, w = 0.75: student [0, 0], teacher [2, 0], label 0.
    /// p_t = softmax([1, 0]) = [0.7310586, 0.2689414]; p_s = [0.5, 0.5];
    /// KL = 0.7310586 ln(1.4621172) + 0.2689414 ln(0.5378828) = 0.2777189 - 0.1667748
    /// = 0.1109441; CE = ln 2 = 0.6931472; L = 0.75 * 4 * 0.1109441 + 0.25 * 0.6931472
    /// = 0.5061190.
    #[test]
    fn matches_hand_computed_value() -> Result<()> {
        let dev = Device::Cpu;
        let s = Tensor::new(&[[0.0f32, 0.0]], &dev)?;
        let t = Tensor::new(&[[2.0f32, 0.0]], &dev)?;
        let y = Tensor::new(&[0u32], &dev)?;
        let d = Distillation {
            enabled: true,
            temperature: 2.0,
            weight: 0.75,
        };
        let l = distillation_loss(&s, &t, &y, &d)?.to_scalar::<f32>()?;
        assert!((l - 0.506_119).abs() < 1e-6, "{l}");
        // Equal logits: KL = 0, only the cross-entropy part remains.
        let l = distillation_loss(&s, &s, &y, &d)?.to_scalar::<f32>()?;
        assert!((l - 0.25 * std::f32::consts::LN_2).abs() < 1e-6, "{l}");
        Ok(())
    }
}
