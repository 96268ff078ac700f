//! Reverse engineering (MODEL.md 5): from a trained network to a Gaussian-mixture population model,
//! and back by resampling networks from a model.
//!
//! - [`loadings`]: the loadings matrix of a network (MODEL.md 4 order) and its inverse;
//! - [`gmm`]: zero-mean, full-covariance Gaussian mixtures by EM, restarts and BIC;
//! - [`populations`]: [`fit_network`], from a network to a [`PopulationModel`](crate::reduced::PopulationModel);
//! - [`resample`]: networks drawn from a population model.

pub mod finetune;
pub mod gmm;
pub mod loadings;
pub mod populations;
pub mod resample;

pub use loadings::{loadings, model_dims, network_from_loadings};
pub use populations::{
    FitError, FitOptions, FitReport, LoadingBlocks, NetworkFit, PopulationCount, fit_network,
};
pub use resample::{ResampleError, resample_network};
