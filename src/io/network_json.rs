//! The project's own network file (MODEL.md 7): versioned JSON, exact on round trip.
//!
//! ```json
//! {"format": "lowrank-explorer/network", "version": 1,
//!  "neurons": N, "rank": R, "inputs": S, "outputs": O,
//!  "wi": [[..N..] x S], "si": [..S..], "m": [[..R..] x N], "n": [[..R..] x N],
//!  "wo": [[..O..] x N], "so": [..O..], "h0": [..N..], "b": [..N..] (optional),
//!  "scaling": "1/N" or "none" (optional, read only), "meta": {..} (optional, free-form)}
//! ```
//!
//! Matrices are lists of rows with the shapes of MODEL.md 1. Floats are written as the shortest
//! decimal that reads back to the same f64 and parsed exactly (serde_json's `float_roundtrip`), so
//! save then load is bitwise. `meta` is any JSON object (provenance such as the training command)
//! and is kept on round trip. The dimensions are stated explicitly so that a truncated or edited
//! file is caught with a message naming the parameter, not only by a shape mismatch.

use nalgebra::{DMatrix, DVector};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::IoErrorKind;
use super::layouts::{Scaling, rescaled, scaling_warning};
use crate::network::{Network, NetworkParts};

/// The `format` tag of a network file.
pub const NETWORK_FORMAT: &str = "lowrank-explorer/network";
/// The newest (and only) version this build reads and writes.
pub const NETWORK_VERSION: u32 = 1;

/// Free-form metadata kept with a network.
pub type Meta = serde_json::Map<String, serde_json::Value>;

/// A network with the metadata its file carries. Files other than the project's JSON have no
/// metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkFile {
    pub network: Network,
    pub meta: Option<Meta>,
}

/// The file as written. Reading goes field by field through a [`serde_json::Value`] instead, so
/// that every error names its field (serde's own messages give only a line and column).
#[derive(Serialize)]
struct NetworkJson<'a> {
    format: String,
    version: u32,
    neurons: usize,
    rank: usize,
    inputs: usize,
    outputs: usize,
    wi: Vec<Vec<f64>>,
    si: Vec<f64>,
    m: Vec<Vec<f64>>,
    n: Vec<Vec<f64>>,
    wo: Vec<Vec<f64>>,
    so: Vec<f64>,
    h0: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<&'a Meta>,
}

/// The fields of version 1, in file order. Any other field is an error (a misspelt `b` must not
/// be silently ignored); free-form data belongs in `meta`.
const FIELDS: [&str; 16] = [
    "format", "version", "neurons", "rank", "inputs", "outputs", "wi", "si", "m", "n", "wo", "so",
    "h0", "b", "scaling", "meta",
];

/// Serialises a network and its metadata (compact JSON with a trailing newline).
pub fn to_json(network: &Network, meta: Option<&Meta>) -> Result<Vec<u8>, IoErrorKind> {
    let parts = network.parts();
    let d = network.dims();
    // Every number is copied into rows (8 bytes, plus a row header per neuron of `m`, `n` and
    // `wo`) and printed (at most 24 bytes): 48 bytes a number is a safe bound.
    let numbers = d.neurons * (2 * d.rank + d.inputs + d.outputs + 2);
    crate::budget::check(
        format!("writing a network of N = {} as JSON", d.neurons),
        crate::budget::bytes(numbers, 48),
        "write a smaller network",
    )
    .map_err(|e| IoErrorKind::Format(e.to_string()))?;
    let rows = |m: &DMatrix<f64>| -> Vec<Vec<f64>> {
        m.row_iter().map(|r| r.iter().copied().collect()).collect()
    };
    let vec = |v: &DVector<f64>| -> Vec<f64> { v.iter().copied().collect() };
    let json = NetworkJson {
        format: NETWORK_FORMAT.to_owned(),
        version: NETWORK_VERSION,
        neurons: d.neurons,
        rank: d.rank,
        inputs: d.inputs,
        outputs: d.outputs,
        wi: rows(&parts.wi),
        si: vec(&parts.si),
        m: rows(&parts.m),
        n: rows(&parts.n),
        wo: rows(&parts.wo),
        so: vec(&parts.so),
        h0: vec(&parts.h0),
        b: parts.b.as_ref().map(vec),
        meta,
    };
    let mut out = serde_json::to_vec(&json).map_err(|e| IoErrorKind::Format(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

/// Parses a network file, checking its tag and version first (so that a file of another kind or
/// a newer version is reported as such), then its fields, declared dimensions and the network.
///
/// An optional `"scaling"` field, `"1/N"` (the default) or `"none"`, says whether `m, n, wo` are
/// those of MODEL.md 1 or of the papers' `OptimizedLowRankRNN` (no `1/N`, MODEL.md 7), which are
/// rescaled on reading ([`super::layouts::rescaled`]); `scaling` (the reader's explicit choice)
/// must agree with it. The notes are what [`scaling_warning`] finds.
pub fn parse_network_json(
    bytes: &[u8],
    scaling: Option<Scaling>,
) -> Result<(NetworkFile, Vec<String>), IoErrorKind> {
    let format = IoErrorKind::Format;
    let not_ours = |why: String| {
        format(format!(
            "not a lowrank-explorer network file (expected {{\"format\": \"{NETWORK_FORMAT}\", \
             \"version\": {NETWORK_VERSION}, ...}}): {why}"
        ))
    };
    crate::budget::check_json(bytes.len()).map_err(|e| format(e.to_string()))?;
    let value: Value = serde_json::from_slice(bytes).map_err(|e| not_ours(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(not_ours("the JSON is not an object".into()));
    };
    let tag: String = field(&obj, "format").map_err(|e| not_ours(e.to_string()))?;
    if tag != NETWORK_FORMAT {
        return Err(format(format!(
            "the file's format is `{}`, not `{NETWORK_FORMAT}`",
            super::tensor::shown(&tag)
        )));
    }
    let version: u64 = field(&obj, "version")?;
    if version != u64::from(NETWORK_VERSION) {
        let newer = if version > u64::from(NETWORK_VERSION) {
            " (written by a newer lowrank-explorer)"
        } else {
            ""
        };
        return Err(format(format!(
            "network file version {version}{newer} is not supported: this build reads version \
             {NETWORK_VERSION}"
        )));
    }
    if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format(format!(
            "unknown field `{}`; version {NETWORK_VERSION} has only {} (put free-form data in `meta`)",
            super::tensor::shown(unknown),
            FIELDS.join(", ")
        )));
    }
    let neurons: usize = field(&obj, "neurons")?;
    let rank: usize = field(&obj, "rank")?;
    let inputs: usize = field(&obj, "inputs")?;
    let outputs: usize = field(&obj, "outputs")?;
    let optional_b: Option<Vec<f64>> = optional(&obj, "b")?;
    let declared = optional::<String>(&obj, "scaling")?
        .map(|s| {
            s.parse::<Scaling>().map_err(|message| IoErrorKind::Key {
                key: "scaling".into(),
                message,
            })
        })
        .transpose()?;
    let scaling = match (declared, scaling) {
        (Some(file), Some(asked)) if file != asked => {
            return Err(IoErrorKind::Key {
                key: "scaling".into(),
                message: format!("the file says {file}, the reader was told {asked}"),
            });
        }
        (declared, asked) => declared.or(asked).unwrap_or_default(),
    };
    let parts = NetworkParts {
        wi: matrix("wi", &field::<Vec<Vec<f64>>>(&obj, "wi")?, inputs, neurons)?,
        si: vector("si", field(&obj, "si")?, inputs)?,
        m: matrix("m", &field::<Vec<Vec<f64>>>(&obj, "m")?, neurons, rank)?,
        n: matrix("n", &field::<Vec<Vec<f64>>>(&obj, "n")?, neurons, rank)?,
        wo: matrix("wo", &field::<Vec<Vec<f64>>>(&obj, "wo")?, neurons, outputs)?,
        so: vector("so", field(&obj, "so")?, outputs)?,
        h0: vector("h0", field(&obj, "h0")?, neurons)?,
        b: optional_b.map(|b| vector("b", b, neurons)).transpose()?,
    };
    let network = Network::new(rescaled(parts, scaling))?;
    let notes = scaling_warning(&network, scaling).into_iter().collect();
    let file = NetworkFile {
        network,
        meta: optional(&obj, "meta")?,
    };
    Ok((file, notes))
}

/// The required field `key`, of type `T`.
fn field<T: DeserializeOwned>(obj: &Meta, key: &str) -> Result<T, IoErrorKind> {
    let value = obj
        .get(key)
        .ok_or_else(|| key_error(key, "missing".into()))?;
    T::deserialize(value).map_err(|e| key_error(key, e.to_string()))
}

/// The optional field `key` (absent or `null` is `None`).
fn optional<T: DeserializeOwned>(obj: &Meta, key: &str) -> Result<Option<T>, IoErrorKind> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => T::deserialize(value)
            .map(Some)
            .map_err(|e| key_error(key, e.to_string())),
    }
}

fn key_error(key: &str, message: String) -> IoErrorKind {
    IoErrorKind::Key {
        key: key.to_owned(),
        message,
    }
}

/// A matrix from its rows, which must be `nrows` rows of `ncols` values (the declared dimensions).
fn matrix(
    key: &str,
    rows: &[Vec<f64>],
    nrows: usize,
    ncols: usize,
) -> Result<DMatrix<f64>, IoErrorKind> {
    if rows.len() != nrows {
        return Err(key_error(
            key,
            format!("has {} rows, expected {nrows}", rows.len()),
        ));
    }
    if let Some((i, row)) = rows.iter().enumerate().find(|(_, r)| r.len() != ncols) {
        return Err(key_error(
            key,
            format!("row {i} has {} values, expected {ncols}", row.len()),
        ));
    }
    Ok(DMatrix::from_fn(nrows, ncols, |i, j| rows[i][j]))
}

/// A vector of the declared length.
fn vector(key: &str, values: Vec<f64>, len: usize) -> Result<DVector<f64>, IoErrorKind> {
    if values.len() != len {
        return Err(key_error(
            key,
            format!("has {} values, expected {len}", values.len()),
        ));
    }
    Ok(DVector::from_vec(values))
}
