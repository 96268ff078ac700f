//! Files: `load` (every format the CLI reads), `save`, the built-in `preset`s, and `gui`, which
//! opens the explorer on an object in a separate process.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use lowrank::io::{self, Dtype, ModelFile};
use lowrank::{examples, model, reduced::presets};
use pyo3::prelude::*;

use crate::objects::{Network, PopulationModel};
use crate::{Error, error};

/// The tensor precision `save` writes: `"f32"` (the papers' files) or `"f64"`.
fn precision(name: &str) -> PyResult<Dtype> {
    match name {
        "f32" => Ok(Dtype::F32),
        "f64" => Ok(Dtype::F64),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "precision must be \"f32\" or \"f64\", got {other:?}"
        ))),
    }
}

/// The name a population model is shown under: its file's name.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Loads a network (`.pt` zip or legacy, `.npz`, safetensors, the project's JSON) or a
/// population model (JSON), told apart by content as the CLI does, with the CLI's reading
/// options (MODEL.md 7): `scaling` `"1/N"` or `"none"` (the papers' `OptimizedLowRankRNN`),
/// `truncate=R` for a full-rank file (`wrec`), `populations=True` for a `SupportLowRankRNN` file
/// read as its population model. What the reader notices (a doubtful scaling, a truncation's
/// share of `wrec`) is issued as a Python `UserWarning`.
#[pyfunction]
#[pyo3(signature = (path, scaling = None, truncate = None, populations = false))]
pub fn load(
    py: Python<'_>,
    path: PathBuf,
    scaling: Option<&str>,
    truncate: Option<usize>,
    populations: bool,
) -> PyResult<Py<PyAny>> {
    let options = io::ReadOptions {
        scaling: scaling
            .map(str::parse::<io::Scaling>)
            .transpose()
            .map_err(Error::new_err)?,
        truncate,
        populations,
    };
    let opened = py
        .detach(|| io::open_model(&path, &options))
        .map_err(error)?;
    for note in &opened.notes {
        let message =
            std::ffi::CString::new(format!("{}: {note}", path.display())).unwrap_or_default();
        PyErr::warn(
            py,
            &py.get_type::<pyo3::exceptions::PyUserWarning>(),
            &message,
            1,
        )?;
    }
    Ok(match opened.model {
        ModelFile::FullRank(full) => {
            return Err(Error::new_err(format!(
                "{}: a full-rank network (FullRankRNN, wrec of {n} x {n}): load its rank-R \
                 truncation with truncate=R",
                path.display(),
                n = full.dims().0
            )));
        }
        ModelFile::Network(f) => Py::new(py, Network::new(f.network, f.meta))?.into_any(),
        ModelFile::Population(model) => Py::new(
            py,
            PopulationModel {
                model,
                name: file_name(&path),
            },
        )?
        .into_any(),
    })
}

/// Writes a `Network` or a `PopulationModel` atomically (a failed write leaves no partial file).
/// A network's format is its extension's, as the CLI's `--out`: `.json`, `.pt`, `.npz` or
/// `.safetensors`, tensors as `precision` (`"f32"`, the papers' files, or `"f64"`; JSON keeps f64).
#[pyfunction]
#[pyo3(signature = (obj, path, precision = "f32"))]
pub fn save(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    path: PathBuf,
    precision: &str,
) -> PyResult<()> {
    if let Ok(net) = obj.cast::<Network>() {
        let file = net.get().file.clone();
        let dtype = self::precision(precision)?;
        return py
            .detach(|| io::save_network_as(&file, &path, dtype))
            .map_err(error);
    }
    if let Ok(pop) = obj.cast::<PopulationModel>() {
        return io::save_population_model(&pop.get().model, &path).map_err(error);
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "save writes a lowrank_explorer.Network or PopulationModel, got {}",
        obj.get_type().name()?
    )))
}

/// A built-in preset, as the CLI's `--preset`: the population models `dms_mixture_2pop` and
/// `poster_didactic`, or the example networks `dms_rank2_n512` and `dms_mixture_n4096` (on the
/// axes they are stored or drawn on).
#[pyfunction]
pub fn preset(py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
    if let Some(p) = presets::get(name) {
        return Ok(Py::new(
            py,
            PopulationModel {
                model: p.model,
                name: p.name,
            },
        )?
        .into_any());
    }
    let example = examples::get(name).ok_or_else(|| Error::new_err(model::no_preset(name)))?;
    let net = py.detach(|| example.network()).map_err(Error::new_err)?;
    Ok(Py::new(py, Network::new(net, None))?.into_any())
}

/// The `lowrank-explorer` binary: `$LOWRANK_EXPLORER_BIN`, else the first on `PATH`.
fn explorer_binary() -> PyResult<PathBuf> {
    if let Some(bin) = std::env::var_os("LOWRANK_EXPLORER_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(Error::new_err(format!(
                "LOWRANK_EXPLORER_BIN is {}, which is not a file",
                bin.display()
            )))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("lowrank-explorer"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::new_err(
                "the lowrank-explorer app was not found: install it (cargo install --path . at the \
                 repository's root) so that it is on PATH, or set LOWRANK_EXPLORER_BIN to its path",
            )
        })
}

/// Opens the explorer on `obj` (a `Network` or `PopulationModel`) in a separate process and
/// returns that process's id. The object is written to a fresh JSON file in the temporary folder,
/// which the app opens; the call returns at once.
#[pyfunction]
pub fn gui(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<u32> {
    static OPENED: AtomicU64 = AtomicU64::new(0);
    let bin = explorer_binary()?;
    let path = std::env::temp_dir().join(format!(
        "lowrank-explorer-{}-{}.json",
        std::process::id(),
        OPENED.fetch_add(1, Ordering::Relaxed)
    ));
    save(py, obj, path.clone(), "f64")?;
    let child = Command::new(&bin)
        .arg("gui")
        .arg(&path)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| Error::new_err(format!("cannot start {}: {e}", bin.display())))?;
    Ok(child.id())
}
