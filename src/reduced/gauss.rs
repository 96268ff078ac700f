//! Gaussian averages of MODEL.md 4: `<f>(M, Delta) = integral Dz f(M + sqrt(Delta) z)`, with `Dz` the
//! standard normal measure and `f` one of `phi = tanh` and its first three derivatives.
//!
//! Two rules live here:
//! - [`GaussHermite`], of any order (Golub-Welsch, then Newton on the recurrence), the rule of MODEL.md 4
//!   and of the published code (200 nodes). It is exact for polynomials of degree `2n - 1` in `z`, but
//!   the tanh family has poles at `x = ±i pi/2`, at distance `pi / (2 sqrt(Delta))` from the real `z`
//!   axis, so its error grows quickly with `Delta`. Measured with 200 nodes at `M = 0` (absolute error
//!   of `<phi'>`, then `<phi'''>`): ~1e-15 up to `Delta = 1`; 3e-12, 1e-9 at `Delta = 2`; 1e-8, 2e-6 at
//!   4; 1.2e-5, 1e-3 at 10; 8e-4, 2.5e-2 at 25; 1.6e-2, 0.12 at 100. Variances of 10-100 are common in
//!   trained networks (`Sigma[m1, m1] ≈ 4.6` in the DMS mixture, so `|kappa| ≈ 3` gives `Delta ≈ 40`),
//!   so it only serves as a reference for `Delta <= 1`.
//! - [`tanh_averages`], a composite Gauss-Legendre rule over `z` on a mesh graded around the tanh
//!   transition `z0 = -M / sqrt(Delta)`, which stays accurate for every `(M, Delta)`: within 3e-15
//!   (absolute) of an independent Fourier-space quadrature and of 30-digit mpmath values (tests).
//!   It is the production rule for populations with non-zero means and the source of the zero-mean
//!   gain tables ([`super::gains`]).

use std::sync::OnceLock;

use nalgebra::DMatrix;

use crate::kernels;

/// `phi = tanh` and its first three derivatives averaged over one Gaussian (or evaluated at a point).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TanhAverages {
    /// `<phi>`.
    pub phi: f64,
    /// `<phi'>`, the population gain.
    pub d1: f64,
    /// `<phi''>`.
    pub d2: f64,
    /// `<phi'''>`.
    pub d3: f64,
}

impl TanhAverages {
    const NAN: TanhAverages = TanhAverages {
        phi: f64::NAN,
        d1: f64::NAN,
        d2: f64::NAN,
        d3: f64::NAN,
    };

    /// `phi(x)` and its derivatives at one point: with `t = tanh x`, `phi' = 1 - t^2`,
    /// `phi'' = -2 t phi'`, `phi''' = -2 phi' (1 - 3 t^2)`.
    #[inline(always)]
    pub fn at(x: f64) -> Self {
        let t = kernels::tanh(x);
        let d1 = 1.0 - t * t;
        Self {
            phi: t,
            d1,
            d2: -2.0 * t * d1,
            d3: -2.0 * d1 * (1.0 - 3.0 * t * t),
        }
    }

    /// `self += w * (phi, phi', phi'', phi''')(x)`.
    #[inline(always)]
    fn accumulate(&mut self, w: f64, x: f64) {
        let a = Self::at(x);
        self.phi += w * a.phi;
        self.d1 += w * a.d1;
        self.d2 += w * a.d2;
        self.d3 += w * a.d3;
    }
}

/// A Gauss-Hermite rule for the standard normal measure: `integral Dz f(z) ≈ sum_j w_j f(z_j)`.
///
/// In the physicists' convention of MODEL.md 4 these are `z_j = sqrt(2) x_j` and `w_j / sqrt(pi)`; we
/// compute them directly for the normal measure (probabilists' Hermite polynomials), which is the same
/// rule. The weights sum to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussHermite {
    nodes: Vec<f64>,
    weights: Vec<f64>,
}

impl GaussHermite {
    /// The `order`-node rule.
    ///
    /// Nodes are the eigenvalues of the Jacobi matrix of the orthonormal Hermite polynomials
    /// (Golub-Welsch: zero diagonal, off-diagonal `sqrt(k)`), each polished by Newton steps on the
    /// three-term recurrence; weights are `w_j = 1 / (n p_{n-1}(z_j)^2)` with `p_k` orthonormal, which
    /// keeps full relative accuracy even for the tiny outer weights. The recurrence is rescaled as it
    /// runs, so any order works (the cost is the O(n^3) eigenvalue solve).
    ///
    /// # Panics
    /// If `order == 0`.
    pub fn new(order: usize) -> Self {
        assert!(order > 0, "a Gauss-Hermite rule needs at least one node");
        let jacobi = DMatrix::from_fn(order, order, |i, j| {
            if i.abs_diff(j) == 1 {
                (i.max(j) as f64).sqrt()
            } else {
                0.0
            }
        });
        let mut nodes: Vec<f64> = jacobi.symmetric_eigenvalues().iter().copied().collect();
        nodes.sort_by(f64::total_cmp);
        let mut weights = vec![0.0; order];
        for (z, w) in nodes.iter_mut().zip(weights.iter_mut()) {
            for _ in 0..NEWTON_STEPS {
                let (pn, pn1, _) = hermite_pair(order, *z);
                *z -= pn / ((order as f64).sqrt() * pn1);
            }
            let (_, pn1, log_scale) = hermite_pair(order, *z);
            *w = (-(order as f64).ln() - 2.0 * (pn1.abs().ln() + log_scale)).exp();
        }
        // The rule is symmetric; enforce it exactly so odd moments vanish to the last bit.
        for j in 0..order / 2 {
            let k = order - 1 - j;
            let z = 0.5 * (nodes[k] - nodes[j]);
            let w = 0.5 * (weights[k] + weights[j]);
            (nodes[j], nodes[k]) = (-z, z);
            (weights[j], weights[k]) = (w, w);
        }
        if order % 2 == 1 {
            nodes[order / 2] = 0.0;
        }
        Self { nodes, weights }
    }

    /// Nodes `z_j`, ascending.
    pub fn nodes(&self) -> &[f64] {
        &self.nodes
    }

    /// Weights for the standard normal measure (sum 1).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// `<f>(M, Delta) ≈ sum_j w_j f(M + sqrt(Delta) z_j)`; a negative `Delta` counts as 0.
    pub fn average(&self, f: impl Fn(f64) -> f64, mean: f64, delta: f64) -> f64 {
        let s = delta.max(0.0).sqrt();
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(&z, &w)| w * f(mean + s * z))
            .sum()
    }

    /// `<phi>, <phi'>, <phi''>, <phi'''>` at `(M, Delta)` by this rule (see the module docs for its
    /// accuracy); a negative `Delta` counts as 0.
    pub fn tanh_averages(&self, mean: f64, delta: f64) -> TanhAverages {
        let s = delta.max(0.0).sqrt();
        let mut acc = TanhAverages::default();
        for (&z, &w) in self.nodes.iter().zip(&self.weights) {
            acc.accumulate(w, mean + s * z);
        }
        acc
    }
}

/// Newton steps polishing each eigenvalue (they start within a few ulp, so two are plenty).
const NEWTON_STEPS: usize = 2;

/// Beyond this magnitude the recurrence values are rescaled (keeps `p_k` finite for any order).
const RESCALE_AT: f64 = 1e150;

/// `(p_n(z), p_{n-1}(z), ln s)` for the orthonormal probabilists' Hermite polynomials
/// (`p_{k+1} = (z p_k - sqrt(k) p_{k-1}) / sqrt(k+1)`, `p_0 = 1`), both returned divided by the common
/// factor `s = e^{ln s}`.
fn hermite_pair(n: usize, z: f64) -> (f64, f64, f64) {
    let (mut prev, mut cur, mut log_scale) = (0.0, 1.0, 0.0);
    for k in 0..n {
        let next = (z * cur - (k as f64).sqrt() * prev) / ((k + 1) as f64).sqrt();
        (prev, cur) = (cur, next);
        if cur.abs() > RESCALE_AT {
            prev /= RESCALE_AT;
            cur /= RESCALE_AT;
            log_scale += RESCALE_AT.ln();
        }
    }
    (cur, prev, log_scale)
}

/// Half-width of the `z` range of [`tanh_averages`]: the normal mass beyond `±9` is `2.3e-19`, and
/// every integrand is bounded by 2.
const Z_MAX: f64 = 9.0;

/// Points per Gauss-Legendre panel of [`tanh_averages`].
const PANEL_ORDER: usize = 12;

/// Narrowest panel width around the tanh transition. Only reached for `Delta > 2^80`, where the
/// neglected part of `<phi'>` is below `1 / sqrt(Delta) < 1e-12`.
const MIN_PANEL_WIDTH: f64 = 1.0 / (1u64 << 40) as f64;

/// Upper bound on the number of breakpoints: `2 Z_MAX + 1` uniform ones, the transition and 41
/// geometric ones on each side.
const MAX_CUTS: usize = 2 * Z_MAX as usize + 1 + 1 + 2 * 41;

crate::simd_fn! {
    /// `<phi>, <phi'>, <phi''>, <phi'''>` at `(M, Delta)`, accurate for every mean and variance.
    ///
    /// Integrates `f(M + s z) N(z)` (`s = sqrt(Delta)`) over `z in [-9, 9]` with a 12-point
    /// Gauss-Legendre rule on panels cut at the integers (they resolve the normal density) and, around the
    /// transition `z0 = -M / s` where `tanh` changes over a width `1/s`, at `z0 ± 2^k / s` for all
    /// `2^k / s < 2`. Every panel is then no wider than its distance to `z0` (or, next to `z0`, sees the
    /// poles of `tanh` at `Im z = ±pi / (2 s)` more than 3 half-widths away), so each converges at least
    /// like `5.8^-24`. About 250-450 evaluations of `tanh`.
    ///
    /// Edge cases: a negative `Delta` counts as 0 (non-PSD covariances); `Delta = 0` gives the
    /// derivatives at `M`; `Delta = inf` gives zeros (the sign function averages to 0); NaN propagates.
    ///
    /// Compiled for the CPU's widest SIMD ([`simd_fn!`](crate::simd_fn)): `tanh` runs on fused
    /// multiply-adds.
    pub fn tanh_averages(mean: f64, delta: f64) -> TanhAverages {
        if mean.is_nan() || delta.is_nan() {
            return TanhAverages::NAN;
        }
        let s = delta.max(0.0).sqrt();
        if s == 0.0 || mean.is_infinite() {
            return TanhAverages::at(mean);
        }
        if s.is_infinite() {
            return TanhAverages::default();
        }
        let mut cuts = [0.0; MAX_CUTS];
        let count = breakpoints(-mean / s, 1.0 / s, &mut cuts);
        let cuts = &cuts[..count];
        let (gl_nodes, gl_weights) = gauss_legendre_panel();
        let mut acc = TanhAverages::default();
        for pair in cuts.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
            for (&x, &w) in gl_nodes.iter().zip(gl_weights) {
                let z = mid + half * x;
                acc.accumulate(half * w * normal_density(z), mean + s * z);
            }
        }
        acc
    }
}

/// Sorted breakpoints of [`tanh_averages`] for the transition at `z0` of width `width`; returns how
/// many were written.
fn breakpoints(z0: f64, width: f64, cuts: &mut [f64; MAX_CUTS]) -> usize {
    let mut count = 0;
    let mut push = |z: f64| {
        if z > -Z_MAX && z < Z_MAX {
            cuts[count] = z;
            count += 1;
        }
    };
    push(z0);
    let mut d = width.max(MIN_PANEL_WIDTH);
    while d < 2.0 {
        push(z0 - d);
        push(z0 + d);
        d *= 2.0;
    }
    let mut all = count;
    for k in 0..=2 * Z_MAX as usize {
        cuts[all] = -Z_MAX + k as f64;
        all += 1;
    }
    cuts[..all].sort_unstable_by(f64::total_cmp);
    all
}

/// The standard normal density.
#[inline(always)]
fn normal_density(z: f64) -> f64 {
    const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    FRAC_1_SQRT_2PI * (-0.5 * z * z).exp()
}

/// The `PANEL_ORDER`-point Gauss-Legendre rule on `[-1, 1]`, computed once.
fn gauss_legendre_panel() -> (&'static [f64], &'static [f64]) {
    static RULE: OnceLock<(Vec<f64>, Vec<f64>)> = OnceLock::new();
    let (x, w) = RULE.get_or_init(|| gauss_legendre(PANEL_ORDER));
    (x, w)
}

/// `n`-point Gauss-Legendre nodes and weights on `[-1, 1]`: Newton on `P_n` from the Chebyshev-like
/// guesses `cos(pi (i + 3/4) / (n + 1/2))`, weights `2 / ((1 - x^2) P_n'(x)^2)`.
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        for _ in 0..LEGENDRE_MAX_NEWTON {
            let dx = legendre_newton_step(n, x);
            x -= dx;
            if dx.abs() <= 1e-16 {
                break;
            }
        }
        let (p, p_prev) = legendre_pair(n, x);
        let dp = n as f64 * (x * p - p_prev) / (x * x - 1.0);
        let w = 2.0 / ((1.0 - x * x) * dp * dp);
        nodes[i] = -x;
        nodes[n - 1 - i] = x;
        weights[i] = w;
        weights[n - 1 - i] = w;
    }
    (nodes, weights)
}

/// Newton iterations per Gauss-Legendre node (converges in ~5 from the initial guesses).
const LEGENDRE_MAX_NEWTON: usize = 100;

/// `P_n(x) / P_n'(x)`, with `P_n' = n (x P_n - P_{n-1}) / (x^2 - 1)`.
fn legendre_newton_step(n: usize, x: f64) -> f64 {
    let (p, p_prev) = legendre_pair(n, x);
    p * (x * x - 1.0) / (n as f64 * (x * p - p_prev))
}

/// `(P_n(x), P_{n-1}(x))` by `(k+1) P_{k+1} = (2k+1) x P_k - k P_{k-1}`.
fn legendre_pair(n: usize, x: f64) -> (f64, f64) {
    let (mut prev, mut cur) = (0.0, 1.0);
    for k in 0..n {
        let next = ((2 * k + 1) as f64 * x * cur - k as f64 * prev) / (k + 1) as f64;
        (prev, cur) = (cur, next);
    }
    (cur, prev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduced::testing::fourier_tanh_averages;

    fn double_factorial_odd(k: usize) -> f64 {
        // (2k - 1)!! = E[z^{2k}]
        (1..=k).map(|j| (2 * j - 1) as f64).product()
    }

    #[test]
    fn small_hermite_rules_match_closed_forms() {
        let r2 = GaussHermite::new(2);
        assert_eq!(r2.nodes(), &[-1.0, 1.0]);
        assert!(r2.weights().iter().all(|&w| (w - 0.5).abs() < 1e-15));
        let r3 = GaussHermite::new(3);
        let s3 = 3f64.sqrt();
        for (a, b) in r3.nodes().iter().zip([-s3, 0.0, s3]) {
            assert!((a - b).abs() < 1e-15, "{a} vs {b}");
        }
        for (a, b) in r3.weights().iter().zip([1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0]) {
            assert!((a - b).abs() < 1e-15, "{a} vs {b}");
        }
        let r1 = GaussHermite::new(1);
        assert_eq!((r1.nodes(), r1.weights()), (&[0.0][..], &[1.0][..]));
    }

    #[test]
    fn hermite_rules_integrate_normal_moments_exactly() {
        for n in [5, 20, 60, 200] {
            let rule = GaussHermite::new(n);
            let sum: f64 = rule.weights().iter().sum();
            assert!((sum - 1.0).abs() < 1e-14, "n = {n}: weights sum to {sum}");
            // Moments up to degree 2n - 1 are exact; check those up to degree 24.
            for k in 1..n.min(13) {
                let exact = double_factorial_odd(k);
                let got = rule.average(|z| z.powi(2 * k as i32), 0.0, 1.0);
                assert!(
                    ((got - exact) / exact).abs() < 1e-12,
                    "n = {n}, E[z^{}] = {got} vs {exact}",
                    2 * k
                );
                let odd = rule.average(|z| z.powi(2 * k as i32 - 1), 0.0, 1.0);
                assert!(odd.abs() < 1e-12 * exact, "odd moment {odd}");
            }
        }
    }

    #[test]
    fn hermite_rule_of_high_order_integrates_a_characteristic_function() {
        // E[cos(a z)] = exp(-a^2 / 2), with a Hermite order where p_n needs rescaling (z_max ≈ 40).
        let rule = GaussHermite::new(400);
        let sum: f64 = rule.weights().iter().sum();
        assert!((sum - 1.0).abs() < 1e-13);
        for a in [0.5, 2.0, 5.0] {
            let got = rule.average(f64::cos, 0.0, a * a);
            assert!((got - (-a * a / 2.0).exp()).abs() < 1e-14, "a = {a}: {got}");
        }
    }

    #[test]
    fn gauss_legendre_integrates_polynomials_and_an_exponential() {
        let (x, w) = gauss_legendre(PANEL_ORDER);
        let sum: f64 = w.iter().sum();
        assert!((sum - 2.0).abs() < 1e-14);
        for k in 0..2 * PANEL_ORDER {
            let got: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(k as i32)).sum();
            let exact = if k % 2 == 1 {
                0.0
            } else {
                2.0 / (k + 1) as f64
            };
            assert!((got - exact).abs() < 1e-14, "k = {k}: {got}");
        }
        let got: f64 = x.iter().zip(&w).map(|(x, w)| w * x.exp()).sum();
        assert!((got - (1f64.exp() - (-1f64).exp())).abs() < 1e-14);
    }

    /// `(M, Delta, [<phi>, <phi'>, <phi''>, <phi'''>])` by mpmath adaptive quadrature at 30 digits.
    const MPMATH: [(f64, f64, [f64; 4]); 6] = [
        (
            0.7,
            0.3,
            [
                0.514_669_346_468_470_2,
                0.611_993_681_184_322_5,
                -0.466_276_475_519_667_2,
                -0.264_974_237_689_338_75,
            ],
        ),
        (
            -1.5,
            2.0,
            [
                -0.631_952_293_250_762_8,
                0.317_659_357_625_713_94,
                0.174_067_319_702_250_04,
                -0.018_508_404_991_793_365,
            ],
        ),
        (
            2.5,
            40.0,
            [
                0.304_427_960_344_944_3,
                0.115_681_269_299_817_34,
                -0.007_086_007_239_924_76,
                -0.002_400_285_677_516_026,
            ],
        ),
        (
            0.3,
            900.0,
            [
                0.007_975_070_561_419_543,
                0.026_582_683_239_507_433,
                -8.852_808_679_918_38e-6,
                -2.950_641_402_197_24e-5,
            ],
        ),
        (
            -6.0,
            0.05,
            [
                -0.999_986_419_303_020_9,
                2.716_116_868_924_79e-5,
                5.432_143_631_164_762e-5,
                1.086_392_684_106_688e-4,
            ],
        ),
        (
            3.0,
            0.0,
            [
                0.995_054_753_686_730_5,
                0.009_866_037_165_440_19,
                -0.019_634_494_363_042_436,
                0.038_880_116_525_661_68,
            ],
        ),
    ];

    fn as_array(a: TanhAverages) -> [f64; 4] {
        [a.phi, a.d1, a.d2, a.d3]
    }

    #[test]
    fn graded_rule_matches_high_precision_values() {
        for (m, d, expected) in MPMATH {
            let got = as_array(tanh_averages(m, d));
            for (g, e) in got.iter().zip(expected) {
                assert!((g - e).abs() < 2e-15, "(M, Delta) = ({m}, {d}): {g} vs {e}");
            }
        }
    }

    #[test]
    fn graded_rule_matches_the_fourier_reference_everywhere() {
        let mut worst: f64 = 0.0;
        for i in 0..=60 {
            let delta = 10f64.powf(-4.0 + 10.0 * i as f64 / 60.0);
            // |M| <= 5: beyond, the reference's own error grows like |M| 1e-16 (rounding of w M).
            for mean in [0.0, 0.37, -1.9, 4.2] {
                let got = as_array(tanh_averages(mean, delta));
                let reference = as_array(fourier_tanh_averages(mean, delta));
                for (g, r) in got.iter().zip(reference) {
                    worst = worst.max((g - r).abs());
                }
            }
        }
        assert!(worst < 3e-15, "worst absolute error {worst:e}");
    }

    #[test]
    fn hermite_200_agrees_with_the_graded_rule_at_moderate_variance() {
        let rule = GaussHermite::new(200);
        let mut worst: f64 = 0.0;
        // 200 nodes are accurate to ~1e-14 only up to Delta = 1 (see the module docs).
        for i in 0..=40 {
            let delta = i as f64 / 40.0;
            for mean in [0.0, 0.5, -2.0] {
                let a = as_array(rule.tanh_averages(mean, delta));
                let b = as_array(tanh_averages(mean, delta));
                for (x, y) in a.iter().zip(b) {
                    worst = worst.max((x - y).abs());
                }
            }
        }
        assert!(worst < 2e-14, "worst {worst:e}");
    }

    #[test]
    fn graded_rule_edge_cases() {
        let at = TanhAverages::at(0.8);
        assert_eq!(tanh_averages(0.8, 0.0), at);
        assert_eq!(
            tanh_averages(0.8, -3.0),
            at,
            "negative variance counts as 0"
        );
        assert_eq!(tanh_averages(0.8, f64::INFINITY), TanhAverages::default());
        assert_eq!(tanh_averages(f64::INFINITY, 2.0).phi, 1.0);
        assert!(tanh_averages(f64::NAN, 1.0).d1.is_nan());
        assert!(tanh_averages(0.0, f64::NAN).phi.is_nan());
        // Huge but finite variance: the gain is ~ 2 / sqrt(2 pi Delta), tiny, and finite.
        let huge = tanh_averages(1.0, 1e200);
        assert!(huge.d1.is_finite() && huge.d1 >= 0.0 && huge.d1 < 1e-12);
    }
}
