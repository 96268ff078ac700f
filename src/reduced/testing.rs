//! Independent references shared by the tests of this module (compiled for tests only).

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use super::ReducedSystem;
use super::gauss::TanhAverages;
use crate::network::{Network, NetworkParts};

/// `<phi>, <phi'>, <phi''>, <phi'''>` at `(M, Delta)` by Parseval, an integral over frequency that
/// shares nothing with the production rules (which integrate over `z`).
///
/// With `H(w) = pi w / sinh(pi w / 2)` the Fourier transform of `phi' = sech^2` and `G = e^{-Delta w^2/2}`
/// that of the Gaussian: `<phi'> = (1/2pi) int H G cos(wM)`, `<phi''> = -(1/2pi) int H G w sin(wM)`,
/// `<phi'''> = -(1/2pi) int H G w^2 cos(wM)`, and `<phi> = int_0^M <phi'> = (1/2pi) int H G sin(wM)/w`.
/// The integrands are analytic in the strip `|Im w| < 2`, so the trapezoid rule converges
/// geometrically; the step below keeps its error under 1e-30 and the truncation at `w_max` under 1e-20.
pub fn fourier_tanh_averages(mean: f64, delta: f64) -> TanhAverages {
    use std::f64::consts::PI;
    let delta = delta.max(0.0);
    let s = delta.sqrt();
    let h = 0.02f64.min(0.3 / s).min(0.1 / (mean.abs() + 1.0));
    let w_max = 34f64.min(10.0 / s);
    let steps = (w_max / h).ceil() as usize;
    let mut acc = [Neumaier::default(); 4];
    for k in 0..=steps {
        let w = k as f64 * h;
        // The integrands are even in w: int over R = h (f(0) + 2 sum_{k>0} f(kh)).
        let weight = if k == 0 { 1.0 } else { 2.0 } * h / (2.0 * PI);
        let (hw, sinc) = if k == 0 {
            (2.0, mean)
        } else {
            (PI * w / (PI * w / 2.0).sinh(), (w * mean).sin() / w)
        };
        let base = weight * hw * (-0.5 * delta * w * w).exp();
        let (sn, cs) = (w * mean).sin_cos();
        acc[0].add(base * sinc);
        acc[1].add(base * cs);
        acc[2].add(-base * w * sn);
        acc[3].add(-base * w * w * cs);
    }
    TanhAverages {
        phi: acc[0].sum(),
        d1: acc[1].sum(),
        d2: acc[2].sum(),
        d3: acc[3].sum(),
    }
}

/// Compensated (Kahan-Babuska-Neumaier) summation: the reference sums thousands of terms.
#[derive(Debug, Default, Clone, Copy)]
struct Neumaier {
    sum: f64,
    compensation: f64,
}

impl Neumaier {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.sum = t;
    }

    fn sum(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// A random network with Gaussian vectors (`m, n` of std 2, as in the trained ones).
pub fn random_network(
    neurons: usize,
    rank: usize,
    inputs: usize,
    bias: bool,
    seed: u64,
) -> Network {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = |rows: usize, cols: usize, scale: f64| {
        DMatrix::from_fn(rows, cols, |_, _| {
            let z: f64 = StandardNormal.sample(&mut rng);
            scale * z
        })
    };
    let wi = g(inputs, neurons, 1.0);
    let si = DVector::from_fn(inputs, |s, _| 0.7 + 0.3 * s as f64);
    let m = g(neurons, rank, 2.0);
    let n = g(neurons, rank, 2.0);
    let wo = g(neurons, 2, 1.0);
    let b = g(neurons, 1, 0.3);
    Network::new(NetworkParts {
        wi,
        si,
        m,
        n,
        wo,
        so: DVector::from_vec(vec![1.5, -0.5]),
        h0: DVector::zeros(neurons),
        b: bias.then(|| b.column(0).into_owned()),
    })
    .expect("valid random network")
}

/// Central finite differences of `F` in `kappa`, row-major `(R, R)`, step `h`.
pub fn finite_difference_jacobian(
    sys: &dyn ReducedSystem,
    kappa: &[f64],
    v: &[f64],
    h: f64,
) -> Vec<f64> {
    let r = sys.rank();
    let mut jac = vec![0.0; r * r];
    let (mut plus, mut minus) = (vec![0.0; r], vec![0.0; r]);
    for l in 0..r {
        let mut k = kappa.to_vec();
        k[l] = kappa[l] + h;
        sys.flow(&k, v, &mut plus);
        k[l] = kappa[l] - h;
        sys.flow(&k, v, &mut minus);
        for row in 0..r {
            jac[row * r + l] = (plus[row] - minus[row]) / (2.0 * h);
        }
    }
    jac
}

/// Checks `flow_jacobian` against [`finite_difference_jacobian`] and `flow` (same `F`, entrywise
/// error below `tol * (1 + |J|)`).
pub fn check_jacobian(sys: &dyn ReducedSystem, kappa: &[f64], v: &[f64], tol: f64) {
    let r = sys.rank();
    let (mut f, mut f2, mut jac) = (vec![0.0; r], vec![0.0; r], vec![0.0; r * r]);
    sys.flow_jacobian(kappa, v, &mut f, &mut jac);
    sys.flow(kappa, v, &mut f2);
    assert_eq!(f, f2, "flow and flow_jacobian disagree on F");
    let fd = finite_difference_jacobian(sys, kappa, v, 1e-5);
    let mut worst: f64 = 0.0;
    for (a, b) in jac.iter().zip(&fd) {
        worst = worst.max((a - b).abs() / (1.0 + b.abs()));
    }
    assert!(
        worst < tol,
        "Jacobian at {kappa:?}, v = {v:?}: analytic {jac:?} vs finite differences {fd:?}"
    );
    check_input_jacobian(sys, kappa, v, tol);
}

/// `input_jacobian` against a fourth-order central difference of `flow` in each input
/// (`(8 (F(v+h) - F(v-h)) - (F(v+2h) - F(v-2h))) / 12h`, a stencil the default does not use).
fn check_input_jacobian(sys: &dyn ReducedSystem, kappa: &[f64], v: &[f64], tol: f64) {
    let (r, s) = (sys.rank(), sys.inputs());
    let mut analytic = vec![0.0; r * s];
    sys.input_jacobian(kappa, v, &mut analytic);
    let h = 1e-3;
    let at = |c: usize, d: f64| {
        let mut w = v.to_vec();
        w[c] += d;
        let mut out = vec![0.0; r];
        sys.flow(kappa, &w, &mut out);
        out
    };
    for c in 0..s {
        let (p1, m1, p2, m2) = (at(c, h), at(c, -h), at(c, 2.0 * h), at(c, -2.0 * h));
        for row in 0..r {
            let fd = (8.0 * (p1[row] - m1[row]) - (p2[row] - m2[row])) / (12.0 * h);
            let a = analytic[row * s + c];
            assert!(
                (a - fd).abs() < tol * (1.0 + fd.abs()),
                "dF_{row}/dv_{c} at {kappa:?}, v = {v:?}: analytic {a} vs finite differences {fd}"
            );
        }
    }
}
