//! What several benchmarks share (each bench includes this module with `mod common;`).

use lowrank_explorer::network::{Network, NetworkParts};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

/// A random rank-2 DMS-shaped network (gains of the fixture).
pub fn network(n: usize) -> Network {
    let mut rng = StdRng::seed_from_u64(1);
    let mut g = |rows, cols, scale: f64| {
        DMatrix::from_fn(rows, cols, |_, _| {
            scale * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)
        })
    };
    Network::new(NetworkParts {
        wi: g(2, n, 1.0),
        si: DVector::from_vec(vec![1.3, 0.7]),
        m: g(n, 2, 2.0),
        n: g(n, 2, 2.0),
        wo: g(n, 1, 1.0),
        so: DVector::from_element(1, 2.2),
        h0: DVector::zeros(n),
        b: None,
    })
    .expect("valid network")
}
