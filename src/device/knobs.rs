//! The sensitivity knobs of a statistical device (physics.md sections 2 and 6, paper Fig. 4/5):
//! the scales of its programming noise and drift, and the probabilities of stuck devices. A knob
//! sets one parameter; the device's constructor checks the result as it checks a file.

use super::statistical::DeviceParams;

/// A knob of the device: its name on the command line, its help, and the parameter it sets.
#[derive(Debug)]
pub struct DeviceKnob {
    pub name: &'static str,
    pub help: &'static str,
    pub set: fn(&mut DeviceParams, f64),
}

/// The device's knobs, in the order `aimc sensitivity --help` lists them.
pub static DEVICE_KNOBS: [DeviceKnob; 4] = [
    DeviceKnob {
        name: "prog-noise-scale",
        help: "Scale of the device's programming noise",
        set: |p, v| p.programming_noise_scale = v,
    },
    DeviceKnob {
        name: "drift-scale",
        help: "Scale of the device's drift exponents",
        set: |p, v| p.drift_scale = v,
    },
    DeviceKnob {
        name: "stuck-reset",
        help: "Probability of a device stuck at 0",
        set: |p, v| p.stuck.p_reset = v,
    },
    DeviceKnob {
        name: "stuck-gmax",
        help: "Probability of a device stuck at g_max",
        set: |p, v| p.stuck.p_g_max = v,
    },
];
