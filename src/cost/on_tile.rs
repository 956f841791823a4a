//! The hardware as a tile configuration uses it (docs/cost.md, "Cost beside accuracy"): the
//! tile's geometry, its DAC and ADC bits where those stages are on, and its weight mapping (N
//! pairs per weight occupy N of the hardware file's weight cells, with N times the conductance);
//! every other figure from the hardware file. Sensitivity studies cost each knob value this way.

use super::hardware::Hardware;
use crate::error::Result;
use crate::tile::{TileConfig, TileGeometry};

impl Hardware {
    /// The same hardware with `copies` of its weight cell per weight: cell area and
    /// conductances times `copies` (N pairs each programmed to the weight; 0.5 for one device
    /// with an offset instead of a pair).
    pub fn with_weight_copies(mut self, copies: f64) -> Self {
        self.array.cell_area *= copies;
        self.array.full_weight_conductance *= copies;
        self.array.idle_conductance *= copies;
        self
    }

    /// The hardware of `tile`, and the tile's geometry.
    pub fn on_tile(self, tile: &TileConfig) -> Result<(Hardware, TileGeometry)> {
        let mut hw = self;
        if tile.periphery.adc.on {
            hw = hw.with_adc_bits(tile.periphery.adc.bits)?;
        }
        if tile.periphery.dac.on {
            hw = hw.with_dac_bits(tile.periphery.dac.bits)?;
        }
        let copies = tile.mapping.devices() as f64 / 2.0;
        Ok((hw.with_weight_copies(copies), tile.geometry()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::resolve_hardware;
    use crate::tile::mapping::WeightMapping;

    #[test]
    fn the_tile_sets_bits_geometry_and_cells() {
        let hw = resolve_hardware("hermes").unwrap();
        let tile = TileConfig::standard()
            .edit(|t| {
                t.periphery.adc.bits = 6;
                t.periphery.dac.bits = 7;
                t.mapping = WeightMapping::Pairs(3);
                (t.rows, t.cols) = (128, 64);
            })
            .unwrap();
        let (on, g) = hw.clone().on_tile(&tile).unwrap();
        assert_eq!((on.adc.bits, on.dac.bits), (6, 7));
        assert_eq!((g.rows, g.cols), (128, 64));
        assert_eq!(on.array.cell_area, 3.0 * hw.array.cell_area);
        assert_eq!(
            on.array.full_weight_conductance,
            3.0 * hw.array.full_weight_conductance
        );
        // With the ADC off the file's bits stay.
        let off = tile.edit(|t| t.periphery.adc.on = false).unwrap();
        assert_eq!(hw.clone().on_tile(&off).unwrap().0.adc.bits, hw.adc.bits);
    }
}
