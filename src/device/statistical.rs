//! The statistical device: programming noise, drift exponent drawn once, accumulated read noise
//! and stuck devices, each given by a law of `laws/` (physics.md section 2). PCM is this device
//! with the paper's laws (`pcm.rs`); custom TOML devices are this device with the user's laws.

use super::laws::read_noise::LevelAt;
use super::laws::relaxation::RelaxationLaw;
use super::laws::{DriftLaw, ProgNoiseLaw, ReadNoiseLaw, StuckProbabilities, ln_g_hat_into};
use super::model::DeviceModel;
use super::state::ProgrammedState;
use crate::error::InvalidKey;
use crate::rng::NoiseRng;
use crate::value_check::{non_negative, positive};

/// Where the conductance read is clamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clamp {
    /// g >= 0 (physics.md section 2).
    #[default]
    Zero,
    /// g in [g_min, g_max] (as aihwkit's CMO ReRAM model).
    Range,
}

/// Every parameter of a statistical device, as plain data (unchecked: a device is made of it by
/// [`StatisticalDevice::new`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceParams {
    /// Largest conductance, µS.
    pub g_max_us: f64,
    /// Smallest conductance, µS (the idle device of a pair).
    pub g_min_us: f64,
    /// Drift reference time t0, s.
    pub t0_s: f64,
    /// Read duration t_read of the 1/f law, s.
    pub t_read_s: f64,
    pub programming_noise: ProgNoiseLaw,
    /// prog_noise_scale: multiplies sigma_P.
    pub programming_noise_scale: f64,
    pub drift: DriftLaw,
    /// drift_scale: multiplies nu.
    pub drift_scale: f64,
    pub read_noise: ReadNoiseLaw,
    /// read_noise_scale: multiplies sigma_read.
    pub read_noise_scale: f64,
    /// Where the read-noise level is evaluated (target or programmed conductance).
    pub read_level_at: LevelAt,
    /// Additive relaxation over time (none for PCM).
    pub relaxation: RelaxationLaw,
    /// Where a read is clamped: at 0, or to [g_min, g_max].
    pub clamp: Clamp,
    pub stuck: StuckProbabilities,
}

impl DeviceParams {
    /// Checks every value; the error names the key as written in a device file.
    pub fn validate(&self) -> Result<(), InvalidKey> {
        positive("g_max_us", self.g_max_us)?;
        non_negative("g_min_us", self.g_min_us)?;
        if self.g_max_us <= self.g_min_us {
            return Err(InvalidKey::new(
                "g_max_us",
                format!("a value above g_min_us = {}", self.g_min_us),
                self.g_max_us,
            ));
        }
        positive("t0_s", self.t0_s)?;
        positive("t_read_s", self.t_read_s)?;
        non_negative("programming_noise.scale", self.programming_noise_scale)?;
        let (g_min, g_max) = (self.g_min_us, self.g_max_us);
        self.programming_noise.validate(g_min, g_max)?;
        non_negative("drift.scale", self.drift_scale)?;
        self.drift.validate(g_min, g_max)?;
        non_negative("read_noise.scale", self.read_noise_scale)?;
        self.read_noise.validate(g_min, g_max)?;
        let sigma_prog = |g: f64| {
            let mut out = [0f32];
            let g32 = g as f32;
            self.programming_noise
                .sigma_into(&[g32], &[(g / g_max) as f32], g_max, &mut out);
            out[0] as f64 * self.programming_noise_scale
        };
        self.relaxation.validate(g_min, g_max, &sigma_prog)?;
        self.stuck.validate()
    }
}

/// A checked statistical device: programming noise, drift and read noise by its laws (see
/// `laws/`). Read its parameters through `Deref`; change them with [`StatisticalDevice::edit`].
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticalDevice(DeviceParams);

impl std::ops::Deref for StatisticalDevice {
    type Target = DeviceParams;

    fn deref(&self) -> &DeviceParams {
        &self.0
    }
}

impl StatisticalDevice {
    /// The device of `params`, checked ([`DeviceParams::validate`]).
    pub fn new(params: DeviceParams) -> Result<Self, InvalidKey> {
        params.validate()?;
        Ok(Self(params))
    }

    /// A copy with `change` applied to its parameters, checked again.
    pub fn edit(&self, change: impl FnOnce(&mut DeviceParams)) -> Result<Self, InvalidKey> {
        let mut p = self.0.clone();
        change(&mut p);
        Self::new(p)
    }

    /// The parameters.
    pub fn params(&self) -> &DeviceParams {
        &self.0
    }
}

/// What is fixed at programming for one target, before the per-device draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetLaws {
    /// sigma_P in µS (scale applied).
    pub sigma_prog_us: f64,
    /// Mean of the normal folded into nu (Eq. 9).
    pub mu_nu: f64,
    /// Std of the normal folded into nu (Eq. 9).
    pub sigma_nu: f64,
    /// Read level (Q_s, scale applied).
    pub read_level: f64,
}

/// The laws of a batch of targets (struct of arrays, single precision), with scratch space.
#[derive(Debug, Clone, Default)]
pub struct LawBatch {
    pub sigma_prog_us: Vec<f32>,
    pub mu_nu: Vec<f32>,
    pub sigma_nu: Vec<f32>,
    pub read_level: Vec<f32>,
    g_hat: Vec<f32>,
    ln_g_hat: Vec<f32>,
}

impl LawBatch {
    fn resize(&mut self, n: usize) {
        for v in [
            &mut self.sigma_prog_us,
            &mut self.mu_nu,
            &mut self.sigma_nu,
            &mut self.read_level,
            &mut self.g_hat,
            &mut self.ln_g_hat,
        ] {
            v.resize(n, 0.0);
        }
    }
}

/// Targets processed per batch when programming (fits in L1/L2 cache).
const BATCH: usize = 1024;

impl StatisticalDevice {
    /// The laws of each target in `g_us` into `out` (scales applied), vectorised (8 lanes with
    /// AVX2 where the processor has it; the same arithmetic, so the same numbers, either way).
    pub fn laws_into(&self, g_us: &[f32], out: &mut LawBatch) {
        self.laws_with::<true>(g_us, out);
    }

    /// [`Self::laws_into`], the read level only with `LEVEL` (programming a device whose level
    /// is evaluated at the programmed conductance skips it at the target).
    fn laws_with<const LEVEL: bool>(&self, g_us: &[f32], out: &mut LawBatch) {
        out.resize(g_us.len());
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor supports AVX2 (checked above).
            unsafe { self.laws_avx2::<LEVEL>(g_us, out) };
            return;
        }
        self.laws_kernel::<LEVEL>(g_us, out);
    }

    /// [`Self::laws_kernel`] compiled for AVX2 (no FMA: the same numbers as the baseline).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn laws_avx2<const LEVEL: bool>(&self, g_us: &[f32], out: &mut LawBatch) {
        self.laws_kernel::<LEVEL>(g_us, out);
    }

    #[inline(always)]
    fn laws_kernel<const LEVEL: bool>(&self, g_us: &[f32], out: &mut LawBatch) {
        let inv_g_max = (1.0 / self.g_max_us) as f32;
        for (h, &g) in out.g_hat.iter_mut().zip(g_us) {
            *h = g * inv_g_max;
        }
        ln_g_hat_into(&out.g_hat, &mut out.ln_g_hat);
        self.programming_noise
            .sigma_into(g_us, &out.g_hat, self.g_max_us, &mut out.sigma_prog_us);
        self.drift.mu_sigma_into(
            g_us,
            &out.g_hat,
            &out.ln_g_hat,
            &mut out.mu_nu,
            &mut out.sigma_nu,
        );
        if LEVEL {
            self.read_noise
                .level_into(g_us, &out.g_hat, &out.ln_g_hat, &mut out.read_level);
        }
        let (ps, rs) = (
            self.programming_noise_scale as f32,
            self.read_noise_scale as f32,
        );
        for (s, r) in out.sigma_prog_us.iter_mut().zip(out.read_level.iter_mut()) {
            *s *= ps;
            *r *= rs;
        }
    }

    /// The laws at one target `g_us` (as the device evaluates them, in single precision).
    pub fn target_laws(&self, g_us: f64) -> TargetLaws {
        let mut b = LawBatch::default();
        self.laws_into(&[g_us as f32], &mut b);
        TargetLaws {
            sigma_prog_us: b.sigma_prog_us[0] as f64,
            mu_nu: b.mu_nu[0] as f64,
            sigma_nu: b.sigma_nu[0] as f64,
            read_level: b.read_level[0] as f64,
        }
    }

    /// The read-noise levels (scale applied) at conductances `g_us` into `out`, with `scratch`.
    fn read_levels_into(&self, g_us: &[f32], scratch: &mut LawBatch, out: &mut [f32]) {
        scratch.resize(g_us.len());
        let inv_g_max = (1.0 / self.g_max_us) as f32;
        for (h, &g) in scratch.g_hat.iter_mut().zip(g_us) {
            *h = g * inv_g_max;
        }
        ln_g_hat_into(&scratch.g_hat, &mut scratch.ln_g_hat);
        self.read_noise
            .level_into(g_us, &scratch.g_hat, &scratch.ln_g_hat, out);
        let rs = self.read_noise_scale as f32;
        for r in out.iter_mut() {
            *r *= rs;
        }
    }

    /// Adds each relaxing device's m(t) + s(t) xi_r at `t_s` > 0 to `g_out_us`.
    fn relax(&self, state: &ProgrammedState, t_s: f64, g_out_us: &mut [f32]) {
        let mut mean = vec![0f32; BATCH];
        let mut std = vec![0f32; BATCH];
        let mut g_hat = vec![0f32; BATCH];
        let mut sigma_prog = vec![0f32; BATCH];
        let measured = matches!(self.relaxation, RelaxationLaw::Measured { .. });
        let inv_g_max = (1.0 / self.g_max_us) as f32;
        for (b, chunk) in g_out_us.chunks_mut(BATCH).enumerate() {
            let n = chunk.len();
            let offset = b * BATCH;
            let targets = &state.target_us[offset..offset + n];
            for (h, &g) in g_hat.iter_mut().zip(targets) {
                *h = g * inv_g_max;
            }
            if measured {
                // sigma_P as at programming (scale applied).
                self.programming_noise.sigma_into(
                    targets,
                    &g_hat[..n],
                    self.g_max_us,
                    &mut sigma_prog[..n],
                );
                let ps = self.programming_noise_scale as f32;
                for s in sigma_prog[..n].iter_mut() {
                    *s *= ps;
                }
            }
            self.relaxation.mean_std_into(
                t_s,
                targets,
                &g_hat[..n],
                &sigma_prog[..n],
                &mut mean[..n],
                &mut std[..n],
            );
            for k in 0..n {
                let xi = state.relax_xi[offset + k];
                if !xi.is_nan() {
                    chunk[k] += mean[k] + std[k] * xi;
                }
            }
        }
    }

    /// Draws the stuck value of a device, if it is stuck.
    #[inline]
    fn draw_stuck(&self, rng: &mut NoiseRng) -> Option<f32> {
        let u = rng.uniform();
        let s = &self.stuck;
        if u < s.p_reset {
            Some(0.0)
        } else if u < s.p_reset + s.p_g_max {
            Some(self.g_max_us as f32)
        } else if u < s.p_reset + s.p_g_max + s.p_random {
            Some((self.g_min_us + rng.uniform() * (self.g_max_us - self.g_min_us)) as f32)
        } else {
            None
        }
    }
}

impl DeviceModel for StatisticalDevice {
    fn g_max_us(&self) -> f64 {
        self.g_max_us
    }

    fn g_min_us(&self) -> f64 {
        self.g_min_us
    }

    /// Eq. 7 and 9, one draw each per device:
    /// g_P = max(0, g_T + sigma_P xi1), nu = drift_scale * |mu_nu + sigma_nu xi2|; the read
    /// level at g_T, or at g_P for `read_level_at = programmed`.
    fn program_into(&self, g_target_us: &[f32], rng: &mut NoiseRng, state: &mut ProgrammedState) {
        state.reset(g_target_us.len());
        let with_stuck = self.stuck.any();
        let drift_scale = self.drift_scale as f32;
        let mut laws = LawBatch::default();
        let mut at_programmed = LawBatch::default();
        let relaxes = self.relaxation.any();
        let mut stuck = Vec::with_capacity(BATCH);
        let mut xi = vec![0.0f32; 2 * BATCH];
        for (b, targets) in g_target_us.chunks(BATCH).enumerate() {
            if self.read_level_at == LevelAt::Target {
                self.laws_with::<true>(targets, &mut laws);
            } else {
                self.laws_with::<false>(targets, &mut laws);
            }
            let n = targets.len();
            // Per batch: first the normals (programming noise, drift exponent), then the
            // stuck-device draws.
            rng.fill_normal(&mut xi[..2 * n]);
            let offset = b * BATCH;
            let g_prog = &mut state.g_prog_us[offset..offset + n];
            let nu = &mut state.nu[offset..offset + n];
            let level = &mut state.read_level[offset..offset + n];
            for k in 0..n {
                g_prog[k] = (targets[k] + laws.sigma_prog_us[k] * xi[2 * k]).max(0.0);
                nu[k] = drift_scale * (laws.mu_nu[k] + laws.sigma_nu[k] * xi[2 * k + 1]).abs();
                level[k] = laws.read_level[k];
            }
            if self.read_level_at == LevelAt::Programmed {
                self.read_levels_into(g_prog, &mut at_programmed, level);
            }
            stuck.clear();
            stuck.resize(n, false);
            if with_stuck {
                for k in 0..n {
                    if let Some(g) = self.draw_stuck(rng) {
                        g_prog[k] = g;
                        nu[k] = 0.0;
                        level[k] = 0.0;
                        stuck[k] = true;
                    }
                }
            }
            // Relaxing devices: then one normal each (NaN marks a stuck device: no relaxation).
            if relaxes {
                let mut r = vec![0f32; n];
                rng.fill_normal(&mut r);
                for k in 0..n {
                    state.relax_xi.push(if stuck[k] { f32::NAN } else { r[k] });
                }
                state.target_us.extend_from_slice(targets);
            }
        }
    }

    fn t0_s(&self) -> f64 {
        self.t0_s
    }

    /// Eq. 8 plus the relaxation (`laws/relaxation.rs`), clamped to [g_min, g_max] with
    /// `clamp = range` (t > 0).
    fn drift(&self, state: &ProgrammedState, t_s: f64, g_out_us: &mut [f32]) {
        super::model::power_law_drift(self.t0_s, state, t_s, g_out_us);
        if t_s > 0.0 && !state.relax_xi.is_empty() {
            self.relax(state, t_s, g_out_us);
            if self.clamp == Clamp::Zero {
                for g in g_out_us.iter_mut() {
                    *g = g.max(0.0);
                }
            }
        }
        if t_s > 0.0 && self.clamp == Clamp::Range {
            let (lo, hi) = (self.g_min_us as f32, self.g_max_us as f32);
            for g in g_out_us.iter_mut() {
                *g = g.clamp(lo, hi);
            }
        }
    }

    /// Drift (and relaxation), then fresh read noise: relative (Eq. 10-12, clamped at 0) or
    /// absolute by a formula; clamped to [g_min, g_max] with `clamp = range` (t > 0).
    fn read(&self, state: &ProgrammedState, t_s: f64, rng: &mut NoiseRng, g_out_us: &mut [f32]) {
        match &self.read_noise {
            ReadNoiseLaw::Absolute(f) if t_s > 0.0 => {
                super::model::power_law_drift(self.t0_s, state, t_s, g_out_us);
                if !state.relax_xi.is_empty() {
                    self.relax(state, t_s, g_out_us);
                }
                let scale = self.read_noise_scale as f32;
                let (g_max, lo, hi) = (
                    self.g_max_us as f32,
                    self.g_min_us as f32,
                    self.g_max_us as f32,
                );
                let mut xi = [0f32; BATCH];
                let mut sigma = [0f32; BATCH];
                let mut g_hat = [0f32; BATCH];
                // t is one value for all devices: bound (its terms folded), its input unused.
                let f = f.bind("t", t_s);
                for chunk in g_out_us.chunks_mut(BATCH) {
                    let n = chunk.len();
                    for (h, &g) in g_hat.iter_mut().zip(chunk.iter()) {
                        *h = g / g_max;
                    }
                    f.eval_into(&[&g_hat[..n], &g_hat[..n], chunk], &mut sigma[..n]);
                    rng.fill_normal(&mut xi[..n]);
                    for k in 0..n {
                        let s = if sigma[k].is_finite() {
                            sigma[k].abs()
                        } else {
                            0.0
                        };
                        let g = chunk[k] + scale * s * xi[k];
                        chunk[k] = match self.clamp {
                            Clamp::Zero => g.max(0.0),
                            Clamp::Range => g.clamp(lo, hi),
                        };
                    }
                }
            }
            _ => {
                self.drift(state, t_s, g_out_us);
                let factor = self.read_time_factor(t_s) as f32;
                super::model::add_relative_read_noise(state, factor, rng, g_out_us);
                if factor != 0.0 && self.clamp == Clamp::Range {
                    let (lo, hi) = (self.g_min_us as f32, self.g_max_us as f32);
                    for g in g_out_us.iter_mut() {
                        *g = g.clamp(lo, hi);
                    }
                }
            }
        }
    }

    fn max_time_s(&self) -> Option<f64> {
        self.relaxation.max_time_s()
    }

    fn read_time_factor(&self, t_s: f64) -> f64 {
        self.read_noise.time_factor(t_s, self.t0_s, self.t_read_s)
    }
}
