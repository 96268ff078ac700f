//! Random initialisation of a network to train (MODEL.md 6 allows one instead of the papers' SVD of a
//! pre-trained full-rank network, provided it reaches the same accuracy: see `assets/networks/README.md`).

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::TrainError;
use super::config::InitConfig;
use crate::network::{Dims, Network, NetworkParts};

/// `wi ~ N(0, wi_std^2)` (S, N), `m ~ N(0, m_std^2)`, `n = mn_overlap m + N(0, n_std^2)` (N, R),
/// `wo ~ N(0, wo_std^2)` (N, O), `si, so` constant, `h0 = 0`, no bias. Drawn in that order, column by
/// column, from `rng`.
pub fn random_network<R: Rng + ?Sized>(
    dims: Dims,
    init: &InitConfig,
    rng: &mut R,
) -> Result<Network, TrainError> {
    let mut gaussian = |rows: usize, cols: usize, std: f64| {
        DMatrix::from_fn(rows, cols, |_, _| {
            let z: f64 = StandardNormal.sample(rng);
            std * z
        })
    };
    let (nn, r, s, o) = (dims.neurons, dims.rank, dims.inputs, dims.outputs);
    let wi = gaussian(s, nn, init.wi_std);
    let m = gaussian(nn, r, init.m_std);
    let n = gaussian(nn, r, init.n_std) + &m * init.mn_overlap;
    let wo = gaussian(nn, o, init.wo_std);
    Network::new(NetworkParts {
        wi,
        si: DVector::from_element(s, init.si),
        m,
        n,
        wo,
        so: DVector::from_element(o, init.so),
        h0: DVector::zeros(nn),
        b: None,
    })
    .map_err(|e| TrainError::Config(format!("initial network: {e}")))
}
