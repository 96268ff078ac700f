//! The parameters training can change, and flat per-parameter vectors (gradients, Adam moments) laid
//! out exactly like the storage of [`NetworkParts`], so that an update is one loop over a slice.

use serde::{Deserialize, Serialize};

use crate::network::NetworkParts;

/// A parameter of MODEL.md 1 by its published name (the bias `b` is never trained).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Param {
    Wi,
    Si,
    M,
    N,
    Wo,
    So,
    H0,
}

impl Param {
    pub const ALL: [Param; 7] = [
        Param::Wi,
        Param::Si,
        Param::M,
        Param::N,
        Param::Wo,
        Param::So,
        Param::H0,
    ];
    /// The papers' DMS recipe trains `m, n, si, so` (MODEL.md 6).
    pub const PUBLISHED: [Param; 4] = [Param::M, Param::N, Param::Si, Param::So];

    /// The published name (`"wi"`, `"m"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Param::Wi => "wi",
            Param::Si => "si",
            Param::M => "m",
            Param::N => "n",
            Param::Wo => "wo",
            Param::So => "so",
            Param::H0 => "h0",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The values of this parameter in `parts`, in nalgebra's (column-major) storage order.
    pub fn values(self, parts: &NetworkParts) -> &[f64] {
        match self {
            Param::Wi => parts.wi.as_slice(),
            Param::Si => parts.si.as_slice(),
            Param::M => parts.m.as_slice(),
            Param::N => parts.n.as_slice(),
            Param::Wo => parts.wo.as_slice(),
            Param::So => parts.so.as_slice(),
            Param::H0 => parts.h0.as_slice(),
        }
    }

    /// Mutable [`Param::values`].
    pub fn values_mut(self, parts: &mut NetworkParts) -> &mut [f64] {
        match self {
            Param::Wi => parts.wi.as_mut_slice(),
            Param::Si => parts.si.as_mut_slice(),
            Param::M => parts.m.as_mut_slice(),
            Param::N => parts.n.as_mut_slice(),
            Param::Wo => parts.wo.as_mut_slice(),
            Param::So => parts.so.as_mut_slice(),
            Param::H0 => parts.h0.as_mut_slice(),
        }
    }
}

/// One flat vector per [`Param`], each with the length and order of [`Param::values`]: gradients and
/// optimiser moments.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamVecs {
    vecs: [Vec<f64>; 7],
}

impl ParamVecs {
    /// Zeros shaped like every parameter of `parts`.
    pub fn zeros_like(parts: &NetworkParts) -> Self {
        Self {
            vecs: Param::ALL.map(|p| vec![0.0; p.values(parts).len()]),
        }
    }

    pub fn get(&self, p: Param) -> &[f64] {
        &self.vecs[p.index()]
    }

    pub fn get_mut(&mut self, p: Param) -> &mut [f64] {
        &mut self.vecs[p.index()]
    }

    /// Euclidean norm over the parameters `which` (the "total norm" of `clip_grad_norm_`: the norm of
    /// the per-parameter norms).
    pub fn norm(&self, which: &[Param]) -> f64 {
        which
            .iter()
            .map(|&p| {
                let v = self.get(p);
                crate::kernels::dot(v, v)
            })
            .sum::<f64>()
            .sqrt()
    }
}
