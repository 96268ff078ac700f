//! Tasks of MODEL.md 6: trial generators, masks, the masked loss and the accuracy.
//!
//! A [`Trial`] is plain data (row-major input, target and mask arrays plus named epochs), so the
//! network engine, training and the app's time-series panel all read the same thing.

pub mod ctx;
pub mod decision;
pub mod dms;
pub mod pwm;

use rand::Rng;
use serde::Serialize;

/// Time step of every task, in ms (MODEL.md 6).
pub const DT_MS: f64 = crate::network::DT_MS;

/// Number of steps of a duration: `floor(ms / 20)`.
pub fn steps_of(ms: f64) -> usize {
    (ms / DT_MS).floor().max(0.0) as usize
}

/// A named, half-open range of steps `[start, end)` of a trial (fixation, stimulus 1, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Epoch {
    pub name: &'static str,
    pub start: usize,
    pub end: usize,
}

/// Consecutive epochs of the given names and lengths in steps, the first starting at step 0: the
/// epochs of every task of MODEL.md 6 follow one another without gaps.
pub fn consecutive_epochs(lengths: &[(&'static str, usize)]) -> Vec<Epoch> {
    let mut start = 0;
    lengths
        .iter()
        .map(|&(name, len)| {
            let epoch = Epoch {
                name,
                start,
                end: start + len,
            };
            start += len;
            epoch
        })
        .collect()
}

/// The epochs of a two-stimulus trial (DMS, PWM; MODEL.md 6): fixation, stimulus 1, delay,
/// stimulus 2, decision, of `fixation`, `stimulus`, `delay`, `stimulus` and `decision` steps.
pub fn two_stimulus_epochs(
    fixation: usize,
    stimulus: usize,
    delay: usize,
    decision: usize,
) -> Vec<Epoch> {
    consecutive_epochs(&[
        ("fixation", fixation),
        ("stimulus 1", stimulus),
        ("delay", delay),
        ("stimulus 2", stimulus),
        ("decision", decision),
    ])
}

/// The target and mask of a one-output trial of `steps` steps that answers `value` during `epoch`
/// (mask 1 there, target and mask 0 elsewhere): the response of every decision task of MODEL.md 6.
pub fn response_on(steps: usize, epoch: &Epoch, value: f64) -> (Vec<f64>, Vec<f64>) {
    let mut target = vec![0.0; steps];
    let mut mask = vec![0.0; steps];
    target[epoch.start..epoch.end].fill(value);
    mask[epoch.start..epoch.end].fill(1.0);
    (target, mask)
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

    /// `scale * d loss / d outputs`, written into `grad` (row-major `(T, O)` like the outputs): the
    /// derivative of [`Trial::loss`], `-2 mask_t^2 (y_{t,k} - z_{t,k}) / (O * sum_t mask_t)`, zero where
    /// the mask is off. Training (BPTT) starts its backward pass from it.
    ///
    /// # Panics
    /// If `outputs` or `grad` is shorter than the target.
    pub fn loss_gradient(&self, outputs: &[f64], scale: f64, grad: &mut [f64]) {
        let o = self.outputs();
        let count: f64 = self.mask.iter().filter(|m| **m != 0.0).sum();
        let len = self.target.len();
        if count == 0.0 {
            grad[..len].fill(0.0);
            return;
        }
        let factor = -2.0 * scale / (o as f64 * count);
        for (t, &m) in self.mask.iter().enumerate() {
            for k in t * o..(t + 1) * o {
                grad[k] = factor * m * m * (self.target[k] - outputs[k]);
            }
        }
    }

    /// Index of the last step whose output the loss reads, plus one (0 if the mask is all off): a
    /// forward pass may stop there, the rest of the trial cannot change the loss or the accuracy.
    pub fn loss_horizon(&self) -> usize {
        self.mask
            .iter()
            .rposition(|m| *m != 0.0)
            .map_or(0, |t| t + 1)
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

/// A task of MODEL.md 6 with the parameters of its random trials: what training and `eval` draw from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TaskKind {
    /// Delayed match-to-sample, 2 inputs.
    Dms(dms::DmsConfig),
    /// Perceptual decision (random dots), 1 input.
    Decision(decision::DecisionConfig),
    /// Parametric working memory (Romo), 1 input.
    Pwm(pwm::PwmConfig),
    /// Context-dependent decision (Mante), 2 sensory and 2 context inputs.
    Ctx(ctx::CtxConfig),
}

impl TaskKind {
    /// Short name, as the CLI spells it.
    pub fn name(&self) -> &'static str {
        match self {
            TaskKind::Dms(_) => "dms",
            TaskKind::Decision(_) => "decision",
            TaskKind::Pwm(_) => "pwm",
            TaskKind::Ctx(_) => "ctx",
        }
    }

    /// Input channels a network needs for this task.
    pub fn inputs(&self) -> usize {
        match self {
            TaskKind::Dms(_) => dms::INPUTS,
            TaskKind::Decision(_) => decision::INPUTS,
            TaskKind::Pwm(_) => pwm::INPUTS,
            TaskKind::Ctx(_) => ctx::INPUTS,
        }
    }

    /// Output channels (one for every task of MODEL.md 6).
    pub fn outputs(&self) -> usize {
        1
    }

    /// `count` random noisy trials, all padded to the same length.
    pub fn random_trials<R: Rng + ?Sized>(&self, count: usize, rng: &mut R) -> Vec<Trial> {
        match self {
            TaskKind::Dms(cfg) => dms::random_trials(count, cfg, rng),
            TaskKind::Decision(cfg) => decision::random_trials(count, cfg, rng),
            TaskKind::Pwm(cfg) => pwm::random_trials(count, cfg, rng),
            TaskKind::Ctx(cfg) => ctx::random_trials(count, cfg, rng),
        }
    }
}

/// Adds `std * N(0, 1)` to every entry of `values` (the input noise of every task of MODEL.md 6).
pub fn add_noise<R: Rng + ?Sized>(values: &mut [f64], std: f64, rng: &mut R) {
    use rand_distr::{Distribution, StandardNormal};
    if std > 0.0 {
        for x in values.iter_mut() {
            let z: f64 = StandardNormal.sample(rng);
            *x += std * z;
        }
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
