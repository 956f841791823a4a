//! The explicit state of a programmed array of devices: what was drawn once at programming and
//! is kept, so that reads at 1 h and then at 1 day follow one trajectory (physics.md section 2).

/// Per-device state drawn at programming, structure of arrays.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProgrammedState {
    /// Programmed conductance g_P in µS (programming noise applied, Eq. 7).
    pub g_prog_us: Vec<f32>,
    /// Drift exponent nu, drawn once (Eq. 9), scale applied.
    pub nu: Vec<f32>,
    /// Relative read-noise level of each device (Q_s for 1/f noise, Eq. 11), scale applied;
    /// 0 for devices without read noise (ideal or stuck).
    pub read_level: Vec<f32>,
    /// Devices that relax (see `laws/relaxation.rs`): each one's normal xi_r, drawn once (NaN
    /// for a stuck device), and its target in µS. Empty for devices that do not relax.
    pub relax_xi: Vec<f32>,
    pub target_us: Vec<f32>,
}

impl ProgrammedState {
    /// A state for `n` devices, all zero.
    pub fn zeros(n: usize) -> Self {
        Self {
            g_prog_us: vec![0.0; n],
            nu: vec![0.0; n],
            read_level: vec![0.0; n],
            relax_xi: Vec::new(),
            target_us: Vec::new(),
        }
    }

    /// Resizes to `n` devices, keeping the allocations; values are left to be overwritten
    /// (programming writes every device).
    pub fn reset(&mut self, n: usize) {
        for v in [&mut self.g_prog_us, &mut self.nu, &mut self.read_level] {
            v.resize(n, 0.0);
        }
        self.relax_xi.clear();
        self.target_us.clear();
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.g_prog_us.len()
    }

    /// Whether there are no devices.
    pub fn is_empty(&self) -> bool {
        self.g_prog_us.is_empty()
    }
}
