//! A resolved device written back as a complete device file: every key explicit, so that
//! `aimc device show` prints exactly what a device is, and the output loads to the same device.

use super::kind::{Device, DeviceSpec};
use super::laws::{ClippedLogLinear, DriftLaw, ProgNoiseLaw, ReadNoiseLaw};
use super::spec::{
    ClippedLogLinearSection, DeviceFile, DriftLawName, DriftSection, ProgNoiseLawName,
    ProgNoiseSection, ReadNoiseLawName, ReadNoiseSection, StuckSection,
};

fn clipped(l: &ClippedLogLinear) -> ClippedLogLinearSection {
    ClippedLogLinearSection {
        slope: Some(l.slope),
        intercept: Some(l.intercept),
        min: Some(l.min),
        max: Some(l.max),
    }
}

/// The complete device file of `spec`.
pub fn resolved_file(spec: &DeviceSpec) -> DeviceFile {
    let mut file = DeviceFile {
        name: Some(spec.name.clone()),
        kind: Some(spec.kind),
        description: Some(spec.description.clone()),
        g_max_us: None,
        g_min_us: None,
        ..DeviceFile::default()
    };
    let d = match &spec.device {
        Device::Ideal(d) => {
            file.g_max_us = Some(d.g_max_us);
            file.g_min_us = Some(d.g_min_us);
            return file;
        }
        Device::Statistical(d) => d,
    };
    file.g_max_us = Some(d.g_max_us);
    file.g_min_us = Some(d.g_min_us);
    file.t0_s = Some(d.t0_s);
    file.t_read_s = Some(d.t_read_s);
    let mut prog = ProgNoiseSection {
        scale: Some(d.programming_noise_scale),
        ..Default::default()
    };
    match &d.programming_noise {
        ProgNoiseLaw::Polynomial {
            coefficients_us,
            reference_g_max_us,
        } => {
            prog.law = Some(ProgNoiseLawName::Polynomial);
            prog.coefficients_us = Some(coefficients_us.clone());
            prog.reference_g_max_us = Some(*reference_g_max_us);
        }
        ProgNoiseLaw::Table(t) => {
            prog.law = Some(ProgNoiseLawName::Table);
            prog.g_us = Some(t.x().to_vec());
            prog.sigma_us = Some(t.y().to_vec());
        }
    }
    file.programming_noise = Some(prog);
    let mut drift = DriftSection {
        scale: Some(d.drift_scale),
        ..Default::default()
    };
    match &d.drift {
        DriftLaw::None => drift.law = Some(DriftLawName::None),
        DriftLaw::LogLinear { mu, sigma } => {
            drift.law = Some(DriftLawName::LogLinear);
            drift.mu = Some(clipped(mu));
            drift.sigma = Some(clipped(sigma));
        }
        DriftLaw::Table { mu, sigma } => {
            drift.law = Some(DriftLawName::Table);
            drift.g_us = Some(mu.x().to_vec());
            drift.nu_mean = Some(mu.y().to_vec());
            drift.nu_std = Some(sigma.y().to_vec());
        }
    }
    file.drift = Some(drift);
    let mut read = ReadNoiseSection {
        scale: Some(d.read_noise_scale),
        ..Default::default()
    };
    match d.read_noise {
        ReadNoiseLaw::None => read.law = Some(ReadNoiseLawName::None),
        ReadNoiseLaw::OneOverF {
            q_coeff,
            q_exponent,
            q_max,
        } => {
            read.law = Some(ReadNoiseLawName::OneOverF);
            read.q_coeff = Some(q_coeff);
            read.q_exponent = Some(q_exponent);
            read.q_max = Some(q_max);
        }
        ReadNoiseLaw::ConstantRelative { sigma_rel } => {
            read.law = Some(ReadNoiseLawName::Constant);
            read.sigma_rel = Some(sigma_rel);
        }
    }
    file.read_noise = Some(read);
    file.stuck = Some(StuckSection {
        p_reset: Some(d.stuck.p_reset),
        p_g_max: Some(d.stuck.p_g_max),
        p_random: Some(d.stuck.p_random),
    });
    file
}
