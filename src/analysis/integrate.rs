//! Trajectories of both time models (MODEL.md 1): the ODE `kappa' = F(kappa; v)` by adaptive
//! Dormand-Prince 5(4) with dense output and event location, and the Euler map
//! `kappa_{t+1} = kappa_t + alpha F(kappa_t; v)` (forward, or backward by Newton on each step).
//!
//! Everything is bounded: a step cap, an optional box, an arc-length cap and a "settled" speed
//! stop, and NaN/inf detection. The result always says why it ended ([`Stop`]).

use serde::Serialize;

use super::linalg::{norm, solve_in_place};
use crate::reduced::ReducedSystem;

/// Why an integration or iteration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The end time (or step count) was reached.
    Reached,
    /// An event callback asked to stop (the final state is the located event).
    Event,
    /// The step cap was hit.
    StepCap,
    /// The state left the bounding box (the last state is the first one outside).
    OutOfBounds,
    /// The travelled arc length exceeded its cap.
    ArcLengthCap,
    /// The speed `|F|` fell below the settle threshold: the trajectory sits on a fixed point.
    Settled,
    /// `F` or the state became NaN or infinite.
    NonFinite,
    /// The step size fell below round-off of `t` (a singularity or an impossible tolerance).
    StepSizeUnderflow,
    /// The map could not be inverted (backward iteration only).
    NoInverse,
}

/// A box `lo <= y <= hi` per coordinate.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

impl Bounds {
    pub fn contains(&self, y: &[f64]) -> bool {
        y.iter()
            .zip(self.lo.iter().zip(&self.hi))
            .all(|(v, (lo, hi))| *v >= *lo && *v <= *hi)
    }
}

/// Tolerances and caps of a Dormand-Prince integration.
#[derive(Debug, Clone)]
pub struct OdeOptions {
    /// Relative tolerance of the local error, per component.
    pub rtol: f64,
    /// Absolute tolerance of the local error, per component.
    pub atol: f64,
    /// First step magnitude; `None` chooses it from the derivative scale (Hairer's `hinit`).
    pub h_init: Option<f64>,
    /// Largest step magnitude.
    pub h_max: f64,
    /// Cap on accepted plus rejected steps.
    pub max_steps: usize,
    /// Stop when the state leaves this box.
    pub bounds: Option<Bounds>,
    /// Stop when the arc length travelled (sum of chord lengths of the steps) exceeds this.
    pub max_length: f64,
    /// Stop when `|F(y)| < min_speed` after a step (`0` disables).
    pub min_speed: f64,
    /// Dense-output points recorded inside each accepted step (`0`: step ends only).
    pub dense_points: usize,
    /// Record the path; `false` keeps only the initial and final states.
    pub record: bool,
}

impl Default for OdeOptions {
    fn default() -> Self {
        OdeOptions {
            rtol: 1e-8,
            atol: 1e-10,
            h_init: None,
            h_max: f64::INFINITY,
            max_steps: 100_000,
            bounds: None,
            max_length: f64::INFINITY,
            min_speed: 0.0,
            dense_points: 0,
            record: true,
        }
    }
}

/// Which sign changes of an event function count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    /// `g` goes from negative to non-negative.
    Rising,
    /// `g` goes from positive to non-positive.
    Falling,
    Either,
}

/// A root of an event function `g(t, y)` located on the dense output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventHit {
    pub t: f64,
    pub y: Vec<f64>,
    /// `true` for a negative-to-positive crossing.
    pub rising: bool,
}

/// A scalar event function and what to do at its roots.
pub struct Event<'a> {
    pub g: &'a dyn Fn(f64, &[f64]) -> f64,
    pub crossing: Crossing,
    /// Called at each located root (in time order); returning `true` stops the integration there.
    pub on_hit: &'a mut dyn FnMut(&EventHit) -> bool,
}

/// A computed path: times and row-major states, the event roots, and why it ended.
#[derive(Debug, Clone, Serialize)]
pub struct Trajectory {
    pub dim: usize,
    pub t: Vec<f64>,
    /// Row-major `(len, dim)`.
    pub y: Vec<f64>,
    pub events: Vec<EventHit>,
    pub stop: Stop,
    /// Right-hand-side evaluations used.
    pub evaluations: usize,
    /// Accepted steps (map: iterations).
    pub steps: usize,
}

impl Trajectory {
    fn start(dim: usize, t0: f64, y0: &[f64]) -> Self {
        Trajectory {
            dim,
            t: vec![t0],
            y: y0.to_vec(),
            events: Vec::new(),
            stop: Stop::Reached,
            evaluations: 0,
            steps: 0,
        }
    }

    fn push(&mut self, t: f64, y: &[f64]) {
        self.t.push(t);
        self.y.extend_from_slice(y);
    }

    /// Number of recorded states.
    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    pub fn state(&self, i: usize) -> &[f64] {
        &self.y[i * self.dim..(i + 1) * self.dim]
    }

    pub fn last_state(&self) -> &[f64] {
        self.state(self.len() - 1)
    }

    pub fn last_time(&self) -> f64 {
        self.t[self.len() - 1]
    }

    /// The same path with each state mapped to a plane's two coordinates (a slice's view of a
    /// path of all `R` dimensions, MODEL.md 8); times, events' times and counts unchanged.
    pub fn projected(&self, on: impl Fn(&[f64]) -> [f64; 2]) -> Trajectory {
        Trajectory {
            dim: 2,
            t: self.t.clone(),
            y: (0..self.len()).flat_map(|i| on(self.state(i))).collect(),
            events: self
                .events
                .iter()
                .map(|e| EventHit {
                    y: on(&e.y).to_vec(),
                    ..e.clone()
                })
                .collect(),
            ..self.clone()
        }
    }
}

// Dormand-Prince 5(4) tableau (Dormand & Prince 1980; Hairer, Norsett & Wanner, Solving ODEs I, II.5).
const C2: f64 = 1.0 / 5.0;
const C3: f64 = 3.0 / 10.0;
const C4: f64 = 4.0 / 5.0;
const C5: f64 = 8.0 / 9.0;
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
const A71: f64 = 35.0 / 384.0;
const A73: f64 = 500.0 / 1113.0;
const A74: f64 = 125.0 / 192.0;
const A75: f64 = -2187.0 / 6784.0;
const A76: f64 = 11.0 / 84.0;
// Error weights: fifth- minus fourth-order weights.
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;
// Continuous extension of order 4 (Hairer's dopri5 `contd5`).
const D1: f64 = -12715105075.0 / 11282082432.0;
const D3: f64 = 87487479700.0 / 32700410799.0;
const D4: f64 = -10690763975.0 / 1880347072.0;
const D5: f64 = 701980252875.0 / 199316789632.0;
const D6: f64 = -1453857185.0 / 822651844.0;
const D7: f64 = 69997945.0 / 29380423.0;

/// The dense-output polynomial of one accepted step from `t` with signed step `h`:
/// `y(t + theta h) = r1 + theta (r2 + (1-theta) (r3 + theta (r4 + (1-theta) r5)))`.
struct DenseStep {
    t: f64,
    h: f64,
    r: [Vec<f64>; 5],
}

impl DenseStep {
    fn new(n: usize) -> Self {
        DenseStep {
            t: 0.0,
            h: 0.0,
            r: std::array::from_fn(|_| vec![0.0; n]),
        }
    }

    fn eval(&self, theta: f64, out: &mut [f64]) {
        let t1 = 1.0 - theta;
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.r[0][i]
                + theta
                    * (self.r[1][i]
                        + t1 * (self.r[2][i] + theta * (self.r[3][i] + t1 * self.r[4][i])));
        }
    }
}

/// Work arrays of the Dormand-Prince stepper.
struct Stages {
    k: [Vec<f64>; 7],
    tmp: Vec<f64>,
    y_new: Vec<f64>,
}

impl Stages {
    fn new(n: usize) -> Self {
        Stages {
            k: std::array::from_fn(|_| vec![0.0; n]),
            tmp: vec![0.0; n],
            y_new: vec![0.0; n],
        }
    }

    // The stage formulas read best indexed by component.
    #[allow(clippy::needless_range_loop)]
    /// One trial step of signed size `h` from `(t, y)` with `k[0] = f(t, y)` (FSAL); fills
    /// `y_new`, `k[6] = f(t + h, y_new)` and returns the scaled RMS error estimate.
    fn step<F: FnMut(f64, &[f64], &mut [f64])>(
        &mut self,
        f: &mut F,
        t: f64,
        y: &[f64],
        h: f64,
        opts: &OdeOptions,
    ) -> f64 {
        let n = y.len();
        let rows: [(f64, &[f64]); 5] = [
            (C2, &[A21]),
            (C3, &[A31, A32]),
            (C4, &[A41, A42, A43]),
            (C5, &[A51, A52, A53, A54]),
            (1.0, &[A61, A62, A63, A64, A65]),
        ];
        for (s, (c, a)) in rows.iter().enumerate() {
            for i in 0..n {
                let incr: f64 = a.iter().enumerate().map(|(j, aj)| aj * self.k[j][i]).sum();
                self.tmp[i] = y[i] + h * incr;
            }
            f(t + c * h, &self.tmp, &mut self.k[s + 1]);
        }
        for i in 0..n {
            self.y_new[i] = y[i]
                + h * (A71 * self.k[0][i]
                    + A73 * self.k[2][i]
                    + A74 * self.k[3][i]
                    + A75 * self.k[4][i]
                    + A76 * self.k[5][i]);
        }
        f(t + h, &self.y_new, &mut self.k[6]);
        let mut sum = 0.0;
        for i in 0..n {
            let err = h
                * (E1 * self.k[0][i]
                    + E3 * self.k[2][i]
                    + E4 * self.k[3][i]
                    + E5 * self.k[4][i]
                    + E6 * self.k[5][i]
                    + E7 * self.k[6][i]);
            let sk = opts.atol + opts.rtol * y[i].abs().max(self.y_new[i].abs());
            sum += (err / sk).powi(2);
        }
        let err = (sum / n.max(1) as f64).sqrt();
        if err.is_finite() && self.k[6].iter().all(|v| v.is_finite()) {
            err
        } else {
            f64::INFINITY
        }
    }

    #[allow(clippy::needless_range_loop)]
    /// Fills the dense-output coefficients of the accepted step `(t, y) -> (t + h, y_new)`.
    fn dense(&self, t: f64, y: &[f64], h: f64, out: &mut DenseStep) {
        out.t = t;
        out.h = h;
        let k = &self.k;
        for i in 0..y.len() {
            let diff = self.y_new[i] - y[i];
            let bspl = h * k[0][i] - diff;
            out.r[0][i] = y[i];
            out.r[1][i] = diff;
            out.r[2][i] = bspl;
            out.r[3][i] = diff - h * k[6][i] - bspl;
            out.r[4][i] = h
                * (D1 * k[0][i]
                    + D3 * k[2][i]
                    + D4 * k[3][i]
                    + D5 * k[4][i]
                    + D6 * k[5][i]
                    + D7 * k[6][i]);
        }
    }
}

/// Initial step magnitude (Hairer, Norsett & Wanner, II.4): balance `h |f'| ~ 0.01` in the
/// tolerance-weighted norm, then check against a second-derivative estimate; one extra evaluation.
fn initial_step<F: FnMut(f64, &[f64], &mut [f64])>(
    f: &mut F,
    t: f64,
    y: &[f64],
    f0: &[f64],
    dir: f64,
    opts: &OdeOptions,
) -> f64 {
    let n = y.len().max(1) as f64;
    let sk: Vec<f64> = y.iter().map(|v| opts.atol + opts.rtol * v.abs()).collect();
    let wnorm =
        |v: &[f64]| (v.iter().zip(&sk).map(|(a, s)| (a / s).powi(2)).sum::<f64>() / n).sqrt();
    let (dnf, dny) = (wnorm(f0), wnorm(y));
    let mut h = if dnf <= 1e-5 || dny <= 1e-5 {
        1e-6
    } else {
        0.01 * dny / dnf
    };
    h = h.min(opts.h_max);
    let y1: Vec<f64> = y.iter().zip(f0).map(|(a, b)| a + dir * h * b).collect();
    let mut f1 = vec![0.0; y.len()];
    f(t + dir * h, &y1, &mut f1);
    let diff: Vec<f64> = f1.iter().zip(f0).map(|(a, b)| a - b).collect();
    let der2 = wnorm(&diff) / h;
    let der12 = der2.max(dnf);
    let h1 = if der12.is_finite() && der12 > 1e-15 {
        (0.01 / der12).powf(0.2)
    } else {
        (h * 1e-3).max(1e-6)
    };
    (100.0 * h).min(h1).min(opts.h_max)
}

/// Root in `(0, 1]` of `phi(theta)` given `phi(0) = g0`, `phi(1) = g1` of opposite signs, by the
/// Illinois variant of regula falsi (superlinear, bracket kept), to round-off in `theta`.
fn locate_root(mut phi: impl FnMut(f64) -> f64, g0: f64, g1: f64) -> f64 {
    let (mut a, mut b, mut fa, mut fb): (f64, f64, f64, f64) = (0.0, 1.0, g0, g1);
    let mut side = 0i8;
    for _ in 0..200 {
        if fb == 0.0 || (b - a).abs() <= 4.0 * f64::EPSILON {
            break;
        }
        let c = (a * fb - b * fa) / (fb - fa);
        let c = if c.is_finite() && c > a && c < b {
            c
        } else {
            0.5 * (a + b)
        };
        let fc = phi(c);
        if !fc.is_finite() {
            break;
        }
        if (fc > 0.0) == (fb > 0.0) && fc != 0.0 {
            b = c;
            fb = fc;
            if side == -1 {
                fa *= 0.5;
            }
            side = -1;
        } else {
            a = c;
            fa = fc;
            if side == 1 {
                fb *= 0.5;
            }
            side = 1;
            if fc == 0.0 {
                return c;
            }
        }
    }
    b
}

fn crosses(crossing: Crossing, g0: f64, g1: f64) -> Option<bool> {
    let rising = g0 < 0.0 && g1 >= 0.0;
    let falling = g0 > 0.0 && g1 <= 0.0;
    match crossing {
        Crossing::Rising if rising => Some(true),
        Crossing::Falling if falling => Some(false),
        Crossing::Either if rising || falling => Some(rising),
        _ => None,
    }
}

/// Integrates `y' = f(t, y)` from `(t0, y0)` to `t_end` (backward if `t_end < t0`) with the
/// Dormand-Prince 5(4) pair, FSAL, and Hairer's PI step-size control
/// (`h_new = 0.9 h err^-0.17 err_prev^0.04`, `h_new / h` in `[0.2, 10]`).
///
/// Dense output (4th order, `contd5`) is used for the recorded interior points and to locate the
/// roots of the optional event function to round-off in `t` ("rising" means `g` increases along
/// the direction of integration). Never panics, never loops unbounded.
pub fn dopri5<F: FnMut(f64, &[f64], &mut [f64])>(
    mut f: F,
    t0: f64,
    y0: &[f64],
    t_end: f64,
    opts: &OdeOptions,
    mut event: Option<Event<'_>>,
) -> Trajectory {
    let n = y0.len();
    let mut traj = Trajectory::start(n, t0, y0);
    if !y0.iter().all(|v| v.is_finite()) || !t0.is_finite() || t_end.is_nan() {
        traj.stop = Stop::NonFinite;
        return traj;
    }
    if t_end == t0 {
        return traj;
    }
    let dir = if t_end > t0 { 1.0 } else { -1.0 };
    let mut st = Stages::new(n);
    let mut dense = DenseStep::new(n);
    let mut y = y0.to_vec();
    let mut t = t0;
    f(t, &y, &mut st.k[0]);
    traj.evaluations = 1;
    if !st.k[0].iter().all(|v| v.is_finite()) {
        traj.stop = Stop::NonFinite;
        return traj;
    }
    let mut h = match opts.h_init {
        Some(h) if h > 0.0 => h.min(opts.h_max),
        _ => {
            traj.evaluations += 1;
            initial_step(&mut f, t, &y, &st.k[0], dir, opts)
        }
    };
    let mut g_prev = event.as_ref().map(|e| (e.g)(t, &y)).unwrap_or(0.0);
    let mut fac_old = 1e-4f64;
    let mut rejected_last = false;
    let mut length = 0.0;
    let mut attempts = 0usize;
    let mut point = vec![0.0; n];
    traj.stop = loop {
        if attempts >= opts.max_steps {
            break Stop::StepCap;
        }
        attempts += 1;
        let remaining = (t_end - t).abs();
        if remaining <= 1e-14 * t.abs().max(1.0) {
            break Stop::Reached;
        }
        let last = h >= remaining;
        if last {
            h = remaining;
        }
        if h <= 1e-14 * t.abs().max(1.0) {
            break Stop::StepSizeUnderflow;
        }
        let hs = dir * h;
        let err = st.step(&mut f, t, &y, hs, opts);
        traj.evaluations += 6;
        if err > 1.0 {
            // Rejected (or non-finite: shrink hard and retry; the caps end a hopeless case).
            let shrink = if err.is_finite() {
                (err.powf(0.17) / 0.9).min(5.0)
            } else {
                5.0
            };
            h /= shrink;
            rejected_last = true;
            continue;
        }
        let t_new = if last { t_end } else { t + hs };
        let need_dense = event.is_some() || (opts.record && opts.dense_points > 0);
        if need_dense {
            st.dense(t, &y, hs, &mut dense);
        }
        if let Some(ev) = event.as_mut() {
            let g_new = (ev.g)(t_new, &st.y_new);
            if let Some(rising) = crosses(ev.crossing, g_prev, g_new) {
                let theta = locate_root(
                    |th| {
                        dense.eval(th, &mut point);
                        (ev.g)(dense.t + th * dense.h, &point)
                    },
                    g_prev,
                    g_new,
                );
                dense.eval(theta, &mut point);
                let hit = EventHit {
                    t: t + theta * hs,
                    y: point.clone(),
                    rising,
                };
                if (ev.on_hit)(&hit) {
                    if opts.record {
                        record_dense(&mut traj, &dense, opts.dense_points, theta, &mut point);
                    }
                    traj.push(hit.t, &hit.y);
                    traj.events.push(hit);
                    traj.steps += 1;
                    break Stop::Event;
                }
                traj.events.push(hit);
            }
            g_prev = g_new;
        }
        if opts.record {
            record_dense(&mut traj, &dense, opts.dense_points, 1.0, &mut point);
            traj.push(t_new, &st.y_new);
        }
        length += y
            .iter()
            .zip(&st.y_new)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        y.copy_from_slice(&st.y_new);
        st.k.swap(0, 6);
        t = t_new;
        traj.steps += 1;
        if last {
            break Stop::Reached;
        }
        if opts.bounds.as_ref().is_some_and(|b| !b.contains(&y)) {
            break Stop::OutOfBounds;
        }
        if length > opts.max_length {
            break Stop::ArcLengthCap;
        }
        if opts.min_speed > 0.0 && norm(&st.k[0]) < opts.min_speed {
            break Stop::Settled;
        }
        let fac11 = err.powf(0.17);
        let mut fac = (fac11 / fac_old.powf(0.04) / 0.9).clamp(0.1, 5.0);
        if rejected_last {
            fac = fac.max(1.0);
        }
        fac_old = err.max(1e-4);
        rejected_last = false;
        h = (h / fac).min(opts.h_max);
    };
    if !opts.record && traj.stop != Stop::Event {
        traj.push(t, &y);
    }
    traj
}

/// Records `dense_points` interior points of the current step with `theta < theta_max`.
fn record_dense(
    traj: &mut Trajectory,
    dense: &DenseStep,
    dense_points: usize,
    theta_max: f64,
    point: &mut [f64],
) {
    for j in 1..=dense_points {
        let theta = j as f64 / (dense_points + 1) as f64;
        if theta >= theta_max {
            break;
        }
        dense.eval(theta, point);
        traj.push(dense.t + theta * dense.h, point);
    }
}

/// The ODE right-hand side of a reduced system at input `v`, for [`dopri5`].
pub fn ode_rhs<'a>(
    sys: &'a dyn ReducedSystem,
    v: &'a [f64],
) -> impl FnMut(f64, &[f64], &mut [f64]) + 'a {
    move |_t, y, out| sys.flow(y, v, out)
}

/// Iterates the Euler map `kappa_{t+1} = kappa_t + alpha F(kappa_t; v)` for up to `steps` steps
/// (times recorded as `step * alpha`, in units of tau), stopping outside `bounds` or on NaN.
/// Backward (`backward = true`) each step solves `x + alpha F(x) = y` by Newton ([`map_inverse`]).
pub fn iterate_map(
    sys: &dyn ReducedSystem,
    v: &[f64],
    alpha: f64,
    start: &[f64],
    steps: usize,
    backward: bool,
    bounds: Option<&Bounds>,
) -> Trajectory {
    let n = start.len();
    let mut traj = Trajectory::start(n, 0.0, start);
    let mut y = start.to_vec();
    let mut f = vec![0.0; n];
    let sign = if backward { -1.0 } else { 1.0 };
    if !y.iter().all(|v| v.is_finite()) {
        traj.stop = Stop::NonFinite;
        return traj;
    }
    for k in 1..=steps {
        let next = if backward {
            let r = map_inverse(sys, v, alpha, &y);
            traj.evaluations += r.1;
            match r.0 {
                Some(x) => x,
                None => {
                    traj.stop = Stop::NoInverse;
                    return traj;
                }
            }
        } else {
            sys.flow(&y, v, &mut f);
            traj.evaluations += 1;
            y.iter().zip(&f).map(|(a, b)| a + alpha * b).collect()
        };
        if !next.iter().all(|v| v.is_finite()) {
            traj.stop = Stop::NonFinite;
            return traj;
        }
        y = next;
        traj.push(sign * k as f64 * alpha, &y);
        traj.steps = k;
        if bounds.is_some_and(|b| !b.contains(&y)) {
            traj.stop = Stop::OutOfBounds;
            return traj;
        }
    }
    traj
}

/// One backward step of the Euler map: the `x` with `x + alpha F(x) = y`, by Newton from
/// `x = y - alpha F(y)` (exact to `O(alpha^2)`), at most 30 iterations; `None` if it does not
/// converge to `|residual| <= 1e-13 (1 + |y|)` (the map need not be invertible). Returns the
/// evaluation count too.
pub fn map_inverse(
    sys: &dyn ReducedSystem,
    v: &[f64],
    alpha: f64,
    y: &[f64],
) -> (Option<Vec<f64>>, usize) {
    let n = y.len();
    let mut f = vec![0.0; n];
    let mut jac = vec![0.0; n * n];
    sys.flow(y, v, &mut f);
    let mut x: Vec<f64> = y.iter().zip(&f).map(|(a, b)| a - alpha * b).collect();
    let tol = 1e-13 * (1.0 + norm(y));
    for it in 0..30 {
        sys.flow_jacobian(&x, v, &mut f, &mut jac);
        let mut res: Vec<f64> = (0..n).map(|i| x[i] + alpha * f[i] - y[i]).collect();
        let r = norm(&res);
        if !r.is_finite() {
            return (None, it + 2);
        }
        if r <= tol {
            return (Some(x), it + 2);
        }
        for (i, j) in jac.iter_mut().enumerate() {
            *j = alpha * *j + if i / n == i % n { 1.0 } else { 0.0 };
        }
        if !solve_in_place(&mut jac, &mut res, n) {
            return (None, it + 2);
        }
        for (xi, d) in x.iter_mut().zip(&res) {
            *xi -= d;
        }
    }
    (None, 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tight() -> OdeOptions {
        OdeOptions {
            rtol: 1e-11,
            atol: 1e-13,
            ..OdeOptions::default()
        }
    }

    #[test]
    fn exponential_growth_and_decay_forward_and_backward() {
        let f = |_t: f64, y: &[f64], o: &mut [f64]| {
            o[0] = 0.7 * y[0];
            o[1] = -1.3 * y[1];
        };
        let tr = dopri5(f, 0.0, &[1.0, 2.0], 3.0, &tight(), None);
        assert_eq!(tr.stop, Stop::Reached);
        let y = tr.last_state();
        assert!((y[0] / (2.1f64).exp() - 1.0).abs() < 1e-9, "{}", y[0]);
        assert!(
            (y[1] / (2.0 * (-3.9f64).exp()) - 1.0).abs() < 1e-9,
            "{}",
            y[1]
        );
        assert_eq!(tr.last_time(), 3.0);
        let back = dopri5(f, 3.0, y, 0.0, &tight(), None);
        let y0 = back.last_state();
        assert!(
            (y0[0] - 1.0).abs() < 1e-9 && (y0[1] - 2.0).abs() < 1e-9,
            "{y0:?}"
        );
    }

    #[test]
    fn harmonic_oscillator_dense_output_matches_closed_form() {
        let f = |_t: f64, y: &[f64], o: &mut [f64]| {
            o[0] = y[1];
            o[1] = -4.0 * y[0];
        };
        let opts = OdeOptions {
            rtol: 1e-10,
            atol: 1e-12,
            dense_points: 4,
            ..OdeOptions::default()
        };
        let tr = dopri5(f, 0.0, &[1.0, 0.0], 10.0, &opts, None);
        let mut worst = 0.0f64;
        for i in 0..tr.len() {
            let t = tr.t[i];
            let s = tr.state(i);
            worst = worst
                .max((s[0] - (2.0 * t).cos()).abs())
                .max((s[1] + 2.0 * (2.0 * t).sin()).abs());
        }
        assert!(worst < 1e-8, "dense output error {worst}");
        assert!(tr.len() > 5 * tr.steps, "dense points recorded");
    }

    #[test]
    fn linear_system_with_complex_eigenvalues_matches_exponential() {
        // y' = A y, A = [[-0.1, -2], [2, -0.1]]: y(t) = e^{-0.1 t} R(2t) y0.
        let f = |_t: f64, y: &[f64], o: &mut [f64]| {
            o[0] = -0.1 * y[0] - 2.0 * y[1];
            o[1] = 2.0 * y[0] - 0.1 * y[1];
        };
        let tr = dopri5(f, 0.0, &[1.0, 0.5], 7.0, &tight(), None);
        let (c, s, e) = ((14.0f64).cos(), (14.0f64).sin(), (-0.7f64).exp());
        let y = tr.last_state();
        assert!((y[0] - e * (c - 0.5 * s)).abs() < 1e-9);
        assert!((y[1] - e * (s + 0.5 * c)).abs() < 1e-9);
    }

    #[test]
    fn event_times_of_harmonic_oscillator_zero_crossings() {
        // x = cos t crosses zero falling at pi/2, rising at 3 pi/2, falling at 5 pi/2...
        let f = |_t: f64, y: &[f64], o: &mut [f64]| {
            o[0] = y[1];
            o[1] = -y[0];
        };
        let g = |_t: f64, y: &[f64]| y[0];
        let mut count = 0;
        let mut on_hit = |_h: &EventHit| {
            count += 1;
            count == 3
        };
        let ev = Event {
            g: &g,
            crossing: Crossing::Either,
            on_hit: &mut on_hit,
        };
        let tr = dopri5(f, 0.0, &[1.0, 0.0], 100.0, &tight(), Some(ev));
        assert_eq!(tr.stop, Stop::Event);
        assert_eq!(tr.events.len(), 3);
        for (k, hit) in tr.events.iter().enumerate() {
            let exact = std::f64::consts::FRAC_PI_2 * (2 * k + 1) as f64;
            assert!(
                (hit.t - exact).abs() < 1e-10,
                "event {k}: {} vs {exact}",
                hit.t
            );
            assert_eq!(hit.rising, k % 2 == 1);
        }
        assert!((tr.last_time() - 2.5 * std::f64::consts::PI).abs() < 1e-10);

        let mut rising_only = |_h: &EventHit| false;
        let ev = Event {
            g: &g,
            crossing: Crossing::Rising,
            on_hit: &mut rising_only,
        };
        let tr = dopri5(f, 0.0, &[1.0, 0.0], 20.0, &tight(), Some(ev));
        assert_eq!(
            tr.events.len(),
            3,
            "rising crossings at 3pi/2, 7pi/2, 11pi/2"
        );
        assert!(tr.events.iter().all(|h| h.rising));
    }

    #[test]
    fn blow_up_and_nan_end_with_a_status() {
        // y' = y^2 from 1 blows up at t = 1.
        let f = |_t: f64, y: &[f64], o: &mut [f64]| o[0] = y[0] * y[0];
        let tr = dopri5(f, 0.0, &[1.0], 5.0, &OdeOptions::default(), None);
        assert!(
            matches!(
                tr.stop,
                Stop::StepSizeUnderflow | Stop::StepCap | Stop::NonFinite
            ),
            "{:?}",
            tr.stop
        );
        assert!(tr.last_time() < 1.0 + 1e-6);
        let boxed = OdeOptions {
            bounds: Some(Bounds {
                lo: vec![-10.0],
                hi: vec![10.0],
            }),
            ..OdeOptions::default()
        };
        let tr = dopri5(f, 0.0, &[1.0], 5.0, &boxed, None);
        assert_eq!(tr.stop, Stop::OutOfBounds);
        let nan = |_t: f64, _y: &[f64], o: &mut [f64]| o[0] = f64::NAN;
        assert_eq!(
            dopri5(nan, 0.0, &[1.0], 1.0, &boxed, None).stop,
            Stop::NonFinite
        );
        let sometimes_nan = |_t: f64, y: &[f64], o: &mut [f64]| {
            o[0] = if y[0] > 1.5 { f64::NAN } else { 1.0 };
        };
        let tr = dopri5(
            sometimes_nan,
            0.0,
            &[1.0],
            5.0,
            &OdeOptions::default(),
            None,
        );
        assert_ne!(tr.stop, Stop::Reached);
        assert!(tr.last_state()[0] <= 1.5);
    }

    #[test]
    fn settle_and_arclength_caps() {
        let f = |_t: f64, y: &[f64], o: &mut [f64]| o[0] = -y[0];
        let opts = OdeOptions {
            min_speed: 1e-6,
            ..OdeOptions::default()
        };
        let tr = dopri5(f, 0.0, &[1.0], 1e6, &opts, None);
        assert_eq!(tr.stop, Stop::Settled);
        assert!(tr.last_state()[0].abs() < 1e-6 && tr.steps < 200);
        let g = |_t: f64, _y: &[f64], o: &mut [f64]| o[0] = 1.0;
        let opts = OdeOptions {
            max_length: 2.5,
            h_max: 0.1,
            ..OdeOptions::default()
        };
        let tr = dopri5(g, 0.0, &[0.0], 100.0, &opts, None);
        assert_eq!(tr.stop, Stop::ArcLengthCap);
        assert!((tr.last_state()[0] - 2.5).abs() <= 0.1 + 1e-12);
    }
}
