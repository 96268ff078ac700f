//! The project's own network file (MODEL.md 7): versioned JSON, exact on round trip.
//!
//! ```json
//! {"format": "lowrank-explorer/network", "version": 1,
//!  "neurons": N, "rank": R, "inputs": S, "outputs": O,
//!  "wi": [[..N..] x S], "si": [..S..], "m": [[..R..] x N], "n": [[..R..] x N],
//!  "wo": [[..O..] x N], "so": [..O..], "h0": [..N..], "b": [..N..] (optional),
//!  "meta": {..} (optional, free-form)}
//! ```
//!
//! Matrices are lists of rows with the shapes of MODEL.md 1. Floats are written as the shortest
//! decimal that reads back to the same f64 and parsed exactly (serde_json's `float_roundtrip`), so
//! save then load is bitwise. `meta` is any JSON object (provenance such as the training command)
//! and is kept on round trip. The dimensions are stated explicitly so that a truncated or edited
//! file is caught with a message naming the parameter, not only by a shape mismatch.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::IoErrorKind;
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

/// The first two fields, read before the rest so that a file of another kind or a newer version
/// is reported as such rather than as a missing or unknown field.
#[derive(Deserialize)]
struct Tag {
    format: String,
    version: u64,
}

/// The file as serde sees it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkJson {
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    meta: Option<Meta>,
}

/// Serialises `file` (compact JSON with a trailing newline).
pub fn to_json(file: &NetworkFile) -> Result<Vec<u8>, IoErrorKind> {
    let parts = file.network.parts();
    let d = file.network.dims();
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
        meta: file.meta.clone(),
    };
    let mut out = serde_json::to_vec(&json).map_err(|e| IoErrorKind::Format(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

/// Parses a network file, checking its tag, version, declared dimensions and the network itself.
pub fn parse_network_json(bytes: &[u8]) -> Result<NetworkFile, IoErrorKind> {
    let format = IoErrorKind::Format;
    let tag: Tag = serde_json::from_slice(bytes).map_err(|e| {
        format(format!(
            "not a lowrank-explorer network file (expected {{\"format\": \"{NETWORK_FORMAT}\", \
             \"version\": {NETWORK_VERSION}, ...}}): {e}"
        ))
    })?;
    if tag.format != NETWORK_FORMAT {
        return Err(format(format!(
            "the file's format is `{}`, not `{NETWORK_FORMAT}`",
            super::tensor::shown(&tag.format)
        )));
    }
    if tag.version != u64::from(NETWORK_VERSION) {
        let newer = if tag.version > u64::from(NETWORK_VERSION) {
            " (written by a newer lowrank-explorer)"
        } else {
            ""
        };
        return Err(format(format!(
            "network file version {}{newer} is not supported: this build reads version {NETWORK_VERSION}",
            tag.version
        )));
    }
    let json: NetworkJson = serde_json::from_slice(bytes).map_err(|e| format(e.to_string()))?;
    let parts = NetworkParts {
        wi: matrix("wi", &json.wi, json.inputs, json.neurons)?,
        si: vector("si", json.si, json.inputs)?,
        m: matrix("m", &json.m, json.neurons, json.rank)?,
        n: matrix("n", &json.n, json.neurons, json.rank)?,
        wo: matrix("wo", &json.wo, json.neurons, json.outputs)?,
        so: vector("so", json.so, json.outputs)?,
        h0: vector("h0", json.h0, json.neurons)?,
        b: json.b.map(|b| vector("b", b, json.neurons)).transpose()?,
    };
    Ok(NetworkFile {
        network: Network::new(parts)?,
        meta: json.meta,
    })
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
