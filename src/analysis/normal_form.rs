//! Normal-form coefficients of local bifurcations of the ODE: the first Lyapunov coefficient
//! `l_1` of a Hopf point, which says whether the cycle born there is stable (supercritical,
//! `l_1 < 0`: it exists where the fixed point is unstable) or unstable (subcritical, `l_1 > 0`);
//! and the coefficients of the cusp and Bogdanov-Takens points ([`codim2_coefficients`]) and of
//! a planar system's Bautin points ([`return_map_lyapunov`]).
//!
//! At a fixed point `x0` with Jacobian `A` whose eigenvalues `+- i omega` are on the axis, with
//! `A q = i omega q`, `A^T p = -i omega p`, `<q, q> = <p, q> = 1` (`<u, v> = conj(u)^T v`) and the
//! second and third derivatives `B(x, y)`, `C(x, y, z)` of `F` at `x0` (Kuznetsov, *Elements of
//! Applied Bifurcation Theory*, 3rd ed., eq. 3.20 and section 8.7.2):
//!
//! ```text
//! h11 = -A^-1 B(q, conj q),   h20 = (2 i omega I - A)^-1 B(q, q),
//! l_1 = Re( <p, C(q, q, conj q)> + 2 <p, B(q, h11)> + <p, B(conj q, h20)> ) / (2 omega).
//! ```
//!
//! In this normalisation the polar normal form `r' = mu r + a r^3`, `theta' = omega` has
//! `l_1 = 2 a / omega`. `B` and `C` come from the exact Jacobian `J` by differences along the
//! real and imaginary parts `a`, `b` of `q` (with `B` and `C` symmetric, four Jacobians suffice):
//! `B(u, .) = (J(x0 + h u) - J(x0 - h u)) / 2h` and `C(u, u, .) = (J(x0 + h u) - 2 J(x0) +
//! J(x0 - h u)) / h^2`, errors `O(h^2)` relative, `h = 1e-4` of the state's scale.

use nalgebra::{Complex, DMatrix, DVector};

use super::integrate::{Crossing, Event, OdeOptions, dopri5, ode_rhs};
use super::linalg::{along, critical_eigenvector, eigenvalues};
use crate::reduced::ReducedSystem;

/// Step of the differences, relative to the state's scale.
const STEP: f64 = 1e-4;

type C64 = Complex<f64>;

/// The first Lyapunov coefficient of the Hopf point `x0` (frequency `omega > 0`) of `sys` at
/// input `v`; `scale` is the size of the state (the step of the differences is `1e-4 scale`).
/// `None` if `x0` has no eigenvalue `i omega`, or a matrix of the formula is singular.
pub fn first_lyapunov(
    sys: &dyn ReducedSystem,
    v: &[f64],
    x0: &[f64],
    omega: f64,
    scale: f64,
) -> Option<f64> {
    let n = sys.rank();
    if !(omega > 0.0 && omega.is_finite()) || x0.len() != n {
        return None;
    }
    let jacobian_at = |x: &[f64]| jacobian(sys, v, x);
    let a = jacobian_at(x0);
    // nalgebra stores by columns: A's rows are the storage of A^T, and A^T's rows that of A.
    let q = complex(critical_eigenvector(a.transpose().as_slice(), n, omega)?);
    // A^T conj(p) = i omega conj(p): p is the conjugate of A^T's eigenvector for i omega.
    let p = complex(critical_eigenvector(a.as_slice(), n, omega)?).map(|z| z.conj());
    let length = q.norm();
    let q = q.map(|z| z / length);
    let pq = p.dotc(&q);
    let p = p.map(|z| z / pq.conj());
    let (re, im) = (q.map(|z| z.re), q.map(|z| z.im));
    // First and second differences of J along a = Re q and b = Im q.
    let along = |d: &DVector<f64>| differences(&jacobian_at, x0, &a, d, scale);
    let ((ba, ca), (bb, cb)) = (along(&re), along(&im));
    let cplx = |m: &DMatrix<f64>| m.map(|x| C64::new(x, 0.0));
    let (ba, bb) = (cplx(&ba), cplx(&bb));
    let i = C64::i();
    // B(q, w) = B(a, w) + i B(b, w) for any complex w, and B(conj q, w) = B(a, w) - i B(b, w).
    let b_q = |w: &DVector<C64>| &ba * w + (&bb * w) * i;
    let b_qbar = |w: &DVector<C64>| &ba * w - (&bb * w) * i;
    let b_q_qbar = b_q(&q.map(|z| z.conj()));
    let b_q_q = b_q(&q);
    let ac = cplx(&a);
    let h11 = -ac.clone().lu().solve(&b_q_qbar)?;
    let shift = DMatrix::<C64>::identity(n, n) * (2.0 * omega * i) - &ac;
    let h20 = shift.lu().solve(&b_q_q)?;
    // C(q, q, conj q) = C(a,a,a) + C(a,b,b) + i (C(a,a,b) + C(b,b,b)).
    let (ca, cb) = (&ca, &cb);
    let c = (ca * &re + cb * &re).map(|x| C64::new(x, 0.0))
        + (ca * &im + cb * &im).map(|x| C64::new(0.0, x));
    let sum = p.dotc(&c) + p.dotc(&b_q(&h11)) * 2.0 + p.dotc(&b_qbar(&h20));
    let l1 = sum.re / (2.0 * omega);
    l1.is_finite().then_some(l1)
}

/// Amplitudes `rho` (relative to the state's scale) of the orbits [`return_map_lyapunov`] follows.
const RETURN_AMPLITUDES: [f64; 8] = [0.01, 0.0171, 0.0243, 0.0314, 0.0386, 0.0457, 0.0529, 0.06];
/// Terms of the polynomial in `rho^2` fitted to `d / rho^3`.
const RETURN_TERMS: usize = 4;

/// The first two Lyapunov coefficients `[l_1, l_2]` of a Hopf point `x0` of a planar system
/// (rank 2) from its return map, in the normalisation of [`first_lyapunov`]: `l_2` is meaningful
/// where `l_1 = 0`, at a Bautin point, whose normal form is `z' = i omega z + c_2 z |z|^4` with
/// `l_2 = Re c_2 / omega` (Kuznetsov 8.3).
///
/// Why the return map: the formula for `l_2` needs the fourth and fifth derivatives of `F`, which
/// differences of the Jacobian give only to a few digits. In the normal form `|z|` gains `2 pi
/// (l_1 |z|^3 + l_2 |z|^5 + ...)` per turn, and the first non-vanishing term of a return map
/// minus the identity is the same under every change of coordinates tangent to the identity. So
/// the orbits from `x0 +- 2 rho Re q` (`|q| = 1`, so that `|z| = rho` there to first order) are
/// followed once around (Dormand-Prince at `rtol = 1e-12`) to their next crossings of their own
/// rays, where they lie at `rho + d_+-(rho)`. On the line through `x0` the return map is `s +
/// eta_3 s^3 + eta_4 s^4 + eta_5 s^5 + ...` (even powers come from the change of coordinates),
/// so the mean `d = (d_+ + d_-) / 2` keeps the odd ones: `d / rho^3 = 2 pi (l_1 + l_2 rho^2) +
/// ...`, fitted by a cubic in `rho^2` over [`RETURN_AMPLITUDES`]. `None` off a Hopf point or if
/// an orbit does not come back.
pub fn return_map_lyapunov(
    sys: &dyn ReducedSystem,
    v: &[f64],
    x0: &[f64],
    scale: f64,
) -> Option<[f64; 2]> {
    if sys.rank() != 2 || x0.len() != 2 || !(scale > 0.0 && scale.is_finite()) {
        return None;
    }
    let a = jacobian(sys, v, x0);
    let omega = eigenvalues(a.transpose().as_slice(), 2)?
        .iter()
        .map(|z| z[1].abs())
        .fold(0.0, f64::max);
    let (re, im) = critical_eigenvector(a.transpose().as_slice(), 2, omega)?;
    let length = re.iter().chain(&im).map(|x| x * x).sum::<f64>().sqrt();
    if !(omega > 0.0 && length > 0.0) {
        return None;
    }
    // The ray x0 + s u, u = 2 Re q, and g = u x (y - x0), which rises through 0 as the orbit turns
    // the way F turns at the start (it falls through the opposite ray).
    let u = [2.0 * re[0] / length, 2.0 * re[1] / length];
    let period = std::f64::consts::TAU / omega;
    let opts = OdeOptions {
        rtol: 1e-12,
        atol: 1e-15 * scale,
        h_max: period / 20.0,
        record: false,
        ..OdeOptions::default()
    };
    // Where the orbit from x0 + s u (s of either sign) next crosses its own ray, in s: the ray's
    // g = u x (y - x0) changes sign the way it does as the orbit leaves (and the other way
    // through the opposite ray, half a turn on).
    let g = move |y: &[f64]| u[0] * (y[1] - x0[1]) - u[1] * (y[0] - x0[0]);
    let returns = |s: f64| -> Option<f64> {
        let y0 = along(x0, &u, s);
        let mut f = [0.0; 2];
        sys.flow(&y0, v, &mut f);
        let crossing = if g(&[x0[0] + f[0], x0[1] + f[1]]) > 0.0 {
            Crossing::Rising
        } else {
            Crossing::Falling
        };
        let mut back: Option<Vec<f64>> = None;
        let event = Event {
            g: &|_, y| g(y),
            crossing,
            // A start a rounding error behind its ray crosses it at once: not a return.
            on_hit: &mut |hit| {
                let turned = hit.t > 0.5 * period;
                if turned {
                    back = Some(hit.y.clone());
                }
                turned
            },
        };
        dopri5(ode_rhs(sys, v), 0.0, &y0, 3.0 * period, &opts, Some(event));
        let y = back?;
        Some(((y[0] - x0[0]) * u[0] + (y[1] - x0[1]) * u[1]) / (u[0] * u[0] + u[1] * u[1]))
    };
    let mut rows = Vec::new();
    for amplitude in RETURN_AMPLITUDES {
        let rho = scale * amplitude;
        let d = 0.5 * ((returns(rho)? - rho) - (returns(-rho)? + rho));
        rows.push((amplitude, d / rho.powi(3)));
    }
    // d / rho^3 = c_0 + c_1 t^2 + c_2 t^4 + c_3 t^6 in t = rho / scale, by least squares.
    let m = DMatrix::from_fn(rows.len(), RETURN_TERMS, |i, k| {
        rows[i].0.powi(2 * k as i32)
    });
    let b = DVector::from_iterator(rows.len(), rows.iter().map(|r| r.1));
    let c = m.svd(true, true).solve(&b, 1e-14).ok()?;
    let tau = std::f64::consts::TAU;
    let out = [c[0] / tau, c[1] / (tau * scale * scale)];
    out.iter().all(|x| x.is_finite()).then_some(out)
}

/// `B(d, .)` and `C(d, d, .)` at `x0` as matrices: the central first and second differences
/// of the Jacobian along `d` (`A` is the Jacobian at `x0`), step `STEP * scale`.
fn differences(
    jacobian_at: &dyn Fn(&[f64]) -> DMatrix<f64>,
    x0: &[f64],
    a: &DMatrix<f64>,
    d: &DVector<f64>,
    scale: f64,
) -> (DMatrix<f64>, DMatrix<f64>) {
    let h = STEP * scale.max(f64::MIN_POSITIVE);
    let shifted = |s: f64| -> Vec<f64> {
        x0.iter()
            .zip(d.iter())
            .map(|(x, d)| x + s * h * d)
            .collect()
    };
    let (plus, minus) = (jacobian_at(&shifted(1.0)), jacobian_at(&shifted(-1.0)));
    let first = (&plus - &minus) / (2.0 * h);
    let second = (&plus - 2.0 * a + &minus) / (h * h);
    (first, second)
}

/// The normal-form coefficients of a codimension-2 point of fixed points of the ODE.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum Codim2Coefficients {
    /// `x' = beta_1 + beta_2 x + c x^3` on the centre manifold (Kuznetsov 8.2), `|q| = 1`.
    Cusp { c: f64 },
    /// `x' = y`, `y' = beta_1 + beta_2 x + a x^2 + b x y` (Kuznetsov 8.4), `|q_0| = 1` oriented
    /// so that `a > 0`; the sign of `a b` does not depend on the normalisation.
    BogdanovTakens { a: f64, b: f64 },
    /// The second Lyapunov coefficient of a Bautin point, `z' = i omega z + c_2 z |z|^4`, `l_2 =
    /// Re c_2 / omega` ([`return_map_lyapunov`]; rank 2).
    Bautin { l2: f64 },
}

impl Codim2Coefficients {
    /// The coefficients and what their signs say, for tooltips and reports.
    pub fn describe(&self) -> String {
        match *self {
            Codim2Coefficients::Cusp { c } => {
                let which = if c < 0.0 { "attract" } else { "repel" };
                format!(
                    "c = {c:.4}: between the fold curves, two of the three fixed points {which} along the critical direction"
                )
            }
            Codim2Coefficients::BogdanovTakens { a, b } => {
                let (hopf, cycle) = if a * b < 0.0 {
                    ("supercritical", "stable")
                } else {
                    ("subcritical", "unstable")
                };
                format!(
                    "a = {a:.4}, b = {b:.4}: ab {} 0, the Hopf curve from it is {hopf} and its {cycle} cycle ends in a homoclinic orbit",
                    if a * b < 0.0 { "<" } else { ">" }
                )
            }
            Codim2Coefficients::Bautin { l2 } => {
                let (side, small, big) = if l2 < 0.0 {
                    ("subcritical", "unstable", "stable")
                } else {
                    ("supercritical", "stable", "unstable")
                };
                format!(
                    "l2 = {l2:.4}: on the {side} side the {small} cycle from the Hopf curve lies inside a {big} one, and the two meet on a curve of folds of cycles from here"
                )
            }
        }
    }
}

/// The Jacobian of `sys` at `x`, input `v`.
fn jacobian(sys: &dyn ReducedSystem, v: &[f64], x: &[f64]) -> DMatrix<f64> {
    let n = sys.rank();
    let (mut f, mut jac) = (vec![0.0; n], vec![0.0; n * n]);
    sys.flow_jacobian(x, v, &mut f, &mut jac);
    DMatrix::from_row_slice(n, n, &jac)
}

/// The unit right and left null vectors of `a` (its smallest singular vectors).
fn null_vectors(a: &DMatrix<f64>) -> Option<(DVector<f64>, DVector<f64>)> {
    let svd = a.clone().svd(true, true);
    let k = svd.singular_values.imin();
    let right = svd.v_t.as_ref()?.row(k).transpose();
    let left = svd.u.as_ref()?.column(k).into_owned();
    Some((right, left))
}

/// `u` solving `[[M, border], [other^T, 0]] (u, s) = (rhs, 0)`: the solution of `M u = rhs`
/// (up to `s border`) orthogonal to `other`, for a singular `M`.
fn bordered_solve(
    m: &DMatrix<f64>,
    border: &DVector<f64>,
    other: &DVector<f64>,
    rhs: &DVector<f64>,
) -> Option<DVector<f64>> {
    let n = m.nrows();
    let mut big = DMatrix::zeros(n + 1, n + 1);
    big.view_mut((0, 0), (n, n)).copy_from(m);
    big.view_mut((0, n), (n, 1)).copy_from(border);
    big.view_mut((n, 0), (1, n)).copy_from(&other.transpose());
    let mut b = DVector::zeros(n + 1);
    b.rows_mut(0, n).copy_from(rhs);
    let x = big.lu().solve(&b)?;
    Some(x.rows(0, n).into_owned())
}

/// The normal-form coefficients of the cusp or Bogdanov-Takens point `x0` of `sys` at input
/// `v` (Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., 8.7.1), with `B` and `C`
/// by differences of the exact Jacobian as for [`first_lyapunov`]; `scale` is the state's size.
///
/// Cusp: `A q = 0`, `A^T p = 0`, `<p, q> = 1`, `h_2 = -A^INV (B(q, q) - <p, B(q, q)> q)` (the
/// bordered solve orthogonal to `p`), `c = <p, C(q, q, q) + 3 B(q, h_2)> / 6`.
///
/// Bogdanov-Takens: `A q_0 = 0`, `A q_1 = q_0`, `A^T p_1 = 0`, `A^T p_0 = p_1`, with `<p_0, q_0>
/// = <p_1, q_1> = 1` and `<p_0, q_1> = <p_1, q_0> = 0`; `a = <p_1, B(q_0, q_0)> / 2`, `b = <p_0,
/// B(q_0, q_0)> + <p_1, B(q_0, q_1)>`. `None` if a solve is singular or the kind has none.
pub fn codim2_coefficients(
    sys: &dyn ReducedSystem,
    v: &[f64],
    x0: &[f64],
    bogdanov_takens: bool,
    scale: f64,
) -> Option<Codim2Coefficients> {
    if x0.len() != sys.rank() {
        return None;
    }
    let jacobian_at = |x: &[f64]| jacobian(sys, v, x);
    let a = jacobian_at(x0);
    let (q0, p1) = null_vectors(&a)?;
    let (b_q0, c_q0) = differences(&jacobian_at, x0, &a, &q0, scale);
    let b_q0q0 = &b_q0 * &q0;
    let out = if bogdanov_takens {
        let q1 = bordered_solve(&a, &p1, &q0, &q0)?;
        let p1 = &p1 / p1.dot(&q1);
        let p0 = bordered_solve(&a.transpose(), &q0, &p1, &p1)?;
        let p0 = &p0 - &p1 * p0.dot(&q1);
        let (a, b) = (
            0.5 * p1.dot(&b_q0q0),
            p0.dot(&b_q0q0) + p1.dot(&(&b_q0 * &q1)),
        );
        // -q_0 flips both (q_1, p_0 and p_1 flip with it): q_0 is oriented to make a positive.
        let sign = if a < 0.0 { -1.0 } else { 1.0 };
        Codim2Coefficients::BogdanovTakens {
            a: sign * a,
            b: sign * b,
        }
    } else {
        let p = &p1 / p1.dot(&q0);
        let projected = &b_q0q0 - &q0 * p.dot(&b_q0q0);
        let h2 = -bordered_solve(&a, &q0, &p, &projected)?;
        let c = (p.dot(&(&c_q0 * &q0)) + 3.0 * p.dot(&(&b_q0 * &h2))) / 6.0;
        Codim2Coefficients::Cusp { c }
    };
    let finite = match out {
        Codim2Coefficients::Cusp { c } | Codim2Coefficients::Bautin { l2: c } => c.is_finite(),
        Codim2Coefficients::BogdanovTakens { a, b } => a.is_finite() && b.is_finite(),
    };
    finite.then_some(out)
}

/// An eigenvector `a + i b` as a complex vector.
fn complex((a, b): (Vec<f64>, Vec<f64>)) -> DVector<C64> {
    DVector::from_iterator(a.len(), a.iter().zip(&b).map(|(re, im)| C64::new(*re, *im)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::test_systems::{GeneralisedHopf, Hopf};

    #[test]
    fn the_hopf_normal_form_has_l1_two_a_over_omega_of_either_sign() {
        let omega = 1.3;
        for sign in [1.0, -1.0] {
            let sys = Hopf {
                mu: 0.0,
                omega,
                sign,
            };
            // r' = s (mu r - r^3): a = -s, in time s t; l_1 is that of the flow as it runs.
            let l1 = first_lyapunov(&sys, &[0.0], &[0.0, 0.0], omega, 1.0).unwrap();
            let want = -2.0 * sign / omega;
            assert!((l1 - want).abs() < 1e-7, "sign {sign}: {l1} vs {want}");
        }
        let bautin = first_lyapunov(
            &GeneralisedHopf { omega: 0.8 },
            &[0.0, 1.0],
            &[0.0, 0.0],
            0.8,
            1.0,
        );
        assert!((bautin.unwrap() - 2.0 / 0.8).abs() < 1e-7, "{bautin:?}");
    }

    /// `r' = r (b1 + b2 r^2 - r^4)` at `b1 = 0`: in `z = x / sqrt 2` (`|q| = 1`),
    /// `|z|' = 2 b2 |z|^3 - 4 |z|^5`, so `l_1 = 2 b2 / omega` and, at `b2 = 0`, `l_2 = -4 /
    /// omega`: from the return map, also rotated and through a change of coordinates tangent to
    /// the identity.
    #[test]
    fn the_return_map_gives_the_bautin_normal_forms_coefficients() {
        let omega = 1.5;
        let at = |sys: &dyn ReducedSystem, b2: f64| {
            return_map_lyapunov(sys, &[0.0, b2], &[0.0, 0.0], 1.0).unwrap()
        };
        let [l1, l2] = at(&GeneralisedHopf { omega }, 0.0);
        assert!(l1.abs() < 1e-8, "{l1}");
        assert!((l2 + 4.0 / omega).abs() < 1e-5, "{l2}");
        let rotated = Rotated {
            sys: GeneralisedHopf { omega },
            angle: 0.7,
        };
        let [_, l2] = at(&rotated, 0.0);
        assert!((l2 + 4.0 / omega).abs() < 1e-5, "rotated: {l2}");
        let bent = Bent {
            sys: GeneralisedHopf { omega },
            c: 0.8,
        };
        let [l1, l2] = at(&bent, 0.0);
        assert!(l1.abs() < 1e-7, "{l1}");
        assert!((l2 + 4.0 / omega).abs() < 1e-5, "bent: {l2}");
        // Off the Bautin point the first coefficient is the formula's.
        for b2 in [-0.3, 0.2] {
            let [l1, _] = at(&GeneralisedHopf { omega }, b2);
            let want = first_lyapunov(
                &GeneralisedHopf { omega },
                &[0.0, b2],
                &[0.0, 0.0],
                omega,
                1.0,
            )
            .unwrap();
            assert!((l1 - want).abs() < 1e-6, "{l1} vs {want}");
            assert!((want - 2.0 * b2 / omega).abs() < 1e-7);
        }
    }

    /// `sys` seen through `u = (x_0 + c x_1^2, x_1)`, a change of coordinates tangent to the
    /// identity at the origin; its Jacobian by central differences.
    struct Bent<S> {
        sys: S,
        c: f64,
    }

    impl<S: ReducedSystem> ReducedSystem for Bent<S> {
        fn rank(&self) -> usize {
            2
        }
        fn inputs(&self) -> usize {
            self.sys.inputs()
        }
        fn flow(&self, u: &[f64], v: &[f64], out: &mut [f64]) {
            let x = [u[0] - self.c * u[1] * u[1], u[1]];
            let mut f = [0.0; 2];
            self.sys.flow(&x, v, &mut f);
            out[0] = f[0] + 2.0 * self.c * x[1] * f[1];
            out[1] = f[1];
        }
        fn flow_jacobian(&self, u: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            self.flow(u, v, f);
            let h = 1e-6;
            for j in 0..2 {
                let (mut plus, mut minus) = ([0.0; 2], [0.0; 2]);
                let mut up = [u[0], u[1]];
                up[j] += h;
                self.flow(&up, v, &mut plus);
                up[j] -= 2.0 * h;
                self.flow(&up, v, &mut minus);
                for i in 0..2 {
                    jac[i * 2 + j] = (plus[i] - minus[i]) / (2.0 * h);
                }
            }
        }
    }

    /// `x' = -x^3 + x y`, `y' = -y + k x^2`: on the centre manifold `y = k x^2 + ...`, so
    /// `x' = (k - 1) x^3`: a cusp whose coefficient needs the `B(q, h_2)` term.
    struct SlavedCusp {
        k: f64,
    }

    impl ReducedSystem for SlavedCusp {
        fn rank(&self) -> usize {
            2
        }
        fn inputs(&self) -> usize {
            0
        }
        fn flow(&self, u: &[f64], _: &[f64], out: &mut [f64]) {
            out[0] = -u[0].powi(3) + u[0] * u[1];
            out[1] = -u[1] + self.k * u[0] * u[0];
        }
        fn flow_jacobian(&self, u: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            self.flow(u, v, f);
            let (x, y) = (u[0], u[1]);
            jac.copy_from_slice(&[-3.0 * x * x + y, x, 2.0 * self.k * x, -1.0]);
        }
    }

    /// `sys` seen through a rotation by `angle` (`u = Q x`): the coefficients with unit vectors
    /// are the same.
    struct Rotated<S> {
        sys: S,
        angle: f64,
    }

    impl<S: ReducedSystem> Rotated<S> {
        fn rotate(&self, x: &[f64], back: bool) -> [f64; 2] {
            let (s, c) = self.angle.sin_cos();
            let s = if back { -s } else { s };
            [c * x[0] - s * x[1], s * x[0] + c * x[1]]
        }
    }

    impl<S: ReducedSystem> ReducedSystem for Rotated<S> {
        fn rank(&self) -> usize {
            2
        }
        fn inputs(&self) -> usize {
            self.sys.inputs()
        }
        fn flow(&self, u: &[f64], v: &[f64], out: &mut [f64]) {
            let mut f = [0.0; 2];
            self.sys.flow(&self.rotate(u, true), v, &mut f);
            out.copy_from_slice(&self.rotate(&f, false));
        }
        fn flow_jacobian(&self, u: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            self.flow(u, v, f);
            let (mut g, mut j) = ([0.0; 2], [0.0; 4]);
            self.sys
                .flow_jacobian(&self.rotate(u, true), v, &mut g, &mut j);
            // Q J Q^T, column by column of Q^T.
            let cols = [
                self.rotate(&[1.0, 0.0], true),
                self.rotate(&[0.0, 1.0], true),
            ];
            for (c, e) in cols.iter().enumerate() {
                let jc = [j[0] * e[0] + j[1] * e[1], j[2] * e[0] + j[3] * e[1]];
                let out = self.rotate(&jc, false);
                jac[c] = out[0];
                jac[2 + c] = out[1];
            }
        }
    }

    #[test]
    fn cusp_and_bogdanov_takens_coefficients_are_the_normal_forms() {
        use crate::analysis::test_systems::{BogdanovTakens, Cusp};
        let origin = [0.0, 0.0];
        let cusp = |sys: &dyn ReducedSystem, v: &[f64]| match codim2_coefficients(
            sys, v, &origin, false, 1.0,
        )
        .unwrap()
        {
            Codim2Coefficients::Cusp { c } => c,
            other => panic!("{other:?}"),
        };
        assert!((cusp(&Cusp, &[0.0, 0.0]) + 1.0).abs() < 1e-6);
        for k in [0.25, 2.0] {
            let want = k - 1.0;
            assert!((cusp(&SlavedCusp { k }, &[]) - want).abs() < 1e-6, "k {k}");
            let turned = Rotated {
                sys: SlavedCusp { k },
                angle: 0.7,
            };
            assert!((cusp(&turned, &[]) - want).abs() < 1e-6, "rotated, k {k}");
        }
        for s in [-1.0, 1.0] {
            let want = Codim2Coefficients::BogdanovTakens { a: 1.0, b: s };
            for angle in [0.0, 2.2] {
                let sys = Rotated {
                    sys: BogdanovTakens { s },
                    angle,
                };
                let got = codim2_coefficients(&sys, &[0.0, 0.0], &origin, true, 1.0).unwrap();
                let Codim2Coefficients::BogdanovTakens { a, b } = got else {
                    panic!("{got:?}")
                };
                assert!(
                    (a - 1.0).abs() < 1e-6 && (b - s).abs() < 1e-6,
                    "{got:?} vs {want:?}"
                );
            }
        }
        let text = Codim2Coefficients::BogdanovTakens { a: 1.0, b: -1.0 }.describe();
        assert!(
            text.contains("ab < 0") && text.contains("supercritical"),
            "{text}"
        );
    }

    /// `x1' = -omega x2 + x1 x3`, `x2' = omega x1 + e x2 x3`, `x3' = -lambda x3 + k (x1^2 + e
    /// x2^2)` with `e = +-1`, seen through the rotation `Q` (`u = Q x`). On the centre manifold
    /// `x3` follows the cycle: for `e = 1`, `x3 = k r^2 / lambda` and `r' = (k / lambda) r^3`; for
    /// `e = -1`, `x3 = k r^2 (lambda cos 2t + 2 omega sin 2t) / (lambda^2 + 4 omega^2)` and the
    /// average of `r' = r x3 cos 2t` is `k lambda r^3 / (2 (lambda^2 + 4 omega^2))`.
    struct Slaved {
        omega: f64,
        lambda: f64,
        k: f64,
        e: f64,
        q: DMatrix<f64>,
    }

    impl Slaved {
        fn new(omega: f64, lambda: f64, k: f64, e: f64) -> Slaved {
            let axis = nalgebra::Vector3::new(1.0, -2.0, 0.5).normalize();
            let rotation =
                nalgebra::Rotation3::from_axis_angle(&nalgebra::Unit::new_normalize(axis), 0.9);
            let q = DMatrix::from_iterator(3, 3, rotation.matrix().iter().copied());
            Slaved {
                omega,
                lambda,
                k,
                e,
                q,
            }
        }

        /// `l_1 = 2 a / omega` of the averaged radial equation.
        fn l1(&self) -> f64 {
            let (w, l, k) = (self.omega, self.lambda, self.k);
            let a = if self.e > 0.0 {
                k / l
            } else {
                k * l / (2.0 * (l * l + 4.0 * w * w))
            };
            2.0 * a / w
        }
    }

    impl ReducedSystem for Slaved {
        fn rank(&self) -> usize {
            3
        }
        fn inputs(&self) -> usize {
            0
        }
        fn flow(&self, u: &[f64], _v: &[f64], out: &mut [f64]) {
            let x = self.q.transpose() * DVector::from_column_slice(u);
            let (w, e) = (self.omega, self.e);
            let g = DVector::from_vec(vec![
                -w * x[1] + x[0] * x[2],
                w * x[0] + e * x[1] * x[2],
                -self.lambda * x[2] + self.k * (x[0] * x[0] + e * x[1] * x[1]),
            ]);
            out.copy_from_slice((&self.q * g).as_slice());
        }
        fn flow_jacobian(&self, u: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            self.flow(u, v, f);
            let x = self.q.transpose() * DVector::from_column_slice(u);
            let (w, e, k) = (self.omega, self.e, self.k);
            let g = DMatrix::from_row_slice(
                3,
                3,
                &[
                    x[2],
                    -w,
                    x[0],
                    w,
                    e * x[2],
                    e * x[1],
                    2.0 * k * x[0],
                    2.0 * e * k * x[1],
                    -self.lambda,
                ],
            );
            let j = &self.q * g * self.q.transpose();
            jac.copy_from_slice(j.transpose().as_slice());
        }
    }

    #[test]
    fn a_centre_manifold_in_three_dimensions_gives_the_averaged_coefficient() {
        for e in [1.0, -1.0] {
            let sys = Slaved::new(0.7, 0.6, 0.8, e);
            let l1 = first_lyapunov(&sys, &[], &[0.0; 3], 0.7, 1.0).unwrap();
            let want = sys.l1();
            assert!(want.abs() > 0.05);
            assert!((l1 / want - 1.0).abs() < 1e-6, "e = {e}: {l1} vs {want}");
        }
    }

    #[test]
    fn a_bad_frequency_or_a_point_of_the_wrong_size_has_none() {
        let sys = Hopf {
            mu: 0.0,
            omega: 1.0,
            sign: 1.0,
        };
        assert!(first_lyapunov(&sys, &[0.0], &[0.0, 0.0], 0.0, 1.0).is_none());
        assert!(first_lyapunov(&sys, &[0.0], &[0.0, 0.0], f64::NAN, 1.0).is_none());
        assert!(first_lyapunov(&sys, &[0.0], &[0.0], 1.0, 1.0).is_none());
    }
}
