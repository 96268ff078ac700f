//! Small systems with known answers for the analysis tests.

use crate::reduced::ReducedSystem;

/// `F = A k + b + v`.
pub struct Linear {
    pub a: [f64; 4],
    pub b: [f64; 2],
}

impl ReducedSystem for Linear {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        2
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        let a = &self.a;
        out[0] = a[0] * k[0] + a[1] * k[1] + self.b[0] + v.first().copied().unwrap_or(0.0);
        out[1] = a[2] * k[0] + a[3] * k[1] + self.b[1] + v.get(1).copied().unwrap_or(0.0);
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        jac.copy_from_slice(&self.a);
    }
}

/// Hopf normal form in Cartesian coordinates, `r' = s (m r - r^3)`, `theta' = s omega` with
/// `m = mu + v[0]` and `s = +-1` (`s = -1`: time-reversed, unstable cycle around a stable focus).
pub struct Hopf {
    pub mu: f64,
    pub omega: f64,
    pub sign: f64,
}

impl ReducedSystem for Hopf {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        1
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        let m = self.mu + v.first().copied().unwrap_or(0.0);
        let (x, y, w, s) = (k[0], k[1], self.omega, self.sign);
        let r2 = x * x + y * y;
        out[0] = s * (m * x - w * y - x * r2);
        out[1] = s * (w * x + m * y - y * r2);
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        let m = self.mu + v.first().copied().unwrap_or(0.0);
        let (x, y, w, s) = (k[0], k[1], self.omega, self.sign);
        jac[0] = s * (m - 3.0 * x * x - y * y);
        jac[1] = s * (-w - 2.0 * x * y);
        jac[2] = s * (w - 2.0 * x * y);
        jac[3] = s * (m - x * x - 3.0 * y * y);
    }
}

/// Van der Pol, `x' = y`, `y' = mu (1 - x^2) y - x`.
pub struct VanDerPol {
    pub mu: f64,
}

impl ReducedSystem for VanDerPol {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        0
    }
    fn flow(&self, k: &[f64], _v: &[f64], out: &mut [f64]) {
        out[0] = k[1];
        out[1] = self.mu * (1.0 - k[0] * k[0]) * k[1] - k[0];
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        jac[0] = 0.0;
        jac[1] = 1.0;
        jac[2] = -2.0 * self.mu * k[0] * k[1] - 1.0;
        jac[3] = self.mu * (1.0 - k[0] * k[0]);
    }
}

/// Saddle-node normal form `x' = p - x^2`, `y' = -y` with `p = v[0]`.
pub struct SaddleNode;

impl ReducedSystem for SaddleNode {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        1
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        out[0] = v[0] - k[0] * k[0];
        out[1] = -k[1];
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        jac.copy_from_slice(&[-2.0 * k[0], 0.0, 0.0, -1.0]);
    }
}

/// The rank-2 network-like system `F = -k + W tanh(k) + b + v`.
pub struct TanhRank2 {
    pub w: [f64; 4],
    pub b: [f64; 2],
}

impl ReducedSystem for TanhRank2 {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        2
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        let (t0, t1) = (k[0].tanh(), k[1].tanh());
        let w = &self.w;
        out[0] = -k[0] + w[0] * t0 + w[1] * t1 + self.b[0] + v.first().copied().unwrap_or(0.0);
        out[1] = -k[1] + w[2] * t0 + w[3] * t1 + self.b[1] + v.get(1).copied().unwrap_or(0.0);
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        let (d0, d1) = (1.0 - k[0].tanh().powi(2), 1.0 - k[1].tanh().powi(2));
        let w = &self.w;
        jac.copy_from_slice(&[-1.0 + w[0] * d0, w[1] * d1, w[2] * d0, -1.0 + w[3] * d1]);
    }
}

/// A map with an exact invariant circle: `F = (f(x) - x) / alpha` with
/// `f(x) = (1 + beta (1 - |x|^2)) R(omega) x`, so the Euler map with this `alpha` is `f`: the unit
/// circle is invariant and attracting (`0 < beta < 1`), rotation exactly `omega` per step.
pub struct NsMap {
    pub omega: f64,
    pub beta: f64,
    pub alpha: f64,
}

impl ReducedSystem for NsMap {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        0
    }
    fn flow(&self, k: &[f64], _v: &[f64], out: &mut [f64]) {
        let s = 1.0 + self.beta * (1.0 - k[0] * k[0] - k[1] * k[1]);
        let (c, sn) = (self.omega.cos(), self.omega.sin());
        out[0] = (s * (c * k[0] - sn * k[1]) - k[0]) / self.alpha;
        out[1] = (s * (sn * k[0] + c * k[1]) - k[1]) / self.alpha;
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        let s = 1.0 + self.beta * (1.0 - k[0] * k[0] - k[1] * k[1]);
        let (c, sn) = (self.omega.cos(), self.omega.sin());
        let rot = [c, -sn, sn, c];
        let rx = [c * k[0] - sn * k[1], sn * k[0] + c * k[1]];
        for i in 0..2 {
            for j in 0..2 {
                let delta = if i == j { 1.0 } else { 0.0 };
                jac[2 * i + j] =
                    (s * rot[2 * i + j] - 2.0 * self.beta * rx[i] * k[j] - delta) / self.alpha;
            }
        }
    }
}

/// Not a dynamical model: `F_1 = x^2 + y^2 - 1` (nullcline: unit circle),
/// `F_2 = y - x^3 + x` (nullcline: the cubic `y = x^3 - x`).
pub struct CircleCubic;

impl ReducedSystem for CircleCubic {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        0
    }
    fn flow(&self, k: &[f64], _v: &[f64], out: &mut [f64]) {
        out[0] = k[0] * k[0] + k[1] * k[1] - 1.0;
        out[1] = k[1] - k[0].powi(3) + k[0];
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        jac.copy_from_slice(&[2.0 * k[0], 2.0 * k[1], 1.0 - 3.0 * k[0] * k[0], 1.0]);
    }
}

/// Every evaluation is NaN.
pub struct NanSystem;

impl ReducedSystem for NanSystem {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        0
    }
    fn flow(&self, _k: &[f64], _v: &[f64], out: &mut [f64]) {
        out.fill(f64::NAN);
    }
    fn flow_jacobian(&self, _k: &[f64], _v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        f.fill(f64::NAN);
        jac.fill(f64::NAN);
    }
}

/// `x' = x^2 + 1`, `y' = y^3`: no fixed points, finite-time blow-up everywhere.
pub struct BlowUp;

impl ReducedSystem for BlowUp {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        0
    }
    fn flow(&self, k: &[f64], _v: &[f64], out: &mut [f64]) {
        out[0] = k[0] * k[0] + 1.0;
        out[1] = k[1].powi(3);
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        jac.copy_from_slice(&[2.0 * k[0], 0.0, 0.0, 3.0 * k[1] * k[1]]);
    }
}

/// `inner` seen through the linear change of coordinates `k = T y`: `F(k) = T F_inner(T^-1 k)`,
/// `J = T J_inner T^-1` (`t` row-major, invertible). Fixed points, cycles and invariant curves are
/// the images under `T` of the inner ones with the same periods and rotation numbers (the Euler map
/// is conjugated too: `k + alpha F(k) = T (y + alpha F_inner(y))`), but a shear makes the angle
/// about a fixed point turn unevenly along an orbit.
pub struct Sheared<S> {
    pub inner: S,
    pub t: [f64; 4],
}

impl<S> Sheared<S> {
    fn apply(m: &[f64; 4], x: &[f64]) -> [f64; 2] {
        [m[0] * x[0] + m[1] * x[1], m[2] * x[0] + m[3] * x[1]]
    }

    fn inverse(&self) -> [f64; 4] {
        let t = &self.t;
        let det = t[0] * t[3] - t[1] * t[2];
        [t[3] / det, -t[1] / det, -t[2] / det, t[0] / det]
    }
}

impl<S: ReducedSystem> ReducedSystem for Sheared<S> {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        self.inner.inputs()
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        let y = Self::apply(&self.inverse(), k);
        let mut f = [0.0; 2];
        self.inner.flow(&y, v, &mut f);
        out.copy_from_slice(&Self::apply(&self.t, &f));
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        let inv = self.inverse();
        let y = Self::apply(&inv, k);
        let (mut g, mut j) = ([0.0; 2], [0.0; 4]);
        self.inner.flow_jacobian(&y, v, &mut g, &mut j);
        f.copy_from_slice(&Self::apply(&self.t, &g));
        let t = &self.t;
        let tj = [
            t[0] * j[0] + t[1] * j[2],
            t[0] * j[1] + t[1] * j[3],
            t[2] * j[0] + t[3] * j[2],
            t[2] * j[1] + t[3] * j[3],
        ];
        jac.copy_from_slice(&[
            tj[0] * inv[0] + tj[1] * inv[2],
            tj[0] * inv[1] + tj[1] * inv[3],
            tj[2] * inv[0] + tj[3] * inv[2],
            tj[2] * inv[1] + tj[3] * inv[3],
        ]);
    }
}

/// A saddle-node on an invariant circle (SNIC): `r' = r (1 - r^2)`, `theta' = m - r cos theta`
/// (`x' = x (1 - r^2) - y (m - x)`, `y' = y (1 - r^2) + x (m - x)`), `m = v[0]`. For `m > 1` the
/// unit circle is a stable cycle of period `2 pi / sqrt(m^2 - 1)`, which diverges as `m -> 1`,
/// where a saddle-node is born on the circle.
pub struct Snic;

impl ReducedSystem for Snic {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        1
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        let (x, y) = (k[0], k[1]);
        let (radial, turn) = (1.0 - x * x - y * y, v[0] - x);
        out[0] = x * radial - y * turn;
        out[1] = y * radial + x * turn;
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        let (x, y) = (k[0], k[1]);
        let (radial, turn) = (1.0 - x * x - y * y, v[0] - x);
        jac.copy_from_slice(&[
            radial - 2.0 * x * x + y,
            -2.0 * x * y - turn,
            -2.0 * x * y + turn - x,
            radial - 2.0 * y * y,
        ]);
    }
}

/// Cusp normal form `x' = b1 + b2 x - x^3`, `y' = -y`, `(b1, b2) = v`.
pub struct Cusp;

impl ReducedSystem for Cusp {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        2
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        out[0] = v[0] + v[1] * k[0] - k[0].powi(3);
        out[1] = -k[1];
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        jac.copy_from_slice(&[v[1] - 3.0 * k[0] * k[0], 0.0, 0.0, -1.0]);
    }
}

/// Bogdanov-Takens normal form `x' = y`, `y' = b1 + b2 x + x^2 + s x y`, `(b1, b2) = v`
/// (Kuznetsov, section 8.4).
pub struct BogdanovTakens {
    pub s: f64,
}

impl ReducedSystem for BogdanovTakens {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        2
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        let (x, y) = (k[0], k[1]);
        out[0] = y;
        out[1] = v[0] + v[1] * x + x * x + self.s * x * y;
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        let (x, y) = (k[0], k[1]);
        jac.copy_from_slice(&[0.0, 1.0, v[1] + 2.0 * x + self.s * y, self.s * x]);
    }
}

/// Generalised Hopf (Bautin) normal form `r' = r (b1 + b2 r^2 - r^4)`, `theta' = omega`,
/// `(b1, b2) = v`: Hopf points on `b1 = 0` with `l_1 = 2 b2 / omega`, a Bautin point at the
/// origin. At `b2 = 1` the Hopf point is subcritical; cycles at `r^2 = (1 +- sqrt(1 + 4 b1)) / 2`
/// meet in a fold of cycles at `b1 = -1/4`, `r^2 = 1/2`; a cycle's nontrivial Floquet multiplier
/// is `exp(T (b1 + 3 r^2 - 5 r^4))`, `T = 2 pi / omega`.
pub struct GeneralisedHopf {
    pub omega: f64,
}

impl ReducedSystem for GeneralisedHopf {
    fn rank(&self) -> usize {
        2
    }
    fn inputs(&self) -> usize {
        2
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        let (x, y, w) = (k[0], k[1], self.omega);
        let r2 = x * x + y * y;
        let g = v[0] + v[1] * r2 - r2 * r2;
        out[0] = g * x - w * y;
        out[1] = g * y + w * x;
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        let (x, y, w) = (k[0], k[1], self.omega);
        let r2 = x * x + y * y;
        let g = v[0] + v[1] * r2 - r2 * r2;
        let dg = 2.0 * (v[1] - 2.0 * r2);
        let (gx, gy) = (dg * x, dg * y);
        jac.copy_from_slice(&[g + x * gx, x * gy - w, y * gx + w, g + y * gy]);
    }
}

/// A fold-Hopf (zero-Hopf) system of rank 3: `z' = b1 - z^2` and a Hopf pair of real part
/// `b2 + z` and frequency 1 in `(x, y)` (with `-r^2` saturation), state `(x, y, z)`,
/// `(b1, b2) = v`: folds on `b1 = 0`, Hopf points on `b1 = b2^2`, a zero-Hopf point at the origin.
pub struct FoldHopf;

impl ReducedSystem for FoldHopf {
    fn rank(&self) -> usize {
        3
    }
    fn inputs(&self) -> usize {
        2
    }
    fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
        let (x, y, z) = (k[0], k[1], k[2]);
        let (mu, r2) = (v[1] + z, x * x + y * y);
        out[0] = mu * x - y - x * r2;
        out[1] = x + mu * y - y * r2;
        out[2] = v[0] - z * z;
    }
    fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.flow(k, v, f);
        let (x, y, z) = (k[0], k[1], k[2]);
        let (mu, r2) = (v[1] + z, x * x + y * y);
        jac.copy_from_slice(&[
            mu - r2 - 2.0 * x * x,
            -1.0 - 2.0 * x * y,
            x,
            1.0 - 2.0 * x * y,
            mu - r2 - 2.0 * y * y,
            y,
            0.0,
            0.0,
            -2.0 * z,
        ]);
    }
}
