//! Programming plus one read of a 512x512 tile of differential pairs (524,288 PCM devices),
//! against the floor any implementation pays: three standard normals per device from the same
//! RNG (programming noise, drift exponent, read noise). Goal: ratio at most 2.
//!
//! Run: `cargo bench --bench device_program`; the ratio is time(program_read) / time(floor).

use aimc::device::{DeviceModel, pcm};
use aimc::rng::NoiseRng;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const DEVICES: usize = 2 * 512 * 512;

fn targets() -> Vec<f32> {
    // A realistic pair layout: one device of each pair at g_min, the other at |w| * g_max.
    let mut rng = NoiseRng::new(42);
    (0..DEVICES / 2)
        .flat_map(|_| {
            let w = (rng.normal() * 0.3).clamp(-1.0, 1.0);
            let g = (w.abs() * 25.0) as f32;
            if w >= 0.0 { [g, 0.0] } else { [0.0, g] }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let device = pcm();
    let targets = targets();
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
    group.bench_function("pcm_program_and_read_1h", |b| {
        let mut rng = NoiseRng::new(0);
        let mut g = vec![0.0f32; DEVICES];
        let mut state = aimc::ProgrammedState::default();
        b.iter(|| {
            device.program_into(black_box(&targets), &mut rng, &mut state);
            device.read(&state, 3600.0, &mut rng, &mut g);
            black_box(&g);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
