//! `lowrank_explorer`: the project's core from Python, NumPy arrays in and out.
//!
//! Every function wires the same core routines (and, where a command has one, the same checks and
//! `--json` report) as the `lowrank-explorer` CLI, so a notebook gets the CLI's numbers bit for
//! bit and its error messages word for word, raised as [`Error`]. Long computations release the
//! GIL ([`Python::detach`]) so other Python threads run meanwhile.
//!
//! - [`objects`]: the `Network` and `PopulationModel` classes;
//! - [`files`]: `load`, `save`, `preset`, `gui`;
//! - [`engine`]: `trials`, `simulate`, `evaluate`;
//! - [`analysis`]: `analyze`, `continue_`, `continue2`;
//! - [`learning`]: `train`, `fit`, `resample`.

mod analysis;
mod arrays;
mod engine;
mod files;
mod learning;
mod objects;

use std::fmt::Display;

use clap::ValueEnum;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use serde::Serialize;

create_exception!(
    lowrank_explorer,
    Error,
    PyException,
    "A lowrank-explorer error: the message is the one the CLI prints after `error: `."
);

/// An error of the core or of a CLI check, as the Python exception [`Error`].
fn error(e: impl Display) -> PyErr {
    Error::new_err(e.to_string())
}

/// The CLI's errors carry their message in a tuple field, not through `Display`.
fn cli_error(e: lowrank::cli::CliError) -> PyErr {
    Error::new_err(e.0)
}

/// A report as the CLI prints it with `--json`, read back by Python's `json` module: the same keys
/// in the same order, and every number the same double (the CLI writes shortest round-trip
/// decimals, which `json.loads` reads back exactly).
fn report<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(error)?;
    py.import("json")?.call_method1("loads", (text,))
}

/// A Python object as JSON text, through Python's `json` module (for `config=` dictionaries).
fn to_json_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    obj.py()
        .import("json")?
        .call_method1("dumps", (obj,))?
        .extract()
}

/// One of a CLI enum's values by the name its flag takes (`"dms"`, `"ode"`), or an [`Error`]
/// naming the allowed values.
fn choice<T: ValueEnum>(what: &str, name: &str) -> PyResult<T> {
    T::from_str(name, true).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        Error::new_err(format!(
            "{what} must be one of {}, got {name:?}",
            names.join(", ")
        ))
    })
}

#[pymodule]
fn lowrank_explorer(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Error", m.py().get_type::<Error>())?;
    m.add_class::<objects::Network>()?;
    m.add_class::<objects::PopulationModel>()?;
    m.add_function(wrap_pyfunction!(files::load, m)?)?;
    m.add_function(wrap_pyfunction!(files::save, m)?)?;
    m.add_function(wrap_pyfunction!(files::preset, m)?)?;
    m.add_function(wrap_pyfunction!(files::gui, m)?)?;
    m.add_function(wrap_pyfunction!(engine::trials, m)?)?;
    m.add_function(wrap_pyfunction!(engine::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(engine::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::analyze, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::continue_, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::continue2, m)?)?;
    m.add_function(wrap_pyfunction!(learning::train, m)?)?;
    m.add_function(wrap_pyfunction!(learning::fit, m)?)?;
    m.add_function(wrap_pyfunction!(learning::resample, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
