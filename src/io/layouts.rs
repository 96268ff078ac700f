//! The state-dict layouts of the papers' code (MODEL.md 7), told apart by their keys, and the
//! scaling convention the keys cannot tell.
//!
//! - `LowRankRNN` (`m`, `n`, ...): MODEL.md 1, with `1/N` in the recurrence and the readout. The
//!   papers' `OptimizedLowRankRNN` has the same keys and **no** `1/N` (its `m, n` are of order
//!   `1/sqrt(N)`): [`Scaling::None`] reads it as the equivalent MODEL.md 1 network
//!   `m' = sqrt(N) m`, `n' = sqrt(N) n`, `wo' = N wo`. Nothing in the file says which one it is,
//!   so the reader is told ([`ReadOptions::scaling`]) and [`scaling_warning`] says when the file's
//!   statistics point the other way.
//! - `FullRankRNN` (`wrec`): a [`FullRankNetwork`], or its rank-R truncation when asked for.
//! - `SupportLowRankRNN` (`gaussian_basis`, `supports`, ...): the network its basis and weights
//!   define, and the population model they parametrise (each support a population).

use std::fmt;
use std::str::FromStr;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::IoErrorKind;
use super::state_dict::{matrix, optional, required, vector};
use super::tensor::{Tensor, TensorMap, shown};
use crate::network::{FullRankNetwork, MAX_SMALL_DIM, Network, NetworkParts};
use crate::reduced::{ModelDims, Population, PopulationModel};

/// Whether the file's forward pass divides by `N` (MODEL.md 1, the papers' `LowRankRNN`) or not
/// (their `OptimizedLowRankRNN`, MODEL.md 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Scaling {
    #[default]
    #[serde(rename = "1/N")]
    OverN,
    #[serde(rename = "none")]
    None,
}

impl Scaling {
    /// The spellings accepted on the command line and in files.
    pub const NAMES: &str = "1/N or none";
}

impl fmt::Display for Scaling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scaling::OverN => "1/N",
            Scaling::None => "none",
        })
    }
}

impl FromStr for Scaling {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "1/n" => Ok(Scaling::OverN),
            "none" => Ok(Scaling::None),
            _ => Err(format!(
                "unknown scaling `{}`: use {}",
                shown(s),
                Self::NAMES
            )),
        }
    }
}

/// How to read a network file beyond its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadOptions {
    /// The convention of an `m, n` state dict; `None` means the file's own (a JSON network's
    /// `scaling` field) or else `1/N`.
    pub scaling: Option<Scaling>,
    /// Read a full-rank file as its rank-R truncation.
    pub truncate: Option<usize>,
    /// Read a `SupportLowRankRNN` file as its population model instead of its network.
    pub populations: bool,
}

/// The layouts of MODEL.md 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    LowRank,
    FullRank,
    Support,
}

impl Layout {
    /// The layout the keys name: `gaussian_basis` a support network, `wrec` a full-rank one,
    /// anything else `m, n`.
    pub fn of(map: &TensorMap) -> Result<Layout, IoErrorKind> {
        let has = |name: &str| optional(map, name).map(|t| t.is_some());
        Ok(if has("gaussian_basis")? {
            Layout::Support
        } else if has("wrec")? {
            Layout::FullRank
        } else {
            Layout::LowRank
        })
    }

    /// The papers' class name.
    pub fn class(self) -> &'static str {
        match self {
            Layout::LowRank => "LowRankRNN",
            Layout::FullRank => "FullRankRNN",
            Layout::Support => "SupportLowRankRNN",
        }
    }
}

/// `m, n` of an `OptimizedLowRankRNN` (no `1/N`) as MODEL.md 1's: `m' = sqrt(N) m`,
/// `n' = sqrt(N) n`, `wo' = N wo`, so that `(1/N) m' n'^T = m n^T` and
/// `(1/N) wo'^T tanh(h) = wo^T tanh(h)`.
pub fn rescaled(mut parts: NetworkParts, scaling: Scaling) -> NetworkParts {
    if scaling == Scaling::None {
        let nn = parts.m.nrows() as f64;
        parts.m *= nn.sqrt();
        parts.n *= nn.sqrt();
        parts.wo *= nn;
    }
    parts
}

/// Root mean square of the entries.
fn rms(values: &[f64]) -> f64 {
    (values.iter().map(|v| v * v).sum::<f64>() / values.len().max(1) as f64).sqrt()
}

/// A warning when a network read with `scaling` looks like the other convention.
///
/// Read as MODEL.md 1, the papers' networks have loadings `m, n` and readouts `w` of order 1 (their
/// initialisations draw them with standard deviation 1 to 4) and overlaps `n^T m / N` of order 1.
/// An `OptimizedLowRankRNN` read with `1/N` instead has `m, n` of order `1/sqrt(N)`, `w` of order
/// `1/sqrt(N)` or less and overlaps of order `1/N`; a `LowRankRNN` read with `none` has everything
/// `sqrt(N)` to `N` times too large. The test compares the geometric mean `g` of the RMS of `m`,
/// `n` and `w` with the midpoint of the two hypotheses on a log scale: `g < N^(-1/4)` suggests
/// `none`, `g > N^(1/4)` suggests `1/N`. Networks of fewer than 16 neurons are not judged.
pub fn scaling_warning(net: &Network, scaling: Scaling) -> Option<String> {
    let nn = net.dims().neurons;
    if nn < 16 {
        return None;
    }
    let scales = [
        rms(net.m().as_slice()),
        rms(net.n().as_slice()),
        rms(net.readout_vectors().as_slice()),
    ];
    let g = scales.iter().map(|s| s.max(1e-300).ln()).sum::<f64>() / 3.0;
    let threshold = 0.25 * (nn as f64).ln();
    let overlap = net.overlaps().amax();
    let stats = format!(
        "RMS of m, n and the readout {:.2e}, {:.2e}, {:.2e} and overlaps |n^T m / N| up to {overlap:.2e} at N = {nn}",
        scales[0], scales[1], scales[2]
    );
    match scaling {
        Scaling::OverN if g < -threshold => Some(format!(
            "read with 1/N (the papers' LowRankRNN), this network has {stats}, orders of magnitude \
             below 1: it looks like an OptimizedLowRankRNN, whose forward pass has no 1/N; if so, \
             read it with --scaling none"
        )),
        Scaling::None if g > threshold => Some(format!(
            "read with scaling none (the papers' OptimizedLowRankRNN), this network has {stats}, \
             orders of magnitude above 1: it looks like a LowRankRNN, whose forward pass has 1/N; \
             if so, read it with --scaling 1/N"
        )),
        _ => None,
    }
}

/// A `FullRankRNN` state dict (MODEL.md 7): `wi, si, wrec, wo, so`, optional `h0` (zeros).
pub fn full_rank_from_tensors(map: &TensorMap) -> Result<FullRankNetwork, IoErrorKind> {
    let wrec = matrix(required(map, "wrec")?)?;
    let neurons = wrec.nrows();
    Ok(FullRankNetwork::new(
        matrix(required(map, "wi")?)?,
        vector(required(map, "si")?)?,
        wrec,
        matrix(required(map, "wo")?)?,
        vector(required(map, "so")?)?,
        match optional(map, "h0")? {
            Some(found) => vector(found)?,
            None => DVector::zeros(neurons),
        },
    )?)
}

/// The parameters of a `SupportLowRankRNN` state dict, checked against each other.
///
/// Shapes (MODEL.md 7): `gaussian_basis (b, N)`, `supports (P, N)` of 0/1 with each neuron in at
/// most one support, `weights (P)` in `[0, 1]`, `m_weights`/`n_weights (R, P, b)`, `wi_weights (S, P, b)`,
/// `wo_weights (O, P, b)`, and optional (zero when absent) `m_biases`/`n_biases (R, P)`,
/// `wi_biases (S, P)`, `h0_weights (P, b)`.
pub struct SupportNetwork {
    basis: DMatrix<f64>,
    /// The population of each neuron, `None` outside every support.
    population_of: Vec<Option<usize>>,
    fractions: Vec<f64>,
    m: Weights,
    n: Weights,
    wi: Weights,
    wo: Weights,
    h0: DMatrix<f64>,
}

/// The weights `(K, P, b)` and biases `(K, P)` of one kind of loading.
struct Weights {
    /// `[k][p]` is the row of length `b`.
    rows: Vec<Vec<Vec<f64>>>,
    biases: DMatrix<f64>,
}

impl Weights {
    /// Loading `k` of neuron `i` in population `p`: `rows[k][p] . g_i + biases[k, p]`.
    fn loading(&self, k: usize, p: usize, g: &[f64]) -> f64 {
        self.rows[k][p]
            .iter()
            .zip(g)
            .map(|(w, x)| w * x)
            .sum::<f64>()
            + self.biases[(k, p)]
    }
}

fn key_error(key: &str, message: String) -> IoErrorKind {
    IoErrorKind::Key {
        key: key.to_owned(),
        message,
    }
}

/// A `(K, P, b)` tensor with its optional `(K, P)` biases; `k` is `None` where any `K` will do.
fn weights(
    map: &TensorMap,
    name: &str,
    bias: Option<&str>,
    k: Option<usize>,
    pops: usize,
    basis: usize,
) -> Result<Weights, IoErrorKind> {
    let (key, t): (&str, &Tensor) = required(map, name)?;
    let filled = |kk: usize| {
        kk.checked_mul(pops)
            .and_then(|x| x.checked_mul(basis))
            .is_some_and(|len| len == t.data.len())
    };
    let kk = match t.shape.as_slice() {
        &[kk, p, b]
            if p == pops
                && b == basis
                && k.is_none_or(|k| k == kk)
                && (1..=MAX_SMALL_DIM).contains(&kk)
                && filled(kk) =>
        {
            kk
        }
        other => {
            let first = k.map_or("K".to_owned(), |k| k.to_string());
            return Err(key_error(
                &shown(key),
                format!(
                    "has shape {other:?}, expected ({first}, {pops}, {basis}) with 1 <= {first} <= \
                     {MAX_SMALL_DIM}: one row of the basis's {basis} weights per loading and support"
                ),
            ));
        }
    };
    let rows = (0..kk)
        .map(|k| {
            (0..pops)
                .map(|p| t.data[(k * pops + p) * basis..][..basis].to_vec())
                .collect()
        })
        .collect();
    let biases = match bias.map(|b| optional(map, b)).transpose()?.flatten() {
        Some(found) => {
            let key = shown(found.0);
            let b = matrix(found)?;
            if b.shape() != (kk, pops) {
                return Err(key_error(
                    &key,
                    format!("has shape {:?}, expected ({kk}, {pops})", b.shape()),
                ));
            }
            b
        }
        None => DMatrix::zeros(kk, pops),
    };
    Ok(Weights { rows, biases })
}

impl SupportNetwork {
    pub fn from_tensors(map: &TensorMap) -> Result<Self, IoErrorKind> {
        let basis = matrix(required(map, "gaussian_basis")?)?;
        let (b, neurons) = basis.shape();
        if b == 0 || neurons == 0 {
            return Err(key_error(
                "gaussian_basis",
                format!("has shape ({b}, {neurons}): it needs at least one row and one neuron"),
            ));
        }
        let supports_found = required(map, "supports")?;
        let supports = matrix(supports_found)?;
        let pops = supports.nrows();
        if supports.ncols() != neurons || !(1..=MAX_SMALL_DIM).contains(&pops) {
            return Err(key_error(
                "supports",
                format!(
                    "has shape {:?}, expected (P, {neurons}) with 1 <= P <= {MAX_SMALL_DIM}, as \
                     many neurons as gaussian_basis",
                    supports.shape()
                ),
            ));
        }
        let mut population_of = vec![None; neurons];
        for (i, slot) in population_of.iter_mut().enumerate() {
            for p in 0..pops {
                match supports[(p, i)] {
                    0.0 => {}
                    1.0 if slot.is_none() => *slot = Some(p),
                    1.0 => {
                        return Err(key_error(
                            "supports",
                            format!(
                                "neuron {i} is in two supports ({} and {p})",
                                slot.unwrap_or(0)
                            ),
                        ));
                    }
                    v => {
                        return Err(key_error(
                            "supports",
                            format!("entry [{p}, {i}] is {v}, expected 0 or 1"),
                        ));
                    }
                }
            }
        }
        let fractions: Vec<f64> = vector(required(map, "weights")?)?.iter().copied().collect();
        if fractions.len() != pops {
            return Err(key_error(
                "weights",
                format!(
                    "has {} values, expected one per support ({pops})",
                    fractions.len()
                ),
            ));
        }
        if let Some((p, w)) = fractions
            .iter()
            .enumerate()
            .find(|(_, w)| !(0.0..=1.0).contains(*w))
        {
            return Err(key_error(
                "weights",
                format!("fraction {p} is {w}, expected a value in [0, 1]"),
            ));
        }
        let m = weights(map, "m_weights", Some("m_biases"), None, pops, b)?;
        let rank = m.rows.len();
        let n = weights(map, "n_weights", Some("n_biases"), Some(rank), pops, b)?;
        let wi = weights(map, "wi_weights", Some("wi_biases"), None, pops, b)?;
        let wo = weights(map, "wo_weights", None, None, pops, b)?;
        let h0 = match optional(map, "h0_weights")? {
            Some(found) => {
                let h0 = matrix(found)?;
                if h0.shape() != (pops, b) {
                    return Err(key_error(
                        "h0_weights",
                        format!("has shape {:?}, expected ({pops}, {b})", h0.shape()),
                    ));
                }
                h0
            }
            None => DMatrix::zeros(pops, b),
        };
        Ok(Self {
            basis,
            population_of,
            fractions,
            m,
            n,
            wi,
            wo,
            h0,
        })
    }

    /// The equivalent MODEL.md 1 network: neuron `i` of support `p` has
    /// `m_r[i] = sqrt(N) (m_weights[r, p] . g_i + m_biases[r, p])` (likewise `n`),
    /// `wi[s, i] = wi_weights[s, p] . g_i + wi_biases[s, p]`, `wo[i, o] = N wo_weights[o, p] . g_i`,
    /// `h0[i] = h0_weights[p] . g_i`, `si = so = 1`; a neuron outside every support has zeros.
    pub fn network(&self) -> Result<Network, IoErrorKind> {
        let (b, nn) = self.basis.shape();
        let root_n = (nn as f64).sqrt();
        let (r, s, o) = (self.m.rows.len(), self.wi.rows.len(), self.wo.rows.len());
        let mut parts = NetworkParts {
            wi: DMatrix::zeros(s, nn),
            si: DVector::from_element(s, 1.0),
            m: DMatrix::zeros(nn, r),
            n: DMatrix::zeros(nn, r),
            wo: DMatrix::zeros(nn, o),
            so: DVector::from_element(o, 1.0),
            h0: DVector::zeros(nn),
            b: None,
        };
        for (i, pop) in self.population_of.iter().enumerate() {
            let Some(p) = *pop else { continue };
            let g: Vec<f64> = self.basis.column(i).iter().copied().collect();
            for k in 0..r {
                parts.m[(i, k)] = root_n * self.m.loading(k, p, &g);
                parts.n[(i, k)] = root_n * self.n.loading(k, p, &g);
            }
            for k in 0..s {
                parts.wi[(k, i)] = self.wi.loading(k, p, &g);
            }
            for k in 0..o {
                parts.wo[(i, k)] = nn as f64 * self.wo.loading(k, p, &g);
            }
            parts.h0[i] = (0..b).map(|j| self.h0[(p, j)] * g[j]).sum();
        }
        Ok(Network::new(parts)?)
    }

    /// The population model the file parametrises (MODEL.md 7): support `p` is population `p`
    /// with fraction `weights[p]`; its loadings `(m, n, I, w)` (MODEL.md 4 order, scaled as in
    /// [`SupportNetwork::network`]) are `W_p g + beta_p` with `g ~ N(0, Id_b)`, so their mean is
    /// `beta_p` and their covariance `W_p W_p^T`.
    pub fn populations(&self) -> Result<PopulationModel, IoErrorKind> {
        let nn = self.basis.ncols() as f64;
        let dims = ModelDims {
            rank: self.m.rows.len(),
            inputs: self.wi.rows.len(),
            outputs: self.wo.rows.len(),
        };
        let blocks: [(&Weights, f64); 4] = [
            (&self.m, nn.sqrt()),
            (&self.n, nn.sqrt()),
            (&self.wi, 1.0),
            (&self.wo, nn),
        ];
        let b = self.basis.nrows();
        let populations = (0..self.fractions.len())
            .map(|p| {
                let mut rows: Vec<f64> = Vec::new();
                let mut mean: Vec<f64> = Vec::new();
                for (w, scale) in blocks {
                    for k in 0..w.rows.len() {
                        rows.extend(w.rows[k][p].iter().map(|x| scale * x));
                        mean.push(scale * w.biases[(k, p)]);
                    }
                }
                let w_p = DMatrix::from_row_slice(dims.loadings(), b, &rows);
                Population {
                    mean: DVector::from_vec(mean),
                    ..Population::zero_mean(
                        format!("support {}", p + 1),
                        self.fractions[p],
                        &w_p * w_p.transpose(),
                    )
                }
            })
            .collect();
        let inputs = (1..=dims.inputs).map(|s| format!("I{s}")).collect();
        PopulationModel::new(dims, inputs, populations)
            .map_err(|e| key_error("weights", format!("the supports' population model: {e}")))
    }
}
