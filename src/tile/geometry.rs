//! Tile geometry and the split of a weight matrix over a grid of tiles (physics.md section 3):
//! a dimension of size N > T is cut into n = ceil(N / T) near-equal, in-order chunks, the first
//! N mod n chunks one larger. Rows of a tile are inputs (word lines), columns are outputs.

use crate::error::{Error, Result};
use std::ops::Range;

/// Rows x columns of one crossbar tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileGeometry {
    /// Inputs per tile (word lines).
    pub rows: usize,
    /// Outputs per tile (bit lines).
    pub cols: usize,
}

impl Default for TileGeometry {
    fn default() -> Self {
        Self {
            rows: 512,
            cols: 512,
        }
    }
}

impl TileGeometry {
    /// A geometry; both sizes must be at least 1.
    pub fn new(rows: usize, cols: usize) -> Result<Self> {
        if rows == 0 || cols == 0 {
            return Err(Error::invalid_argument(
                "tile size",
                "rows and columns of at least 1",
                format!("{rows}x{cols}"),
            ));
        }
        Ok(Self { rows, cols })
    }

    /// Parses `ROWSxCOLS`, e.g. `512x512`.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || Error::invalid_argument("tile size", "ROWSxCOLS, e.g. 512x512", s);
        let (r, c) = s.split_once(['x', 'X']).ok_or_else(bad)?;
        let rows = r.trim().parse().map_err(|_| bad())?;
        let cols = c.trim().parse().map_err(|_| bad())?;
        Self::new(rows, cols)
    }
}

/// The chunks of a dimension of size `n` over tiles of size `max`.
///
/// # Formula
/// k = ceil(n / max) chunks; the first n mod k have ceil(n / k) elements, the rest floor(n / k).
pub fn split_dimension(n: usize, max: usize) -> Vec<Range<usize>> {
    assert!(max > 0, "tile dimension must be positive");
    if n == 0 {
        return Vec::new();
    }
    let k = n.div_ceil(max);
    let (base, extra) = (n / k, n % k);
    let mut start = 0;
    (0..k)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let r = start..start + len;
            start += len;
            r
        })
        .collect()
}

/// The grid of tiles holding a weight matrix of `out_features x in_features`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileGrid {
    /// Input ranges, one per tile row of the grid.
    pub row_chunks: Vec<Range<usize>>,
    /// Output ranges, one per tile column of the grid.
    pub col_chunks: Vec<Range<usize>>,
    pub geometry: TileGeometry,
}

impl TileGrid {
    /// The grid for a matrix with `in_features` inputs and `out_features` outputs.
    pub fn new(in_features: usize, out_features: usize, geometry: TileGeometry) -> Self {
        Self {
            row_chunks: split_dimension(in_features, geometry.rows),
            col_chunks: split_dimension(out_features, geometry.cols),
            geometry,
        }
    }

    /// Number of tiles.
    pub fn tile_count(&self) -> usize {
        self.row_chunks.len() * self.col_chunks.len()
    }

    /// Fraction of the tiles' cross-points holding a weight.
    pub fn utilisation(&self) -> f64 {
        let used: usize = self.row_chunks.iter().map(|r| r.len()).sum::<usize>()
            * self.col_chunks.iter().map(|c| c.len()).sum::<usize>();
        let capacity = self.tile_count() * self.geometry.rows * self.geometry.cols;
        if capacity == 0 {
            0.0
        } else {
            used as f64 / capacity as f64
        }
    }

    /// (tile rows, tile columns) of the grid.
    pub fn shape(&self) -> (usize, usize) {
        (self.row_chunks.len(), self.col_chunks.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_as_the_paper() {
        assert_eq!(split_dimension(512, 512), vec![0..512]);
        assert_eq!(split_dimension(513, 512), vec![0..257, 257..513]);
        assert_eq!(
            split_dimension(1030, 512),
            vec![0..344, 344..687, 687..1030]
        );
        assert_eq!(split_dimension(10, 512), vec![0..10]);
        assert!(split_dimension(0, 512).is_empty());
    }

    #[test]
    fn parses_sizes_and_refuses_zero() {
        assert_eq!(
            TileGeometry::parse("256x128").unwrap(),
            TileGeometry::new(256, 128).unwrap()
        );
        assert!(
            TileGeometry::parse("0x512")
                .unwrap_err()
                .to_string()
                .contains("at least 1")
        );
        assert!(TileGeometry::parse("512").is_err());
        assert!(TileGeometry::parse("ax5").is_err());
    }

    #[test]
    fn grid_counts_and_utilisation() {
        let g = TileGrid::new(576, 64, TileGeometry::default());
        assert_eq!(g.shape(), (2, 1));
        assert_eq!(g.tile_count(), 2);
        assert!((g.utilisation() - 576.0 * 64.0 / (2.0 * 512.0 * 512.0)).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn split_covers_every_weight_exactly_once(
            n_in in 1usize..3000, n_out in 1usize..3000, rows in 1usize..600, cols in 1usize..600
        ) {
            let g = TileGrid::new(n_in, n_out, TileGeometry::new(rows, cols).unwrap());
            for (chunks, n, max) in [(&g.row_chunks, n_in, rows), (&g.col_chunks, n_out, cols)] {
                prop_assert_eq!(chunks.len(), n.div_ceil(max));
                prop_assert_eq!(chunks[0].start, 0);
                prop_assert_eq!(chunks.last().unwrap().end, n);
                for w in chunks.windows(2) {
                    prop_assert_eq!(w[0].end, w[1].start);
                    prop_assert!(w[0].len() >= w[1].len());
                    prop_assert!(w[0].len() - w[1].len() <= 1);
                }
                prop_assert!(chunks.iter().all(|c| !c.is_empty() && c.len() <= max));
            }
            // Each weight (i, j) lies in exactly one tile.
            let mut count = vec![0u8; n_in.min(50) * n_out.min(50)];
            for r in &g.row_chunks {
                for c in &g.col_chunks {
                    for i in r.clone().filter(|&i| i < 50) {
                        for j in c.clone().filter(|&j| j < 50) {
                            count[i * n_out.min(50) + j] += 1;
                        }
                    }
                }
            }
            prop_assert!(count.iter().all(|&c| c == 1));
        }
    }
}
