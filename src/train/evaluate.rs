//! Loss and accuracy of a network on noisy trials (MODEL.md 6): the numbers `train` reports and
//! `lowrank-explorer eval` prints.

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;

use crate::network::{SimOptions, Simulator, trial_seed};
use crate::task::{self, TaskKind, Trial};

/// Mean loss and accuracy over a set of trials. For PWM the accuracy is the fraction of trials whose
/// mean decision output has the sign of `f1 - f2`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Evaluation {
    pub loss: f64,
    pub accuracy: f64,
    pub trials: usize,
}

/// Simulates `trials` with network noise `noise_std` (trial `k` with noise seed
/// `trial_seed(seed, k)`) and scores them with [`task::mean_loss`] and [`task::accuracy`].
pub fn evaluate_trials(
    net: &(impl Simulator + ?Sized),
    trials: &[Trial],
    noise_std: f64,
    seed: u64,
) -> Evaluation {
    let opts = SimOptions {
        noise_std,
        seed,
        ..SimOptions::default()
    };
    let inputs: Vec<&[f64]> = trials.iter().map(|t| t.inputs.as_slice()).collect();
    let runs = net.run_batch(&inputs, &opts);
    let outputs: Vec<&[f64]> = runs.iter().map(|r| r.outputs.as_slice()).collect();
    Evaluation {
        loss: task::mean_loss(trials, &outputs),
        accuracy: task::accuracy(trials, &outputs),
        trials: trials.len(),
    }
}

/// `count` fresh trials of `kind` drawn from `StdRng::seed_from_u64(seed)`, simulated with network noise
/// seeded by `trial_seed(seed, usize::MAX)`: the procedure of `lowrank-explorer eval --seed SEED`.
pub fn evaluate(
    net: &(impl Simulator + ?Sized),
    kind: &TaskKind,
    count: usize,
    noise_std: f64,
    seed: u64,
) -> Evaluation {
    let mut rng = StdRng::seed_from_u64(seed);
    let trials = kind.random_trials(count, &mut rng);
    evaluate_trials(net, &trials, noise_std, trial_seed(seed, usize::MAX))
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;
    use crate::network::{Network, NetworkParts};
    use crate::task::{decision, pwm};

    /// A network whose readout is zero: every output is 0.
    fn silent(inputs: usize) -> Network {
        Network::new(NetworkParts {
            wi: DMatrix::from_element(inputs, 8, 0.5),
            si: DVector::from_element(inputs, 1.0),
            m: DMatrix::from_element(8, 1, 1.0),
            n: DMatrix::from_element(8, 1, 1.0),
            wo: DMatrix::zeros(8, 1),
            so: DVector::from_element(1, 1.0),
            h0: DVector::zeros(8),
            b: None,
        })
        .unwrap()
    }

    #[test]
    fn zero_output_scores_the_target_power_and_no_correct_sign() {
        let d = evaluate(
            &silent(1),
            &TaskKind::Decision(decision::DecisionConfig::default()),
            50,
            0.05,
            1,
        );
        assert_eq!((d.loss, d.accuracy, d.trials), (1.0, 0.0, 50));
        // PWM: loss = mean of ((f1 - f2) / 24)^2 over the drawn trials.
        let kind = TaskKind::Pwm(pwm::PwmConfig::default());
        let p = evaluate(&silent(1), &kind, 200, 0.05, 2);
        let trials = kind.random_trials(200, &mut StdRng::seed_from_u64(2));
        let power = trials
            .iter()
            .map(|t| t.target[t.loss_horizon() - 1].powi(2))
            .sum::<f64>()
            / 200.0;
        assert!((p.loss - power).abs() < 1e-12, "{} vs {power}", p.loss);
        assert_eq!(p.accuracy, 0.0);
    }
}
