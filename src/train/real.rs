//! The floating-point type of the BPTT arithmetic: `f64` (exact, the engine's kernels, used by the
//! gradient check) or `f32` (twice the SIMD width and a cheaper `tanh`, the precision PyTorch trains
//! in; the default for training).

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Mul, Sub};

use serde::{Deserialize, Serialize};

use super::noise::GaussianStream;
use crate::kernels;

/// Which [`Real`] a training run computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Single precision (what PyTorch trains in): about twice as fast.
    #[default]
    F32,
    /// Double precision: the forward pass is `Network::simulate` bit for bit without noise.
    F64,
}

/// The operations the forward and backward passes need, per precision.
pub trait Real:
    Copy
    + Debug
    + Default
    + PartialEq
    + Send
    + Sync
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + AddAssign
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    /// `out[i] = tanh(x[i])`.
    fn tanh_into(x: &[Self], out: &mut [Self]);
    /// `sum_i a[i] b[i]`, in a fixed order.
    fn dot(a: &[Self], b: &[Self]) -> Self;
    /// `y += a x`.
    fn axpy(a: Self, x: &[Self], y: &mut [Self]);
    /// Standard normal draws.
    fn fill_normal(noise: &mut GaussianStream, out: &mut [Self]);
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn tanh_into(x: &[Self], out: &mut [Self]) {
        kernels::tanh_into(x, out)
    }
    #[inline(always)]
    fn dot(a: &[Self], b: &[Self]) -> Self {
        kernels::dot(a, b)
    }
    #[inline(always)]
    fn axpy(a: Self, x: &[Self], y: &mut [Self]) {
        kernels::axpy(a, x, y)
    }
    #[inline(always)]
    fn fill_normal(noise: &mut GaussianStream, out: &mut [Self]) {
        noise.fill(out)
    }
}

/// Partial sums of the `f32` dot product: two AVX2 registers.
const LANES32: usize = 16;
/// Beyond this `tanh` is ±1 in `f32` (`1 - tanh(9) = 3e-8 < ulp(1) / 2`).
const TANH_SATURATION32: f32 = 9.0;
/// `1.5 * 2^23`, the `f32` rounding constant (see `kernels::ROUND_MAGIC`).
const ROUND_MAGIC32: f32 = 12_582_912.0;
/// `ln 2` split for exact range reduction in `f32`.
const LN2_HI32: f32 = 0.693_145_75;
const LN2_LO32: f32 = 1.428_606_8e-6;

/// `tanh(x)` in `f32`, branch-free, relative error below 1e-6: `tanh|x| = -e / (2 + e)` with
/// `e = expm1(-2|x|) = 2^k expm1(r) + (2^k - 1)`, `|r| <= ln2 / 2`, `expm1(r)` to `r^7 / 7!`, on fused
/// multiply-adds like [`kernels::tanh`] (so it belongs inside a `simd_fn!`).
#[inline(always)]
fn tanh32(x: f32) -> f32 {
    let a = x.abs();
    let a = if a > TANH_SATURATION32 {
        TANH_SATURATION32
    } else {
        a
    };
    let t = -2.0 * a;
    let shifted = t.mul_add(std::f32::consts::LOG2_E, ROUND_MAGIC32);
    let k = shifted - ROUND_MAGIC32;
    let r = (-k).mul_add(LN2_LO32, (-k).mul_add(LN2_HI32, t));
    let mut q: f32 = 1.0 / 5040.0;
    for c in [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5] {
        q = q.mul_add(r, c);
    }
    let p = (r * r).mul_add(q, r);
    let k_bits = shifted.to_bits().wrapping_sub(ROUND_MAGIC32.to_bits());
    let scale = f32::from_bits(k_bits.wrapping_add(127) << 23);
    let e = scale.mul_add(p, scale - 1.0);
    (-e / (2.0 + e)).copysign(x)
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn tanh_into(x: &[Self], out: &mut [Self]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = tanh32(v);
        }
    }
    #[inline(always)]
    fn dot(a: &[Self], b: &[Self]) -> Self {
        let len = a.len().min(b.len());
        let (a, b) = (&a[..len], &b[..len]);
        let mut acc = [0.0f32; LANES32];
        let chunks = len / LANES32 * LANES32;
        for (ca, cb) in a[..chunks]
            .chunks_exact(LANES32)
            .zip(b[..chunks].chunks_exact(LANES32))
        {
            for j in 0..LANES32 {
                acc[j] += ca[j] * cb[j];
            }
        }
        for (j, (&x, &y)) in a[chunks..].iter().zip(&b[chunks..]).enumerate() {
            acc[j] += x * y;
        }
        // Pairwise, in a fixed order.
        let mut width = LANES32 / 2;
        while width > 0 {
            for j in 0..width {
                acc[j] += acc[j + width];
            }
            width /= 2;
        }
        acc[0]
    }
    #[inline(always)]
    fn axpy(a: Self, x: &[Self], y: &mut [Self]) {
        for (yi, &xi) in y.iter_mut().zip(x) {
            *yi += a * xi;
        }
    }
    #[inline(always)]
    fn fill_normal(noise: &mut GaussianStream, out: &mut [Self]) {
        noise.fill32(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh32_is_accurate_over_the_whole_range() {
        let mut worst: f64 = 0.0;
        for i in 0..400_000 {
            let x = -12.0 + 24.0 * i as f32 / 400_000.0;
            let exact = f64::from(x).tanh();
            let err = (f64::from(tanh32(x)) - exact).abs() / exact.abs().max(1e-30);
            worst = worst.max(err);
        }
        for i in 1..1000 {
            let x = 1e-30 * 1.1f32.powi(i);
            let err = (f64::from(tanh32(x)) - f64::from(x).tanh()).abs() / f64::from(x).tanh();
            worst = worst.max(err);
        }
        assert!(worst < 1e-6, "tanh32 worst relative error {worst:e}");
        assert_eq!(tanh32(0.0), 0.0);
        assert_eq!(tanh32(50.0), 1.0);
        assert_eq!(tanh32(-f32::INFINITY), -1.0);
    }

    #[test]
    fn f32_dot_and_axpy_match_f64() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..37).map(|i| (i as f32).sin()).collect();
        let exact: f64 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| f64::from(*x) * f64::from(*y))
            .sum();
        assert!((f64::from(<f32 as Real>::dot(&a, &b)) - exact).abs() < 1e-5);
        let mut y = b.clone();
        <f32 as Real>::axpy(2.0, &a, &mut y);
        assert!(
            y.iter()
                .zip(&a)
                .zip(&b)
                .all(|((y, a), b)| *y == b + 2.0 * a)
        );
    }
}
