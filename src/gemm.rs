//! The matrix products of the tile's CPU passes, y = x W^T for x [B, n] and W [m, n], by
//! matrixmultiply's sgemm (pure Rust, AVX2/FMA kernels chosen at run time). On the 2-core
//! development machine it took 2.07 ms for B = 1024, n = m = 512 on 2 threads against 2.84 ms
//! for candle 0.11's matmul (the `gemm` crate), 3.44 ms against 4.68 ms on one; candle's is
//! faster for narrow W (64 rows; docs/benchmarks.md). The output goes in blocks
//! ([`task_block`]) to rayon's threads, one sgemm each over the whole inner dimension. sgemm
//! sums each output alone, in fixed blocks of the inner dimension, so the bytes depend neither
//! on the blocks nor on the thread count. As a candle op ([`XwT`]) its backward is candle's own
//! products: dx = dy W, dW = dy^T x.

use crate::cpu_op::f32_slice;
use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// Tasks per thread a product is cut into (so that a thread that falls behind is helped).
const TASKS_PER_THREAD: usize = 2;

/// The fewest rows of x in a task: each task packs its block of W (sgemm copies both operands
/// into its kernel's layout), so short blocks of rows pack W again and again.
const MIN_ROWS: usize = 64;

/// The fewest output columns in a task, when the rows alone do not make enough tasks.
const MIN_COLS: usize = 128;

/// The block of the output [b, m] each task computes, (rows, cols), for `threads` threads:
/// whole rows of the output (each task packs its rows of x once and all of W) in
/// [`TASKS_PER_THREAD`] x `threads` tasks, with at least [`MIN_ROWS`] rows each; columns are
/// split too ([`MIN_COLS`] at least) only when there are too few rows for that. Rows and columns
/// are multiples of 16 (the AVX-512 kernel's 16 x 16) unless the whole dimension is shorter.
fn task_block(b: usize, m: usize, threads: usize) -> (usize, usize) {
    let tasks = TASKS_PER_THREAD * threads.max(1);
    let rows = b.div_ceil(tasks).next_multiple_of(16).max(MIN_ROWS).min(b);
    let row_tasks = b.div_ceil(rows.max(1));
    let cols = if row_tasks >= tasks {
        m
    } else {
        let col_tasks = tasks.div_ceil(row_tasks);
        m.div_ceil(col_tasks)
            .next_multiple_of(16)
            .max(MIN_COLS)
            .min(m)
    };
    (rows, cols)
}

/// The output's address, shared by tasks that write disjoint blocks of it.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
// SAFETY: tasks write disjoint blocks (see x_wt).
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// The address (a method, so that closures capture the whole `OutPtr`).
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// x W^T [B, m] for x [B, n] and W [m, n], both row-major.
pub fn x_wt(x: &[f32], w: &[f32], n: usize, m: usize) -> Vec<f32> {
    let b = x.len().checked_div(n).unwrap_or(0);
    if m == 0 || b == 0 {
        return Vec::new();
    }
    assert_eq!(w.len(), m * n, "W [{m}, {n}]");
    // Not zeroed: every element is written below (saves a pass over the output).
    let mut y: Vec<f32> = Vec::with_capacity(b * m);
    let out = OutPtr(y.as_mut_ptr());
    let (block_rows, block_cols) = task_block(b, m, rayon::current_num_threads());
    let (row_blocks, col_blocks) = (b.div_ceil(block_rows), m.div_ceil(block_cols));
    (0..row_blocks * col_blocks)
        .into_par_iter()
        .for_each(|task| {
            let (r0, c0) = (
                task / col_blocks * block_rows,
                task % col_blocks * block_cols,
            );
            let (rows, cols) = (block_rows.min(b - r0), block_cols.min(m - c0));
            // SAFETY: x rows r0.. (strides n, 1) and W rows c0.. read transposed (strides 1, n)
            // lie inside the slices; the output block [r0.., c0..] (strides m, 1) lies inside y
            // and no other task writes it.
            unsafe {
                matrixmultiply::sgemm(
                    rows,
                    n,
                    cols,
                    1.0,
                    x.as_ptr().add(r0 * n),
                    n as isize,
                    1,
                    w.as_ptr().add(c0 * n),
                    1,
                    n as isize,
                    0.0,
                    out.get().add(r0 * m + c0),
                    m as isize,
                    1,
                )
            };
        });
    // SAFETY: the blocks tile [0, b) x [0, m), and sgemm with beta 0 writes every element of
    // its block without reading it (matrixmultiply: "If β is zero, then C does not need to be
    // initialized"; with n = 0 it writes zeros).
    unsafe { y.set_len(b * m) };
    y
}

/// (x [B, n], W [m, n]) -> x W^T [B, m] (contiguous f32 on the CPU).
pub struct XwT;

impl CustomOp2 for XwT {
    fn name(&self) -> &'static str {
        "aimc-x-wt"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, w) = (f32_slice(s1, l1)?, f32_slice(s2, l2)?);
        let (b, n) = l1.shape().dims2()?;
        let (m, n2) = l2.shape().dims2()?;
        if n != n2 {
            candle_core::bail!("aimc-x-wt: x [{b}, {n}] against W [{m}, {n2}]");
        }
        Ok((CpuStorage::F32(x_wt(x, w, n, m)), Shape::from((b, m))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(grad.matmul(w)?), Some(grad.t()?.matmul(x)?)))
    }
}

/// x W^T for x [B, n] and W [m, n]: [`XwT`] for f32 on the CPU, candle's matmul elsewhere.
pub fn matmul_wt(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if crate::cpu_op::fused_cpu(x) && crate::cpu_op::fused_cpu(w) {
        return x.contiguous()?.apply_op2(&w.contiguous()?, XwT);
    }
    x.matmul(&w.t()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::NoiseRng;
    use candle_core::{Device, Var};

    fn randn(shape: (usize, usize), seed: u64) -> Tensor {
        let mut v = vec![0f32; shape.0 * shape.1];
        NoiseRng::new(seed).fill_normal(&mut v);
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    /// The same products as candle's matmul (to rounding), several row blocks and a partial one.
    #[test]
    fn products_equal_candles() -> Result<()> {
        let (x, w) = (randn((300, 70), 1), randn((45, 70), 2));
        let got = matmul_wt(&x, &w)?.flatten_all()?.to_vec1::<f32>()?;
        let want = x.matmul(&w.t()?)?.flatten_all()?.to_vec1::<f32>()?;
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
        }
        Ok(())
    }

    /// The blocks give the bytes of one sgemm over the whole product (so that outputs do not
    /// depend on how the product is cut into tasks).
    #[test]
    fn blocks_give_the_bytes_of_one_call() {
        let (b, n, m) = (300, 70, 290);
        let (x, w) = (randn((b, n), 7), randn((m, n), 8));
        let (x, w) = (
            x.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            w.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        );
        let mut whole = vec![0.0f32; b * m];
        // SAFETY: the same strides as x_wt's, over the whole matrices.
        unsafe {
            matrixmultiply::sgemm(
                b,
                n,
                m,
                1.0,
                x.as_ptr(),
                n as isize,
                1,
                w.as_ptr(),
                1,
                n as isize,
                0.0,
                whole.as_mut_ptr(),
                m as isize,
                1,
            )
        };
        assert_eq!(x_wt(&x, &w, n, m), whole);
    }

    /// Whole output rows while the rows make enough tasks; columns split only when they do not.
    #[test]
    fn task_blocks_keep_rows_whole_while_they_can() {
        assert_eq!(task_block(1024, 512, 1), (512, 512));
        assert_eq!(task_block(1024, 512, 2), (256, 512));
        assert_eq!(task_block(32768, 64, 2), (8192, 64));
        // 32 threads: 64-row blocks make 16 tasks, so the columns go in 4 blocks.
        assert_eq!(task_block(1024, 512, 32), (64, 128));
        assert_eq!(task_block(1000, 33, 3), (176, 33));
        assert_eq!(task_block(5, 3, 4), (5, 3));
    }

    /// The bytes do not depend on the thread count.
    #[test]
    fn same_bytes_on_any_thread_count() {
        let (x, w) = (randn((1000, 64), 3), randn((33, 64), 4));
        let (x, w) = (
            x.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            w.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        );
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| x_wt(&x, &w, 64, 33))
        };
        assert_eq!(run(1), run(3));
    }

    /// The backward is that of x W^T.
    #[test]
    fn gradients_are_those_of_the_product() -> Result<()> {
        let x = Var::from_tensor(&randn((5, 7), 5))?;
        let w = Var::from_tensor(&randn((3, 7), 6))?;
        let g = matmul_wt(x.as_tensor(), w.as_tensor())?
            .sqr()?
            .sum_all()?
            .backward()?;
        let h = x
            .as_tensor()
            .matmul(&w.as_tensor().t()?)?
            .sqr()?
            .sum_all()?
            .backward()?;
        for v in [&x, &w] {
            let (a, b) = (
                g.get(v).unwrap().flatten_all()?.to_vec1::<f32>()?,
                h.get(v).unwrap().flatten_all()?.to_vec1::<f32>()?,
            );
            for (p, q) in a.iter().zip(&b) {
                assert!((p - q).abs() <= 1e-4 * q.abs().max(1.0), "{p} vs {q}");
            }
        }
        Ok(())
    }
}
