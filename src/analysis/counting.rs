//! An evaluation-counting wrapper around any [`ReducedSystem`], so the landscape can report how
//! many evaluations of `F` each stage spent (the budgets of the real systems are set in
//! evaluations: ~100 ns each for the mean field, ~5 us for the exact reduction at N = 4096).

use std::ops::Sub;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::reduced::ReducedSystem;
use crate::reduced::plane::PlaneAxes;

/// Evaluations of `F` alone (single or batched points) and of `F` with its Jacobian.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EvalCounts {
    pub flow: usize,
    pub jacobian: usize,
}

impl EvalCounts {
    pub fn total(&self) -> usize {
        self.flow + self.jacobian
    }
}

impl Sub for EvalCounts {
    type Output = EvalCounts;
    fn sub(self, rhs: EvalCounts) -> EvalCounts {
        EvalCounts {
            flow: self.flow - rhs.flow,
            jacobian: self.jacobian - rhs.jacobian,
        }
    }
}

/// Forwards every call to `inner` and counts it (thread-safe, relaxed atomics).
pub struct CountingSystem<'a> {
    inner: &'a dyn ReducedSystem,
    flow: AtomicUsize,
    jacobian: AtomicUsize,
}

impl<'a> CountingSystem<'a> {
    pub fn new(inner: &'a dyn ReducedSystem) -> Self {
        CountingSystem {
            inner,
            flow: AtomicUsize::new(0),
            jacobian: AtomicUsize::new(0),
        }
    }

    /// Counts so far.
    pub fn counts(&self) -> EvalCounts {
        EvalCounts {
            flow: self.flow.load(Ordering::Relaxed),
            jacobian: self.jacobian.load(Ordering::Relaxed),
        }
    }
}

impl ReducedSystem for CountingSystem<'_> {
    fn rank(&self) -> usize {
        self.inner.rank()
    }

    fn inputs(&self) -> usize {
        self.inner.inputs()
    }

    fn flow(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        self.flow.fetch_add(1, Ordering::Relaxed);
        self.inner.flow(kappa, v, out);
    }

    fn first_step_flow(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        self.flow.fetch_add(1, Ordering::Relaxed);
        self.inner.first_step_flow(kappa, v, out);
    }

    fn flow_jacobian(&self, kappa: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
        self.jacobian.fetch_add(1, Ordering::Relaxed);
        self.inner.flow_jacobian(kappa, v, f, jac);
    }

    fn input_jacobian(&self, kappa: &[f64], v: &[f64], out: &mut [f64]) {
        self.jacobian.fetch_add(1, Ordering::Relaxed);
        self.inner.input_jacobian(kappa, v, out);
    }

    fn absorbing_box(&self) -> Option<Vec<f64>> {
        self.inner.absorbing_box()
    }

    fn lipschitz(&self) -> Option<Vec<f64>> {
        self.inner.lipschitz()
    }

    fn cut_from(&self) -> Option<(&dyn ReducedSystem, &PlaneAxes)> {
        self.inner.cut_from()
    }

    fn curvature(&self) -> Option<f64> {
        self.inner.curvature()
    }

    fn flow_many(&self, points: &[f64], v: &[f64], out: &mut [f64]) {
        let r = self.inner.rank().max(1);
        self.flow.fetch_add(points.len() / r, Ordering::Relaxed);
        self.inner.flow_many(points, v, out);
    }
}
