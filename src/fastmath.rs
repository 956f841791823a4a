//! Single-precision ln and exp written out in plain arithmetic (Cephes' minimax polynomials), so
//! that loops over device arrays vectorise, and results are bit-identical on every machine
//! (no dependence on the platform's libm). Relative error below 3e-7 on the documented domains.

const LOG2_E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 * 2^23: adding and subtracting it rounds an f32 of magnitude < 2^22 to an integer.
const ROUND_MAGIC: f32 = 12_582_912.0;
/// Below this, exp underflows the normal range and returns 0.
const EXP_MIN: f32 = -87.0;
/// Above this, exp is clamped (exp(88) ~ 1.65e38).
const EXP_MAX: f32 = 88.0;

/// e^x. Returns 0 for x < -87 and clamps x at 88.
#[inline]
pub fn exp_f32(x: f32) -> f32 {
    let xc = x.clamp(EXP_MIN, EXP_MAX);
    let n = (xc * LOG2_E + ROUND_MAGIC) - ROUND_MAGIC;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let scale = f32::from_bits((((n as i32) + 127) as u32) << 23);
    if x < EXP_MIN { 0.0 } else { e * scale }
}

/// ln(x) for positive, normal (not subnormal) finite x.
#[inline]
pub fn ln_f32(x: f32) -> f32 {
    let bits = x.to_bits();
    let mut e = (((bits >> 23) & 0xff) as i32 - 126) as f32;
    // Mantissa in [0.5, 1).
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let small = m < std::f32::consts::FRAC_1_SQRT_2;
    if small {
        e -= 1.0;
    }
    let m = if small { m + m - 1.0 } else { m - 1.0 };
    let z = m * m;
    let mut y = 7.037_683_6e-2f32;
    y = y * m - 1.151_461e-1;
    y = y * m + 1.167_699_9e-1;
    y = y * m - 1.242_014_1e-1;
    y = y * m + 1.424_932_3e-1;
    y = y * m - 1.666_805_8e-1;
    y = y * m + 2.000_071_4e-1;
    y = y * m - 2.499_999_4e-1;
    y = y * m + 3.333_333e-1;
    let mut y = y * m * z;
    y += e * LN2_LO;
    y -= 0.5 * z;
    m + y + e * LN2_HI
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std_to_3e7() {
        let mut worst = 0.0f64;
        let mut x = -80.0f32;
        while x < 80.0 {
            let exact = (x as f64).exp();
            let rel = ((exp_f32(x) as f64 - exact) / exact).abs();
            worst = worst.max(rel);
            x += 0.001_37;
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-100.0), 0.0);
    }

    #[test]
    fn ln_matches_std_to_3e7() {
        let mut worst = 0.0f64;
        let mut x = 1e-30f32;
        while x < 1e30 {
            let exact = (x as f64).ln();
            let err = (ln_f32(x) as f64 - exact).abs() / exact.abs().max(1.0);
            worst = worst.max(err);
            x *= 1.000_37;
        }
        assert!(worst < 3e-7, "worst error {worst}");
        assert_eq!(ln_f32(1.0), 0.0);
    }
}
