//! Writing networks from the commands: the format named by `--out`'s extension, checked before
//! any work starts, and `--precision` of the binary formats, with a note on stderr when float32
//! rounds a value.

use std::io::Write;
use std::path::Path;

use super::CliError;
use super::train::check_out;
use crate::io::{self, Dtype, NetworkFile, NetworkFormat};

/// How the binary formats (`.pt`, `.npz`, `.safetensors`) store values; JSON keeps every f64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrecisionArg {
    /// float32, the papers' dtype: exact for a network read from a float32 file.
    F32,
    /// float64: every value of the network exactly.
    F64,
}

impl PrecisionArg {
    pub fn dtype(self) -> Dtype {
        match self {
            PrecisionArg::F32 => Dtype::F32,
            PrecisionArg::F64 => Dtype::F64,
        }
    }
}

/// Checks `--out` before any work: its extension names a network format and the file can be
/// written.
pub fn check_network_out(path: &Path) -> Result<NetworkFormat, CliError> {
    let format = NetworkFormat::of_path(path).map_err(|e| CliError(format!("--out {e}")))?;
    check_out(path)?;
    Ok(format)
}

/// Checks `--out` of a population model, which only the project's JSON holds: the extensions of
/// the tensor formats are refused (they would name a file that is not what it says).
pub fn check_model_out(path: &Path) -> Result<(), CliError> {
    if let Ok(format) = NetworkFormat::of_path(path)
        && format != NetworkFormat::Json
    {
        return Err(CliError(format!(
            "--out {}: a population model is written as the project's JSON only (.json); \
             resample it to write a network as {format:?}",
            path.display()
        )));
    }
    check_out(path)
}

/// Writes `file` to `path` in the format its extension names, stored as `precision`; says on
/// stderr what float32 rounded and which metadata the format drops.
pub fn save_network(
    file: &NetworkFile,
    path: &Path,
    precision: PrecisionArg,
) -> Result<(), io::IoError> {
    let format = NetworkFormat::of_path(path)?;
    io::save_network_as(file, path, precision.dtype())?;
    for note in notes(file, format, precision) {
        // Never `eprintln!`: it panics when stderr is closed.
        let _ = writeln!(std::io::stderr(), "note: {}: {note}", path.display());
    }
    Ok(())
}

/// What writing `file` as `format` and `precision` does not keep.
pub fn notes(file: &NetworkFile, format: NetworkFormat, precision: PrecisionArg) -> Vec<String> {
    let mut notes = Vec::new();
    if format.has_precision() && precision == PrecisionArg::F32 {
        let tensors = io::network_to_tensors(&file.network, Dtype::F32);
        let values = tensors.iter().flat_map(|(_, t)| t.data.iter());
        if let Some(r) = io::float32_rounding(values) {
            notes.push(format!(
                "{} of the {} values were rounded to float32 (largest relative change {:.1e}); \
                 --precision f64 keeps them exactly",
                r.inexact, r.total, r.max_relative
            ));
        }
    }
    if file.meta.is_some() && !format.keeps_meta() {
        notes.push(
            "the network's metadata (provenance, training results) is not kept by this format; \
             .json and .safetensors keep it"
                .into(),
        );
    }
    notes
}
