//! Parametric working memory (Romo's two-frequency comparison, MODEL.md 6), a rank-2 task.
//!
//! As the papers' code defines it: fixation 100 ms -> stimulus 1 100 ms -> delay -> stimulus 2
//! 100 ms -> decision 100 ms, the delay a whole number of steps drawn uniformly from
//! `floor(500 / 20) = 25` to `floor(1000 / 20) = 50` *inclusive*, every trial padded to the longest.
//! One input channel at `(f - 22) / 24` during each stimulus, with `f1, f2` integers in [10, 34] and
//! `|f2 - f1|` in {8, 16, 24} (uniform over such pairs), plus Gaussian noise of std 0.01 on every
//! entry; graded target `(f1 - f2) / 24` on the decision steps. A trial is "correct" when the sign
//! of its mean decision output is that of `f1 - f2`.

use rand::{Rng, RngExt};

use super::{Trial, steps_of, two_stimulus_epochs};

pub const FIXATION_MS: f64 = 100.0;
pub const STIMULUS_MS: f64 = 100.0;
pub const DELAY_MIN_MS: f64 = 500.0;
pub const DELAY_MAX_MS: f64 = 1000.0;
pub const DECISION_MS: f64 = 100.0;
/// Frequency range (Hz) and the centre and scale of the input and target encodings.
pub const F_MIN: u32 = 10;
pub const F_MAX: u32 = 34;
pub const F_CENTRE: f64 = 22.0;
pub const F_SCALE: f64 = 24.0;
/// The allowed `|f2 - f1|`.
pub const DIFFERENCES: [u32; 3] = [8, 16, 24];
/// Std of the Gaussian noise on every input entry: the papers' PWM trials use 0.01 (their DMS
/// trials 0.03); with 0.03 their published rank-2 network's loss rises from 4.0e-3 to 5.2e-3.
pub const INPUT_NOISE_STD: f64 = 0.01;
/// One input channel.
pub const INPUTS: usize = 1;

/// Parameters of random PWM trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PwmConfig {
    /// Delays are drawn uniformly among the whole steps `floor(delay_min_ms / 20) ..=
    /// floor(delay_max_ms / 20)`, both ends included (the papers' `randint`).
    pub delay_min_ms: f64,
    pub delay_max_ms: f64,
    pub input_noise_std: f64,
}

impl Default for PwmConfig {
    fn default() -> Self {
        Self {
            delay_min_ms: DELAY_MIN_MS,
            delay_max_ms: DELAY_MAX_MS,
            input_noise_std: INPUT_NOISE_STD,
        }
    }
}

impl PwmConfig {
    /// The shortest and longest delay in steps, both drawn (`max >= min`).
    pub fn delay_steps(&self) -> (usize, usize) {
        let min = steps_of(self.delay_min_ms);
        (min, steps_of(self.delay_max_ms).max(min))
    }

    /// Length of every trial of a batch: that of the longest delay.
    pub fn steps(&self) -> usize {
        trial_steps(self.delay_steps().1)
    }
}

/// Steps of a trial with `delay` delay steps.
pub fn trial_steps(delay: usize) -> usize {
    steps_of(FIXATION_MS) + 2 * steps_of(STIMULUS_MS) + delay + steps_of(DECISION_MS)
}

/// Every allowed `(f1, f2)` pair, in a fixed order.
pub fn frequency_pairs() -> Vec<(u32, u32)> {
    (F_MIN..=F_MAX)
        .flat_map(|f1| (F_MIN..=F_MAX).map(move |f2| (f1, f2)))
        .filter(|&(f1, f2)| DIFFERENCES.contains(&f1.abs_diff(f2)))
        .collect()
}

/// The noise-free trial `(f1, f2)` with `delay` steps, padded to `steps`; noise is added by the caller.
///
/// # Panics
/// If the trial does not fit in `steps`.
pub fn trial(f1: u32, f2: u32, delay: usize, steps: usize) -> Trial {
    assert!(trial_steps(delay) <= steps, "trial longer than the batch");
    let fix = steps_of(FIXATION_MS);
    let stim = steps_of(STIMULUS_MS);
    let s2 = fix + stim + delay;
    let decision = s2 + stim;
    let epochs = two_stimulus_epochs(fix, stim, delay, steps_of(DECISION_MS));
    let encode = |f: u32| (f64::from(f) - F_CENTRE) / F_SCALE;
    let mut inputs = vec![0.0; steps * INPUTS];
    inputs[fix..fix + stim].fill(encode(f1));
    inputs[s2..decision].fill(encode(f2));
    let mut target = vec![0.0; steps];
    let mut mask = vec![0.0; steps];
    let end = trial_steps(delay);
    target[decision..end].fill((f64::from(f1) - f64::from(f2)) / F_SCALE);
    mask[decision..end].fill(1.0);
    Trial {
        name: format!("{f1}-{f2}"),
        steps,
        inputs,
        target,
        mask,
        epochs,
    }
}

/// The frequency pairs of the canonical trials: every allowed `f1 - f2` (+-8, +-16, +-24) once,
/// each pair centred on 22 Hz, so that the trials differ only by the difference the network must
/// report and the sign of it.
pub const CANONICAL_PAIRS: [(u32, u32); 6] =
    [(34, 10), (30, 14), (26, 18), (18, 26), (14, 30), (10, 34)];

/// The canonical noise-free trials (`simulate --task pwm`), [`CANONICAL_PAIRS`] with `delay` steps.
pub fn canonical(delay: usize) -> Vec<Trial> {
    CANONICAL_PAIRS
        .iter()
        .map(|&(f1, f2)| trial(f1, f2, delay, trial_steps(delay)))
        .collect()
}

/// `count` random trials: uniform pair, uniform delay in steps (both ends included), input noise on
/// every entry (padding included).
pub fn random_trials<R: Rng + ?Sized>(count: usize, cfg: &PwmConfig, rng: &mut R) -> Vec<Trial> {
    let pairs = frequency_pairs();
    let (min, max) = cfg.delay_steps();
    let steps = cfg.steps();
    (0..count)
        .map(|_| {
            let (f1, f2) = pairs[rng.random_range(0..pairs.len())];
            let delay = rng.random_range(min..=max);
            let mut t = trial(f1, f2, delay, steps);
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
    fn pairs_respect_range_and_differences() {
        let pairs = frequency_pairs();
        // For |d| = 8, 16, 24 there are 17, 9, 1 ordered pairs per sign.
        assert_eq!(pairs.len(), 2 * (17 + 9 + 1));
        assert!(pairs.contains(&(10, 34)) && pairs.contains(&(34, 26)));
        assert!(!pairs.contains(&(10, 20)));
    }

    #[test]
    fn trial_encodes_frequencies_and_graded_target() {
        let t = trial(30, 14, 30, 70);
        assert_eq!(t.steps, 70);
        assert_eq!(trial_steps(30), 5 + 5 + 30 + 5 + 5);
        assert!((t.inputs[5] - 8.0 / 24.0).abs() < 1e-15);
        assert_eq!(t.inputs[10], 0.0);
        assert!((t.inputs[40] + 8.0 / 24.0).abs() < 1e-15);
        assert_eq!(
            t.masked_steps().collect::<Vec<_>>(),
            (45..50).collect::<Vec<_>>()
        );
        assert!((t.target[47] - 16.0 / 24.0).abs() < 1e-15);
        assert_eq!(t.loss_horizon(), 50);
    }

    #[test]
    fn canonical_trials_cover_every_difference_about_the_centre() {
        let trials = canonical(50);
        assert_eq!(trials.len(), 6);
        let pairs = frequency_pairs();
        let mut differences = vec![];
        for (t, &(f1, f2)) in trials.iter().zip(&CANONICAL_PAIRS) {
            assert!(pairs.contains(&(f1, f2)));
            assert_eq!(f1 + f2, 44, "centred on 22 Hz");
            assert_eq!(t, &trial(f1, f2, 50, trial_steps(50)));
            assert_eq!(t.name, format!("{f1}-{f2}"));
            differences.push(i64::from(f1) - i64::from(f2));
        }
        assert_eq!(differences, [24, 16, 8, -8, -16, -24]);
    }

    #[test]
    fn constants_are_the_papers() {
        // The papers' code: input noise std 1e-2, delays 500-1000 ms, 100 ms epochs, f in
        // [10, 34], encoding (f - 22) / 24.
        assert_eq!(INPUT_NOISE_STD, 0.01);
        assert_eq!(PwmConfig::default().input_noise_std, 0.01);
        assert_eq!((DELAY_MIN_MS, DELAY_MAX_MS), (500.0, 1000.0));
        assert_eq!(PwmConfig::default().delay_steps(), (25, 50));
        assert_eq!(
            (FIXATION_MS, STIMULUS_MS, DECISION_MS),
            (100.0, 100.0, 100.0)
        );
        assert_eq!((F_MIN, F_MAX, F_CENTRE, F_SCALE), (10, 34, 22.0, 24.0));
        assert_eq!(PwmConfig::default().steps(), 5 + 5 + 50 + 5 + 5);
    }

    #[test]
    fn random_trials_cover_delays_and_pairs() {
        let mut rng = StdRng::seed_from_u64(2);
        let trials = random_trials(3000, &PwmConfig::default(), &mut rng);
        assert!(trials.iter().all(|t| t.steps == trial_steps(50)));
        let delays: Vec<usize> = trials
            .iter()
            .map(|t| t.epochs[2].end - t.epochs[2].start)
            .collect();
        // Every whole delay from 25 to 50 steps, both ends included, and nothing else: 26 values
        // of probability 1/26 each (about 115 of 3000; none is below 60 with any real chance).
        for d in 25..=50 {
            let k = delays.iter().filter(|&&x| x == d).count();
            assert!(k > 60, "delay {d}: {k} trials");
        }
        assert!(delays.iter().all(|d| (25..=50).contains(d)));
        // The noise on the fixation entries has the papers' std 0.01.
        let fix: Vec<f64> = trials.iter().map(|t| t.inputs[0]).collect();
        let sd = (fix.iter().map(|x| x * x).sum::<f64>() / fix.len() as f64).sqrt();
        assert!((sd - 0.01).abs() < 0.0006, "{sd}");
        let signs: usize = trials
            .iter()
            .filter(|t| t.target[t.loss_horizon() - 1] > 0.0)
            .count();
        assert!((1350..1650).contains(&signs), "{signs}");
    }
}
