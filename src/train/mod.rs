//! Training low-rank networks by backpropagation through time (MODEL.md 1 and 6).
//!
//! - [`bptt`]: forward pass through the exact discrete update (noise included) and its analytic
//!   gradient, O(N R) per step, parallel over trials with a thread-count-independent reduction;
//! - [`real`]: the arithmetic of the passes, `f32` (default, as PyTorch) or `f64` (exact);
//! - [`noise`]: fast vectorised Gaussian draws for the training noise;
//! - [`adam`]: PyTorch's Adam and `clip_grad_norm_`;
//! - [`config`]: the papers' recipes (DMS shaping stages, decision, PWM) and their JSON overrides;
//! - [`trainer`]: stages, epochs, keep-best, early stopping, progress and cancellation;
//! - [`mod@evaluate`]: loss and accuracy on fresh noisy trials.

pub mod adam;
pub mod bptt;
pub mod config;
pub mod evaluate;
mod init;
pub mod noise;
pub mod params;
pub mod real;
pub mod trainer;

pub use adam::{Adam, FlatAdam, clip_grad_norm, clip_norm};
pub use bptt::{BatchGradient, batch_gradient};
pub use config::{InitConfig, Recipe, StageConfig, TrainConfig, TrainTask};
pub use evaluate::{Evaluation, evaluate, evaluate_trials};
pub use init::random_network;
pub use params::{Param, ParamVecs};
pub use real::Precision;
pub use trainer::{EpochReport, Progress, StageReport, TrainOutcome, train};

use thiserror::Error;

/// Why a training run could not start or finish.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TrainError {
    #[error("training config: {0}")]
    Config(String),
    #[error("training diverged in stage {stage}, epoch {epoch}: {reason}")]
    Diverged {
        stage: usize,
        epoch: usize,
        reason: String,
    },
}
