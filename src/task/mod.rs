//! Tasks of MODEL.md 6: trial generators, masks, the masked loss and the accuracy.
//!
//! A [`Trial`] is plain data (row-major input, target and mask arrays plus named epochs), so the
//! network engine, training and the app's time-series panel all read the same thing.

pub mod dms;

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

/// Time step of every task, in ms (MODEL.md 6).
pub const DT_MS: f64 = crate::network::DT_MS;

/// Number of steps of a duration: `floor(ms / 20)`.
pub fn steps_of(ms: f64) -> usize {
    (ms / DT_MS).floor().max(0.0) as usize
}

/// Adds independent Gaussian noise of standard deviation `std` to every input entry of `trial`
/// (padding included), the input noise of the training trials (MODEL.md 6). `std <= 0` adds none.
pub fn add_input_noise<R: Rng + ?Sized>(trial: &mut Trial, std: f64, rng: &mut R) {
    if std > 0.0 {
        for x in trial.inputs.iter_mut() {
            let z: f64 = StandardNormal.sample(rng);
            *x += std * z;
        }
    }
}

/// A named, half-open range of steps `[start, end)` of a trial (fixation, stimulus 1, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Epoch {
    pub name: &'static str,
    pub start: usize,
    pub end: usize,
}

/// One trial: inputs `u (T, S)`, target `(T, O)` and mask `(T)`, all row-major, padded to the batch's
/// length with mask 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trial {
    /// Trial type, e.g. `"AB"`.
    pub name: String,
    pub steps: usize,
    pub inputs: Vec<f64>,
    pub target: Vec<f64>,
    pub mask: Vec<f64>,
    pub epochs: Vec<Epoch>,
}

impl Trial {
    /// Output channels per step.
    pub fn outputs(&self) -> usize {
        self.target.len() / self.steps.max(1)
    }

    /// Steps where the mask is on (the decision epoch of DMS).
    pub fn masked_steps(&self) -> impl Iterator<Item = usize> + '_ {
        self.mask
            .iter()
            .enumerate()
            .filter(|(_, m)| **m != 0.0)
            .map(|(t, _)| t)
    }

    /// Mean of output channel 0 over the masked steps (the DMS "decision mean").
    pub fn decision_mean(&self, outputs: &[f64]) -> f64 {
        let o = self.outputs();
        let (sum, count) = self
            .masked_steps()
            .fold((0.0, 0usize), |(s, c), t| (s + outputs[t * o], c + 1));
        if count == 0 { 0.0 } else { sum / count as f64 }
    }

    /// Masked squared error summed over time and averaged over outputs, divided by the number of masked
    /// steps (MODEL.md 6; the published `loss_mse`).
    pub fn loss(&self, outputs: &[f64]) -> f64 {
        let o = self.outputs();
        let mut sum = 0.0;
        let mut count = 0.0;
        for t in 0..self.steps {
            let m = self.mask[t];
            if m != 0.0 {
                count += m;
            }
            let err: f64 = (0..o)
                .map(|k| {
                    let e = m * (self.target[t * o + k] - outputs[t * o + k]);
                    e * e
                })
                .sum();
            sum += err / o as f64;
        }
        if count == 0.0 { 0.0 } else { sum / count }
    }

    /// A trial is correct iff the sign of its mean output over the masked steps equals the target's
    /// (every output channel with a non-zero target must agree).
    pub fn is_correct(&self, outputs: &[f64]) -> bool {
        let o = self.outputs();
        (0..o).all(|k| {
            let (mut out, mut tgt) = (0.0, 0.0);
            for t in self.masked_steps() {
                out += outputs[t * o + k] * self.mask[t];
                tgt += self.target[t * o + k] * self.mask[t];
            }
            tgt == 0.0 || out.signum() == tgt.signum() && out != 0.0
        })
    }
}

/// Mean over trials of [`Trial::loss`].
pub fn mean_loss<O: AsRef<[f64]>>(trials: &[Trial], outputs: &[O]) -> f64 {
    if trials.is_empty() {
        return 0.0;
    }
    trials
        .iter()
        .zip(outputs)
        .map(|(t, o)| t.loss(o.as_ref()))
        .sum::<f64>()
        / trials.len() as f64
}

/// Fraction of trials with [`Trial::is_correct`].
pub fn accuracy<O: AsRef<[f64]>>(trials: &[Trial], outputs: &[O]) -> f64 {
    if trials.is_empty() {
        return 0.0;
    }
    trials
        .iter()
        .zip(outputs)
        .filter(|(t, o)| t.is_correct(o.as_ref()))
        .count() as f64
        / trials.len() as f64
}
