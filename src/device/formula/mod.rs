//! Law formulas of device files (issue 20): a law written as a small expression in the file,
//! e.g. `sigma_us = "if(x < 0.0945, clip(-0.0387 * ln(x) - 0.0182, 0.072, 0.13), 0.0736 - 0.0126 * x - 0.0436 * x^2)"`,
//! over the variables the law offers (`x = g / g_max`, `g` in µS, `t` in s, ...). Parsed and
//! checked when the file is read (errors name the key, the column and what was expected);
//! evaluated over whole arrays in single precision (the device state's) and at single points
//! in double precision (checks, closed-form moments). Grammar: `parse.rs`; evaluation: `ops.rs`.

mod ops;
mod parse;
mod section;

pub use ops::Function;
use ops::{CHUNK, Op, eval_arrays, eval_scalar, fold_constants};
pub use section::{FieldsOrFormula, NumbersOrFormula};

use crate::error::InvalidKey;

/// The variables of a law of the conductance: `x = g / g_max` and `g` in µS.
pub const CONDUCTANCE_VARIABLES: [&str; 2] = ["x", "g"];

/// A parsed formula over named variables.
#[derive(Debug, Clone)]
pub struct Formula {
    source: String,
    variables: Vec<&'static str>,
    ops: Vec<Op>,
    depth: usize,
}

impl PartialEq for Formula {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.variables == other.variables
    }
}

impl Formula {
    /// Parses `source` over `variables` (inputs are given in this order). `key` names the
    /// formula in errors.
    pub fn parse(key: &str, source: &str, variables: &[&'static str]) -> Result<Self, InvalidKey> {
        let ops = parse::parse(source, variables).map_err(|e| {
            InvalidKey::new(
                key,
                format!("a formula: {} (column {})", e.message, e.column),
                format!("\"{source}\""),
            )
        })?;
        let (mut depth, mut top) = (0usize, 0usize);
        for &op in &ops {
            let (takes, pushes) = op.stack_effect();
            top = top - takes + pushes;
            depth = depth.max(top);
        }
        Ok(Self {
            source: source.to_string(),
            variables: variables.to_vec(),
            ops,
            depth,
        })
    }

    /// The formula with variable `name` fixed at `value` (constant parts folded: e.g. a law of
    /// time evaluated for many devices at one time). The variable keeps its input slot (its
    /// input is then ignored).
    pub fn bind(&self, name: &str, value: f64) -> Self {
        let Some(slot) = self.variables.iter().position(|v| *v == name) else {
            return self.clone();
        };
        let ops: Vec<Op> = self
            .ops
            .iter()
            .map(|&op| {
                if op == Op::Var(slot) {
                    Op::Const(value)
                } else {
                    op
                }
            })
            .collect();
        let ops = fold_constants(&ops);
        let (mut depth, mut top) = (0usize, 0usize);
        for &op in &ops {
            let (takes, pushes) = op.stack_effect();
            top = top - takes + pushes;
            depth = depth.max(top);
        }
        Self {
            source: self.source.clone(),
            variables: self.variables.clone(),
            ops,
            depth,
        }
    }

    /// The formula as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The variables, in input order.
    pub fn variables(&self) -> &[&'static str] {
        &self.variables
    }

    /// Whether the formula reads variable `name`.
    pub fn uses(&self, name: &str) -> bool {
        self.variables
            .iter()
            .position(|v| *v == name)
            .is_some_and(|slot| self.ops.contains(&Op::Var(slot)))
    }

    /// The value at one point, in double precision (`inputs` in variable order).
    pub fn eval(&self, inputs: &[f64]) -> f64 {
        assert_eq!(inputs.len(), self.variables.len(), "formula inputs");
        eval_scalar(&self.ops, inputs)
    }

    /// The values over arrays (`inputs` in variable order, each as long as `out`), in single
    /// precision.
    pub fn eval_into(&self, inputs: &[&[f32]], out: &mut [f32]) {
        assert_eq!(inputs.len(), self.variables.len(), "formula inputs");
        for i in inputs {
            assert_eq!(i.len(), out.len(), "formula input length");
        }
        let mut stack = vec![[0f32; CHUNK]; self.depth.max(1)];
        eval_arrays(&self.ops, inputs, out, &mut stack);
    }

    /// Checks that the formula is finite and at least `min` at every point of `grid` (each a
    /// list of inputs, with a description for the message).
    pub fn check_on(
        &self,
        key: &str,
        min: f64,
        grid: impl IntoIterator<Item = (Vec<f64>, String)>,
    ) -> Result<(), InvalidKey> {
        for (inputs, at) in grid {
            let v = self.eval(&inputs);
            if !v.is_finite() || v < min {
                return Err(InvalidKey::new(
                    key,
                    format!("a formula giving a finite value >= {min} everywhere"),
                    format!("{v} at {at}"),
                ));
            }
        }
        Ok(())
    }
}

impl Formula {
    /// A law of the conductance (variables [`CONDUCTANCE_VARIABLES`]) at `key`.
    pub fn of_conductance(key: &str, source: &str) -> Result<Self, InvalidKey> {
        Self::parse(key, source, &CONDUCTANCE_VARIABLES)
    }

    /// A law of the conductance over targets `g_us` with `g_hat = g / g_max`, into `out`.
    pub fn eval_conductance_into(&self, g_us: &[f32], g_hat: &[f32], out: &mut [f32]) {
        self.eval_into(&[g_hat, g_us], out);
    }

    /// Checks a law of the conductance at `key`: finite and at least `min` at 201 conductances
    /// from `g_min` to `g_max`.
    pub fn check_conductance(
        &self,
        key: &str,
        min: f64,
        g_min_us: f64,
        g_max_us: f64,
    ) -> Result<(), InvalidKey> {
        let grid = (0..=200).map(|k| {
            let g = g_min_us + (g_max_us - g_min_us) * k as f64 / 200.0;
            (vec![g / g_max_us, g], format!("g = {g} µS"))
        });
        self.check_on(key, min, grid)
    }
}

impl std::fmt::Display for Formula {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(source: &str) -> Formula {
        Formula::parse("law", source, &["x", "t"]).unwrap()
    }

    fn err(source: &str) -> String {
        Formula::parse("law", source, &["x", "t"])
            .unwrap_err()
            .expected
    }

    /// Closed forms, in double precision and over arrays (single precision).
    #[test]
    fn evaluates_what_is_written() {
        type Closed = fn(f64, f64) -> f64;
        let cases: [(&str, Closed); 9] = [
            ("1 + 2 * x - x / 4", |x, _| 1.0 + 2.0 * x - x / 4.0),
            ("-x^2", |x, _| -(x * x)),
            ("2^3^2 + x^0.5", |x, _| 512.0 + x.sqrt()),
            ("(1 - x) * (1 + x)", |x, _| (1.0 - x) * (1.0 + x)),
            (
                "ln(x) + log10(t) + exp(-x) + sqrt(t) + abs(x - 1)",
                |x, t| x.ln() + t.log10() + (-x).exp() + t.sqrt() + (x - 1.0).abs(),
            ),
            ("min(x, 0.5) + max(x, t) + clip(3 * x, 0.2, 1)", |x, t| {
                x.min(0.5) + x.max(t) + (3.0 * x).clamp(0.2, 1.0)
            }),
            (
                "if(x < 0.0945, clip(-0.0387 * ln(x) - 0.0182, 0.072, 0.13), -0.0436 * x^2 - 0.0126 * x + 0.0736)",
                |x, _| {
                    if x < 0.0945 {
                        (-0.0387 * x.ln() - 0.0182).clamp(0.072, 0.13)
                    } else {
                        -0.0436 * x * x - 0.0126 * x + 0.0736
                    }
                },
            ),
            ("(x <= 0.5) + (x >= 0.5) + (x > t) + 1.5e-1 + .5", |x, t| {
                (x <= 0.5) as u8 as f64 + (x >= 0.5) as u8 as f64 + (x > t) as u8 as f64 + 0.65
            }),
            (
                "0.0277316483 * log10(x * 88) * sqrt(ln((t + 1e-6) / (2e-6)))",
                |x, t| 0.0277316483 * (x * 88.0).log10() * ((t + 1e-6) / 2e-6).ln().sqrt(),
            ),
        ];
        let xs: Vec<f32> = (1..=600).map(|i| i as f32 / 400.0).collect();
        let ts: Vec<f32> = (1..=600).map(|i| i as f32 * 37.0).collect();
        for (source, closed) in cases {
            let formula = f(source);
            let mut out = vec![0f32; xs.len()];
            formula.eval_into(&[&xs, &ts], &mut out);
            for k in 0..xs.len() {
                let (x, t) = (xs[k] as f64, ts[k] as f64);
                let want = closed(x, t);
                assert!(
                    (formula.eval(&[x, t]) - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{source} at x = {x}"
                );
                // Single precision: a few ulp per operation.
                assert!(
                    (out[k] as f64 - want).abs() <= 1e-5 * want.abs().max(1.0),
                    "{source} at x = {x}: {} vs {want}",
                    out[k]
                );
            }
        }
    }

    #[test]
    fn bad_formulas_are_refused_with_the_column() {
        for (source, expected) in [
            ("", "a formula, found the end (column 1)"),
            ("1 +", "a number, a name or `(`, found the end (column 4)"),
            ("2 * y", "one of the variables x, t, found `y` (column 5)"),
            (
                "lnn(x)",
                "a function (ln, log10, exp, sqrt, abs, min, max, clip, if), found `lnn` (column 1)",
            ),
            ("min(x)", "2 arguments to `min`, found 1 (column 1)"),
            ("(x + 1", "`)`, found the end (column 7)"),
            (
                "x $ 2",
                "an operator or a parenthesis, found `$` (column 3)",
            ),
            (
                "x x",
                "an operator or the end of the formula, found `x` (column 3)",
            ),
            ("1.2.3", "a number, found `1.2.3` (column 1)"),
        ] {
            let e = err(source);
            assert!(e.ends_with(expected), "{source}: {e}");
        }
    }

    /// Binding a variable gives the formula's values at it, its constant parts folded.
    #[test]
    fn binding_folds_what_no_longer_varies() {
        let g = f("0.0277316483 * log10(x * 88) * sqrt(ln((t + 1e-6) / (2e-6)))");
        let b = g.bind("t", 3600.0);
        assert!(b.ops.len() < g.ops.len(), "{:?}", b.ops);
        for x in [0.2, 0.5, 1.0] {
            assert!((b.eval(&[x, 0.0]) - g.eval(&[x, 3600.0])).abs() < 1e-15);
        }
        assert_eq!(f("2 * 3 + x").bind("t", 1.0).ops.len(), 3);
        assert!(!f("x + t").bind("t", 5.0).uses("t"));
    }

    #[test]
    fn ln_handles_the_edges() {
        let l = f("ln(x)");
        let mut out = [0f32; 5];
        l.eval_into(
            &[&[0.0, -1.0, f32::INFINITY, 1.0, 1e-40], &[0.0; 5]],
            &mut out,
        );
        assert_eq!(out[0], f32::NEG_INFINITY);
        assert!(out[1].is_nan());
        assert_eq!(out[2], f32::INFINITY);
        assert_eq!(out[3], 0.0);
        assert!((out[4] - f32::MIN_POSITIVE.ln()).abs() < 1e-4, "{}", out[4]);
    }

    #[test]
    fn knows_what_it_reads_and_checks_values() {
        let g = f("0.2 + x");
        assert!(g.uses("x") && !g.uses("t"));
        assert_eq!(g.to_string(), "0.2 + x");
        let grid = (0..=10).map(|k| (vec![k as f64 / 10.0 - 0.5, 0.0], format!("x = {k}")));
        let e = g.check_on("law", 0.0, grid).unwrap_err();
        assert_eq!(e.found, "-0.3 at x = 0");
        assert!(
            f("ln(x)")
                .check_on("law", 0.0, [(vec![0.0, 0.0], "x = 0".into())])
                .is_err()
        );
    }
}
