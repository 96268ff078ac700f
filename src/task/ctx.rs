//! Context-dependent decision (Mante et al. 2013's task as the papers' code defines it, MODEL.md 6),
//! a rank-1 task of the papers.
//!
//! Four input channels: 0 and 1 sensory ("colour" and "motion"), 2 and 3 the contexts 1 and 2.
//! Epochs: fixation 100 ms -> context only 350 ms -> stimulus 800 ms -> delay 100 ms -> decision,
//! one 20 ms step. Each sensory channel carries `0.1 c` during the stimulus, with its own coherence
//! `c` in {±1, ±2, ±4}, plus Gaussian noise of std 0.1 on every step of the whole trial; the
//! context channel of the trial is at 0.1 from the end of fixation to the start of the decision,
//! the other at 0. The target is the sign of the *cued* channel's coherence on the decision step
//! only: the network must integrate one sensory input and ignore the other, as the context says.
//!
//! The stimulus, delay and response and their constants are those of the perceptual decision
//! ([`super::decision`]), with the context-only epoch before the stimulus.

use rand::{Rng, RngExt};

use super::decision::{
    COHERENCES, DELAY_MS, FIXATION_MS, INPUT_NOISE_STD, INPUT_SCALE, RESPONSE_MS, STIMULUS_MS,
};
use super::{Trial, add_noise, consecutive_epochs, response_on, steps_of};

/// The context alone, between fixation and stimulus.
pub const CONTEXT_ONLY_MS: f64 = 350.0;
/// Level of the cued context channel (the papers' `SCALE_CTX`).
pub const CONTEXT_LEVEL: f64 = 0.1;
/// Sensory channels (0, 1), each followed by its context channel at `SENSORY + channel`.
pub const SENSORY: usize = 2;
/// Two sensory and two context channels.
pub const INPUTS: usize = 2 * SENSORY;
/// The coherence pairs `(c_0, c_1)` of the canonical trials, in each context: equal strength and
/// opposite signs, so that the same sensory input must give opposite answers in the two contexts
/// (a network that ignored the context would answer about 0).
pub const CANONICAL_COHERENCES: [[f64; 2]; 2] = [[4.0, -4.0], [-4.0, 4.0]];

/// The context of a trial: which sensory channel decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Context 1 (input channel 2): sensory channel 0 decides.
    One,
    /// Context 2 (input channel 3): sensory channel 1 decides.
    Two,
}

impl Context {
    pub const BOTH: [Context; 2] = [Context::One, Context::Two];

    /// The sensory channel this context cues (0 or 1).
    pub fn cued(self) -> usize {
        match self {
            Context::One => 0,
            Context::Two => 1,
        }
    }

    /// The input channel of this context (2 or 3).
    pub fn channel(self) -> usize {
        SENSORY + self.cued()
    }
}

/// Parameters of random context-dependent trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CtxConfig {
    /// Std of the Gaussian noise on every step of the sensory channels.
    pub input_noise_std: f64,
}

impl Default for CtxConfig {
    fn default() -> Self {
        Self {
            input_noise_std: INPUT_NOISE_STD,
        }
    }
}

/// Steps of every trial (68 = 5 + 17 + 40 + 5 + 1).
pub fn trial_steps() -> usize {
    steps_of(FIXATION_MS)
        + steps_of(CONTEXT_ONLY_MS)
        + steps_of(STIMULUS_MS)
        + steps_of(DELAY_MS)
        + steps_of(RESPONSE_MS)
}

/// The noise-free trial of `context` with coherences `coherences` of the sensory channels 0 and 1
/// (named like `"ctx1 c=4,-4"`); noise is added by the caller.
pub fn trial(context: Context, coherences: [f64; 2]) -> Trial {
    let steps = trial_steps();
    let epochs = consecutive_epochs(&[
        ("fixation", steps_of(FIXATION_MS)),
        ("context", steps_of(CONTEXT_ONLY_MS)),
        ("stimulus", steps_of(STIMULUS_MS)),
        ("delay", steps_of(DELAY_MS)),
        ("decision", steps_of(RESPONSE_MS)),
    ]);
    let (stimulus, decision) = (&epochs[2], &epochs[4]);
    let mut inputs = vec![0.0; steps * INPUTS];
    for (t, row) in inputs.chunks_exact_mut(INPUTS).enumerate() {
        if (stimulus.start..stimulus.end).contains(&t) {
            for (x, c) in row.iter_mut().zip(coherences) {
                *x = INPUT_SCALE * c;
            }
        }
        if (epochs[0].end..decision.start).contains(&t) {
            row[context.channel()] = CONTEXT_LEVEL;
        }
    }
    let (target, mask) = response_on(steps, decision, coherences[context.cued()].signum());
    Trial {
        name: format!(
            "ctx{} c={},{}",
            context.cued() + 1,
            coherences[0],
            coherences[1]
        ),
        steps,
        inputs,
        target,
        mask,
        epochs,
    }
}

/// The canonical noise-free trials (`simulate --task ctx`, the explorer's trials panel): in context
/// 1 then 2, the pairs of [`CANONICAL_COHERENCES`], `(4, -4)` then `(-4, 4)`: targets +1, -1 in
/// context 1 and -1, +1 in context 2.
pub fn canonical() -> Vec<Trial> {
    Context::BOTH
        .iter()
        .flat_map(|&ctx| CANONICAL_COHERENCES.iter().map(move |&c| trial(ctx, c)))
        .collect()
}

/// `count` random trials: the context and the two coherences independent and uniform, noise on
/// every step of the sensory channels (the context channels stay noise-free, as in the papers).
pub fn random_trials<R: Rng + ?Sized>(count: usize, cfg: &CtxConfig, rng: &mut R) -> Vec<Trial> {
    let coherence = |rng: &mut R| COHERENCES[rng.random_range(0..COHERENCES.len())];
    (0..count)
        .map(|_| {
            let context = Context::BOTH[rng.random_range(0..2)];
            let c = [coherence(rng), coherence(rng)];
            let mut t = trial(context, c);
            add_sensory_noise(&mut t, cfg.input_noise_std, rng);
            t
        })
        .collect()
}

/// Adds `std * N(0, 1)` to the sensory channels of every step of `trial` (the papers' input noise;
/// the context channels stay noise-free).
pub fn add_sensory_noise<R: Rng + ?Sized>(trial: &mut Trial, std: f64, rng: &mut R) {
    for row in trial.inputs.chunks_exact_mut(INPUTS) {
        add_noise(&mut row[..SENSORY], std, rng);
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    /// Input `channel` at step `t`.
    fn input(t: &Trial, step: usize, channel: usize) -> f64 {
        t.inputs[step * INPUTS + channel]
    }

    #[test]
    fn epochs_are_the_papers_durations_floored_to_20_ms_steps() {
        // 100 / 20 = 5, 350 / 20 = 17.5 -> 17, 800 / 20 = 40, 100 / 20 = 5, 20 / 20 = 1.
        let t = trial(Context::One, [1.0, 1.0]);
        let bounds: Vec<(&str, usize, usize)> =
            t.epochs.iter().map(|e| (e.name, e.start, e.end)).collect();
        assert_eq!(
            bounds,
            [
                ("fixation", 0, 5),
                ("context", 5, 22),
                ("stimulus", 22, 62),
                ("delay", 62, 67),
                ("decision", 67, 68),
            ]
        );
        assert_eq!((t.steps, trial_steps()), (68, 68));
        assert_eq!((t.inputs.len(), t.target.len()), (68 * 4, 68));
        assert_eq!((INPUTS, CONTEXT_LEVEL, CONTEXT_ONLY_MS), (4, 0.1, 350.0));
        assert_eq!(COHERENCES, [-4.0, -2.0, -1.0, 1.0, 2.0, 4.0]);
        assert_eq!(t.loss_horizon(), 68);
    }

    #[test]
    fn every_noise_free_trial_has_its_inputs_target_and_mask_on_exactly_the_right_steps() {
        for context in Context::BOTH {
            for c0 in COHERENCES {
                for c1 in COHERENCES {
                    let t = trial(context, [c0, c1]);
                    let (cue, other) = match context {
                        Context::One => (2, 3),
                        Context::Two => (3, 2),
                    };
                    let answer = match context {
                        Context::One if c0 > 0.0 => 1.0,
                        Context::Two if c1 > 0.0 => 1.0,
                        _ => -1.0,
                    };
                    for step in 0..68 {
                        let stim = (22..62).contains(&step);
                        assert_eq!(input(&t, step, 0), if stim { 0.1 * c0 } else { 0.0 });
                        assert_eq!(input(&t, step, 1), if stim { 0.1 * c1 } else { 0.0 });
                        let cued = if (5..67).contains(&step) { 0.1 } else { 0.0 };
                        assert_eq!(input(&t, step, cue), cued, "{} at {step}", t.name);
                        assert_eq!(input(&t, step, other), 0.0);
                        let last = step == 67;
                        assert_eq!(t.mask[step], if last { 1.0 } else { 0.0 });
                        assert_eq!(t.target[step], if last { answer } else { 0.0 });
                    }
                    assert_eq!(t.masked_steps().collect::<Vec<_>>(), [67]);
                }
            }
        }
        assert_eq!(trial(Context::Two, [-1.0, 4.0]).name, "ctx2 c=-1,4");
    }

    #[test]
    fn canonical_trials_answer_oppositely_to_the_same_sensory_input_in_the_two_contexts() {
        let trials = canonical();
        let names: Vec<&str> = trials.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["ctx1 c=4,-4", "ctx1 c=-4,4", "ctx2 c=4,-4", "ctx2 c=-4,4"]
        );
        let answers: Vec<f64> = trials.iter().map(|t| t.target[67]).collect();
        assert_eq!(answers, [1.0, -1.0, -1.0, 1.0]);
        // The sensory channels of trials 0 and 2 (and 1 and 3) are the same.
        let sensory = |t: &Trial| -> Vec<f64> {
            t.inputs
                .chunks(INPUTS)
                .flat_map(|r| r[..SENSORY].to_vec())
                .collect()
        };
        assert_eq!(sensory(&trials[0]), sensory(&trials[2]));
        assert_eq!(sensory(&trials[1]), sensory(&trials[3]));
        assert_ne!(sensory(&trials[0]), sensory(&trials[1]));
    }

    #[test]
    fn random_trials_draw_contexts_and_coherences_independently_with_sensory_noise() {
        let count = 7200;
        let mut rng = StdRng::seed_from_u64(11);
        let trials = random_trials(count, &CtxConfig::default(), &mut rng);
        // Per trial and channel, the mean over the 40 stimulus steps estimates 0.1 c with standard
        // error 0.1 / sqrt(40) = 0.016; so its sign is that of c (|0.1 c| >= 0.1: 6 standard
        // errors).
        let stimulus_mean =
            |t: &Trial, ch: usize| (22..62).map(|s| input(t, s, ch)).sum::<f64>() / 40.0;
        let mut pairs = std::collections::HashMap::new();
        let mut context_one = 0;
        // Sums over trials of the stimulus mean, by channel and drawn coherence.
        let mut sums = std::collections::HashMap::<(usize, i64), (f64, usize)>::new();
        for t in &trials {
            // The context channels are noise-free: exactly one is 0.1 from step 5 to 66.
            let ctx = if input(t, 5, 2) == 0.1 { 0 } else { 1 };
            context_one += usize::from(ctx == 0);
            for step in 0..68 {
                let on = if (5..67).contains(&step) { 0.1 } else { 0.0 };
                assert_eq!(input(t, step, 2 + ctx), on);
                assert_eq!(input(t, step, 3 - ctx), 0.0);
            }
            let means = [stimulus_mean(t, 0), stimulus_mean(t, 1)];
            assert_eq!(t.target[67], means[ctx].signum(), "{}", t.name);
            assert_eq!(t.masked_steps().collect::<Vec<_>>(), [67]);
            // The name says which coherences were drawn; the inputs agree with it.
            let named: Vec<f64> = t.name[7..].split(',').map(|c| c.parse().unwrap()).collect();
            assert_eq!(t.name[..4], *format!("ctx{}", ctx + 1));
            for ch in 0..2 {
                let e = sums.entry((ch, named[ch] as i64)).or_insert((0.0, 0));
                e.0 += means[ch];
                e.1 += 1;
            }
            *pairs.entry(t.name[7..].to_string()).or_insert(0usize) += 1;
        }
        // Contexts equiprobable: binomial(7200, 1/2), sd 42.
        assert!(
            (context_one as f64 - 3600.0).abs() < 4.0 * 42.5,
            "{context_one}"
        );
        // The 36 pairs equiprobable (independent coherences): each binomial(7200, 1/36), sd 13.8.
        assert_eq!(pairs.len(), 36);
        for (pair, k) in &pairs {
            assert!((*k as f64 - 200.0).abs() < 4.0 * 13.8, "{pair}: {k}");
        }
        // The mean sensory input during the stimulus is 0.1 c, within 4 standard errors
        // 0.1 / sqrt(40 k) of k trials.
        assert_eq!(sums.len(), 12);
        for ((ch, c), (sum, k)) in &sums {
            let mean = sum / *k as f64;
            let se = 0.1 / (40.0 * *k as f64).sqrt();
            assert!(
                (mean - 0.1 * *c as f64).abs() < 4.0 * se,
                "channel {ch}, c {c}: {mean}"
            );
        }
        // Outside the stimulus the sensory channels are noise of mean 0 and std 0.1 on every step
        // (fixation, context, delay, decision: 28 steps): the sample std of 2 x 7200 x 28 values
        // has a relative standard error of 1 / sqrt(2 x 403 200).
        let outside: Vec<f64> = trials
            .iter()
            .flat_map(|t| {
                (0..68)
                    .filter(|s| !(22..62).contains(s))
                    .flat_map(move |s| [input(t, s, 0), input(t, s, 1)])
            })
            .collect();
        let n = outside.len() as f64;
        let mean = outside.iter().sum::<f64>() / n;
        let sd = (outside.iter().map(|x| x * x).sum::<f64>() / n).sqrt();
        assert!(mean.abs() < 4.0 * 0.1 / n.sqrt(), "{mean}");
        assert!((sd / 0.1 - 1.0).abs() < 4.0 / (2.0 * n).sqrt(), "{sd}");
    }
}
