//! Delayed match-to-sample (MODEL.md 6).
//!
//! Epochs: fixation 100 ms -> stimulus 1 500 ms -> delay -> stimulus 2 500 ms -> decision 1000 ms, with
//! `dt = 20 ms`. Two input channels (A = 0, B = 1) at 1 during a stimulus, plus Gaussian noise on every
//! entry; target +1 for match (AA, BB), -1 for non-match, on the decision steps only.

use rand::{Rng, RngExt};

use super::{Trial, steps_of, two_stimulus_epochs};

pub const FIXATION_MS: f64 = 100.0;
pub const STIMULUS_MS: f64 = 500.0;
pub const DECISION_MS: f64 = 1000.0;
pub const DELAY_MIN_MS: f64 = 500.0;
pub const DELAY_MAX_MS: f64 = 3000.0;
/// Std of the Gaussian noise on every input entry.
pub const INPUT_NOISE_STD: f64 = 0.03;
/// Input channels: A, B.
pub const INPUTS: usize = 2;
/// The four trial types, in the order the fixtures and the CLI use.
pub const TRIAL_TYPES: [&str; 4] = ["AA", "AB", "BA", "BB"];

/// Parameters of a batch of random DMS trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DmsConfig {
    /// Delays are drawn uniformly in `[delay_min_ms, delay_max_ms)` and floored to steps.
    pub delay_min_ms: f64,
    pub delay_max_ms: f64,
    pub input_noise_std: f64,
}

impl Default for DmsConfig {
    fn default() -> Self {
        Self {
            delay_min_ms: DELAY_MIN_MS,
            delay_max_ms: DELAY_MAX_MS,
            input_noise_std: INPUT_NOISE_STD,
        }
    }
}

impl DmsConfig {
    /// Length of every trial of a batch: that of the longest possible delay.
    pub fn steps(&self) -> usize {
        trial_steps(steps_of(self.delay_max_ms))
    }
}

/// Steps of a trial with a delay of `delay` steps.
pub fn trial_steps(delay: usize) -> usize {
    steps_of(FIXATION_MS) + 2 * steps_of(STIMULUS_MS) + delay + steps_of(DECISION_MS)
}

/// Builds a trial of type `name` ("AA", "AB", "BA" or "BB") with `delay` steps, padded to `steps`.
/// Input noise, if any, is added by the caller.
///
/// # Panics
/// If `name` is not a DMS trial type or the trial does not fit in `steps`.
pub fn trial(name: &str, delay: usize, steps: usize) -> Trial {
    let channel = |c: u8| usize::from(c == b'B');
    let bytes = name.as_bytes();
    assert!(
        TRIAL_TYPES.contains(&name),
        "unknown DMS trial type {name:?}"
    );
    let epochs = two_stimulus_epochs(
        steps_of(FIXATION_MS),
        steps_of(STIMULUS_MS),
        delay,
        steps_of(DECISION_MS),
    );
    assert!(trial_steps(delay) <= steps, "trial longer than the batch");
    let mut inputs = vec![0.0; steps * INPUTS];
    for (epoch, c) in [(&epochs[1], bytes[0]), (&epochs[3], bytes[1])] {
        for t in epoch.start..epoch.end {
            inputs[t * INPUTS + channel(c)] = 1.0;
        }
    }
    let sign = if bytes[0] == bytes[1] { 1.0 } else { -1.0 };
    let mut target = vec![0.0; steps];
    let mut mask = vec![0.0; steps];
    for t in epochs[4].start..epochs[4].end {
        target[t] = sign;
        mask[t] = 1.0;
    }
    Trial {
        name: name.to_string(),
        steps,
        inputs,
        target,
        mask,
        epochs,
    }
}

/// The four noise-free trials AA, AB, BA, BB with a delay of `floor(delay_ms / 20)` steps.
pub fn canonical(delay_ms: f64) -> Vec<Trial> {
    let delay = steps_of(delay_ms);
    TRIAL_TYPES
        .iter()
        .map(|name| trial(name, delay, trial_steps(delay)))
        .collect()
}

/// `count` random trials: uniform type, uniform delay, input noise on every entry (padding included).
pub fn random_trials<R: Rng + ?Sized>(count: usize, cfg: &DmsConfig, rng: &mut R) -> Vec<Trial> {
    let steps = cfg.steps();
    let min = steps_of(cfg.delay_min_ms);
    let max_exclusive = steps_of(cfg.delay_max_ms).max(min + 1);
    (0..count)
        .map(|_| {
            let name = TRIAL_TYPES[rng.random_range(0..TRIAL_TYPES.len())];
            let delay_ms = cfg.delay_min_ms
                + (cfg.delay_max_ms - cfg.delay_min_ms).max(0.0) * rng.random::<f64>();
            let delay = steps_of(delay_ms).clamp(min, max_exclusive - 1);
            let mut t = trial(name, delay, steps);
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
    fn canonical_trials_have_the_fixture_timing() {
        // lowrank_n64_r2_expected.json: stimulus 1 on 5..30, stimulus 2 on 60..85, 135 steps.
        let trials = canonical(600.0);
        assert_eq!(trials.len(), 4);
        for t in &trials {
            assert_eq!(t.steps, 135);
            assert_eq!((t.epochs[1].start, t.epochs[1].end), (5, 30));
            assert_eq!((t.epochs[3].start, t.epochs[3].end), (60, 85));
            assert_eq!(t.masked_steps().count(), 50);
            assert_eq!(t.masked_steps().next(), Some(85));
        }
        let ab = &trials[1];
        assert_eq!(ab.inputs[5 * 2], 1.0);
        assert_eq!(ab.inputs[5 * 2 + 1], 0.0);
        assert_eq!(ab.inputs[60 * 2 + 1], 1.0);
        assert_eq!(ab.inputs[30 * 2], 0.0);
        assert_eq!(ab.target[100], -1.0);
        assert_eq!(trials[3].target[100], 1.0);
        assert_eq!(canonical(3000.0)[0].steps, 5 + 25 + 150 + 25 + 50);
    }

    #[test]
    fn random_trials_cover_types_and_delays() {
        let mut rng = StdRng::seed_from_u64(3);
        let cfg = DmsConfig::default();
        let trials = random_trials(4000, &cfg, &mut rng);
        assert!(trials.iter().all(|t| t.steps == 5 + 25 + 150 + 25 + 50));
        for name in TRIAL_TYPES {
            let k = trials.iter().filter(|t| t.name == name).count();
            assert!((850..1150).contains(&k), "{name}: {k}");
        }
        let delays: Vec<usize> = trials
            .iter()
            .map(|t| t.epochs[2].end - t.epochs[2].start)
            .collect();
        assert_eq!(*delays.iter().min().unwrap(), 25);
        assert_eq!(*delays.iter().max().unwrap(), 149);
        // Input noise: on a fixation entry the value is pure noise of std 0.03.
        let fix: Vec<f64> = trials.iter().map(|t| t.inputs[0]).collect();
        let sd = (fix.iter().map(|x| x * x).sum::<f64>() / fix.len() as f64).sqrt();
        assert!((sd - 0.03).abs() < 0.002, "{sd}");
    }

    #[test]
    fn loss_and_accuracy_follow_the_published_definitions() {
        let t = &canonical(600.0)[1]; // AB: target -1 on 50 decision steps
        let mut out = vec![0.0; t.steps];
        assert!((t.loss(&out) - 1.0).abs() < 1e-15);
        assert!(!t.is_correct(&out));
        for o in out[85..].iter_mut() {
            *o = -0.5;
        }
        out[10] = 100.0; // unmasked: ignored by both
        assert!((t.loss(&out) - 0.25).abs() < 1e-15);
        assert!(t.is_correct(&out));
        assert!((t.decision_mean(&out) + 0.5).abs() < 1e-15);
        out[90] = 30.0; // a masked excursion flips the mean's sign
        assert!(!t.is_correct(&out));
    }
}
