//! The operations of a compiled formula (postfix, over a stack) and their evaluation: one value
//! in double precision (checks, moments), or whole arrays in single precision, one operation at
//! a time over a chunk of elements (the loops vectorise, ln and exp by `fastmath`'s polynomials:
//! relative error below 3e-7; no per-element interpretation); and constant folding.

use crate::fastmath::{exp_f32, ln_f32};

/// A function of a formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Ln,
    Log10,
    Exp,
    Sqrt,
    Abs,
    Min,
    Max,
    Clip,
    If,
}

impl Function {
    /// The names, as written.
    pub const NAMES: [&'static str; 9] = [
        "ln", "log10", "exp", "sqrt", "abs", "min", "max", "clip", "if",
    ];

    pub fn named(name: &str) -> Option<Self> {
        use Function::*;
        Some(match name {
            "ln" => Ln,
            "log10" => Log10,
            "exp" => Exp,
            "sqrt" => Sqrt,
            "abs" => Abs,
            "min" => Min,
            "max" => Max,
            "clip" => Clip,
            "if" => If,
            _ => return None,
        })
    }

    pub fn arity(self) -> usize {
        use Function::*;
        match self {
            Ln | Log10 | Exp | Sqrt | Abs => 1,
            Min | Max => 2,
            Clip | If => 3,
        }
    }
}

/// One postfix operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Const(f64),
    /// The input in this slot.
    Var(usize),
    Neg,
    Add,
    Sub,
    Mul,
    Div,
    /// a^b (powf).
    Pow,
    /// a^n for a whole constant n (repeated multiplication).
    PowInt(u32),
    Lt,
    Le,
    Gt,
    Ge,
    Call(Function),
}

impl Op {
    /// Values taken from the stack and values pushed.
    pub fn stack_effect(self) -> (usize, usize) {
        match self {
            Op::Const(_) | Op::Var(_) => (0, 1),
            Op::Neg | Op::PowInt(_) => (1, 1),
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow => (2, 1),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => (2, 1),
            Op::Call(f) => (f.arity(), 1),
        }
    }
}

fn bool_value(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Evaluates `ops` at one point (`inputs` by slot), in double precision.
pub fn eval_scalar(ops: &[Op], inputs: &[f64]) -> f64 {
    let mut stack: Vec<f64> = Vec::with_capacity(8);
    for &op in ops {
        let (takes, _) = op.stack_effect();
        let at = stack.len() - takes;
        let a = stack.get(at).copied().unwrap_or(0.0);
        let b = stack.get(at + 1).copied().unwrap_or(0.0);
        let c = stack.get(at + 2).copied().unwrap_or(0.0);
        let v = match op {
            Op::Const(v) => v,
            Op::Var(slot) => inputs[slot],
            Op::Neg => -a,
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
            Op::Pow => a.powf(b),
            Op::PowInt(n) => a.powi(n as i32),
            Op::Lt => bool_value(a < b),
            Op::Le => bool_value(a <= b),
            Op::Gt => bool_value(a > b),
            Op::Ge => bool_value(a >= b),
            Op::Call(f) => match f {
                Function::Ln => a.ln(),
                Function::Log10 => a.log10(),
                Function::Exp => a.exp(),
                Function::Sqrt => a.sqrt(),
                Function::Abs => a.abs(),
                Function::Min => a.min(b),
                Function::Max => a.max(b),
                Function::Clip => a.max(b).min(c),
                Function::If => {
                    if a != 0.0 {
                        b
                    } else {
                        c
                    }
                }
            },
        };
        stack.truncate(at);
        stack.push(v);
    }
    stack.pop().unwrap_or(f64::NAN)
}

/// Elements evaluated together: every stack entry is a buffer of this many.
pub const CHUNK: usize = 256;

/// Evaluates `ops` over arrays: `inputs` by slot (each as long as `out`), into `out`, in single
/// precision, a chunk at a time with `stack` (at least the program's depth) as scratch;
/// vectorised 8 lanes wide with AVX2 where the processor has it (no FMA: the same numbers).
pub fn eval_arrays(ops: &[Op], inputs: &[&[f32]], out: &mut [f32], stack: &mut [[f32; CHUNK]]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor supports AVX2 (checked above).
        unsafe { eval_arrays_avx2(ops, inputs, out, stack) };
        return;
    }
    eval_arrays_kernel(ops, inputs, out, stack);
}

/// [`eval_arrays_kernel`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn eval_arrays_avx2(
    ops: &[Op],
    inputs: &[&[f32]],
    out: &mut [f32],
    stack: &mut [[f32; CHUNK]],
) {
    eval_arrays_kernel(ops, inputs, out, stack);
}

#[inline(always)]
fn eval_arrays_kernel(ops: &[Op], inputs: &[&[f32]], out: &mut [f32], stack: &mut [[f32; CHUNK]]) {
    let n = out.len();
    let mut start = 0;
    while start < n {
        let len = CHUNK.min(n - start);
        let mut top = 0usize;
        for &op in ops {
            let (takes, _) = op.stack_effect();
            let at = top - takes;
            match op {
                Op::Const(v) => stack[at][..len].fill(v as f32),
                Op::Var(slot) => {
                    stack[at][..len].copy_from_slice(&inputs[slot][start..start + len])
                }
                Op::Neg => unary(&mut stack[at][..len], |a| -a),
                Op::PowInt(e) => {
                    // Whole-chunk multiplications (vectorised), the base kept aside.
                    let base = stack[at];
                    let a = &mut stack[at][..len];
                    if e == 0 {
                        a.fill(1.0);
                    }
                    for _ in 1..e.max(1) {
                        for (v, &b) in a.iter_mut().zip(&base[..len]) {
                            *v *= b;
                        }
                    }
                }
                Op::Add => binary(stack, at, len, |a, b| a + b),
                Op::Sub => binary(stack, at, len, |a, b| a - b),
                Op::Mul => binary(stack, at, len, |a, b| a * b),
                Op::Div => binary(stack, at, len, |a, b| a / b),
                Op::Pow => binary(stack, at, len, f32::powf),
                Op::Lt => binary(stack, at, len, |a, b| (a < b) as u8 as f32),
                Op::Le => binary(stack, at, len, |a, b| (a <= b) as u8 as f32),
                Op::Gt => binary(stack, at, len, |a, b| (a > b) as u8 as f32),
                Op::Ge => binary(stack, at, len, |a, b| (a >= b) as u8 as f32),
                Op::Call(f) => match f {
                    Function::Ln => unary(&mut stack[at][..len], ln),
                    Function::Log10 => {
                        unary(&mut stack[at][..len], |a| ln(a) * std::f32::consts::LOG10_E)
                    }
                    Function::Exp => unary(&mut stack[at][..len], exp_f32),
                    Function::Sqrt => unary(&mut stack[at][..len], f32::sqrt),
                    Function::Abs => unary(&mut stack[at][..len], f32::abs),
                    Function::Min => binary(stack, at, len, f32::min),
                    Function::Max => binary(stack, at, len, f32::max),
                    Function::Clip => ternary(stack, at, len, |a, b, c| a.max(b).min(c)),
                    Function::If => ternary(stack, at, len, |a, b, c| if a != 0.0 { b } else { c }),
                },
            }
            top = at + 1;
        }
        out[start..start + len].copy_from_slice(&stack[0][..len]);
        start += len;
    }
}

/// ln(x) with fastmath's polynomial (vectorisable): -inf at 0, NaN below, inf at inf;
/// subnormals as the smallest normal.
#[inline(always)]
fn ln(x: f32) -> f32 {
    let v = ln_f32(x.max(f32::MIN_POSITIVE));
    if x == f32::INFINITY {
        f32::INFINITY
    } else if x > 0.0 {
        v
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else {
        f32::NAN
    }
}

/// `ops` with every subexpression that reads no variable replaced by its value (double
/// precision, as [`eval_scalar`] computes it).
pub fn fold_constants(ops: &[Op]) -> Vec<Op> {
    // Each stack entry: the code of a subexpression, and its value when constant.
    let mut stack: Vec<(Vec<Op>, Option<f64>)> = Vec::new();
    for &op in ops {
        let (takes, _) = op.stack_effect();
        let args = stack.split_off(stack.len() - takes);
        let entry = match op {
            Op::Const(v) => (vec![op], Some(v)),
            Op::Var(_) => (vec![op], None),
            _ if args.iter().all(|a| a.1.is_some()) => {
                let mut code: Vec<Op> = args.iter().map(|a| Op::Const(a.1.unwrap())).collect();
                code.push(op);
                let v = eval_scalar(&code, &[]);
                (vec![Op::Const(v)], Some(v))
            }
            _ => {
                let mut code: Vec<Op> = args.into_iter().flat_map(|a| a.0).collect();
                code.push(op);
                (code, None)
            }
        };
        stack.push(entry);
    }
    stack.into_iter().flat_map(|e| e.0).collect()
}

#[inline(always)]
fn unary(a: &mut [f32], f: impl Fn(f32) -> f32) {
    for v in a.iter_mut() {
        *v = f(*v);
    }
}

#[inline(always)]
fn binary(stack: &mut [[f32; CHUNK]], at: usize, len: usize, f: impl Fn(f32, f32) -> f32) {
    let (lo, hi) = stack.split_at_mut(at + 1);
    for (a, &b) in lo[at][..len].iter_mut().zip(&hi[0][..len]) {
        *a = f(*a, b);
    }
}

#[inline(always)]
fn ternary(stack: &mut [[f32; CHUNK]], at: usize, len: usize, f: impl Fn(f32, f32, f32) -> f32) {
    let (lo, hi) = stack.split_at_mut(at + 1);
    let (b, c) = hi.split_at(1);
    for ((a, &b), &c) in lo[at][..len].iter_mut().zip(&b[0][..len]).zip(&c[0][..len]) {
        *a = f(*a, b, c);
    }
}
