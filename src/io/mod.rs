//! Reading and writing networks and models (MODEL.md 7): PyTorch `.pt` state dicts (zip and legacy
//! layouts, by a pickle interpreter that never executes anything), NumPy `.npz`, and the project's own
//! versioned JSON. Every error names the file and, where there is one, the key.
//!
//! The format is chosen by content, never by extension: `PK\x03\x04` is a zip (a `.pt` if it holds
//! a `<name>/data.pkl`, an `.npz` if it holds `.npy` arrays), a leading pickle `PROTO` byte `0x80` is
//! a legacy `.pt`, and `{` (after whitespace) is JSON. Files are read whole, up to
//! [`MAX_FILE_BYTES`]; every size inside them is checked against the bytes present before it is
//! allocated.
//!
//! - [`torch`]: `.pt` files; [`npz`]: `.npz` files; [`network_json`]: the project's JSON;
//! - [`tensor`]: the [`TensorMap`] the binary readers produce;
//! - [`atomic`]: [`write_atomic`], used by every writer of the project.

mod archive;
pub mod atomic;
pub mod model_json;
pub mod network_json;
pub mod npz;
mod pickle;
mod state_dict;
pub mod tensor;
pub mod torch;

use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::network::{Network, NetworkError};
use crate::reduced::PopulationModel;

pub use atomic::{check_writable, write_atomic};
pub use network_json::{Meta, NETWORK_FORMAT, NETWORK_VERSION, NetworkFile};
pub use state_dict::network_from_tensors;
pub use tensor::{Dtype, Tensor, TensorMap};

/// Largest file we read (2 GiB): far above any network we can hold, and a bound on what a file
/// can make us allocate.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// First bytes of a zip archive (a local file header).
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// The pickle `PROTO` opcode, the first byte of a legacy `.pt`.
const PICKLE_PROTO: u8 = 0x80;

/// An error while loading or saving, with the file it concerns.
#[derive(Debug, Error)]
#[error("{}: {kind}", file.display())]
pub struct IoError {
    pub file: PathBuf,
    pub kind: IoErrorKind,
}

/// What went wrong.
#[derive(Debug, Error)]
pub enum IoErrorKind {
    #[error("{0}")]
    Os(#[from] std::io::Error),
    #[error("{0}")]
    Format(String),
    #[error("key `{key}`: {message}")]
    Key { key: String, message: String },
    #[error("{0}")]
    Network(#[from] NetworkError),
}

/// The kinds of file we recognise by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Zip,
    Pickle,
    Json,
}

fn sniff(bytes: &[u8]) -> Result<Content, IoErrorKind> {
    if bytes.starts_with(ZIP_MAGIC) {
        return Ok(Content::Zip);
    }
    if bytes.first() == Some(&PICKLE_PROTO) {
        return Ok(Content::Pickle);
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(Content::Json),
        None => Err(IoErrorKind::Format("the file is empty".into())),
        Some(_) => {
            let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            Err(IoErrorKind::Format(format!(
                "unrecognised content (first bytes {}): expected a PyTorch .pt (zip or legacy), \
                 a NumPy .npz or a lowrank-explorer JSON network",
                head.join(" ")
            )))
        }
    }
}

/// Loads a network from `.pt` (either layout), `.npz` or the project's JSON, chosen by content.
///
/// For `.pt` and `.npz`, parameters are looked up as described at [`network_from_tensors`]; a
/// missing `h0` defaults to zeros.
pub fn load_network(path: &Path) -> Result<Network, IoError> {
    load_network_file(path).map(|f| f.network)
}

/// Like [`load_network`], also returning the JSON file's `meta` (always `None` for `.pt`/`.npz`).
pub fn load_network_file(path: &Path) -> Result<NetworkFile, IoError> {
    let bytes = read_file(path)?;
    parse_network_bytes(&bytes, path)
}

/// Reads the named tensors of a `.pt` or `.npz` file, without interpreting them as a network.
pub fn read_tensors(path: &Path) -> Result<TensorMap, IoError> {
    let bytes = read_file(path)?;
    read_tensors_from_bytes(&bytes, path)
}

/// [`load_network_file`] on bytes already in memory; `file` only names them in errors.
pub fn parse_network_bytes(bytes: &[u8], file: &Path) -> Result<NetworkFile, IoError> {
    let parsed = match sniff(bytes) {
        Ok(Content::Json) => network_json::parse_network_json(bytes),
        Ok(Content::Zip | Content::Pickle) => tensors(bytes).and_then(|map| {
            Ok(NetworkFile {
                network: network_from_tensors(&map)?,
                meta: None,
            })
        }),
        Err(e) => Err(e),
    };
    parsed.map_err(|kind| with_file(file, kind))
}

/// [`read_tensors`] on bytes already in memory; `file` only names them in errors.
pub fn read_tensors_from_bytes(bytes: &[u8], file: &Path) -> Result<TensorMap, IoError> {
    tensors(bytes).map_err(|kind| with_file(file, kind))
}

fn tensors(bytes: &[u8]) -> Result<TensorMap, IoErrorKind> {
    match sniff(bytes)? {
        Content::Zip => {
            let mut zip = archive::Zip::open(bytes).map_err(IoErrorKind::Format)?;
            let names = zip.names().map_err(IoErrorKind::Format)?;
            if torch::is_zip_layout(&names) {
                torch::read_zip(&mut zip, &names)
            } else if npz::is_npz(&names) {
                npz::read_archive(&mut zip, &names)
            } else {
                Err(IoErrorKind::Format(
                    "a zip archive that is neither a PyTorch .pt (no `<name>/data.pkl`) nor a \
                     NumPy .npz (no `.npy` arrays)"
                        .into(),
                ))
            }
        }
        Content::Pickle => torch::read_torch_bytes(bytes),
        Content::Json => Err(IoErrorKind::Format(
            "a JSON network file holds a network, not raw tensors: load it as a network".into(),
        )),
    }
}

/// Writes `net` as the project's versioned JSON, atomically.
pub fn save_network_json(net: &Network, path: &Path) -> Result<(), IoError> {
    save_json(net, None, path)
}

/// Writes a network with its metadata as the project's versioned JSON, atomically.
pub fn save_network_file(file: &NetworkFile, path: &Path) -> Result<(), IoError> {
    save_json(&file.network, file.meta.as_ref(), path)
}

/// Writes a network with metadata (provenance: the command that made it, training results) as the
/// project's versioned JSON, atomically.
pub fn save_network_json_with_meta(net: &Network, meta: &Meta, path: &Path) -> Result<(), IoError> {
    save_json(net, Some(meta), path)
}

fn save_json(net: &Network, meta: Option<&Meta>, path: &Path) -> Result<(), IoError> {
    let bytes = network_json::to_json(net, meta).map_err(|kind| with_file(path, kind))?;
    write_atomic(path, &bytes)
}

/// Reads a population model (the project's JSON, or the published fixture's shape) from a file.
pub fn load_population_model(path: &Path) -> Result<PopulationModel, IoError> {
    let bytes = read_file(path)?;
    model_json::from_json_str(&utf8(&bytes, path)?, path)
}

/// Writes a population model as the project's versioned JSON, atomically.
pub fn save_population_model(model: &PopulationModel, path: &Path) -> Result<(), IoError> {
    write_atomic(path, model_json::to_json_string(model).as_bytes())
}

/// What a model file holds: a network (any format) or a population model.
#[derive(Debug, Clone)]
pub enum ModelFile {
    Network(Box<NetworkFile>),
    Population(PopulationModel),
}

/// Loads a network or a population model, told apart by content: a JSON object with a
/// `"populations"` array is a population model, anything else must be a network.
pub fn load_model(path: &Path) -> Result<ModelFile, IoError> {
    let bytes = read_file(path)?;
    if matches!(sniff(&bytes), Ok(Content::Json)) && is_population_json(&bytes) {
        return model_json::from_json_str(&utf8(&bytes, path)?, path).map(ModelFile::Population);
    }
    parse_network_bytes(&bytes, path).map(|f| ModelFile::Network(Box::new(f)))
}

/// Whether a JSON document's top level has a `populations` key (only that key is kept while parsing).
fn is_population_json(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        populations: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.populations.is_some())
}

fn utf8(bytes: &[u8], path: &Path) -> Result<String, IoError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|e| with_file(path, IoErrorKind::Format(format!("not UTF-8 text: {e}"))))
}

fn with_file(file: &Path, kind: IoErrorKind) -> IoError {
    IoError {
        file: file.to_path_buf(),
        kind,
    }
}

/// Reads a whole file, refusing files larger than [`MAX_FILE_BYTES`] (checked on the metadata and
/// again while reading, in case the file grows).
fn read_file(path: &Path) -> Result<Vec<u8>, IoError> {
    let fail = |e: std::io::Error| with_file(path, e.into());
    let file = std::fs::File::open(path).map_err(fail)?;
    let len = file.metadata().map_err(fail)?.len();
    let too_large = || {
        with_file(
            path,
            IoErrorKind::Format(format!(
                "the file is larger than {MAX_FILE_BYTES} bytes, the most we read"
            )),
        )
    };
    if len > MAX_FILE_BYTES {
        return Err(too_large());
    }
    crate::budget::check(
        "reading the file",
        len,
        "the file is larger than the memory budget allows",
    )
    .map_err(|e| with_file(path, IoErrorKind::Format(e.to_string())))?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}
