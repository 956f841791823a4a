//! The device file of a fit: a `custom` device (every law given) that loads and validates like
//! any other, with the fit's quality in comments: R^2 and per-level residuals of the
//! programming noise, the per-level drift statistics against the laws (or why a table was
//! written instead), the read-noise levels.

use super::drift_fit::{DriftFit, NuLaw};
use super::prog_fit::ProgNoiseFit;
use std::fmt::Write;

/// What to call the device and where its data came from (for the header).
pub struct FileHeader<'a> {
    pub name: &'a str,
    pub programming_csv: &'a str,
    pub drift_csv: Option<&'a str>,
}

fn list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("{x:.6e}")).collect();
    format!("[{}]", items.join(", "))
}

/// The TOML text of the fitted device.
pub fn fitted_device_toml(
    head: &FileHeader,
    prog: &ProgNoiseFit,
    drift: Option<&DriftFit>,
) -> String {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(
        w,
        "# Fitted by `aimc device fit` from {}{}.",
        head.programming_csv,
        head.drift_csv
            .map_or(String::new(), |d| format!(" and {d}"))
    );
    let _ = writeln!(w, "#");
    let _ = writeln!(
        w,
        "# Programming noise: sigma_P = sum_k c_k (g/g_max)^k, least squares on the per-level std weighted by counts."
    );
    let _ = writeln!(w, "#   R^2 = {:.5}", prog.r_squared);
    let _ = writeln!(
        w,
        "#   c_k = {} µS, standard errors {}",
        list(&prog.coefficients_us),
        list(&prog.standard_errors_us)
    );
    let _ = writeln!(
        w,
        "#   g_target_us  n  std_us  fitted_us  residual_us  (zeros)"
    );
    for (l, f) in prog.levels.iter().zip(&prog.fitted_us) {
        let _ = writeln!(
            w,
            "#   {:.4} {} {:.5} {:.5} {:+.5} ({})",
            l.g_target_us,
            l.n,
            l.std_us,
            f,
            l.std_us - f,
            l.zeros
        );
    }
    match drift {
        Some(d) => {
            let _ = writeln!(w, "#");
            let _ = writeln!(
                w,
                "# Drift: nu per device from ln g vs ln((t + t0)/t0); per level mu_nu, sigma_nu of |N(mu, sigma)|."
            );
            match &d.nu_law {
                NuLaw::LogLinear { .. } => {
                    let _ = writeln!(
                        w,
                        "#   clipped log-linear law: chi^2 = {:.1} / {} dof (p = {:.3}) for mu, {:.1} / {} dof (p = {:.3}) for sigma",
                        d.mu_fit.chi2,
                        d.mu_fit.dof,
                        d.mu_fit.p_value(),
                        d.sigma_fit.chi2,
                        d.sigma_fit.dof,
                        d.sigma_fit.p_value()
                    );
                }
                NuLaw::Table { reason } => {
                    let _ = writeln!(w, "#   written as a table: {reason}");
                }
            }
            let _ = writeln!(
                w,
                "#   g_target_us  devices (skipped)  nu_mean ± se  law  nu_std ± se  law  Q_s"
            );
            for l in &d.levels {
                let x = (l.g_target_us / d.g_max_us).ln();
                let _ = writeln!(
                    w,
                    "#   {:.4} {} ({}) {:.5} ± {:.5} {:.5} {:.5} ± {:.5} {:.5} {:.5}",
                    l.g_target_us,
                    l.n,
                    l.skipped,
                    l.nu_mean,
                    l.nu_mean_se,
                    d.mu_fit.eval(x),
                    l.nu_std,
                    l.nu_std_se,
                    d.sigma_fit.eval(x),
                    l.q_s
                );
            }
        }
        None => {
            let _ = writeln!(w, "#");
            let _ = writeln!(
                w,
                "# No drift data: no drift and no read noise in this file."
            );
        }
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "name = {:?}", head.name);
    let _ = writeln!(w, "kind = \"custom\"");
    let _ = writeln!(
        w,
        "description = {:?}",
        format!("fitted to {}", head.programming_csv)
    );
    let _ = writeln!(w, "g_max_us = {:?}", prog.g_max_us);
    let _ = writeln!(w, "g_min_us = 0.0");
    let (t0, t_read) = drift.map_or((20.0, 250e-9), |d| (d.t0_s, d.t_read_s));
    let _ = writeln!(w, "t0_s = {t0:?}");
    let _ = writeln!(w, "t_read_s = {t_read:e}");
    let _ = writeln!(w);
    let _ = writeln!(w, "[programming_noise]");
    let _ = writeln!(w, "law = \"polynomial\"");
    let _ = writeln!(w, "coefficients_us = {}", list(&prog.coefficients_us));
    let _ = writeln!(w, "reference_g_max_us = {:?}", prog.g_max_us);
    let _ = writeln!(w);
    let _ = writeln!(w, "[drift]");
    match drift {
        None => {
            let _ = writeln!(w, "law = \"none\"");
        }
        Some(d) => match &d.nu_law {
            NuLaw::LogLinear { mu, sigma } => {
                let _ = writeln!(w, "law = \"log_linear\"");
                for (key, f) in [("mu", mu), ("sigma", sigma)] {
                    let _ = writeln!(
                        w,
                        "{key} = {{ slope = {:.6e}, intercept = {:.6e}, min = {:.6e}, max = {:.6e} }}",
                        f.slope,
                        f.intercept,
                        f.min.max(0.0),
                        f.max.max(f.min.max(0.0))
                    );
                }
            }
            NuLaw::Table { .. } => {
                let g: Vec<f64> = d.levels.iter().map(|l| l.g_target_us).collect();
                let mean: Vec<f64> = d.levels.iter().map(|l| l.nu_mean).collect();
                let std: Vec<f64> = d.levels.iter().map(|l| l.nu_std).collect();
                let _ = writeln!(w, "law = \"table\"");
                let _ = writeln!(w, "g_us = {}", list(&g));
                let _ = writeln!(w, "nu_mean = {}", list(&mean));
                let _ = writeln!(w, "nu_std = {}", list(&std));
            }
        },
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "[read_noise]");
    match drift.and_then(|d| d.q_coeff().zip(d.q_exponent()).zip(d.q_max())) {
        Some(((q_coeff, q_exponent), q_max)) => {
            let _ = writeln!(w, "law = \"one_over_f\"");
            let _ = writeln!(w, "q_coeff = {q_coeff:.6e}");
            let _ = writeln!(w, "q_exponent = {q_exponent:.6e}");
            let _ = writeln!(w, "q_max = {q_max:.6e}");
        }
        None => {
            let _ = writeln!(w, "law = \"none\"");
        }
    }
    s
}
