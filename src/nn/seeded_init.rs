//! Seeded parameter initialisation: a VarBuilder backend over a candle `VarMap` that creates each
//! new variable from our noise source (stream keyed by a hash of its name) following the layer's
//! `Init` hint (constant, normal, uniform, Kaiming). candle's own initialisers draw from its CPU
//! RNG, which cannot be seeded; with this backend the same seed gives the same network.

use crate::rng::NoiseRng;
use candle_core::{DType, Device, Result, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder, VarMap, init::NormalOrUniform};

/// FNV-1a 64-bit hash: stable across Rust versions and platforms.
pub(crate) fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The values of a new parameter `name` of `shape` under `init`, from stream `[hash(name)]` of `seed`.
pub fn seeded_values(seed: u64, name: &str, shape: &Shape, init: Init) -> Vec<f32> {
    let n = shape.elem_count();
    let mut rng = NoiseRng::stream(seed, &[fnv1a(name)]);
    let normal = |rng: &mut NoiseRng, mean: f64, std: f64| -> Vec<f32> {
        let mut v = vec![0f32; n];
        rng.fill_normal(&mut v);
        v.iter().map(|x| (mean + std * *x as f64) as f32).collect()
    };
    let uniform = |rng: &mut NoiseRng, lo: f64, up: f64| -> Vec<f32> {
        (0..n)
            .map(|_| (lo + (up - lo) * rng.uniform()) as f32)
            .collect()
    };
    match init {
        Init::Const(c) => vec![c as f32; n],
        Init::Randn { mean, stdev } => normal(&mut rng, mean, stdev),
        Init::Uniform { lo, up } => uniform(&mut rng, lo, up),
        Init::Kaiming {
            dist,
            fan,
            non_linearity,
        } => {
            let std = non_linearity.gain() / (fan.for_shape(shape) as f64).sqrt();
            match dist {
                NormalOrUniform::Normal => normal(&mut rng, 0.0, std),
                NormalOrUniform::Uniform => {
                    let b = 3f64.sqrt() * std;
                    uniform(&mut rng, -b, b)
                }
            }
        }
    }
}

/// A `VarMap` whose new variables are initialised from a seed.
#[derive(Clone)]
pub struct SeededVarMap {
    pub varmap: VarMap,
    pub seed: u64,
}

impl SimpleBackend for SeededVarMap {
    fn get(&self, s: Shape, name: &str, h: Init, dtype: DType, dev: &Device) -> Result<Tensor> {
        let mut data = self.varmap.data().lock().expect("lock");
        if let Some(var) = data.get(name) {
            if var.shape() != &s {
                candle_core::bail!(
                    "parameter {name}: shape {:?}, requested {:?}",
                    var.shape(),
                    s
                );
            }
            return Ok(var.as_tensor().clone());
        }
        let values =
            Tensor::from_vec(seeded_values(self.seed, name, &s, h), s, dev)?.to_dtype(dtype)?;
        let var = Var::from_tensor(&values)?;
        let t = var.as_tensor().clone();
        data.insert(name.to_string(), var);
        Ok(t)
    }

    fn get_unchecked(&self, name: &str, _dtype: DType, _dev: &Device) -> Result<Tensor> {
        match self.varmap.data().lock().expect("lock").get(name) {
            Some(v) => Ok(v.as_tensor().clone()),
            None => candle_core::bail!("parameter {name} does not exist"),
        }
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.varmap.data().lock().expect("lock").contains_key(name)
    }
}

/// A VarBuilder creating the variables of `varmap` from `seed`.
pub fn seeded_var_builder(
    varmap: &VarMap,
    seed: u64,
    dtype: DType,
    device: &Device,
) -> VarBuilder<'static> {
    VarBuilder::from_backend(
        Box::new(SeededVarMap {
            varmap: varmap.clone(),
            seed,
        }),
        dtype,
        device.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(seed: u64) -> Result<(VarMap, Vec<f32>)> {
        let vm = VarMap::new();
        let vb = seeded_var_builder(&vm, seed, DType::F32, &Device::Cpu);
        let w = vb.get_with_hints(
            (64, 128),
            "fc.weight",
            candle_nn::init::DEFAULT_KAIMING_NORMAL,
        )?;
        Ok((vm, w.flatten_all()?.to_vec1::<f32>()?))
    }

    #[test]
    fn same_seed_same_parameters() -> Result<()> {
        assert_eq!(build(3)?.1, build(3)?.1);
        assert_ne!(build(3)?.1, build(4)?.1);
        Ok(())
    }

    #[test]
    fn kaiming_normal_has_the_fan_in_std() -> Result<()> {
        // Kaiming normal (ReLU gain sqrt 2): std = sqrt(2 / 128) over 8192 draws.
        let (_, w) = build(5)?;
        let n = w.len() as f64;
        let mean = w.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = w.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let expected: f64 = 2.0 / 128.0;
        assert!(mean.abs() < 5.0 * expected.sqrt() / n.sqrt(), "{mean}");
        assert!(
            (var - expected).abs() < 5.0 * expected * (2.0 / n).sqrt(),
            "{var}"
        );
        Ok(())
    }

    #[test]
    fn names_get_their_own_streams_and_existing_variables_are_kept() -> Result<()> {
        let vm = VarMap::new();
        let vb = seeded_var_builder(&vm, 1, DType::F32, &Device::Cpu);
        let init = Init::Uniform { lo: -1.0, up: 1.0 };
        let a = vb.get_with_hints(16, "a", init)?.to_vec1::<f32>()?;
        let b = vb.get_with_hints(16, "b", init)?.to_vec1::<f32>()?;
        assert_ne!(a, b);
        assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
        assert_eq!(vb.get_with_hints(16, "a", init)?.to_vec1::<f32>()?, a);
        assert!(vb.get_with_hints(17, "a", init).is_err());
        assert_eq!(vm.all_vars().len(), 2);
        assert_eq!(
            vb.get_with_hints(3, "c", Init::Const(0.5))?
                .to_vec1::<f32>()?,
            vec![0.5; 3]
        );
        Ok(())
    }
}
