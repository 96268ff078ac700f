//! Latent coordinates (MODEL.md 2): projection of network states onto `kappa`, and the SVD axes.

use nalgebra::{DMatrix, DVector};

use super::Network;
use crate::kernels;

/// Relative singular-value cut-off below which a basis direction counts as absent (rank deficiency).
const PINV_RTOL: f64 = 1e-12;

/// Least-squares projection `h ≈ sum_r kappa_r m_r + sum_s v_s I_s` (MODEL.md 2).
///
/// Not a dot product: `m_r` and `I_s` are in general neither orthogonal nor normalised. The
/// pseudo-inverse of the basis `B = [m_1..m_R, I_1..I_S]` is computed once (thin SVD, O(N (R+S)^2),
/// tolerant of a rank-deficient basis); each projection then costs O(N (R+S)).
#[derive(Debug, Clone)]
pub struct Projector {
    rank: usize,
    /// `B` (N x (R+S)), to form the residual.
    basis: DMatrix<f64>,
    /// `(B^+)^T` (N x (R+S)): column j holds row j of the pseudo-inverse, contiguous for [`kernels::dot`].
    pinv_t: DMatrix<f64>,
}

/// Latent coordinates of one state and how far the state is from the latent subspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Coefficients of `m_1..m_R`.
    pub kappa: Vec<f64>,
    /// Coefficients of `I_1..I_S`.
    pub v: Vec<f64>,
    /// `||h - B c||_2`.
    pub residual: f64,
    /// `||h - B c|| / ||h||` (0 for `h = 0`).
    pub relative_residual: f64,
}

impl Projector {
    /// Projector onto the latent axes of `net` as they are (use [`Network::svd_reparametrised`] first
    /// for the orthogonal SVD axes).
    pub fn new(net: &Network) -> Self {
        let d = net.dims();
        let mut basis = DMatrix::zeros(d.neurons, d.rank + d.inputs);
        basis.columns_mut(0, d.rank).copy_from(net.m());
        basis
            .columns_mut(d.rank, d.inputs)
            .copy_from(net.input_vectors());
        let pinv_t = pseudo_inverse_transposed(&basis);
        Self {
            rank: d.rank,
            basis,
            pinv_t,
        }
    }

    /// Projects one state `h` (length N).
    pub fn project(&self, h: &[f64]) -> Projection {
        let coeffs: Vec<f64> = self
            .pinv_t
            .column_iter()
            .map(|col| kernels::dot(col.as_slice(), h))
            .collect();
        let mut residual = h.to_vec();
        for (col, &c) in self.basis.column_iter().zip(&coeffs) {
            kernels::axpy(-c, col.as_slice(), &mut residual);
        }
        let residual = norm(&residual);
        let norm = norm(h);
        Projection {
            kappa: coeffs[..self.rank].to_vec(),
            v: coeffs[self.rank..].to_vec(),
            residual,
            relative_residual: if norm > 0.0 { residual / norm } else { 0.0 },
        }
    }

    /// Projects each row of a row-major `(T, N)` array of states.
    pub fn project_all(&self, states: &[f64]) -> Vec<Projection> {
        let n = self.basis.nrows();
        states.chunks_exact(n).map(|h| self.project(h)).collect()
    }
}

/// `||x||`; where the squares would overflow (entries near the float range) it is computed again
/// scaled by the largest magnitude, so a finite state has a finite norm.
fn norm(x: &[f64]) -> f64 {
    let squares = kernels::dot(x, x);
    if squares.is_finite() {
        return squares.sqrt();
    }
    let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if !(scale > 0.0 && scale.is_finite()) {
        return scale;
    }
    scale
        * x.iter()
            .map(|v| (v / scale) * (v / scale))
            .sum::<f64>()
            .sqrt()
}

/// `(B^+)^T` by thin SVD, dropping singular values below `PINV_RTOL * s_max`.
///
/// The columns are equilibrated first (`B = B' D` with `D` their largest magnitudes, so
/// `(B^+)^T = (B'^+)^T D^-1` for full column rank): loadings near the float range (`m ~ 1e300`)
/// neither overflow in the SVD nor swamp the other columns in its tolerance.
fn pseudo_inverse_transposed(basis: &DMatrix<f64>) -> DMatrix<f64> {
    let scale: Vec<f64> = basis
        .column_iter()
        .map(|c| match c.amax() {
            x if x > 0.0 && x.is_finite() => x,
            _ => 1.0,
        })
        .collect();
    let mut scaled = basis.clone();
    for (mut col, &c) in scaled.column_iter_mut().zip(&scale) {
        col /= c;
    }
    let svd = scaled.svd(true, true);
    let (u, vt) = (svd.u.expect("requested U"), svd.v_t.expect("requested V^T"));
    let s_max = svd.singular_values.max();
    let inv = DVector::from_iterator(
        svd.singular_values.len(),
        svd.singular_values.iter().map(|&s| {
            if s > PINV_RTOL * s_max && s > 0.0 {
                1.0 / s
            } else {
                0.0
            }
        }),
    );
    // B'^+ = V S^-1 U^T, so (B'^+)^T = U S^-1 V^T, and (B^+)^T = (B'^+)^T D^-1.
    let mut us = u;
    for (mut col, &w) in us.column_iter_mut().zip(inv.iter()) {
        col *= w;
    }
    let mut pinv_t = us * vt;
    for (mut col, &c) in pinv_t.column_iter_mut().zip(&scale) {
        col /= c;
    }
    pinv_t
}

/// Factors `(m', n')` with `m' n'^T = m n^T`, `m' = U_R sqrt(S_R)`, `n' = V_R sqrt(S_R)`, singular
/// values descending, each pair `(m'_r, n'_r)` signed so that `sum_i m'_ir > 0` (MODEL.md 2).
///
/// Via thin QR: `m n^T = Q_m (R_m R_n^T) Q_n^T`, so only the R x R core is decomposed. `m` and
/// `n` are scaled to unit largest magnitude first and the scales put back in the square roots
/// (`sqrt(s a b) = sqrt(s) sqrt(a) sqrt(b)`), so loadings near the float range do not overflow.
/// With fewer neurons than the rank (`N < R`), `m n^T` has rank at most `N`: the last `R - N`
/// axes are zero.
pub(super) fn svd_factors(m: &DMatrix<f64>, n: &DMatrix<f64>) -> (DMatrix<f64>, DMatrix<f64>) {
    let rank = m.ncols();
    let unit = |x: &DMatrix<f64>| match x.amax() {
        a if a > 0.0 && a.is_finite() => a,
        _ => 1.0,
    };
    let (sm, sn) = (unit(m), unit(n));
    let qr_m = (m / sm).qr();
    let qr_n = (n / sn).qr();
    let core = qr_m.r() * qr_n.r().transpose();
    let svd = core.svd(true, true);
    let (uc, vtc) = (svd.u.expect("requested U"), svd.v_t.expect("requested V^T"));
    let u = qr_m.q() * uc;
    let v = qr_n.q() * vtc.transpose();
    let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
    order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
    let mut m_new = DMatrix::zeros(m.nrows(), rank);
    let mut n_new = DMatrix::zeros(n.nrows(), rank);
    for (dst, &src) in order.iter().enumerate() {
        let root = svd.singular_values[src].max(0.0).sqrt() * sm.sqrt() * sn.sqrt();
        let sign = if u.column(src).sum() < 0.0 { -1.0 } else { 1.0 };
        m_new.set_column(dst, &(u.column(src) * (sign * root)));
        n_new.set_column(dst, &(v.column(src) * (sign * root)));
    }
    (m_new, n_new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::NetworkParts;

    fn random_net(n: usize, r: usize, s: usize, seed: u64) -> Network {
        // A tiny deterministic generator keeps this test independent of `rand`.
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        Network::new(NetworkParts {
            wi: DMatrix::from_fn(s, n, |_, _| next()),
            si: DVector::from_fn(s, |_, _| 1.0 + next().abs()),
            m: DMatrix::from_fn(n, r, |_, _| next() * 2.0),
            n: DMatrix::from_fn(n, r, |_, _| next() * 2.0),
            wo: DMatrix::from_fn(n, 1, |_, _| next()),
            so: DVector::from_element(1, 1.0),
            h0: DVector::zeros(n),
            b: None,
        })
        .unwrap()
    }

    #[test]
    fn projection_recovers_coordinates_of_states_in_the_span() {
        let net = random_net(200, 3, 2, 7);
        let p = Projector::new(&net);
        let kappa = [0.7, -1.3, 2.5];
        let v = [0.4, -0.9];
        let h = net.m() * DVector::from_column_slice(&kappa)
            + net.input_vectors() * DVector::from_column_slice(&v);
        let proj = p.project(h.as_slice());
        for (a, b) in proj.kappa.iter().zip(&kappa) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        for (a, b) in proj.v.iter().zip(&v) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert!(proj.relative_residual < 1e-13);
    }

    #[test]
    fn projection_residual_is_the_orthogonal_component() {
        let net = random_net(150, 2, 2, 11);
        let p = Projector::new(&net);
        // Orthogonal complement direction: Gram-Schmidt a fixed vector against the basis.
        let basis = p.basis.clone();
        let q = basis.clone().qr().q();
        let mut e = DVector::from_fn(150, |i, _| ((i * 37) % 11) as f64 - 5.0);
        e -= &q * (q.transpose() * &e);
        e /= e.norm();
        let h = net.m().column(0) * 2.0 + &e * 3.0;
        let proj = p.project(h.as_slice());
        assert!((proj.kappa[0] - 2.0).abs() < 1e-12);
        assert!(proj.kappa[1].abs() < 1e-12);
        assert!((proj.residual - 3.0).abs() < 1e-12);
    }

    #[test]
    fn degenerate_sizes_and_huge_loadings_give_axes_not_panics() {
        // N = 1 < R = 2: one axis, the other zero; m n^T kept.
        let net = random_net(1, 2, 2, 5);
        let svd = net.svd_reparametrised().unwrap();
        assert!((net.m() * net.n().transpose() - svd.m() * svd.n().transpose()).amax() < 1e-12);
        assert_eq!(svd.m().column(1).amax(), 0.0);
        let p = Projector::new(&svd);
        assert!(p.project(&[0.3]).kappa.iter().all(|k| k.is_finite()));
        // Loadings of 1e300: the factors and the projector stay finite and exact in relative terms.
        let big = random_net(40, 2, 2, 9);
        let mut p = big.parts().clone();
        p.m *= 1e300;
        p.n *= 1e300;
        let huge = Network::new(p).unwrap();
        let svd = huge.svd_reparametrised().unwrap();
        assert!(svd.m().iter().chain(svd.n().iter()).all(|x| x.is_finite()));
        let ratio = (svd.m().column(0) / 1e300).norm()
            / big.svd_reparametrised().unwrap().m().column(0).norm();
        assert!((ratio - 1.0).abs() < 1e-12, "{ratio}");
        let proj = Projector::new(&huge);
        let h = huge.m().column(0) * 2.0 - huge.m().column(1) * 0.5;
        let q = proj.project(h.as_slice());
        assert!(
            (q.kappa[0] - 2.0).abs() < 1e-9 && (q.kappa[1] + 0.5).abs() < 1e-9,
            "{q:?}"
        );
        assert!(
            q.residual.is_finite() && q.relative_residual < 1e-12,
            "{q:?}"
        );
    }

    #[test]
    fn svd_factors_preserve_the_connectivity_and_orthogonalise_the_axes() {
        let net = random_net(120, 2, 2, 3);
        let svd = net.svd_reparametrised().unwrap();
        let before = net.m() * net.n().transpose();
        let after = svd.m() * svd.n().transpose();
        assert!((before - after).amax() < 1e-12);
        let gram_m = svd.m().transpose() * svd.m();
        let gram_n = svd.n().transpose() * svd.n();
        // m' = U sqrt(S) and n' = V sqrt(S): equal diagonal Gram matrices, zero off-diagonal.
        assert!(gram_m[(0, 1)].abs() < 1e-10 && gram_n[(0, 1)].abs() < 1e-10);
        assert!((gram_m[(0, 0)] - gram_n[(0, 0)]).abs() < 1e-10);
        assert!(gram_m[(0, 0)] >= gram_m[(1, 1)]);
        for r in 0..2 {
            assert!(svd.m().column(r).sum() > 0.0);
        }
    }
}
