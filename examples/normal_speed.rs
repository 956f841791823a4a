use aimc::rng::NoiseRng;
fn main() {
    let mut rng = NoiseRng::new(0);
    let mut v = vec![0.0f32; 1 << 22];
    for _ in 0..3 {
        let t = std::time::Instant::now();
        rng.fill_normal(&mut v);
        println!(
            "{:.2} ns/normal",
            t.elapsed().as_nanos() as f64 / v.len() as f64
        );
    }
    let t = std::time::Instant::now();
    let mut s = 0u64;
    for _ in 0..v.len() {
        s = s.wrapping_add(rng.next_u64());
    }
    println!(
        "{:.2} ns/u64 {s}",
        t.elapsed().as_nanos() as f64 / v.len() as f64
    );
}
