//! The operations of a compiled formula (postfix, over a stack) and their evaluation: one value
//! in double precision (checks, moments), or whole arrays in single precision, one operation at
//! a time over a chunk of elements (the loops vectorise; no per-element interpretation).

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
/// precision, a chunk at a time with `stack` (at least the program's depth) as scratch.
pub fn eval_arrays(ops: &[Op], inputs: &[&[f32]], out: &mut [f32], stack: &mut [[f32; CHUNK]]) {
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
                Op::PowInt(e) => unary(&mut stack[at][..len], |a| {
                    let mut v = 1.0f32;
                    for _ in 0..e {
                        v *= a;
                    }
                    v
                }),
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
                    Function::Ln => unary(&mut stack[at][..len], f32::ln),
                    Function::Log10 => unary(&mut stack[at][..len], f32::log10),
                    Function::Exp => unary(&mut stack[at][..len], f32::exp),
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
