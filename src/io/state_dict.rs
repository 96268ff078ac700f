//! From named tensors (a PyTorch state dict or an `.npz`) to a network, with the parameter names and
//! shapes of MODEL.md 1: `wi (S,N)`, `si (S)`, `m (N,R)`, `n (N,R)`, `wo (N,O)`, `so (O)`, `h0 (N)`,
//! optional `b (N)`; and back, for the writers.

use nalgebra::{DMatrix, DVector};

use super::IoErrorKind;
use super::tensor::{Dtype, Tensor, TensorMap, shown};
use crate::network::{Network, NetworkParts};

/// How many of the file's keys a "missing parameter" error lists.
const KEYS_SHOWN: usize = 12;

/// Builds a network from its named parameters.
///
/// Each parameter is found by its exact name or, failing that, as the unique key ending in
/// `.<name>` (a wrapper module's state dict has keys such as `rnn.m`). Every parameter is required
/// except `b` (optional, as in the published files) and `h0`, which defaults to zeros because every
/// published DMS network starts from the origin and some exports omit it. Tensor ranks are checked
/// here (naming the file's key); [`Network::new`] then checks that the shapes agree with each
/// other and that every value is finite. Other keys are ignored.
pub fn network_from_tensors(map: &TensorMap) -> Result<Network, IoErrorKind> {
    let m = matrix(required(map, "m")?)?;
    let neurons = m.nrows();
    let parts = NetworkParts {
        wi: matrix(required(map, "wi")?)?,
        si: vector(required(map, "si")?)?,
        n: matrix(required(map, "n")?)?,
        wo: matrix(required(map, "wo")?)?,
        so: vector(required(map, "so")?)?,
        h0: match optional(map, "h0")? {
            Some(found) => vector(found)?,
            None => DVector::zeros(neurons),
        },
        b: optional(map, "b")?.map(vector).transpose()?,
        m,
    };
    Ok(Network::new(parts)?)
}

/// The network's parameters as a state dict, the inverse of [`network_from_tensors`]: keys in the
/// order the published `LowRankRNN` registers them (`wi, si, m, n, wo, so, h0`, then `b` where the
/// network has one, as the later fork appends it), row-major values, each tagged `dtype` (the
/// precision the writer will store; the values themselves stay f64 here).
pub fn network_to_tensors(net: &Network, dtype: Dtype) -> TensorMap {
    let p = net.parts();
    let matrix = |m: &DMatrix<f64>| Tensor {
        shape: vec![m.nrows(), m.ncols()],
        data: m.transpose().as_slice().to_vec(),
        dtype,
    };
    let vector = |v: &DVector<f64>| Tensor {
        shape: vec![v.len()],
        data: v.as_slice().to_vec(),
        dtype,
    };
    let mut map = TensorMap::new();
    for (key, tensor) in [
        ("wi", matrix(&p.wi)),
        ("si", vector(&p.si)),
        ("m", matrix(&p.m)),
        ("n", matrix(&p.n)),
        ("wo", matrix(&p.wo)),
        ("so", vector(&p.so)),
        ("h0", vector(&p.h0)),
    ] {
        map.insert(key.to_owned(), tensor);
    }
    if let Some(b) = &p.b {
        map.insert("b".to_owned(), vector(b));
    }
    map
}

/// The parameter `name` (exact key, or the unique key ending in `.<name>`), if the file has it.
pub(super) fn optional<'m>(
    map: &'m TensorMap,
    name: &str,
) -> Result<Option<(&'m str, &'m Tensor)>, IoErrorKind> {
    map.find(name).map_err(|message| IoErrorKind::Key {
        key: name.to_owned(),
        message,
    })
}

/// The parameter `name`, or an error listing the file's keys.
pub(super) fn required<'m>(
    map: &'m TensorMap,
    name: &str,
) -> Result<(&'m str, &'m Tensor), IoErrorKind> {
    optional(map, name)?.ok_or_else(|| {
        let mut keys: Vec<String> = map.keys().take(KEYS_SHOWN).map(shown).collect();
        if map.len() > KEYS_SHOWN {
            keys.push("...".into());
        }
        IoErrorKind::Key {
            key: name.to_owned(),
            message: format!(
                "missing: the file has no `{name}` or `*.{name}` parameter (its keys: {})",
                keys.join(", ")
            ),
        }
    })
}

/// A 2-D tensor as a matrix of its shape, or an error naming the key.
pub(super) fn matrix((key, t): (&str, &Tensor)) -> Result<DMatrix<f64>, IoErrorKind> {
    match t.shape.as_slice() {
        &[rows, cols] if rows.checked_mul(cols) == Some(t.data.len()) => {
            Ok(DMatrix::from_row_slice(rows, cols, &t.data))
        }
        other => Err(shape_error(key, t, other, "a matrix (2-D)")),
    }
}

/// A 1-D tensor as a vector, or an error naming the key.
pub(super) fn vector((key, t): (&str, &Tensor)) -> Result<DVector<f64>, IoErrorKind> {
    match t.shape.as_slice() {
        &[len] if len == t.data.len() => Ok(DVector::from_column_slice(&t.data)),
        other => Err(shape_error(key, t, other, "a vector (1-D)")),
    }
}

/// The tensor does not have the rank we need (or, if built by hand, its data does not fill it).
fn shape_error(key: &str, t: &Tensor, shape: &[usize], expected: &str) -> IoErrorKind {
    IoErrorKind::Key {
        key: shown(key),
        message: format!(
            "has shape {shape:?} ({} values), expected {expected}",
            t.data.len()
        ),
    }
}
