//! Vectorisable per-neuron loops shared by the network engine (MODEL.md 1) and the exact reduction
//! (MODEL.md 3).
//!
//! Every loop over neurons in the project is one of a handful of shapes: an elementwise `tanh`, a dot
//! product, an `axpy`. They are written here once, branch-free and with fixed summation order, so that
//! LLVM vectorises them and so that results are bit-for-bit identical whatever SIMD width the CPU has
//! (no reassociation happens behind our back: the 8 partial sums are explicit).
//!
//! On x86-64 the hot entry points are compiled again with AVX2 + FMA and with AVX-512F enabled and
//! chosen at run time ([`simd_fn!`](crate::simd_fn)); the arithmetic is the same, only the width
//! changes. `tanh` is written with fused multiply-adds (`mul_add`): one rounding per step instead of
//! two, and about 30 % faster than separate products and sums where the FMA unit is used. Fused
//! operations are exactly rounded on every path (hardware FMA in the dispatched code, libm's `fma`
//! otherwise), so the bits still agree across paths; code that calls `tanh` in a hot loop belongs
//! inside a `simd_fn!`, where `mul_add` is one instruction rather than a library call.

/// Partial sums kept by [`dot`]; 8 lanes fill two AVX2 registers.
const LANES: usize = 8;

/// `1.5 * 2^52`: adding it rounds an `f64` of magnitude < 2^51 to the nearest integer (ties to even)
/// and leaves that integer in the low mantissa bits, without a `round` instruction SSE2 lacks.
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;

/// `ln 2` split in a high part with trailing zero bits and a correction, for exact range reduction.
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// Beyond this magnitude `tanh` is ±1 to the last bit (`1 - tanh(20) ≈ 8.5e-18 < ulp(1)/2`).
const TANH_SATURATION: f64 = 20.0;

/// Taylor coefficients `1/k!` of `expm1(r) = r + r^2/2! + ... + r^13/13!`; on `|r| <= ln2/2` the
/// truncation error is below `1e-17 |expm1(r)|`.
const EXPM1_COEFFS: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// `expm1(t) = e^t - 1` for `t` in `[-2 TANH_SATURATION, 0]`, to a few ulp, branch-free.
///
/// `t = k ln2 + r` with `|r| <= ln2/2`; `expm1(t) = 2^k expm1(r) + (2^k - 1)`, exact for `k = 0` so
/// the relative accuracy survives for tiny `t` (which `exp(t) - 1` would lose).
#[inline(always)]
fn expm1_nonpositive(t: f64) -> f64 {
    let shifted = t.mul_add(std::f64::consts::LOG2_E, ROUND_MAGIC);
    let k = shifted - ROUND_MAGIC;
    let r = (-k).mul_add(LN2_LO, (-k).mul_add(LN2_HI, t));
    // Horner from the highest coefficient: r + r^2 (c2 + r (c3 + ...)).
    let mut q = EXPM1_COEFFS[EXPM1_COEFFS.len() - 1];
    for &c in EXPM1_COEFFS[..EXPM1_COEFFS.len() - 1].iter().rev() {
        q = q.mul_add(r, c);
    }
    let p = (r * r).mul_add(q, r);
    // 2^k from the integer left in the mantissa of `shifted` (k >= -58, so no underflow).
    let k_bits = shifted.to_bits().wrapping_sub(ROUND_MAGIC.to_bits());
    let scale = f64::from_bits(k_bits.wrapping_add(1023) << 52);
    scale.mul_add(p, scale - 1.0)
}

/// `tanh(x)` to within a few ulp of the correctly rounded value, vectorisable (no branches, no libm).
///
/// `tanh|x| = -e / (2 + e)` with `e = expm1(-2|x|)`, which keeps full relative accuracy near 0 and
/// reaches exactly 1 for `|x| >= 20`. NaN propagates.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let a = x.abs();
    let a = if a > TANH_SATURATION {
        TANH_SATURATION
    } else {
        a
    };
    let e = expm1_nonpositive(-2.0 * a);
    (-e / (2.0 + e)).copysign(x)
}

/// `out[i] = tanh(x[i])`.
#[inline(always)]
pub fn tanh_into(x: &[f64], out: &mut [f64]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = tanh(v);
    }
}

/// `out[i] = tanh(x[i] + b[i])`.
#[inline(always)]
pub fn tanh_shifted_into(x: &[f64], b: &[f64], out: &mut [f64]) {
    for ((o, &v), &s) in out.iter_mut().zip(x).zip(b) {
        *o = tanh(v + s);
    }
}

/// `sum_i a[i] b[i]` with 8 interleaved partial sums (fixed order, so SIMD width never changes bits).
#[inline(always)]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut acc = [0.0; LANES];
    let chunks = len / LANES * LANES;
    for (ca, cb) in a[..chunks]
        .chunks_exact(LANES)
        .zip(b[..chunks].chunks_exact(LANES))
    {
        for j in 0..LANES {
            acc[j] += ca[j] * cb[j];
        }
    }
    for (j, (&x, &y)) in a[chunks..].iter().zip(&b[chunks..]).enumerate() {
        acc[j] += x * y;
    }
    sum_lanes(acc)
}

/// `sum_i a[i] b[i] c[i]`, the weighted dot product of a Jacobian entry `(1/N) n^T diag(phi') m`.
#[inline(always)]
pub fn dot3(a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    let len = a.len().min(b.len()).min(c.len());
    let (a, b, c) = (&a[..len], &b[..len], &c[..len]);
    let mut acc = [0.0; LANES];
    let chunks = len / LANES * LANES;
    for ((ca, cb), cc) in a[..chunks]
        .chunks_exact(LANES)
        .zip(b[..chunks].chunks_exact(LANES))
        .zip(c[..chunks].chunks_exact(LANES))
    {
        for j in 0..LANES {
            acc[j] += ca[j] * cb[j] * cc[j];
        }
    }
    for (j, ((&x, &y), &z)) in a[chunks..]
        .iter()
        .zip(&b[chunks..])
        .zip(&c[chunks..])
        .enumerate()
    {
        acc[j] += x * y * z;
    }
    sum_lanes(acc)
}

/// `(dot(a, x), dot(b, x))` in one pass over `x`, bit for bit the two [`dot`]s (the same partial
/// sums in the same order): a rank-2 flow reads its rates once instead of twice.
#[inline(always)]
pub fn dot2(a: &[f64], b: &[f64], x: &[f64]) -> [f64; 2] {
    let len = a.len().min(b.len()).min(x.len());
    let (a, b, x) = (&a[..len], &b[..len], &x[..len]);
    let (mut acc_a, mut acc_b) = ([0.0; LANES], [0.0; LANES]);
    let chunks = len / LANES * LANES;
    for ((ca, cb), cx) in a[..chunks]
        .chunks_exact(LANES)
        .zip(b[..chunks].chunks_exact(LANES))
        .zip(x[..chunks].chunks_exact(LANES))
    {
        for j in 0..LANES {
            acc_a[j] += ca[j] * cx[j];
            acc_b[j] += cb[j] * cx[j];
        }
    }
    for (j, ((&p, &q), &y)) in a[chunks..]
        .iter()
        .zip(&b[chunks..])
        .zip(&x[chunks..])
        .enumerate()
    {
        acc_a[j] += p * y;
        acc_b[j] += q * y;
    }
    [sum_lanes(acc_a), sum_lanes(acc_b)]
}

/// The four `dot3(n_r, w, m_l)` of a rank-2 Jacobian (`r, l` in 0..2, row-major) in one pass,
/// bit for bit the four [`dot3`]s.
#[inline(always)]
pub fn dot3_2x2(n: [&[f64]; 2], w: &[f64], m: [&[f64]; 2]) -> [f64; 4] {
    let len = w
        .len()
        .min(n[0].len())
        .min(n[1].len())
        .min(m[0].len())
        .min(m[1].len());
    let (n0, n1, w, m0, m1) = (
        &n[0][..len],
        &n[1][..len],
        &w[..len],
        &m[0][..len],
        &m[1][..len],
    );
    let mut acc = [[0.0; LANES]; 4];
    let mut add = |j: usize, a0: f64, a1: f64, ww: f64, b0: f64, b1: f64| {
        acc[0][j] += a0 * ww * b0;
        acc[1][j] += a0 * ww * b1;
        acc[2][j] += a1 * ww * b0;
        acc[3][j] += a1 * ww * b1;
    };
    let chunks = len / LANES * LANES;
    for start in (0..chunks).step_by(LANES) {
        let r = start..start + LANES;
        let (c0, c1, cw, d0, d1) = (
            &n0[r.clone()],
            &n1[r.clone()],
            &w[r.clone()],
            &m0[r.clone()],
            &m1[r],
        );
        for j in 0..LANES {
            add(j, c0[j], c1[j], cw[j], d0[j], d1[j]);
        }
    }
    for (j, i) in (chunks..len).enumerate() {
        add(j, n0[i], n1[i], w[i], m0[i], m1[i]);
    }
    acc.map(sum_lanes)
}

/// Pairwise sum of the partial sums, in a fixed order.
#[inline(always)]
fn sum_lanes(acc: [f64; LANES]) -> f64 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// `y[i] += a x[i]`.
#[inline(always)]
pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Defines a function whose body is compiled three times, as plain (SSE2) code, with AVX2 + FMA and
/// with AVX-512F (which implies FMA) enabled, and picks the widest copy the CPU supports at run time.
///
/// The kernels of this module are `#[inline(always)]`, so inside such a function their loops are
/// vectorised 4 (AVX2) or 8 (AVX-512) lanes wide and `mul_add` is one instruction; on a Zen 4
/// server core the AVX-512 copy of the `tanh` pass runs 1.7 times faster than the AVX2 one. No
/// product and sum is contracted behind our back (only explicit `mul_add`s fuse, and those are
/// exactly rounded everywhere), so all copies give identical bits. The body is a nested `#[inline(always)]` function, so the signature may not use
/// generics or `self`; pass the receiver as an ordinary argument.
#[macro_export]
macro_rules! simd_fn {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            fn avx512($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            fn avx2($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            {
                if ::std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports AVX-512F, checked just above.
                    return unsafe { avx512($($arg),*) };
                }
                if ::std::arch::is_x86_feature_detected!("avx2")
                    && ::std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU supports AVX2 and FMA, checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative error in units of `f64::EPSILON`, against the platform's libm `tanh`.
    fn ulps(x: f64) -> f64 {
        let truth = x.tanh();
        if truth == 0.0 {
            return tanh(x).abs() / f64::MIN_POSITIVE;
        }
        ((tanh(x) - truth) / truth).abs() / f64::EPSILON
    }

    #[test]
    fn tanh_matches_libm_over_the_whole_range() {
        let mut worst: f64 = 0.0;
        // Log-spaced magnitudes from 1e-300 to 40, both signs, plus a dense linear sweep.
        for i in 0..200_000 {
            let mag = 10f64.powf(-300.0 + 301.6 * i as f64 / 200_000.0);
            worst = worst.max(ulps(mag)).max(ulps(-mag));
        }
        for i in 0..200_000 {
            worst = worst.max(ulps(-25.0 + 50.0 * i as f64 / 200_000.0));
        }
        assert!(worst < 4.0, "tanh worst error {worst} ulp");
    }

    #[test]
    fn tanh_edge_values() {
        assert_eq!(tanh(0.0), 0.0);
        assert!(tanh(-0.0).is_sign_negative());
        assert_eq!(tanh(20.0), 1.0);
        assert_eq!(tanh(1e300), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert!(tanh(f64::NAN).is_nan());
        assert_eq!(tanh(1e-310), 1e-310);
    }

    crate::simd_fn! {
        fn tanh_then_dot(x: &[f64], y: &[f64], out: &mut [f64]) -> f64 {
            tanh_into(x, out);
            dot(out, y)
        }
    }

    #[test]
    fn simd_and_scalar_paths_agree_bit_for_bit() {
        let x: Vec<f64> = (0..1003)
            .map(|i| ((i * 7919) % 2000) as f64 / 97.0 - 10.0)
            .collect();
        let y: Vec<f64> = (0..1003)
            .map(|i| ((i * 104729) % 1000) as f64 / 333.0)
            .collect();
        let mut a = vec![0.0; x.len()];
        let mut b = vec![0.0; x.len()];
        tanh_into(&x, &mut a);
        let scalar = dot(&a, &y);
        let dispatched = tanh_then_dot(&x, &y, &mut b);
        assert_eq!(a, b);
        assert_eq!(scalar.to_bits(), dispatched.to_bits());
    }

    #[test]
    fn dot_and_dot3_match_naive_sums() {
        let a: Vec<f64> = (0..37).map(|i| i as f64 * 0.5 - 3.0).collect();
        let b: Vec<f64> = (0..37).map(|i| (i as f64).sin()).collect();
        let c: Vec<f64> = (0..37).map(|i| (i as f64).cos()).collect();
        let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let naive3: f64 = a.iter().zip(&b).zip(&c).map(|((x, y), z)| x * y * z).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-12);
        assert!((dot3(&a, &b, &c) - naive3).abs() < 1e-12);
        let mut y = b.clone();
        axpy(2.0, &a, &mut y);
        assert!(
            y.iter()
                .zip(&a)
                .zip(&b)
                .all(|((y, a), b)| *y == b + 2.0 * a)
        );
    }

    #[test]
    fn fused_rank2_dots_are_the_single_dots_bit_for_bit() {
        // Lengths with and without a remainder after the 8-lane chunks.
        for len in [5usize, 37, 512] {
            let v = |f: fn(f64) -> f64, s: f64| -> Vec<f64> {
                (0..len).map(|i| f(i as f64 * s) * 1.7).collect()
            };
            let (n0, n1, x, m0, m1) = (
                v(f64::sin, 0.31),
                v(f64::cos, 0.17),
                v(f64::tanh, 0.05),
                v(f64::sin, 1.3),
                v(f64::cos, 0.7),
            );
            let [a, b] = dot2(&n0, &n1, &x);
            assert_eq!(a.to_bits(), dot(&n0, &x).to_bits());
            assert_eq!(b.to_bits(), dot(&n1, &x).to_bits());
            let block = dot3_2x2([&n0, &n1], &x, [&m0, &m1]);
            let singles = [
                dot3(&n0, &x, &m0),
                dot3(&n0, &x, &m1),
                dot3(&n1, &x, &m0),
                dot3(&n1, &x, &m1),
            ];
            for (f, s) in block.iter().zip(&singles) {
                assert_eq!(f.to_bits(), s.to_bits(), "len {len}");
            }
        }
    }
}
