//! Fast zero-mean population gains (MODEL.md 4).
//!
//! When a population's loadings have zero mean on `m` and `I`, its `x` has mean `M = 0`, so `<phi>` and
//! `<phi''>` vanish (odd integrands) and the gain `<phi'>` and the `<phi'''>` of the exact Jacobian
//! depend on `Delta` alone. They are tabulated once (lazily) as piecewise Chebyshev interpolants:
//!
//! - `[0, 2^-5]`: one panel (the functions are smooth but not analytic at `Delta = 0`, so that first
//!   panel is kept short);
//! - `[2^-5, 2^10)`: every octave `[2^e, 2^(e+1))` cut into 4 equal panels, located from the bits of
//!   `Delta` (exponent and two leading mantissa bits), degree 12 in each;
//! - `Delta >= 2^10`: the large-`Delta` expansion
//!   `<phi'> = (2 pi Delta)^(-1/2) sum_k (-1)^k mu_2k / (k! (2 Delta)^k)` with
//!   `mu_2k = integral x^(2k) sech^2 x dx` (2, pi^2/6, 7 pi^4/120, 31 pi^6/672, 127 pi^8/1920), and
//!   `<phi'''> = 2 d<phi'>/dDelta` (heat equation); the first omitted term is below 1e-16 there.
//!
//! Table values come from [`tanh_averages`], which stays accurate at large `Delta` where a fixed
//! Gauss-Hermite rule does not (see [`super::gauss`]).
//!
//! Each panel's interpolant is stored in the monomial basis of its local variable and evaluated by
//! Estrin's scheme (short dependency chains).
//!
//! **Accuracy**, measured by the tests: against an independent Fourier-space quadrature on 20 000
//! values of `Delta` in `[0, 1e8]` (log-spaced, a dense sweep of `[0, 2]`, every panel boundary), the
//! maximal absolute error is 3.3e-15 for `<phi'>` and 4.9e-15 for `<phi'''>` (a few ulp, of which the
//! reference owns part); against 30-digit mpmath values at 7 points, below 3e-15; against 200-node
//! Gauss-Hermite on `[0, 1]` (where that rule is itself accurate), 2.8e-15 and 1.6e-14 (the latter is
//! Gauss-Hermite's own error). **Cost**: 14 ns for both values (benchmark `gains/zero_mean_table`,
//! median on the 2-core development machine).

use std::sync::OnceLock;

use super::gauss::tanh_averages;

/// `<phi'>` and `<phi'''>` at `(M = 0, Delta)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZeroMeanGains {
    /// `<phi'>`, the gain.
    pub d1: f64,
    /// `<phi'''>`, for the gain's derivative `d<phi'>/dDelta = <phi'''> / 2`.
    pub d3: f64,
}

/// Degree of each panel's interpolant.
const DEGREE: usize = 12;
/// Panels per octave, as a power of two (the leading mantissa bits that select the panel).
const SUB_BITS: u32 = 2;
/// The first panel is `[0, 2^FIRST_EXP]`.
const FIRST_EXP: i32 = -5;
/// The expansion takes over at `2^TAIL_EXP`.
const TAIL_EXP: i32 = 10;

const FIRST_END: f64 = 1.0 / (1u64 << -FIRST_EXP) as f64;
const TAIL_START: f64 = (1u64 << TAIL_EXP) as f64;
const SUB_PANELS: usize = 1 << SUB_BITS;
const PANELS: usize = 1 + (TAIL_EXP - FIRST_EXP) as usize * SUB_PANELS;

/// Coefficients of `(<phi'>, <phi'''>)` on one panel, as polynomials in the local variable
/// `t in [-1, 1]` (monomial basis, from the Chebyshev interpolant), interleaved so both are evaluated
/// in one pass.
type Coeffs = [[f64; 2]; DEGREE + 1];

/// `mu_2k / (k! 2^k sqrt(2 pi))` with alternating signs: `<phi'> ≈ sum_k TAIL[k] Delta^(-k-1/2)`.
const TAIL: [f64; 5] = {
    const PI2: f64 = std::f64::consts::PI * std::f64::consts::PI;
    const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    let mu = [
        2.0,
        PI2 / 6.0,
        7.0 * PI2 * PI2 / 120.0,
        31.0 * PI2 * PI2 * PI2 / 672.0,
        127.0 * PI2 * PI2 * PI2 * PI2 / 1920.0,
    ];
    let mut out = [0.0; 5];
    let mut k = 0;
    let mut denom = 1.0; // k! 2^k
    while k < 5 {
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        out[k] = sign * mu[k] / denom * FRAC_1_SQRT_2PI;
        k += 1;
        denom *= 2.0 * k as f64;
    }
    out
};

/// `<phi'>(0, Delta)` and `<phi'''>(0, Delta)` from the tables (see the module docs for accuracy).
///
/// A negative `Delta` (non-PSD covariance) counts as 0; `Delta = inf` gives zeros; NaN gives NaN.
#[inline]
pub fn zero_mean_gains(delta: f64) -> ZeroMeanGains {
    let panels = &table().panels;
    let [d1, d3] = if delta < FIRST_END {
        estrin(&panels[0], 2.0 * delta.max(0.0) / FIRST_END - 1.0)
    } else if delta < TAIL_START {
        let (index, t) = locate(delta);
        estrin(&panels[index], t)
    } else {
        tail(delta)
    };
    ZeroMeanGains { d1, d3 }
}

/// Panel index and local coordinate in `[-1, 1)` of `Delta in [FIRST_END, TAIL_START)`, from its
/// bits: the exponent picks the octave, the leading `SUB_BITS` mantissa bits the panel; all exact.
#[inline(always)]
fn locate(delta: f64) -> (usize, f64) {
    const MANTISSA_BITS: u32 = 52;
    const MANTISSA_MASK: u64 = (1 << MANTISSA_BITS) - 1;
    let bits = delta.to_bits();
    let exponent = ((bits >> MANTISSA_BITS) & 0x7ff) as i32 - 1023;
    let sub = ((bits >> (MANTISSA_BITS - SUB_BITS)) as usize) & (SUB_PANELS - 1);
    let frac = f64::from_bits((bits & MANTISSA_MASK) | 1f64.to_bits()); // in [1, 2)
    let local = (frac - 1.0) * SUB_PANELS as f64 - sub as f64; // in [0, 1)
    let index = 1 + (exponent - FIRST_EXP) as usize * SUB_PANELS + sub;
    (index, 2.0 * local - 1.0)
}

/// `[a, b]` of panel `index` (inverse of [`locate`]).
fn panel_bounds(index: usize) -> (f64, f64) {
    if index == 0 {
        return (0.0, FIRST_END);
    }
    let octave = ((index - 1) / SUB_PANELS) as i32 + FIRST_EXP;
    let sub = (index - 1) % SUB_PANELS;
    let start = 2f64.powi(octave);
    let width = start / SUB_PANELS as f64;
    (start + sub as f64 * width, start + (sub + 1) as f64 * width)
}

/// Both polynomials at `t` by Estrin's scheme: neighbouring coefficients are paired with `t`, the
/// pairs with `t^2`, then `t^4`, ..., so the dependency chain is `log2(DEGREE)` deep instead of the
/// `DEGREE` of Horner or Clenshaw.
#[inline(always)]
fn estrin(c: &Coeffs, t: f64) -> [f64; 2] {
    let mut acc = *c;
    let (mut len, mut x) = (DEGREE + 1, t);
    while len > 1 {
        let half = len / 2;
        for i in 0..half {
            let (lo, hi) = (acc[2 * i], acc[2 * i + 1]);
            acc[i] = [lo[0] + hi[0] * x, lo[1] + hi[1] * x];
        }
        if len % 2 == 1 {
            acc[half] = acc[len - 1];
        }
        len = len.div_ceil(2);
        x *= x;
    }
    acc[0]
}

/// The large-`Delta` expansion: `<phi'> = sum_k T_k Delta^(-k-1/2)` and
/// `<phi'''> = 2 d<phi'>/dDelta = -sum_k (2k+1) T_k Delta^(-k-3/2)`.
#[inline(always)]
fn tail(delta: f64) -> [f64; 2] {
    let inv = 1.0 / delta;
    let (mut d1, mut d3) = (0.0, 0.0);
    for (k, &t) in TAIL.iter().enumerate().rev() {
        d1 = d1 * inv + t;
        d3 = d3 * inv - (2 * k + 1) as f64 * t;
    }
    let root = inv.sqrt();
    [d1 * root, d3 * root * inv]
}

struct GainTable {
    panels: Vec<Coeffs>,
}

fn table() -> &'static GainTable {
    static TABLE: OnceLock<GainTable> = OnceLock::new();
    TABLE.get_or_init(|| GainTable {
        panels: (0..PANELS).map(|i| fit_panel(panel_bounds(i))).collect(),
    })
}

/// The degree-`DEGREE` Chebyshev interpolant of the averages on `[a, b]`, in the monomial basis of
/// the local variable.
fn fit_panel(bounds: (f64, f64)) -> Coeffs {
    chebyshev_to_monomial(&chebyshev_interpolant(bounds))
}

/// Chebyshev coefficients of the interpolant through the `DEGREE + 1` first-kind Chebyshev points of
/// `[a, b]`: `c_k = (2 / (n+1)) sum_j f(x_j) cos(k theta_j)`, `c_0` halved; values from
/// [`tanh_averages`].
fn chebyshev_interpolant((a, b): (f64, f64)) -> Coeffs {
    use std::f64::consts::PI;
    let n = DEGREE + 1;
    let theta = |j: usize| PI * (j as f64 + 0.5) / n as f64;
    let values: Vec<[f64; 2]> = (0..n)
        .map(|j| {
            let delta = a + (b - a) * 0.5 * (1.0 + theta(j).cos());
            let avg = tanh_averages(0.0, delta);
            [avg.d1, avg.d3]
        })
        .collect();
    let mut coeffs = [[0.0; 2]; DEGREE + 1];
    for (k, ck) in coeffs.iter_mut().enumerate() {
        for (j, v) in values.iter().enumerate() {
            let c = (k as f64 * theta(j)).cos();
            ck[0] += v[0] * c;
            ck[1] += v[1] * c;
        }
        let scale = if k == 0 { 1.0 } else { 2.0 } / n as f64;
        ck[0] *= scale;
        ck[1] *= scale;
    }
    coeffs
}

/// `sum_k c_k T_k(t)` rewritten as `sum_j a_j t^j`, with the integer coefficients of `T_k` from
/// `T_{k+1} = 2 t T_k - T_{k-1}`. Safe here because the `c_k` decay much faster than the `T_k`
/// coefficients grow (the tests bound the resulting error).
fn chebyshev_to_monomial(cheb: &Coeffs) -> Coeffs {
    let mut out = [[0.0; 2]; DEGREE + 1];
    let add = |out: &mut Coeffs, c: [f64; 2], basis: &[f64; DEGREE + 1]| {
        for (o, &b) in out.iter_mut().zip(basis) {
            o[0] += c[0] * b;
            o[1] += c[1] * b;
        }
    };
    let (mut prev, mut cur) = ([0.0; DEGREE + 1], [0.0; DEGREE + 1]);
    prev[0] = 1.0; // T_0 = 1
    cur[1] = 1.0; // T_1 = t
    add(&mut out, cheb[0], &prev);
    add(&mut out, cheb[1], &cur);
    for ck in &cheb[2..] {
        let mut next = [0.0; DEGREE + 1];
        next[0] = -prev[0];
        for j in 1..=DEGREE {
            next[j] = 2.0 * cur[j - 1] - prev[j];
        }
        add(&mut out, *ck, &next);
        (prev, cur) = (cur, next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduced::gauss::GaussHermite;
    use crate::reduced::testing::fourier_tanh_averages;

    /// `(Delta, <phi'>, <phi'''>)` at `M = 0` by mpmath adaptive quadrature at 30 digits.
    const MPMATH: [(f64, f64, f64); 7] = [
        (0.01, 0.990_194_531_244_467_6, -1.923_243_335_812_018_7),
        (0.5, 0.726_323_692_063_261_1, -0.649_259_991_977_734),
        (1.0, 0.605_705_509_602_158_8, -0.363_595_376_280_974_15),
        (4.0, 0.364_738_765_743_060_1, -0.076_747_596_379_013_17),
        (25.0, 0.157_038_240_437_456_3, -0.006_085_006_589_453_486),
        (100.0, 0.079_463_136_569_483_33, -7.881_802_107_616_895e-4),
        (1024.0, 0.024_923_887_626_791_48, -2.432_020_964_539_294e-5),
    ];

    #[test]
    fn gain_table_matches_high_precision_values() {
        for (delta, d1, d3) in MPMATH {
            let g = zero_mean_gains(delta);
            assert!(
                (g.d1 - d1).abs() < 3e-15,
                "Delta = {delta}: {} vs {d1}",
                g.d1
            );
            assert!(
                (g.d3 - d3).abs() < 5e-15,
                "Delta = {delta}: {} vs {d3}",
                g.d3
            );
        }
    }

    /// 20 000 values: log-spaced over `[1e-8, 1e8]`, a dense linear sweep of `[0, 2]`, and every panel
    /// boundary with its neighbours.
    fn test_deltas() -> Vec<f64> {
        let mut deltas: Vec<f64> = (0..10_000)
            .map(|i| 10f64.powf(-8.0 + 16.0 * i as f64 / 9_999.0))
            .collect();
        deltas.extend((0..9_000).map(|i| 2.0 * i as f64 / 8_999.0));
        for i in 0..PANELS {
            let (a, b) = panel_bounds(i);
            for x in [a, b] {
                deltas.extend([x, x.next_down(), x.next_up()]);
            }
        }
        deltas.push(TAIL_START.next_down());
        deltas
    }

    #[test]
    fn gain_table_matches_the_fourier_reference_over_the_whole_range() {
        let (mut worst1, mut worst3): (f64, f64) = (0.0, 0.0);
        for delta in test_deltas() {
            let g = zero_mean_gains(delta);
            let r = fourier_tanh_averages(0.0, delta);
            worst1 = worst1.max((g.d1 - r.d1).abs());
            worst3 = worst3.max((g.d3 - r.d3).abs());
        }
        eprintln!("gain table vs Fourier reference: <phi'> {worst1:.2e}, <phi'''> {worst3:.2e}");
        assert!(worst1 < 5e-15, "<phi'> worst absolute error {worst1:e}");
        assert!(worst3 < 1e-14, "<phi'''> worst absolute error {worst3:e}");
    }

    #[test]
    fn gain_table_matches_hermite_200_at_moderate_variance() {
        let rule = GaussHermite::new(200);
        let (mut worst1, mut worst3): (f64, f64) = (0.0, 0.0);
        // 200 nodes are accurate to ~1e-14 only up to Delta = 1 (see `super::gauss`).
        for i in 0..=4_000 {
            let delta = i as f64 / 4_000.0;
            let g = zero_mean_gains(delta);
            let r = rule.tanh_averages(0.0, delta);
            worst1 = worst1.max((g.d1 - r.d1).abs());
            worst3 = worst3.max((g.d3 - r.d3).abs());
        }
        eprintln!("gain table vs GH-200 on [0, 1]: <phi'> {worst1:.2e}, <phi'''> {worst3:.2e}");
        assert!(worst1 < 5e-15 && worst3 < 2e-14, "{worst1:e}, {worst3:e}");
    }

    #[test]
    fn gain_derivative_obeys_the_heat_equation() {
        // d<phi'>/dDelta = <phi'''> / 2, checked by central differences of the table itself.
        for delta in [0.003, 0.2, 1.7, 30.0, 700.0, 5_000.0] {
            let h = 1e-4 * delta;
            let fd = (zero_mean_gains(delta + h).d1 - zero_mean_gains(delta - h).d1) / (2.0 * h);
            let half_d3 = 0.5 * zero_mean_gains(delta).d3;
            assert!(
                (fd - half_d3).abs() < 1e-6 * half_d3.abs(),
                "Delta = {delta}: {fd} vs {half_d3}"
            );
        }
    }

    #[test]
    fn panels_are_located_exactly() {
        for i in 1..PANELS {
            let (a, b) = panel_bounds(i);
            assert_eq!(locate(a), (i, -1.0), "panel {i} start");
            let (j, t) = locate(b.next_down());
            assert!(j == i && t < 1.0 && t > 0.99, "panel {i} end: {j} {t}");
        }
        assert_eq!(panel_bounds(PANELS - 1).1, TAIL_START);
    }

    #[test]
    fn gains_edge_values() {
        assert!((zero_mean_gains(0.0).d1 - 1.0).abs() < 1e-15);
        assert!((zero_mean_gains(0.0).d3 + 2.0).abs() < 1e-14);
        assert_eq!(zero_mean_gains(-5.0), zero_mean_gains(0.0));
        assert_eq!(
            zero_mean_gains(f64::INFINITY),
            ZeroMeanGains { d1: 0.0, d3: 0.0 }
        );
        let nan = zero_mean_gains(f64::NAN);
        assert!(nan.d1.is_nan() && nan.d3.is_nan());
        // Continuity where the expansion takes over.
        let below = zero_mean_gains(TAIL_START.next_down());
        let above = zero_mean_gains(TAIL_START);
        assert!((below.d1 - above.d1).abs() < 1e-16 && (below.d3 - above.d3).abs() < 1e-17);
    }
}
