//! Adam and gradient-norm clipping, as PyTorch defines them (`torch.optim.Adam` with its defaults and
//! `torch.nn.utils.clip_grad_norm_`), so that learning rates and clip values of the papers mean the same.

use super::params::{Param, ParamVecs};
use crate::network::NetworkParts;

/// PyTorch's defaults.
pub const BETA1: f64 = 0.9;
pub const BETA2: f64 = 0.999;
pub const EPS: f64 = 1e-8;
/// `clip_grad_norm_` divides by `total_norm + 1e-6`.
const CLIP_EPS: f64 = 1e-6;

/// Scales the gradients of `which` by `max_norm / (total_norm + 1e-6)` when that is below 1, where
/// `total_norm` is the Euclidean norm over all of them. Returns `total_norm` (before clipping).
pub fn clip_grad_norm(grad: &mut ParamVecs, which: &[Param], max_norm: f64) -> f64 {
    let total = grad.norm(which);
    let coef = max_norm / (total + CLIP_EPS);
    if coef < 1.0 {
        for &p in which {
            grad.get_mut(p).iter_mut().for_each(|g| *g *= coef);
        }
    }
    total
}

/// [`clip_grad_norm`] for one flat gradient vector: the same rule with `total_norm = ||grad||`.
pub fn clip_norm(grad: &mut [f64], max_norm: f64) -> f64 {
    let total = crate::kernels::dot(grad, grad).sqrt();
    let coef = max_norm / (total + CLIP_EPS);
    if coef < 1.0 {
        grad.iter_mut().for_each(|g| *g *= coef);
    }
    total
}

/// The Adam update of one slice of parameters with its moments (step size and bias correction of
/// the current step precomputed).
fn update(
    values: &mut [f64],
    grad: &[f64],
    m: &mut [f64],
    v: &mut [f64],
    step_size: f64,
    bc2_sqrt: f64,
) {
    for (((x, &g), mi), vi) in values.iter_mut().zip(grad).zip(m).zip(v) {
        *mi = BETA1 * *mi + (1.0 - BETA1) * g;
        *vi = BETA2 * *vi + (1.0 - BETA2) * g * g;
        *x -= step_size * *mi / (vi.sqrt() / bc2_sqrt + EPS);
    }
}

/// [`Adam`] over one flat vector of parameters (e.g. the population factors `L_p` that `fit`'s
/// fine-tuning trains): the same update, the same defaults.
#[derive(Debug, Clone)]
pub struct FlatAdam {
    lr: f64,
    step: i32,
    first: Vec<f64>,
    second: Vec<f64>,
}

impl FlatAdam {
    /// A fresh optimiser (zero moments) for `len` parameters.
    pub fn new(len: usize, lr: f64) -> Self {
        Self {
            lr,
            step: 0,
            first: vec![0.0; len],
            second: vec![0.0; len],
        }
    }

    /// One update of `values` with gradient `grad` (both of the length given to [`FlatAdam::new`]).
    pub fn step(&mut self, values: &mut [f64], grad: &[f64]) {
        self.step += 1;
        let bc1 = 1.0 - BETA1.powi(self.step);
        let bc2_sqrt = (1.0 - BETA2.powi(self.step)).sqrt();
        update(
            values,
            grad,
            &mut self.first,
            &mut self.second,
            self.lr / bc1,
            bc2_sqrt,
        );
    }
}

/// Adam over the parameters `which` of a network (PyTorch's update, no weight decay, no amsgrad):
///
/// ```text
/// m_t = b1 m + (1 - b1) g,   v_t = b2 v + (1 - b2) g^2
/// p  -= (lr / (1 - b1^t)) m_t / ( sqrt(v_t) / sqrt(1 - b2^t) + eps )
/// ```
#[derive(Debug, Clone)]
pub struct Adam {
    lr: f64,
    which: Vec<Param>,
    step: i32,
    first: ParamVecs,
    second: ParamVecs,
}

impl Adam {
    /// A fresh optimiser (zero moments) for parameters shaped like `parts`.
    pub fn new(parts: &NetworkParts, which: &[Param], lr: f64) -> Self {
        Self {
            lr,
            which: which.to_vec(),
            step: 0,
            first: ParamVecs::zeros_like(parts),
            second: ParamVecs::zeros_like(parts),
        }
    }

    /// One update of `parts` with gradient `grad`.
    pub fn step(&mut self, parts: &mut NetworkParts, grad: &ParamVecs) {
        self.step += 1;
        let bc1 = 1.0 - BETA1.powi(self.step);
        let bc2_sqrt = (1.0 - BETA2.powi(self.step)).sqrt();
        let step_size = self.lr / bc1;
        for &p in &self.which {
            update(
                p.values_mut(parts),
                grad.get(p),
                self.first.get_mut(p),
                self.second.get_mut(p),
                step_size,
                bc2_sqrt,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;

    fn parts() -> NetworkParts {
        NetworkParts {
            wi: DMatrix::from_element(1, 2, 0.5),
            si: DVector::from_element(1, 1.0),
            m: DMatrix::from_vec(2, 1, vec![1.0, -2.0]),
            n: DMatrix::from_element(2, 1, 0.0),
            wo: DMatrix::from_element(2, 1, 1.0),
            so: DVector::from_element(1, 1.0),
            h0: DVector::zeros(2),
            b: None,
        }
    }

    #[test]
    fn adam_matches_hand_computed_pytorch_steps() {
        let mut p = parts();
        let mut g = ParamVecs::zeros_like(&p);
        g.get_mut(Param::M).copy_from_slice(&[0.5, -3.0]);
        g.get_mut(Param::N).copy_from_slice(&[7.0, 7.0]); // not trained: must not move
        let mut adam = Adam::new(&p, &[Param::M], 0.1);
        adam.step(&mut p, &g);
        // Step 1: m = 0.1 g, v = 0.001 g^2, bias-corrected ratio = g / (|g| + eps/ ...) ~ sign(g).
        let first = |g: f64| 0.1 * (0.1 * g / 0.1) / ((0.001 * g * g / 0.001).sqrt() + 1e-8);
        assert!((p.m[0] - (1.0 - first(0.5))).abs() < 1e-15);
        assert!((p.m[1] - (-2.0 - first(-3.0))).abs() < 1e-15);
        assert_eq!(p.n[0], 0.0);
        // Step 2 with gradient 0.5 on the first entry again, written out in full.
        adam.step(&mut p, &g);
        let (m2, v2): (f64, f64) = (0.9 * 0.05 + 0.1 * 0.5, 0.999 * 0.00025 + 0.001 * 0.25);
        let expected = 1.0
            - first(0.5)
            - 0.1 / (1.0 - 0.81) * m2 / (v2.sqrt() / (1.0 - 0.998001f64).sqrt() + 1e-8);
        assert!(
            (p.m[0] - expected).abs() < 1e-14,
            "{} vs {expected}",
            p.m[0]
        );
    }

    /// The flat optimiser and clipping are the per-parameter ones on a single vector.
    #[test]
    fn flat_adam_and_clipping_match_the_network_versions() {
        let mut p = parts();
        let mut g = ParamVecs::zeros_like(&p);
        let mut flat = p.m.as_slice().to_vec();
        let mut adam = Adam::new(&p, &[Param::M], 0.05);
        let mut flat_adam = FlatAdam::new(2, 0.05);
        for k in 0..5 {
            let step = [0.5 - k as f64, 3.0 * k as f64 - 2.0];
            g.get_mut(Param::M).copy_from_slice(&step);
            let mut fg = step.to_vec();
            assert_eq!(
                clip_grad_norm(&mut g, &[Param::M], 1.5),
                clip_norm(&mut fg, 1.5)
            );
            assert_eq!(g.get(Param::M), fg.as_slice());
            adam.step(&mut p, &g);
            flat_adam.step(&mut flat, &fg);
            assert_eq!(p.m.as_slice(), flat.as_slice());
        }
    }

    #[test]
    fn clipping_uses_the_total_norm_over_trained_parameters() {
        let p = parts();
        let mut g = ParamVecs::zeros_like(&p);
        g.get_mut(Param::M).copy_from_slice(&[3.0, 0.0]);
        g.get_mut(Param::Si).copy_from_slice(&[4.0]);
        g.get_mut(Param::Wo).copy_from_slice(&[100.0, 100.0]);
        let which = [Param::M, Param::Si];
        let total = clip_grad_norm(&mut g, &which, 1.0);
        assert!((total - 5.0).abs() < 1e-15);
        let coef = 1.0 / (5.0 + 1e-6);
        assert!((g.get(Param::M)[0] - 3.0 * coef).abs() < 1e-15);
        assert!((g.get(Param::Si)[0] - 4.0 * coef).abs() < 1e-15);
        assert_eq!(g.get(Param::Wo), &[100.0, 100.0]);
        // Below the threshold nothing changes.
        let before = g.clone();
        assert!(clip_grad_norm(&mut g, &which, 10.0) < 1.0 + 1e-9);
        assert_eq!(g, before);
    }
}
