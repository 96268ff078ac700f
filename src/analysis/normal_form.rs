//! Normal-form coefficients of local bifurcations of the ODE: the first Lyapunov coefficient
//! `l_1` of a Hopf point, which says whether the cycle born there is stable (supercritical,
//! `l_1 < 0`: it exists where the fixed point is unstable) or unstable (subcritical, `l_1 > 0`).
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

use super::linalg::critical_eigenvector;
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
    let jacobian_at = |x: &[f64]| {
        let (mut f, mut jac) = (vec![0.0; n], vec![0.0; n * n]);
        sys.flow_jacobian(x, v, &mut f, &mut jac);
        DMatrix::from_row_slice(n, n, &jac)
    };
    let a = jacobian_at(x0);
    // nalgebra stores by columns: A's rows are the storage of A^T, and A^T's rows that of A.
    let q = complex(critical_eigenvector(a.transpose().as_slice(), n, omega)?);
    // A^T conj(p) = i omega conj(p): p is the conjugate of A^T's eigenvector for i omega.
    let p = complex(critical_eigenvector(a.as_slice(), n, omega)?).map(|z| z.conj());
    let length = q.norm();
    let q = q.map(|z| z / length);
    let pq = p.dotc(&q);
    let p = p.map(|z| z / pq.conj());
    let h = STEP * scale.max(f64::MIN_POSITIVE);
    let (re, im) = (q.map(|z| z.re), q.map(|z| z.im));
    let shifted = |d: &DVector<f64>, s: f64| -> Vec<f64> {
        x0.iter()
            .zip(d.iter())
            .map(|(x, d)| x + s * h * d)
            .collect()
    };
    // First and second differences of J along a = Re q and b = Im q.
    let along = |d: &DVector<f64>| {
        let (plus, minus) = (
            jacobian_at(&shifted(d, 1.0)),
            jacobian_at(&shifted(d, -1.0)),
        );
        let first = (&plus - &minus) / (2.0 * h);
        let second = (&plus - 2.0 * &a + &minus) / (h * h);
        (first, second)
    };
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
