//! Small dense linear algebra for the analysis core.
//!
//! The matrices here are tiny (the latent dimension, plus one for continuation, or `R + R^2` for
//! nothing at all: monodromy matrices are `R x R`), so plain Gaussian elimination and the
//! closed-form `2 x 2` eigen-decomposition are exact enough and allocation-free; larger eigenvalue
//! problems go to nalgebra's Schur decomposition with an iteration cap.

use nalgebra::{DMatrix, Schur};

/// A complex number as `[re, im]` (the JSON shape of eigenvalues and multipliers).
pub type Complex = [f64; 2];

/// Solves `a x = b` in place by Gaussian elimination with partial pivoting; `a` is row-major
/// `n x n` and is destroyed, `b` becomes `x`.
///
/// Returns `false` (leaving garbage) when a pivot is below `1e-14` times the largest entry of `a`
/// or anything is non-finite: the caller then falls back to a regularised step.
pub fn solve_in_place(a: &mut [f64], b: &mut [f64], n: usize) -> bool {
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if !scale.is_finite() || scale == 0.0 || b.iter().any(|v| !v.is_finite()) {
        return false;
    }
    for col in 0..n {
        let pivot_row = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .unwrap_or(col);
        if a[pivot_row * n + col].abs() <= 1e-14 * scale {
            return false;
        }
        if pivot_row != col {
            for k in 0..n {
                a.swap(col * n + k, pivot_row * n + k);
            }
            b.swap(col, pivot_row);
        }
        let pivot = a[col * n + col];
        for row in col + 1..n {
            let factor = a[row * n + col] / pivot;
            if factor != 0.0 {
                for k in col..n {
                    a[row * n + k] -= factor * a[col * n + k];
                }
                b[row] -= factor * b[col];
            }
        }
    }
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| a[row * n + k] * b[k]).sum();
        b[row] = (b[row] - tail) / a[row * n + row];
    }
    b.iter().all(|v| v.is_finite())
}

/// Inverse of a row-major `n x n` matrix (column by column with [`solve_in_place`]); `None` if
/// singular.
pub fn invert(m: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut inv = vec![0.0; n * n];
    for col in 0..n {
        let mut a = m.to_vec();
        let mut e = vec![0.0; n];
        e[col] = 1.0;
        if !solve_in_place(&mut a, &mut e, n) {
            return None;
        }
        for row in 0..n {
            inv[row * n + col] = e[row];
        }
    }
    Some(inv)
}

/// Levenberg-Marquardt step `(A^T A + mu I) d = -A^T f` for an `m x n` row-major `a`, with
/// `mu = 1e-6 * trace(A^T A) / n` (plus a floor): the safeguard when `A` is singular or Newton's
/// step does not reduce `|f|`. It always decreases `|f|^2` for a small enough multiple.
pub fn damped_least_squares(a: &[f64], f: &[f64], m: usize, n: usize) -> Option<Vec<f64>> {
    let mut ata = vec![0.0; n * n];
    let mut rhs = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            ata[i * n + j] = (0..m).map(|r| a[r * n + i] * a[r * n + j]).sum();
        }
        rhs[i] = -(0..m).map(|r| a[r * n + i] * f[r]).sum::<f64>();
    }
    let trace: f64 = (0..n).map(|i| ata[i * n + i]).sum();
    let mu = 1e-6 * trace / n as f64 + 1e-300;
    for i in 0..n {
        ata[i * n + i] += mu;
    }
    solve_in_place(&mut ata, &mut rhs, n).then_some(rhs)
}

/// Eigenvalues of a `2 x 2` matrix `[a b; c d]` from `tr` and `det`, in closed form.
///
/// Real pairs use `l1 = tr/2 + sign(tr) sqrt(disc)`, `l2 = det / l1` to avoid cancellation;
/// complex pairs are `tr/2 +- i sqrt(-disc)` (positive imaginary part first).
pub fn eigenvalues_2x2(m: &[f64]) -> [Complex; 2] {
    let (a, b, c, d) = (m[0], m[1], m[2], m[3]);
    let half_tr = 0.5 * (a + d);
    let half_diff = 0.5 * (a - d);
    let disc = half_diff * half_diff + b * c;
    if disc >= 0.0 {
        let root = disc.sqrt();
        let l1 = half_tr + root.copysign(half_tr);
        let det = a * d - b * c;
        let l2 = if l1 != 0.0 { det / l1 } else { half_tr - root };
        let (hi, lo) = if l1 >= l2 { (l1, l2) } else { (l2, l1) };
        [[hi, 0.0], [lo, 0.0]]
    } else {
        let im = (-disc).sqrt();
        [[half_tr, im], [half_tr, -im]]
    }
}

/// A unit eigenvector of the `2 x 2` matrix `m` for the eigenvalue `l`: the larger of
/// `(b, l - a)` and `(l - d, c)`, both null vectors of `m - l I`; the identity's basis vectors when
/// `m - l I` vanishes. Components are complex, `[re, im]`.
pub fn eigenvector_2x2(m: &[f64], l: Complex) -> [Complex; 2] {
    let (a, b, c, d) = (m[0], m[1], m[2], m[3]);
    let first = [[b, 0.0], [l[0] - a, l[1]]];
    let second = [[l[0] - d, l[1]], [c, 0.0]];
    let norm = |v: &[Complex; 2]| {
        (v[0][0].powi(2) + v[0][1].powi(2) + v[1][0].powi(2) + v[1][1].powi(2)).sqrt()
    };
    let (n1, n2) = (norm(&first), norm(&second));
    let (v, n) = if n1 >= n2 { (first, n1) } else { (second, n2) };
    if n <= 1e-300 || !n.is_finite() {
        return if l[0] == a {
            [[1.0, 0.0], [0.0, 0.0]]
        } else {
            [[0.0, 0.0], [1.0, 0.0]]
        };
    }
    [[v[0][0] / n, v[0][1] / n], [v[1][0] / n, v[1][1] / n]]
}

/// Eigenvalues of a row-major `n x n` matrix: closed form for `n <= 2`, otherwise the real Schur
/// form (at most 500 sweeps). `None` if the matrix is not finite or the iteration does not converge.
pub fn eigenvalues(m: &[f64], n: usize) -> Option<Vec<Complex>> {
    if m.len() != n * n || m.iter().any(|v| !v.is_finite()) {
        return None;
    }
    match n {
        0 => Some(Vec::new()),
        1 => Some(vec![[m[0], 0.0]]),
        2 => Some(eigenvalues_2x2(m).to_vec()),
        _ => {
            let schur = Schur::try_new(DMatrix::from_row_slice(n, n, m), f64::EPSILON, 500)?;
            Some(
                schur
                    .complex_eigenvalues()
                    .iter()
                    .map(|z| [z.re, z.im])
                    .collect(),
            )
        }
    }
}

/// Product of two complex numbers.
/// An eigenvector `a + i b` of the real `n x n` matrix `jac` (row-major) for the eigenvalue
/// `i omega`: the right singular vector of the smallest singular value of the real form
/// `[[J, omega I], [-omega I, J]]` of `J - i omega I` (`J a + omega b = 0`, `J b = omega a`),
/// with `|a|^2 + |b|^2 = 1`. Near a Hopf point `i omega` is only nearly an eigenvalue; the
/// vector is then the best one in the least-squares sense. `None` if the SVD fails.
pub fn critical_eigenvector(jac: &[f64], n: usize, omega: f64) -> Option<(Vec<f64>, Vec<f64>)> {
    let mut m = nalgebra::DMatrix::<f64>::zeros(2 * n, 2 * n);
    for i in 0..n {
        for j in 0..n {
            m[(i, j)] = jac[i * n + j];
            m[(n + i, n + j)] = jac[i * n + j];
        }
        m[(i, n + i)] = omega;
        m[(n + i, i)] = -omega;
    }
    let svd = m.svd(false, true);
    let v_t = svd.v_t?;
    let k =
        (0..2 * n).min_by(|&a, &b| svd.singular_values[a].total_cmp(&svd.singular_values[b]))?;
    let a = (0..n).map(|i| v_t[(k, i)]).collect();
    let b = (0..n).map(|i| v_t[(k, n + i)]).collect();
    Some((a, b))
}

pub fn cmul(a: Complex, b: Complex) -> Complex {
    [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]]
}

/// Modulus of a complex number.
pub fn cabs(a: Complex) -> f64 {
    a[0].hypot(a[1])
}

/// Euclidean norm.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Euclidean distance.
/// `x + s d`: the point `s` along the direction `d` from `x` (a continuation's predictor).
pub fn along(x: &[f64], d: &[f64], s: f64) -> Vec<f64> {
    x.iter().zip(d).map(|(x, d)| x + s * d).collect()
}

/// `a + t (b - a)`: the point at `t` of the segment from `a` to `b`.
pub fn lerp(a: &[f64], b: &[f64], t: f64) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a + t * (b - a)).collect()
}

pub fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_recovers_known_solution_and_rejects_singular() {
        let a0 = [4.0, 1.0, 2.0, 0.5, 3.0, -1.0, 1.0, 2.0, 5.0];
        let x_true = [1.0, -2.0, 0.5];
        let mut b: Vec<f64> = (0..3)
            .map(|r| (0..3).map(|k| a0[r * 3 + k] * x_true[k]).sum())
            .collect();
        let mut a = a0;
        assert!(solve_in_place(&mut a, &mut b, 3));
        for (x, t) in b.iter().zip(x_true) {
            assert!((x - t).abs() < 1e-14);
        }
        let mut singular = [1.0, 2.0, 2.0, 4.0];
        assert!(!solve_in_place(&mut singular, &mut [1.0, 1.0], 2));
        let inv = invert(&a0, 3).unwrap();
        for r in 0..3 {
            for c in 0..3 {
                let prod: f64 = (0..3).map(|k| a0[r * 3 + k] * inv[k * 3 + c]).sum();
                assert!((prod - if r == c { 1.0 } else { 0.0 }).abs() < 1e-14);
            }
        }
        assert!(invert(&[1.0, 2.0, 2.0, 4.0], 2).is_none());
    }

    #[test]
    fn eigen_2x2_real_complex_and_vectors() {
        let m = [2.0, 1.0, 0.0, -3.0];
        let l = eigenvalues_2x2(&m);
        assert_eq!(l, [[2.0, 0.0], [-3.0, 0.0]]);
        let rot = [-0.5, -2.0, 2.0, -0.5];
        let l = eigenvalues_2x2(&rot);
        assert!((l[0][0] + 0.5).abs() < 1e-15 && (l[0][1] - 2.0).abs() < 1e-15);
        for lam in eigenvalues_2x2(&m).into_iter().chain(l) {
            let mat = if lam[1] == 0.0 { m } else { rot };
            let v = eigenvector_2x2(&mat, lam);
            for r in 0..2 {
                let mv = [
                    mat[2 * r] * v[0][0] + mat[2 * r + 1] * v[1][0],
                    mat[2 * r] * v[0][1] + mat[2 * r + 1] * v[1][1],
                ];
                let lv = cmul(lam, v[r]);
                assert!((mv[0] - lv[0]).abs() < 1e-14 && (mv[1] - lv[1]).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn general_eigenvalues_match_diagonal_blocks() {
        let m = [1.0, 2.0, 0.0, -2.0, 1.0, 0.0, 0.0, 0.0, -3.0];
        let mut l = eigenvalues(&m, 3).unwrap();
        l.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        assert!((l[0][0] + 3.0).abs() < 1e-12);
        assert!((l[1][0] - 1.0).abs() < 1e-12 && (l[1][1] + 2.0).abs() < 1e-12);
        assert!(eigenvalues(&[f64::NAN, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0], 3).is_none());
    }
}
