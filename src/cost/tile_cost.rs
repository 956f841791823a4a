//! The cost of one matrix-vector multiplication (MVM) on one tile (docs/cost.md, equations C1 to
//! C6): the energy of its DAC conversions, of the current through the array, of its ADC
//! conversions and of its digital scaling; its time; and the area of a tile.

use super::hardware::{Conversion, Hardware};
use serde::Serialize;

/// Energy split by where it is spent, J.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Energy {
    pub dac: f64,
    pub array: f64,
    pub adc: f64,
    pub digital: f64,
}

impl Energy {
    /// The sum of the parts.
    pub fn total(&self) -> f64 {
        self.dac + self.array + self.adc + self.digital
    }

    /// Part by part sum.
    pub fn plus(&self, o: &Energy) -> Energy {
        Energy {
            dac: self.dac + o.dac,
            array: self.array + o.array,
            adc: self.adc + o.adc,
            digital: self.digital + o.digital,
        }
    }

    /// Every part times `k`.
    pub fn times(&self, k: f64) -> Energy {
        Energy {
            dac: self.dac * k,
            array: self.array * k,
            adc: self.adc * k,
            digital: self.digital * k,
        }
    }

    /// The parts with their names, in the order of the signal chain.
    pub fn parts(&self) -> [(&'static str, f64); 4] {
        [
            ("dac", self.dac),
            ("array", self.array),
            ("adc", self.adc),
            ("digital", self.digital),
        ]
    }
}

impl Hardware {
    /// (C1) The integration window: the longest input pulse, (2^(b_DAC - 1) - 1) LSBs (a sign
    /// and b_DAC - 1 bits of magnitude as a pulse width).
    pub fn input_window(&self) -> f64 {
        ((1u64 << (self.dac.bits - 1)) - 1) as f64 * self.dac.lsb_time
    }

    /// (C2) Energy of one DAC conversion: e_step,DAC 2^b_DAC.
    pub fn dac_conversion_energy(&self) -> f64 {
        self.dac.energy_per_step * (1u64 << self.dac.bits) as f64
    }

    /// (C2) Energy of one ADC conversion: e_step,ADC 2^b_ADC (Walden's figure of merit form).
    pub fn adc_conversion_energy(&self) -> f64 {
        self.adc.energy_per_step * (1u64 << self.adc.bits) as f64
    }

    /// (C3) Energy of the array in one MVM: V^2 T d (G_full sum|w~| + G_idle n_cells), with T
    /// the integration window, d the mean input duty, sum|w~| the weights over w_max summed over
    /// the `cells` used, G_full and G_idle a weight's conductance at |w~| = 1 and at 0.
    pub fn array_energy(&self, weight_sum: f64, cells: usize, duty: f64) -> f64 {
        let a = &self.array;
        let conductance =
            a.full_weight_conductance * weight_sum + a.idle_conductance * cells as f64;
        a.read_voltage * a.read_voltage * self.input_window() * duty * conductance
    }

    /// (C4) Time of one MVM on a tile: the input window and the read-out of the m columns an
    /// ADC serves (counting: m max(T, 2^b_ADC t_ADC), converting during each window; SAR:
    /// T + m (b_ADC + 1) t_ADC after it), then the digital unit's cycles.
    pub fn mvm_time(&self) -> f64 {
        let window = self.input_window();
        let m = self.adc.columns_per_adc as f64;
        let readout = match self.adc.conversion {
            Conversion::Counting => m * window.max((1u64 << self.adc.bits) as f64 * self.adc.cycle),
            Conversion::Sar => window + m * (self.adc.bits + 1) as f64 * self.adc.cycle,
        };
        readout + self.digital.cycles_per_mvm as f64 * self.digital.cycle
    }

    /// (C5) Area of a tile of `rows` x `cols`: the cells, a DAC per row, an ADC per
    /// `columns_per_adc` columns and the tile's digital unit.
    pub fn tile_area(&self, rows: usize, cols: usize) -> f64 {
        let adcs = cols.div_ceil(self.adc.columns_per_adc);
        (rows * cols) as f64 * self.array.cell_area
            + rows as f64 * self.dac.area
            + adcs as f64 * self.adc.area
            + self.digital.tile_area
    }

    /// (C6) Energy of one MVM on a tile using `rows` x `cols` of its cells, holding weights
    /// whose |w~| sum to `weight_sum`, driven with mean duty `duty`: a DAC conversion per row
    /// used, the array, an ADC conversion and a digital scaling per column used.
    pub fn tile_mvm_energy(&self, rows: usize, cols: usize, weight_sum: f64, duty: f64) -> Energy {
        Energy {
            dac: rows as f64 * self.dac_conversion_energy(),
            array: self.array_energy(weight_sum, rows * cols, duty),
            adc: cols as f64 * self.adc_conversion_energy(),
            digital: cols as f64 * self.digital.energy_per_op,
        }
    }
}
