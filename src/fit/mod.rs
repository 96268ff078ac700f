//! Reverse engineering (MODEL.md 5): from a trained network to a Gaussian-mixture population model,
//! and back by resampling networks from a model.

pub mod gmm;
pub mod loadings;
pub mod resample;

pub use loadings::{loadings, model_dims, network_from_loadings};
pub use resample::{ResampleError, resample_network};
