//! Gradient-norm clipping (as PyTorch's `clip_grad_norm_`, the LSTM language model's usual
//! guard against exploding gradients): when the global L2 norm of all gradients exceeds
//! `max_norm`, every gradient is scaled by max_norm / (norm + 1e-6).

use super::optimizer::Param;
use candle_core::Result;
use candle_core::backprop::GradStore;

/// Clips the gradients of `params` in `grads` to a global norm of `max_norm`; returns the norm
/// before clipping.
pub fn clip_grad_norm(grads: &mut GradStore, params: &[Param], max_norm: f64) -> Result<f64> {
    // Each gradient's sum of squares on its device, read back in one transfer (issue 19) and
    // added on the host in parameter order.
    let sums = params
        .iter()
        .filter_map(|p| grads.get(&p.var))
        .map(|g| g.sqr()?.sum_all()?.to_dtype(candle_core::DType::F64))
        .collect::<Result<Vec<_>>>()?;
    if sums.is_empty() {
        return Ok(0.0);
    }
    let sum_sq: f64 = candle_core::Tensor::stack(&sums, 0)?
        .to_vec1::<f64>()?
        .iter()
        .sum();
    let norm = sum_sq.sqrt();
    if norm > max_norm {
        let factor = max_norm / (norm + 1e-6);
        for p in params {
            if let Some(g) = grads.remove(&p.var) {
                grads.insert(&p.var, (g * factor)?);
            }
        }
    }
    Ok(norm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor, Var};

    fn setup() -> (Vec<Param>, GradStore) {
        let dev = Device::Cpu;
        let a = Var::zeros(2, candle_core::DType::F32, &dev).unwrap();
        let b = Var::zeros(1, candle_core::DType::F32, &dev).unwrap();
        // Gradients (3, 4) and (12): global norm 13.
        let loss = ((a.as_tensor() * Tensor::new(&[3f32, 4.0], &dev).unwrap())
            .unwrap()
            .sum_all()
            .unwrap()
            + (b.as_tensor() * Tensor::new(&[12f32], &dev).unwrap())
                .unwrap()
                .sum_all()
                .unwrap())
        .unwrap();
        let grads = loss.backward().unwrap();
        let param = |name: &str, var: Var| Param {
            name: name.into(),
            var,
            lr_scale: 1.0,
            decay: true,
        };
        (vec![param("a", a), param("b", b)], grads)
    }

    fn values(grads: &GradStore, p: &Param) -> Vec<f32> {
        grads.get(&p.var).unwrap().to_vec1::<f32>().unwrap()
    }

    #[test]
    fn gradients_above_the_norm_are_scaled_to_it() {
        let (params, mut grads) = setup();
        let norm = clip_grad_norm(&mut grads, &params, 6.5).unwrap();
        assert!((norm - 13.0).abs() < 1e-9);
        let f = (6.5 / (13.0 + 1e-6)) as f32;
        assert_eq!(values(&grads, &params[0]), [3.0 * f, 4.0 * f]);
        assert_eq!(values(&grads, &params[1]), [12.0 * f]);
    }

    #[test]
    fn gradients_below_the_norm_are_kept() {
        let (params, mut grads) = setup();
        assert!((clip_grad_norm(&mut grads, &params, 20.0).unwrap() - 13.0).abs() < 1e-9);
        assert_eq!(values(&grads, &params[0]), [3.0, 4.0]);
        assert_eq!(values(&grads, &params[1]), [12.0]);
    }
}
