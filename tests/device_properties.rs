//! Property tests of the device models: a conductance is never negative, and without read noise
//! it never rises with time.

use aimc::device::registry::resolve_device;
use aimc::device::{DeviceModel, StatisticalDevice, pcm};
use aimc::rng::NoiseRng;
use proptest::prelude::*;

fn device(which: u8, prog: f64, drift: f64, read: f64, p_stuck: f64) -> StatisticalDevice {
    let d = match which % 3 {
        0 => pcm(),
        1 => resolve_device("pcm-custom-drift")
            .unwrap()
            .device
            .as_statistical()
            .unwrap()
            .clone(),
        _ => resolve_device("reram-like")
            .unwrap()
            .device
            .as_statistical()
            .unwrap()
            .clone(),
    };
    d.edit(|p| {
        p.programming_noise_scale = prog;
        p.drift_scale = drift;
        p.read_noise_scale = read;
        p.stuck.p_random = p_stuck;
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn conductance_never_negative(
        which in 0u8..3,
        prog in 0.0f64..5.0,
        drift in 0.0f64..3.0,
        read in 0.0f64..10.0,
        p_stuck in 0.0f64..0.2,
        frac in prop::collection::vec(0.0f64..=1.0, 1..64),
        t in prop::collection::vec(0.0f64..1e9, 1..6),
        seed in any::<u64>(),
    ) {
        let d = device(which, prog, drift, read, p_stuck);
        let targets: Vec<f32> = frac.iter().map(|f| (f * d.g_max_us) as f32).collect();
        let mut rng = NoiseRng::new(seed);
        let state = d.program(&targets, &mut rng);
        prop_assert!(state.g_prog_us.iter().all(|&g| g >= 0.0));
        prop_assert!(state.nu.iter().all(|&nu| nu >= 0.0));
        let mut g = vec![0.0f32; targets.len()];
        for &ti in &t {
            d.read(&state, ti, &mut rng, &mut g);
            prop_assert!(g.iter().all(|&x| x >= 0.0 && x.is_finite()));
        }
    }

    #[test]
    fn without_read_noise_conductance_never_rises(
        which in 0u8..3,
        drift in 0.0f64..3.0,
        frac in prop::collection::vec(0.0f64..=1.0, 1..64),
        mut t in prop::collection::vec(0.0f64..1e9, 2..8),
        seed in any::<u64>(),
    ) {
        let d = device(which, 1.0, drift, 0.0, 0.0);
        t.sort_by(f64::total_cmp);
        let targets: Vec<f32> = frac.iter().map(|f| (f * d.g_max_us) as f32).collect();
        let mut rng = NoiseRng::new(seed);
        let state = d.program(&targets, &mut rng);
        let mut prev = state.g_prog_us.clone();
        let mut g = vec![0.0f32; targets.len()];
        for &ti in &t {
            d.read(&state, ti, &mut rng, &mut g);
            for (now, before) in g.iter().zip(&prev) {
                prop_assert!(now <= before, "rose from {before} to {now} at t = {ti}");
            }
            prev.copy_from_slice(&g);
        }
    }
}
