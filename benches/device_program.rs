//! Programming plus one read of a 512x512 tile of differential pairs (524,288 devices), against
//! the floor any implementation pays: three standard normals per device from the same RNG
//! (programming noise, drift exponent, read noise). Goals (issues 5 and 20): PCM at most 2x the
//! floor; the devices of the formula laws (HERMES: piecewise formulas; the CMO ReRAM:
//! relaxation and an absolute read noise in log10(g), a fourth normal per device; Wan et al.:
//! measured times) at most 3x.
//!
//! Run: `cargo bench --bench device_program`; the ratio is time(program_read) / time(floor).

use aimc::device::{DeviceModel, StatisticalDevice, pcm, resolve_device};
use aimc::rng::NoiseRng;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const DEVICES: usize = 2 * 512 * 512;

fn targets(d: &StatisticalDevice) -> Vec<f32> {
    // A realistic pair layout: one device of each pair at g_min, the other at
    // g_min + |w| (g_max - g_min).
    let (g_min, range) = (d.g_min_us, d.g_max_us - d.g_min_us);
    let mut rng = NoiseRng::new(42);
    (0..DEVICES / 2)
        .flat_map(|_| {
            let w = (rng.normal() * 0.3).clamp(-1.0, 1.0);
            let g = (g_min + w.abs() * range) as f32;
            let idle = g_min as f32;
            if w >= 0.0 { [g, idle] } else { [idle, g] }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("tile_512x512_pairs");
    group.sample_size(20);
    group.bench_function("floor_three_normals", |b| {
        let mut rng = NoiseRng::new(0);
        let mut buf = vec![0.0f32; 3 * DEVICES];
        b.iter(|| {
            rng.fill_normal(&mut buf);
            black_box(&buf);
        })
    });
    let mut devices = vec![("pcm".to_string(), pcm())];
    for name in ["hermes-2dev", "reram-cmo", "reram-wan2022"] {
        let d = resolve_device(name).unwrap().device;
        devices.push((name.to_string(), d.as_statistical().unwrap().clone()));
    }
    for (name, device) in &devices {
        let targets = targets(device);
        group.bench_function(format!("{name}_program_and_read_1h"), |b| {
            let mut rng = NoiseRng::new(0);
            let mut g = vec![0.0f32; DEVICES];
            let mut state = aimc::ProgrammedState::default();
            b.iter(|| {
                device.program_into(black_box(&targets), &mut rng, &mut state);
                device.read(&state, 3600.0, &mut rng, &mut g);
                black_box(&g);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
