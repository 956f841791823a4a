//! The demo's report in `reports/demo/`: `summary.md` (what ran, the comparison table with A*,
//! training, the plots, the tile map, time taken), `sweep.csv` + `sweep.json` (both sweeps),
//! `training.csv`, `tile_map.csv`, `demo.json` (everything), and the plots `drift`, `devices` and
//! `tile_map` as PNG + SVG. Every file is written atomically.

use super::pipeline::DemoOutcome;
use super::plan::DemoPlan;
use crate::commands::cost::CostReport;
use crate::device::resolve_device;
use crate::error::{Error, Result};
use crate::experiment::HwaStage;
use crate::experiment::checkpoint::EpochRecord;
use crate::report::TextTable;
use crate::report::cost_report::{cost_summary, cost_table, plot_cost};
use crate::report::device_plot::plot_devices;
use crate::report::map_table::map_table;
use crate::report::plot_style::write_text_files;
use crate::report::sweep_report::{
    TABLE_LEGEND, comparison_table, sweep_settings_markdown, write_report_with_summary,
};
use crate::report::tile_map_plot::plot_tile_map;
use std::path::PathBuf;

/// The comparison of the two sweeps: per network FP, accuracy at each time, A* at each time.
pub fn demo_table(o: &DemoOutcome) -> TextTable {
    let mut t = comparison_table(&[o.direct.clone(), o.hwa.clone()]);
    t.header[0] = "network".into();
    t
}

/// The training history of both stages.
pub fn training_table(o: &DemoOutcome) -> TextTable {
    let mut t = TextTable::new(&[
        "stage",
        "epoch",
        "lr",
        "train_loss",
        "train_acc",
        "test_acc",
        "img_per_s",
    ]);
    let rows = |stage: &str, h: &[EpochRecord], t: &mut TextTable| {
        for r in h {
            t.push(vec![
                stage.into(),
                r.epoch.to_string(),
                format!("{:.4}", r.lr),
                format!("{:.4}", r.train_loss),
                format!("{:.4}", r.train_metric),
                format!("{:.4}", r.eval_metric),
                format!("{:.0}", r.items_per_s),
            ]);
        }
    };
    rows("fp", &o.fp_history, &mut t);
    rows("hwa", &o.hwa_history, &mut t);
    t
}

/// `1 min 52 s` or `8.4 s`.
pub fn duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        format!(
            "{} min {:02} s",
            (seconds / 60.0) as u64,
            seconds as u64 % 60
        )
    }
}

/// The parts of the HWA recipe switched on, in words.
pub fn hwa_recipe(h: &HwaStage) -> String {
    let n = &h.noise;
    let mut parts = vec![format!(
        "{} epoch(s), {} weight noise at scale {} ramped over {} epoch(s)",
        h.epochs,
        serde_json::to_value(n.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        n.scale,
        n.ramp_epochs
    )];
    let mut on = |yes: bool, what: &str| {
        if yes {
            parts.push(what.to_string());
        }
    };
    on(h.drop_connect > 0.0, "drop-connect");
    on(h.clip, "weight clipping");
    on(h.remap_every_epoch, "remapping every epoch");
    on(h.learn_input_ranges, "learned input ranges");
    on(h.learn_out_scales, "learned output scales");
    on(h.lr_scaling, "per-tile learning rates");
    on(h.distillation.enabled, "distillation from the FP network");
    parts.join(", ")
}

/// The command that reproduces the run.
fn command(o: &DemoOutcome, plan: &DemoPlan) -> String {
    let mut c = String::from("aimc demo");
    if o.experiment_file != super::plan::BUILTIN_EXPERIMENT {
        c.push_str(&format!(" --experiment {}", o.experiment_file));
    }
    if plan.quick {
        c.push_str(" --quick");
    }
    c
}

/// The Markdown summary.
pub fn summary_markdown(o: &DemoOutcome, plan: &DemoPlan) -> String {
    let tile = &o.direct.tile;
    let total: f64 = o.timings.iter().map(|t| t.seconds).sum();
    let at = |r: &crate::sweep::SweepResult, label: &str| {
        r.points
            .iter()
            .find(|p| p.time_label == label)
            .map_or(f64::NAN, |p| 100.0 * p.mean)
    };
    let mut s = format!("# aimc demo: {}\n\n{}.\n\n", o.experiment, o.description);
    s.push_str(&format!(
        "`{}` (experiment `{}`) trained the network in floating point on {} images, then \
         programmed the FP weights directly onto {}x{} analog tiles of device `{}` and read them \
         at {} after programming, {} times each with a new programming (seed {}). It then \
         fine-tuned the network hardware-aware ({}) and swept it the same way. Accuracy is \
         measured on {} test images. Total time {}.\n\n",
        command(o, plan),
        o.experiment_file,
        o.train_images,
        tile.rows,
        tile.cols,
        tile.device,
        plan.times
            .iter()
            .map(|t| t.label.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        plan.reps,
        plan.seed,
        plan.experiment
            .config
            .hwa
            .as_ref()
            .map_or_else(String::new, hwa_recipe),
        o.test_images,
        duration(total)
    ));
    s.push_str(&format!(
        "After one day, direct mapping keeps {:.1} % test accuracy and the HWA-trained network \
         {:.1} % (FP {:.1} %).\n\n",
        at(&o.direct, "1d"),
        at(&o.hwa, "1d"),
        100.0 * o.direct.fp
    ));
    s.push_str("## Accuracy after programming\n\n");
    s.push_str(TABLE_LEGEND);
    s.push_str("\n\n");
    s.push_str(&demo_table(o).to_markdown(2));
    s.push_str("\n![accuracy over time after programming](drift.png)\n\n");
    s.push_str(&sweep_settings_markdown(&[o.direct.clone(), o.hwa.clone()]));
    s.push_str(
        "\n## Training\n\nTest accuracy of the FP stage: the digital network. Of the HWA stage: \
         on the tile with its clean (unprogrammed) weights, DAC, ADC and output noise included; \
         the HWA loss includes the distillation term.\n\n",
    );
    s.push_str(&training_table(o).to_markdown(1));
    s.push_str(&format!(
        "\n## The device: `{}`\n\nProgramming noise, drift exponent and mean conductance over \
         time of the device the weights were programmed on (`aimc device plot {}`).\n\n\
         ![the device](devices.png)\n",
        tile.device, tile.device
    ));
    let m = &o.map;
    s.push_str(&format!(
        "\n## The network on tiles\n\n{} analog layers on {} tiles of {}x{}: {} weights on \
         tiles, {} digital parameters (batch norm, biases), utilisation {:.1} % (`aimc map`).\n\n",
        m.layers.len(),
        m.totals.total_tiles,
        m.tile_rows,
        m.tile_cols,
        m.totals.mapped_parameters,
        m.totals.digital_parameters,
        100.0 * m.totals.utilisation
    ));
    s.push_str(&map_table(&o.map).to_markdown(2));
    s.push_str("\n![the tile map](tile_map.png)\n\n");
    s.push_str(&cost_markdown(&o.cost));
    s.push_str("\n## Time taken\n\n");
    let mut t = TextTable::new(&["step", "time"]);
    for st in &o.timings {
        t.push(vec![st.step.clone(), duration(st.seconds)]);
    }
    t.push(vec!["total".into(), duration(total)]);
    s.push_str(&t.to_markdown(1));
    s.push_str(
        "\n## Files\n\n`sweep.csv`, `sweep.json` (every repeat), `training.csv`, `tile_map.csv`, \
         `cost.csv`, `demo.json` (all of the above), `drift`, `devices`, `tile_map` and `energy` \
         as PNG and SVG.\n",
    );
    s
}

/// The cost section: what one inference of the HWA network costs on the demo's hardware.
fn cost_markdown(r: &CostReport) -> String {
    let c = &r.cost;
    let mut s = format!(
        "## What an inference costs

`aimc cost` of the HWA network on the figures of \
         `hardware/{}.toml` ({}-bit DAC, {}-bit ADC), on {}x{} tiles, per inference ({}); \
         weights and inputs {}. Schedule: {}. Operations: {}.\n\n",
        c.hardware,
        c.dac_bits,
        c.adc_bits,
        c.tile_rows,
        c.tile_cols,
        r.inference,
        r.activity.describe,
        r.schedule,
        r.ops_counted
    );
    for line in cost_summary(c) {
        s.push_str(&format!("- {line}\n"));
    }
    s.push('\n');
    s.push_str(&cost_table(c, true).to_markdown(2));
    s.push_str("\n![energy per inference by layer](energy.png)\n");
    s
}

/// Writes the report of `o` into `plan.out_dir`; returns the paths written.
pub fn write_demo_report(o: &DemoOutcome, plan: &DemoPlan) -> Result<Vec<PathBuf>> {
    let out = &plan.out_dir;
    let mut files = write_report_with_summary(
        &[o.direct.clone(), o.hwa.clone()],
        out,
        summary_markdown(o, plan),
    )?;
    let spec = resolve_device(&o.direct.tile.device)?;
    files.extend(plot_devices(
        vec![(spec.name.clone(), spec.device.statistical_view())],
        out,
    )?);
    files.extend(plot_tile_map(&o.map, &o.experiment, out)?);
    files.extend(plot_cost(
        &o.cost.cost,
        &format!(
            "{}: energy per inference by layer ({})",
            o.experiment, o.cost.cost.hardware
        ),
        &out.join("energy"),
    )?);
    let json = serde_json::to_string_pretty(o)
        .map_err(|e| Error::Tensor(format!("serialising the demo: {e}")))?;
    files.extend(write_text_files(vec![
        (out.join("training.csv"), training_table(o).to_csv()),
        (out.join("tile_map.csv"), map_table(&o.map).to_csv()),
        (
            out.join("cost.csv"),
            cost_table(&o.cost.cost, false).to_csv(),
        ),
        (out.join("demo.json"), json + "\n"),
    ])?);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(8.44), "8.4 s");
        assert_eq!(duration(112.0), "1 min 52 s");
        assert_eq!(duration(605.0), "10 min 05 s");
    }
}
