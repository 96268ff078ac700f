//! Reading and writing networks and models (MODEL.md 7): PyTorch `.pt` state dicts (zip and legacy
//! layouts, by a pickle interpreter that never executes anything), NumPy `.npz`, safetensors, and
//! the project's own versioned JSON. Every error names the file and, where there is one, the key.
//!
//! Reading chooses the format by content, never by extension: `PK\x03\x04` is a zip (a `.pt` if it
//! holds a `<name>/data.pkl`, an `.npz` if it holds `.npy` arrays), an 8-byte header length of at
//! most 100 MB followed by `{` is safetensors, a leading pickle `PROTO` byte `0x80` is a legacy
//! `.pt`, and `{` (after whitespace) is JSON. Files are read whole, up to [`MAX_FILE_BYTES`]; every
//! size inside them is checked against the bytes present before it is allocated.
//!
//! Writing chooses the format by the output's extension ([`NetworkFormat`], [`save_network_as`]).
//!
//! - [`torch`]: `.pt` files; [`npz`]: `.npz` files; [`network_json`]: the project's JSON;
//! - [`safetensors_file`]: safetensors files, read and written; `torch_save`, `npz_save`: the
//!   other writers;
//! - [`tensor`]: the [`TensorMap`] the binary readers produce and the writers take;
//! - [`atomic`]: [`write_atomic`], used by every writer of the project.

mod archive;
pub mod atomic;
pub mod layouts;
pub mod model_json;
pub mod network_json;
pub mod npz;
mod npz_save;
mod opcodes;
mod pickle;
mod pickler;
pub mod safetensors_file;
mod state_dict;
pub mod tensor;
pub mod torch;
mod torch_save;

use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::network::{FullRankNetwork, Network, NetworkError};
use crate::reduced::PopulationModel;

pub use atomic::{check_writable, write_atomic};
pub use layouts::{Layout, ReadOptions, Scaling, scaling_warning};
pub use network_json::{Meta, NETWORK_FORMAT, NETWORK_VERSION, NetworkFile};
pub use state_dict::{network_from_tensors, network_to_tensors};
pub use tensor::{Dtype, Rounding, Tensor, TensorMap, float32_rounding};

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
    Safetensors,
    Pickle,
    Json,
}

fn sniff(bytes: &[u8]) -> Result<Content, IoErrorKind> {
    if bytes.starts_with(ZIP_MAGIC) {
        return Ok(Content::Zip);
    }
    if safetensors_file::is_safetensors(bytes) {
        return Ok(Content::Safetensors);
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
                 a NumPy .npz, a safetensors file or a lowrank-explorer JSON network",
                head.join(" ")
            )))
        }
    }
}

/// Loads a network from `.pt` (either layout), `.npz`, safetensors or the project's JSON, chosen
/// by content.
///
/// For `.pt`, `.npz` and safetensors, parameters are looked up as described at
/// [`network_from_tensors`]; a missing `h0` defaults to zeros.
pub fn load_network(path: &Path) -> Result<Network, IoError> {
    load_network_file(path).map(|f| f.network)
}

/// Like [`load_network`], also returning the file's `meta`: the JSON's, or the one a safetensors
/// file written by this project carries (always `None` for `.pt`/`.npz`).
pub fn load_network_file(path: &Path) -> Result<NetworkFile, IoError> {
    open_network(path, &ReadOptions::default()).map(|read| read.file)
}

/// Reads the named tensors of a `.pt`, `.npz` or safetensors file, without interpreting them as a
/// network.
pub fn read_tensors(path: &Path) -> Result<TensorMap, IoError> {
    let bytes = read_file(path)?;
    read_tensors_from_bytes(&bytes, path)
}

/// [`load_network_file`] on bytes already in memory; `file` only names them in errors.
pub fn parse_network_bytes(bytes: &[u8], file: &Path) -> Result<NetworkFile, IoError> {
    parse_model_bytes(bytes, file, &ReadOptions::default())?
        .into_network(file)
        .map(|read| read.file)
}

/// [`open_model`] on bytes already in memory; `file` only names them in errors.
pub fn parse_model_bytes(bytes: &[u8], file: &Path, opts: &ReadOptions) -> Result<Opened, IoError> {
    let parsed = match sniff(bytes) {
        Ok(Content::Json) if is_population_json(bytes) => {
            only_for("a population model", opts, None).map_err(|kind| with_file(file, kind))?;
            let model = model_json::from_json_str(&utf8(bytes, file)?, file)?;
            return Ok(Opened::plain(ModelFile::Population(model)));
        }
        Ok(Content::Json) => only_for("a JSON network", opts, Some(Layout::LowRank))
            .and_then(|()| network_json::parse_network_json(bytes, opts.scaling))
            .map(|(network, notes)| Opened {
                notes,
                ..Opened::plain(ModelFile::Network(Box::new(network)))
            }),
        Ok(Content::Zip | Content::Pickle | Content::Safetensors) => {
            tensors_and_meta(bytes).and_then(|(map, meta)| model_from_tensors(&map, meta, opts))
        }
        Err(e) => Err(e),
    };
    parsed.map_err(|kind| with_file(file, kind))
}

/// Refuses the options that do not apply to `what`, a network of `layout` or (`None`) a
/// population model, rather than ignoring them.
fn only_for(what: &str, opts: &ReadOptions, layout: Option<Layout>) -> Result<(), IoErrorKind> {
    let refuse = |option: &str, applies: &str| {
        Err(IoErrorKind::Format(format!(
            "{option} applies to {applies} only; this file is {what}"
        )))
    };
    if opts.truncate.is_some() && layout != Some(Layout::FullRank) {
        return refuse(
            "a truncation rank (--truncate)",
            "full-rank files (FullRankRNN, wrec)",
        );
    }
    if opts.populations && layout != Some(Layout::Support) {
        return refuse(
            "reading populations (--as-populations)",
            "SupportLowRankRNN files (gaussian_basis, supports, ...)",
        );
    }
    if opts.scaling == Some(Scaling::OverN) && layout.is_some_and(|l| l != Layout::LowRank) {
        return refuse(
            "the 1/N convention (--scaling 1/N)",
            "LowRankRNN files (m, n): the FullRankRNN and SupportLowRankRNN forward passes have no 1/N",
        );
    }
    if opts.scaling.is_some() && layout.is_none() {
        return refuse("a scaling (--scaling)", "networks");
    }
    Ok(())
}

/// A state dict read in its layout (MODEL.md 7, [`layouts`]) with `opts`.
fn model_from_tensors(
    map: &TensorMap,
    meta: Option<Meta>,
    opts: &ReadOptions,
) -> Result<Opened, IoErrorKind> {
    let layout = Layout::of(map)?;
    only_for(&format!("a {}", layout.class()), opts, Some(layout))?;
    let network = |network: Network| ModelFile::Network(Box::new(NetworkFile { network, meta }));
    match layout {
        Layout::LowRank => {
            let scaling = opts.scaling.unwrap_or_default();
            let net = Network::new(layouts::rescaled(
                network_from_tensors(map)?.into_parts(),
                scaling,
            ))?;
            Ok(Opened {
                notes: scaling_warning(&net, scaling).into_iter().collect(),
                ..Opened::plain(network(net))
            })
        }
        Layout::FullRank => {
            let full = layouts::full_rank_from_tensors(map)?;
            match opts.truncate {
                None => Ok(Opened::plain(ModelFile::FullRank(Box::new(full)))),
                Some(rank) => {
                    let t = full.truncated(rank)?;
                    Ok(Opened {
                        notes: vec![format!(
                            "the rank-{rank} truncation of the full-rank wrec (N = {}) keeps {:.2} % of |wrec|^2 (Frobenius)",
                            full.dims().0,
                            100.0 * t.kept
                        )],
                        ..Opened::plain(network(t.network))
                    })
                }
            }
        }
        Layout::Support => {
            let support = layouts::SupportNetwork::from_tensors(map)?;
            let populations = support.populations()?;
            Ok(if opts.populations {
                Opened::plain(ModelFile::Population(populations))
            } else {
                Opened {
                    populations: Some(populations),
                    ..Opened::plain(network(support.network()?))
                }
            })
        }
    }
}

/// [`read_tensors`] on bytes already in memory; `file` only names them in errors.
pub fn read_tensors_from_bytes(bytes: &[u8], file: &Path) -> Result<TensorMap, IoError> {
    tensors_and_meta(bytes)
        .map(|(map, _)| map)
        .map_err(|kind| with_file(file, kind))
}

/// The tensors of a binary file, and the network metadata only a safetensors file can carry.
fn tensors_and_meta(bytes: &[u8]) -> Result<(TensorMap, Option<Meta>), IoErrorKind> {
    let map = match sniff(bytes)? {
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
        Content::Safetensors => return safetensors_file::read_safetensors_bytes(bytes),
        Content::Pickle => torch::read_torch_bytes(bytes),
        Content::Json => Err(IoErrorKind::Format(
            "a JSON network file holds a network, not raw tensors: load it as a network".into(),
        )),
    }?;
    Ok((map, None))
}

/// The formats a network is written in, named by the output file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkFormat {
    /// The project's versioned JSON: every f64 exactly, and the metadata.
    Json,
    /// A PyTorch state dict in `torch.save`'s zip layout (tensors only).
    Pt,
    /// A NumPy `.npz` of `.npy` arrays (tensors only).
    Npz,
    /// Safetensors: the tensors, and the metadata as JSON in `__metadata__`.
    Safetensors,
}

impl NetworkFormat {
    /// The extensions a network can be written with, for `--help` and errors.
    pub const EXTENSIONS: &str = ".json, .pt, .npz, .safetensors";

    /// The format `path` names by its extension (any case). `-` (standard output) and a path
    /// without an extension are JSON; any other extension is an error listing the supported ones.
    pub fn of_path(path: &Path) -> Result<Self, IoError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            None | Some("json") => Ok(NetworkFormat::Json),
            Some("pt" | "pth") => Ok(NetworkFormat::Pt),
            Some("npz") => Ok(NetworkFormat::Npz),
            Some("safetensors") => Ok(NetworkFormat::Safetensors),
            Some(other) => Err(with_file(
                path,
                IoErrorKind::Format(format!(
                    "unknown extension `.{}` for a network: use {} (.pth is .pt)",
                    tensor::shown(other),
                    Self::EXTENSIONS
                )),
            )),
        }
    }

    /// Whether the format stores values in the precision asked for (JSON always keeps f64).
    pub fn has_precision(self) -> bool {
        self != NetworkFormat::Json
    }

    /// Whether the format keeps a network's `meta` (provenance, training results).
    pub fn keeps_meta(self) -> bool {
        matches!(self, NetworkFormat::Json | NetworkFormat::Safetensors)
    }
}

/// Writes `file` (network + meta) in the format its extension names ([`NetworkFormat::of_path`]):
/// `.json` (the project's), `.pt`, `.npz`, `.safetensors`; atomically.
///
/// The binary formats hold the state dict of the published `LowRankRNN` ([`network_to_tensors`])
/// stored as `precision` (float32 is what the papers' code holds; see [`float32_rounding`] for
/// what it loses of an f64 network); JSON ignores `precision` and keeps every f64. The metadata is
/// kept by JSON and safetensors, dropped by `.pt` and `.npz`. A value beyond the float32 range is
/// an error when writing float32 (it would read back as infinite).
pub fn save_network_as(file: &NetworkFile, path: &Path, precision: Dtype) -> Result<(), IoError> {
    let format = NetworkFormat::of_path(path)?;
    let bytes =
        network_bytes(file, format, precision, path).map_err(|kind| with_file(path, kind))?;
    write_atomic(path, &bytes)
}

/// Writes named tensors (any layout of MODEL.md 7, each stored as its own dtype) as the `.pt`,
/// `.npz` or safetensors file the extension names, atomically: how the tests and scripts make
/// files of the papers' other classes without PyTorch.
pub fn save_tensors(map: &TensorMap, path: &Path) -> Result<(), IoError> {
    let bytes = match NetworkFormat::of_path(path)? {
        NetworkFormat::Pt => torch_save::pt_bytes(map, &torch_save::archive_name(path)),
        NetworkFormat::Npz => npz_save::npz_bytes(map),
        NetworkFormat::Safetensors => safetensors_file::safetensors_bytes(map, None),
        NetworkFormat::Json => Err(IoErrorKind::Format(
            "raw tensors are written as .pt, .npz or .safetensors, not JSON".into(),
        )),
    }
    .map_err(|kind| with_file(path, kind))?;
    write_atomic(path, &bytes)
}

/// The bytes of `file` in `format`; `path` gives the `.pt` archive its name.
fn network_bytes(
    file: &NetworkFile,
    format: NetworkFormat,
    precision: Dtype,
    path: &Path,
) -> Result<Vec<u8>, IoErrorKind> {
    let tensors = || tensors_to_write(&file.network, precision, format);
    match format {
        NetworkFormat::Json => network_json::to_json(&file.network, file.meta.as_ref()),
        NetworkFormat::Pt => torch_save::pt_bytes(&tensors()?, &torch_save::archive_name(path)),
        NetworkFormat::Npz => npz_save::npz_bytes(&tensors()?),
        NetworkFormat::Safetensors => {
            safetensors_file::safetensors_bytes(&tensors()?, file.meta.as_ref())
        }
    }
}

/// The network's state dict as `precision`, once the memory budget allows writing it and (for
/// float32) every value is within range.
fn tensors_to_write(
    net: &Network,
    precision: Dtype,
    format: NetworkFormat,
) -> Result<TensorMap, IoErrorKind> {
    let d = net.dims();
    // Every value (h0 and a bias counted) is held as the f64 copy, encoded, and copied into the
    // archive.
    let values = d.neurons * (2 * d.rank + d.inputs + d.outputs + 2) + d.inputs + d.outputs;
    crate::budget::check(
        format!("writing a network of N = {} as {format:?}", d.neurons),
        crate::budget::bytes(values, 8 + 2 * precision.size()),
        "write a smaller network",
    )
    .map_err(|e| IoErrorKind::Format(e.to_string()))?;
    let map = network_to_tensors(net, precision);
    if precision == Dtype::F32 {
        check_float32_range(&map)?;
    }
    Ok(map)
}

/// Every value must be finite as a float32.
fn check_float32_range(map: &TensorMap) -> Result<(), IoErrorKind> {
    for (key, t) in map.iter() {
        if let Some(v) = t.data.iter().find(|v| !(**v as f32).is_finite()) {
            return Err(IoErrorKind::Key {
                key: key.to_owned(),
                message: format!(
                    "value {v:e} is beyond the float32 range (about 3.4e38): write it as float64"
                ),
            });
        }
    }
    Ok(())
}

/// The narrowest precision that stores every value of `net` exactly: float32 for a network read
/// from a float32 file, float64 for one trained, fitted or drawn here.
pub fn exact_precision(net: &Network) -> Dtype {
    let map = network_to_tensors(net, Dtype::F64);
    match float32_rounding(map.iter().flat_map(|(_, t)| t.data.iter())) {
        None => Dtype::F32,
        Some(_) => Dtype::F64,
    }
}

/// Writes `net` as the project's versioned JSON, atomically (whatever the extension).
pub fn save_network_json(net: &Network, path: &Path) -> Result<(), IoError> {
    save_json(net, None, path)
}

/// Writes a network with its metadata in the format the extension names, float32 for the binary
/// formats: [`save_network_as`] with [`Dtype::F32`].
pub fn save_network_file(file: &NetworkFile, path: &Path) -> Result<(), IoError> {
    save_network_as(file, path, Dtype::F32)
}

/// Writes a network with metadata (provenance: the command that made it, training results) as the
/// project's versioned JSON, atomically (whatever the extension).
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

/// What a model file holds: a low-rank network (any format), a population model, or a full-rank
/// network (MODEL.md 7).
#[derive(Debug, Clone)]
pub enum ModelFile {
    Network(Box<NetworkFile>),
    Population(PopulationModel),
    FullRank(Box<FullRankNetwork>),
}

/// A model file as read: what it holds, the population model a `SupportLowRankRNN` file
/// parametrises beside its network, and what the reader noticed (a truncation's share of `wrec`,
/// statistics that contradict the scaling convention) for the caller to show.
#[derive(Debug, Clone)]
pub struct Opened {
    pub model: ModelFile,
    pub populations: Option<PopulationModel>,
    pub notes: Vec<String>,
}

impl Opened {
    fn plain(model: ModelFile) -> Self {
        Self {
            model,
            populations: None,
            notes: Vec::new(),
        }
    }

    /// The low-rank network the file holds, with its populations and notes; a population model or
    /// a full-rank network is an error saying what to do instead.
    pub fn into_network(self, file: &Path) -> Result<NetworkRead, IoError> {
        match self.model {
            ModelFile::Network(network) => Ok(NetworkRead {
                file: *network,
                populations: self.populations,
                notes: self.notes,
            }),
            ModelFile::Population(_) => Err(with_file(
                file,
                IoErrorKind::Format("the file holds a population model, not a network".into()),
            )),
            ModelFile::FullRank(full) => Err(with_file(
                file,
                IoErrorKind::Format(format!(
                    "a full-rank network (FullRankRNN, wrec of {0} x {0}): read its rank-R                      truncation with --truncate R (eval also runs the full network)",
                    full.dims().0
                )),
            )),
        }
    }
}

/// [`Opened`] when it holds a low-rank network.
#[derive(Debug, Clone)]
pub struct NetworkRead {
    pub file: NetworkFile,
    pub populations: Option<PopulationModel>,
    pub notes: Vec<String>,
}

/// Loads a network or a population model, told apart by content (a JSON object with a
/// `"populations"` array is a population model), in the layout its keys name, read as `opts`
/// says.
pub fn open_model(path: &Path, opts: &ReadOptions) -> Result<Opened, IoError> {
    let bytes = read_file(path)?;
    parse_model_bytes(&bytes, path, opts)
}

/// [`open_model`]'s low-rank network with its notes ([`Opened::into_network`]).
pub fn open_network(path: &Path, opts: &ReadOptions) -> Result<NetworkRead, IoError> {
    open_model(path, opts)?.into_network(path)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors prefix: header length `n`, then the header's first byte.
    fn safetensors_head(n: u64) -> Vec<u8> {
        let mut b = n.to_le_bytes().to_vec();
        b.push(b'{');
        b
    }

    #[test]
    fn sniff_tells_safetensors_from_pickle_and_json() {
        // A header of 128 bytes starts the file with 0x80, the pickle PROTO byte; of 123, with `{`.
        assert_eq!(sniff(&safetensors_head(128)).unwrap(), Content::Safetensors);
        assert_eq!(sniff(&safetensors_head(123)).unwrap(), Content::Safetensors);
        assert_eq!(
            sniff(b"\x80\x02ccollections\nOrderedDict\n").unwrap(),
            Content::Pickle
        );
        assert_eq!(sniff(b"{\"format\": {\"a\": 1}}").unwrap(), Content::Json);
        assert_eq!(sniff(b"        {\"format\": 1}").unwrap(), Content::Json);
        assert_eq!(sniff(b"PK\x03\x04\0\0\0\0{").unwrap(), Content::Zip);
        // A header longer than the format allows is not safetensors.
        assert!(sniff(&safetensors_head(100_000_001)).is_err());
    }
}
