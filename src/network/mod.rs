//! The low-rank rate network of MODEL.md 1: its parameters, validated once at construction.
//!
//! Parameters keep the published `LowRankRNN` names and shapes (`wi (S,N)`, `si (S)`, `m (N,R)`,
//! `n (N,R)`, `wo (N,O)`, `so (O)`, `h0 (N)`, optional `b (N)`), in f64. A [`Network`] can only be built
//! from [`NetworkParts`] that pass [`NetworkParts::validate`], so every other module may rely on
//! consistent shapes and finite values.

mod full_rank;
mod latent;
mod simulate;
#[cfg(test)]
pub(crate) mod testing;

pub use full_rank::{FullRankNetwork, Truncation};
pub use latent::{Projection, Projector};
pub use simulate::{Recording, SimOptions, Simulator, TrialRun, trial_seed};

use nalgebra::{DMatrix, DVector};
use thiserror::Error;

/// Euler step `alpha = dt / tau` of every published network (dt = 20 ms, tau = 100 ms).
pub const ALPHA: f64 = 0.2;
/// Time step of the trained networks, in ms.
pub const DT_MS: f64 = 20.0;
/// Membrane time constant, in ms.
pub const TAU_MS: f64 = 100.0;
/// Network noise `sigma_noise` of the published DMS networks.
pub const PUBLISHED_NOISE_STD: f64 = 0.05;

/// Largest number of neurons we accept (262,144): loaders check shapes against it before
/// allocating. It is about what every command handles in seconds (`analyze` of a rank-2 network of
/// this size takes 4 s on two cores), 64 times the published networks.
pub const MAX_NEURONS: usize = 1 << 18;
/// Largest rank, input count and output count we accept (the science uses 1-4).
pub const MAX_SMALL_DIM: usize = 64;

/// Why a set of parameters is not a network. The loaders wrap it with the file name.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum NetworkError {
    #[error("parameter `{name}` has shape {got:?}, expected {expected}")]
    Shape {
        name: &'static str,
        got: Vec<usize>,
        expected: String,
    },
    #[error("parameter `{name}` has a non-finite value ({value}) at index {index:?}")]
    NonFinite {
        name: &'static str,
        /// The index in the parameter's published (PyTorch) shape: `[i]` or `[row, col]`.
        index: Vec<usize>,
        value: f64,
    },
    #[error("the network has no neurons (N = 0)")]
    Empty,
    #[error("{what} = {value} is outside the supported range 1..={max}")]
    TooLarge {
        what: &'static str,
        value: usize,
        max: usize,
    },
}

/// Plain, unchecked parameters with the published names and shapes; turn into a [`Network`] with
/// [`Network::new`]. Matrices are nalgebra (column-major) with PyTorch's shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkParts {
    pub wi: DMatrix<f64>,
    pub si: DVector<f64>,
    pub m: DMatrix<f64>,
    pub n: DMatrix<f64>,
    pub wo: DMatrix<f64>,
    pub so: DVector<f64>,
    pub h0: DVector<f64>,
    pub b: Option<DVector<f64>>,
}

/// The dimensions of a network: neurons, rank, input channels, outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Dims {
    pub neurons: usize,
    pub rank: usize,
    pub inputs: usize,
    pub outputs: usize,
}

impl NetworkParts {
    /// Dimensions implied by `m (N,R)`, `wi (S,·)` and `wo (·,O)`.
    pub fn dims(&self) -> Dims {
        Dims {
            neurons: self.m.nrows(),
            rank: self.m.ncols(),
            inputs: self.wi.nrows(),
            outputs: self.wo.ncols(),
        }
    }

    /// Checks shapes against each other, sizes against the limits, and that every value is finite.
    pub fn validate(&self) -> Result<Dims, NetworkError> {
        let d = self.dims();
        if d.neurons == 0 {
            return Err(NetworkError::Empty);
        }
        if d.neurons > MAX_NEURONS {
            return Err(NetworkError::TooLarge {
                what: "N",
                value: d.neurons,
                max: MAX_NEURONS,
            });
        }
        for (what, value) in [
            ("rank", d.rank),
            ("inputs", d.inputs),
            ("outputs", d.outputs),
        ] {
            if value == 0 || value > MAX_SMALL_DIM {
                return Err(NetworkError::TooLarge {
                    what,
                    value,
                    max: MAX_SMALL_DIM,
                });
            }
        }
        let (nn, r, s, o) = (d.neurons, d.rank, d.inputs, d.outputs);
        check_shape("wi", self.wi.shape(), (s, nn), format!("({s}, {nn})"))?;
        check_shape("si", (self.si.len(), 1), (s, 1), format!("({s},)"))?;
        check_shape("m", self.m.shape(), (nn, r), format!("({nn}, {r})"))?;
        check_shape("n", self.n.shape(), (nn, r), format!("({nn}, {r}) like m"))?;
        check_shape("wo", self.wo.shape(), (nn, o), format!("({nn}, {o})"))?;
        check_shape("so", (self.so.len(), 1), (o, 1), format!("({o},)"))?;
        check_shape("h0", (self.h0.len(), 1), (nn, 1), format!("({nn},)"))?;
        if let Some(b) = &self.b {
            check_shape("b", (b.len(), 1), (nn, 1), format!("({nn},)"))?;
        }
        check_finite_matrix("wi", &self.wi)?;
        check_finite_vector("si", &self.si)?;
        check_finite_matrix("m", &self.m)?;
        check_finite_matrix("n", &self.n)?;
        check_finite_matrix("wo", &self.wo)?;
        check_finite_vector("so", &self.so)?;
        check_finite_vector("h0", &self.h0)?;
        if let Some(b) = &self.b {
            check_finite_vector("b", b)?;
        }
        Ok(d)
    }
}

fn check_shape(
    name: &'static str,
    got: (usize, usize),
    expected: (usize, usize),
    expected_text: String,
) -> Result<(), NetworkError> {
    if got == expected {
        Ok(())
    } else {
        let got = if expected.1 == 1 && got.1 == 1 {
            vec![got.0]
        } else {
            vec![got.0, got.1]
        };
        Err(NetworkError::Shape {
            name,
            got,
            expected: expected_text,
        })
    }
}

fn check_finite_vector(name: &'static str, values: &DVector<f64>) -> Result<(), NetworkError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(NetworkError::NonFinite {
            name,
            index: vec![i],
            value: values[i],
        }),
    }
}

/// Reports the first non-finite entry in row-major order, as `[row, col]`.
fn check_finite_matrix(name: &'static str, values: &DMatrix<f64>) -> Result<(), NetworkError> {
    for row in 0..values.nrows() {
        for col in 0..values.ncols() {
            let value = values[(row, col)];
            if !value.is_finite() {
                return Err(NetworkError::NonFinite {
                    name,
                    index: vec![row, col],
                    value,
                });
            }
        }
    }
    Ok(())
}

/// A validated low-rank network (MODEL.md 1), with its gain-scaled vectors precomputed.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    parts: NetworkParts,
    dims: Dims,
    /// Effective input vectors `I_s = wi[s] * si[s]`, one column per channel (N x S).
    inputs: DMatrix<f64>,
    /// Effective readouts `w_o = wo[:, o] * so[o]` (N x O).
    readouts: DMatrix<f64>,
}

impl Network {
    /// Validates `parts` and precomputes the effective input and readout vectors.
    pub fn new(parts: NetworkParts) -> Result<Self, NetworkError> {
        let dims = parts.validate()?;
        let inputs = DMatrix::from_fn(dims.neurons, dims.inputs, |i, s| {
            parts.wi[(s, i)] * parts.si[s]
        });
        let readouts = DMatrix::from_fn(dims.neurons, dims.outputs, |i, o| {
            parts.wo[(i, o)] * parts.so[o]
        });
        Ok(Self {
            parts,
            dims,
            inputs,
            readouts,
        })
    }

    pub fn dims(&self) -> Dims {
        self.dims
    }
    pub fn parts(&self) -> &NetworkParts {
        &self.parts
    }
    pub fn into_parts(self) -> NetworkParts {
        self.parts
    }
    /// `m (N, R)`.
    pub fn m(&self) -> &DMatrix<f64> {
        &self.parts.m
    }
    /// `n (N, R)`.
    pub fn n(&self) -> &DMatrix<f64> {
        &self.parts.n
    }
    /// Effective input vectors `I_s = wi[s] si[s]` as columns (N x S).
    pub fn input_vectors(&self) -> &DMatrix<f64> {
        &self.inputs
    }
    /// Effective readout vectors `w_o = wo[:, o] so[o]` as columns (N x O).
    pub fn readout_vectors(&self) -> &DMatrix<f64> {
        &self.readouts
    }
    pub fn h0(&self) -> &DVector<f64> {
        &self.parts.h0
    }
    pub fn bias(&self) -> Option<&DVector<f64>> {
        self.parts.b.as_ref()
    }

    /// Overlaps `n_r^T m_l / N` (R x R, row = n, column = m as in MODEL.md 4).
    pub fn overlaps(&self) -> DMatrix<f64> {
        self.parts.n.transpose() * &self.parts.m / self.dims.neurons as f64
    }

    /// SVD re-parametrisation of MODEL.md 2: `m n^T = U S V^T`, `m = U_R sqrt(S_R)`,
    /// `n = V_R sqrt(S_R)`, with `m_r, n_r` flipped together so that `sum_i m_ir > 0`.
    ///
    /// The dynamics are unchanged (`m n^T` is preserved); the latent axes become orthogonal. Computed
    /// from the thin QR factors of `m` and `n`, so it costs O(N R^2), never an N x N matrix.
    /// Fails only if the factors overflow to non-finite values.
    pub fn svd_reparametrised(&self) -> Result<Network, NetworkError> {
        let (m, n) = latent::svd_factors(&self.parts.m, &self.parts.n);
        Network::new(NetworkParts {
            m,
            n,
            ..self.parts.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(n: usize) -> NetworkParts {
        NetworkParts {
            wi: DMatrix::from_element(2, n, 0.5),
            si: DVector::from_element(2, 1.0),
            m: DMatrix::from_fn(n, 2, |i, r| (i + r) as f64),
            n: DMatrix::from_element(n, 2, 1.0),
            wo: DMatrix::from_element(n, 1, 1.0),
            so: DVector::from_element(1, 1.0),
            h0: DVector::zeros(n),
            b: None,
        }
    }

    #[test]
    fn non_finite_values_are_reported_at_their_pytorch_index() {
        let mut p = parts(4);
        p.m[(3, 1)] = f64::NAN;
        let err = Network::new(p).unwrap_err();
        assert!(
            err.to_string().contains("`m`") && err.to_string().contains("[3, 1]"),
            "{err}"
        );
        let mut p = parts(4);
        p.h0[2] = f64::INFINITY;
        assert!(Network::new(p).unwrap_err().to_string().contains("`h0`"));
    }

    #[test]
    fn shapes_are_checked_against_each_other() {
        let mut p = parts(4);
        p.n = DMatrix::zeros(4, 3);
        let err = Network::new(p).unwrap_err();
        assert!(err.to_string().contains("`n`"), "{err}");
        let mut p = parts(4);
        p.wi = DMatrix::zeros(2, 5);
        assert!(Network::new(p).unwrap_err().to_string().contains("`wi`"));
        let p = NetworkParts {
            m: DMatrix::zeros(0, 2),
            ..parts(4)
        };
        assert_eq!(Network::new(p).unwrap_err(), NetworkError::Empty);
        let net = Network::new(parts(4)).unwrap();
        assert_eq!(
            net.dims(),
            Dims {
                neurons: 4,
                rank: 2,
                inputs: 2,
                outputs: 1
            }
        );
        assert_eq!(net.input_vectors().shape(), (4, 2));
    }
}
