//! Perceptual decision ("random dots", MODEL.md 6), the rank-1 task of the papers.
//!
//! Epochs: fixation 100 ms -> stimulus 800 ms -> delay 100 ms -> response, one 20 ms step. One input
//! channel at `0.1 c` during the stimulus, coherence `c` in {±1, ±2, ±4}, plus Gaussian noise of std
//! 0.1 on every entry (as the DMS inputs, padding included); target `sign(c)` on the response step only.

use rand::{Rng, RngExt};

use super::{Trial, consecutive_epochs, response_on, steps_of};

pub const FIXATION_MS: f64 = 100.0;
pub const STIMULUS_MS: f64 = 800.0;
pub const DELAY_MS: f64 = 100.0;
/// The response lasts one step.
pub const RESPONSE_MS: f64 = 20.0;
/// Input per unit of coherence.
pub const INPUT_SCALE: f64 = 0.1;
/// Std of the Gaussian noise on every input entry.
pub const INPUT_NOISE_STD: f64 = 0.1;
/// The six coherences, drawn uniformly.
pub const COHERENCES: [f64; 6] = [-4.0, -2.0, -1.0, 1.0, 2.0, 4.0];
/// One input channel.
pub const INPUTS: usize = 1;

/// Parameters of random decision trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecisionConfig {
    pub input_noise_std: f64,
}

impl Default for DecisionConfig {
    fn default() -> Self {
        Self {
            input_noise_std: INPUT_NOISE_STD,
        }
    }
}

/// Steps of every decision trial (51).
pub fn trial_steps() -> usize {
    steps_of(FIXATION_MS) + steps_of(STIMULUS_MS) + steps_of(DELAY_MS) + steps_of(RESPONSE_MS)
}

/// The noise-free trial of coherence `coherence` (named like `"c=-2"`); noise is added by the caller.
pub fn trial(coherence: f64) -> Trial {
    let steps = trial_steps();
    let epochs = consecutive_epochs(&[
        ("fixation", steps_of(FIXATION_MS)),
        ("stimulus", steps_of(STIMULUS_MS)),
        ("delay", steps_of(DELAY_MS)),
        ("response", steps_of(RESPONSE_MS)),
    ]);
    let mut inputs = vec![0.0; steps * INPUTS];
    inputs[epochs[1].start..epochs[1].end].fill(INPUT_SCALE * coherence);
    let (target, mask) = response_on(steps, &epochs[3], coherence.signum());
    Trial {
        name: format!("c={coherence}"),
        steps,
        inputs,
        target,
        mask,
        epochs,
    }
}

/// The canonical noise-free trials (`simulate --task decision`): one per coherence of the task,
/// `c = -4, -2, -1, 1, 2, 4` in that order, so that the weakest and the strongest evidence of
/// either sign are both there.
pub fn canonical() -> Vec<Trial> {
    COHERENCES.iter().map(|&c| trial(c)).collect()
}

/// `count` random trials: uniform coherence, input noise on every entry.
pub fn random_trials<R: Rng + ?Sized>(
    count: usize,
    cfg: &DecisionConfig,
    rng: &mut R,
) -> Vec<Trial> {
    (0..count)
        .map(|_| {
            let mut t = trial(COHERENCES[rng.random_range(0..COHERENCES.len())]);
            super::add_noise(&mut t.inputs, cfg.input_noise_std, rng);
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn trial_timing_input_and_target() {
        let t = trial(-2.0);
        assert_eq!(t.steps, 5 + 40 + 5 + 1);
        assert_eq!(t.masked_steps().collect::<Vec<_>>(), vec![50]);
        assert_eq!(t.target[50], -1.0);
        assert_eq!(t.inputs[4], 0.0);
        assert!((t.inputs[5] + 0.2).abs() < 1e-15 && (t.inputs[44] + 0.2).abs() < 1e-15);
        assert_eq!(t.inputs[45], 0.0);
        assert_eq!(trial(4.0).target[50], 1.0);
        assert_eq!(t.loss_horizon(), 51);
    }

    #[test]
    fn canonical_trials_are_the_six_coherences_without_noise() {
        let trials = canonical();
        let names: Vec<&str> = trials.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["c=-4", "c=-2", "c=-1", "c=1", "c=2", "c=4"]);
        for (t, c) in trials.iter().zip(COHERENCES) {
            assert_eq!(t, &trial(c));
            assert_eq!((t.inputs[20], t.target[50]), (0.1 * c, c.signum()));
        }
    }

    #[test]
    fn random_trials_cover_coherences_with_noise() {
        let mut rng = StdRng::seed_from_u64(1);
        let trials = random_trials(6000, &DecisionConfig::default(), &mut rng);
        for c in COHERENCES {
            let k = trials.iter().filter(|t| t.name == format!("c={c}")).count();
            assert!((850..1150).contains(&k), "{c}: {k}");
        }
        let fix: Vec<f64> = trials.iter().map(|t| t.inputs[0]).collect();
        let sd = (fix.iter().map(|x| x * x).sum::<f64>() / fix.len() as f64).sqrt();
        assert!((sd - 0.1).abs() < 0.005, "{sd}");
        let mean_stim = trials
            .iter()
            .filter(|t| t.name == "c=4")
            .map(|t| t.inputs[20])
            .sum::<f64>()
            / trials.iter().filter(|t| t.name == "c=4").count() as f64;
        assert!((mean_stim - 0.4).abs() < 0.01, "{mean_stim}");
    }
}
