//! The phase plane of the reduced dynamics (MODEL.md 3-4): `analyze` (fixed points, limit cycles,
//! nullclines), `continue_` (a bifurcation diagram in one parameter) and `continue2` (in two,
//! MODEL.md 9), through the CLI's own `analysis`, `continuation` and `plane_continuation`, so the
//! dictionaries are its `--json` reports.

use lowrank::analysis::Rect;
use lowrank::cli::analyze::{analysis, continuation, search};
use lowrank::cli::args::{Dynamics, PlaneArgs, parse_axes, parse_range};
use lowrank::cli::two_parameter::plane_continuation;
use lowrank::model::{InputSpec, ParamSpec};
use numpy::PyArray1;
use numpy::PyArrayMethods;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::objects::Source;
use crate::{Error, choice, report};

/// A constant input as `--input` takes it: `"none"`, a channel name (`"A"`), or numbers (a
/// sequence of floats is read as the CLI reads `0.5,0`, with the same checks).
#[derive(FromPyObject)]
pub enum Input {
    Text(String),
    Values(Vec<f64>),
}

/// Numbers joined as the CLI's comma-separated lists (`{}` of an f64 reads back exactly).
fn joined(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Which plane a network of rank 1 or rank >= 3 shows (MODEL.md 8), as `--axes`, `--through` and
/// `--channel`: `axes` two 1-based latent axes, `through` `"fp:K"` or R values, `channel` the
/// input of a rank-1 plane `(v_s, kappa)`.
pub struct Slice {
    pub axes: Option<Vec<usize>>,
    pub through: Option<Input>,
    pub channel: Option<String>,
}

impl Slice {
    /// The model's own plane (what a continuation is computed on: the whole system).
    const WHOLE: Slice = Slice {
        axes: None,
        through: None,
        channel: None,
    };
}

/// The CLI's `PlaneArgs` from keyword arguments, parsed by the CLI's own parsers.
fn plane(
    input: Input,
    dynamics: &str,
    alpha: Option<f64>,
    range: Option<Vec<f64>>,
    slice: Slice,
) -> PyResult<PlaneArgs> {
    let text = match input {
        Input::Text(s) => s,
        Input::Values(v) => joined(&v),
    };
    let input: InputSpec = text
        .parse()
        .map_err(|e| Error::new_err(format!("input {text:?}: {e}")))?;
    let axes = slice
        .axes
        .map(|a| {
            let text = a.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
            parse_axes(&text).map_err(|e| Error::new_err(format!("axes: {e}")))
        })
        .transpose()?;
    let through = slice.through.map(|t| match t {
        Input::Text(s) => s,
        Input::Values(v) => joined(&v),
    });
    let range: Option<Rect> = range
        .map(|r| parse_range(&joined(&r)).map_err(|e| Error::new_err(format!("range: {e}"))))
        .transpose()?;
    Ok(PlaneArgs {
        input,
        dynamics: choice::<Dynamics>("dynamics", dynamics)?,
        alpha,
        range,
        axes,
        through,
        channel: slice.channel,
    })
}

/// Points `[x, y]` (or `kappa` vectors of one length) as an `(K, D)` array.
fn points_array<'py, P: AsRef<[f64]>>(
    py: Python<'py>,
    points: &[P],
) -> PyResult<Bound<'py, PyAny>> {
    let dim = points.first().map_or(2, |p| p.as_ref().len());
    let values: Vec<f64> = points
        .iter()
        .flat_map(|p| p.as_ref().iter().copied())
        .collect();
    Ok(PyArray1::from_vec(py, values)
        .reshape([points.len(), dim])?
        .into_any())
}

/// The phase plane of a `Network` (its exact reduction, on its SVD axes unless `raw_axes`) or a
/// `PopulationModel` (its mean field) under a constant input, as `lowrank-explorer analyze
/// --json`: `{"dynamics", "input", "fixed_points": [{"kappa", "eigenvalues", "type", "stable",
/// ...}], "limit_cycles": [{"period_tau", "stable", ...}]}` (for rank other than 2 also
/// `"search"`, and `"limit_cycles"` only where they are searched), plus what the CLI draws but
/// does not print: `"nullclines"`, the polylines of `F_1 = 0` and `F_2 = 0` of the plane shown as
/// `(K, 2)` arrays, each cycle's closed curve as `"points"` `(M, R)`, and the plane's `"rect"`
/// `[xmin, xmax, ymin, ymax]`. `dynamics` is `"ode"` or `"map"` (step `alpha`, default 0.2). The
/// plane of rank 1 is `(v_s, kappa)` for the input `channel`; of rank >= 3 the slice on `axes`
/// (1-based) through `through` (`"fp:K"` or R values), as `render` draws them (MODEL.md 8).
#[pyfunction]
#[pyo3(signature = (obj, input=Input::Text("none".into()), dynamics="ode", alpha=None, range=None, raw_axes=false, axes=None, through=None, channel=None))]
#[allow(clippy::too_many_arguments)]
pub fn analyze<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    input: Input,
    dynamics: &str,
    alpha: Option<f64>,
    range: Option<Vec<f64>>,
    raw_axes: bool,
    axes: Option<Vec<usize>>,
    through: Option<Input>,
    channel: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let slice = Slice {
        axes,
        through,
        channel,
    };
    let plane = plane(input, dynamics, alpha, range, slice)?;
    let source = Source::of(obj)?;
    let (a, searched) = py
        .detach(|| {
            let model = source.model(raw_axes)?;
            let searched = (model.system().rank() != 2)
                .then(|| search(&model, &plane))
                .transpose()
                .map_err(|e| e.0)?;
            Ok::<_, String>((analysis(&model, &plane).map_err(|e| e.0)?, searched))
        })
        .map_err(Error::new_err)?;
    let out = match &searched {
        Some(s) => report(py, &s.report())?,
        None => report(py, &a.report())?,
    };
    let dict = out.cast::<PyDict>()?;
    let land = &a.landscape;
    let nullclines = PyList::empty(py);
    for curves in &land.nullclines.curves {
        let arrays = curves
            .iter()
            .map(|c| points_array(py, &c.points))
            .collect::<PyResult<Vec<_>>>()?;
        nullclines.append(arrays)?;
    }
    dict.set_item("nullclines", nullclines)?;
    let curves: Vec<&[Vec<f64>]> = match &searched {
        Some(s) => s
            .cycles
            .iter()
            .flatten()
            .map(|c| c.points.as_slice())
            .collect(),
        None => land.cycles.iter().map(|c| c.points.as_slice()).collect(),
    };
    if let Some(cycles) = dict.get_item("limit_cycles")? {
        for (k, points) in curves.into_iter().enumerate() {
            cycles
                .get_item(k)?
                .set_item("points", points_array(py, points)?)?;
        }
    }
    let r = &land.rect;
    dict.set_item("rect", [r.x_min, r.x_max, r.y_min, r.y_max])?;
    Ok(out)
}

/// Continues the fixed points in one parameter over `range = (from, to)`, as `lowrank-explorer
/// continue --json`: branches with stability, and the special points (folds, Hopf). `param` as
/// `--param`: `"input.A"`, or a population-model parameter such as `"p1.cov(n2,m1)"`, `"p2.gain"`.
/// `cycles=True` also continues the limit cycles born at the Hopf points and found at `range[0]`
/// (`continue --cycles`, ODE only): the report gains `"cycle_branches"`.
#[pyfunction]
#[pyo3(signature = (obj, param, range, input=Input::Text("none".into()), dynamics="ode", alpha=None, raw_axes=false, cycles=false))]
#[allow(clippy::too_many_arguments)]
pub fn continue_<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    param: &str,
    range: (f64, f64),
    input: Input,
    dynamics: &str,
    alpha: Option<f64>,
    raw_axes: bool,
    cycles: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let param: ParamSpec = param
        .parse()
        .map_err(|e| Error::new_err(format!("param {param:?}: {e}")))?;
    let plane = plane(input, dynamics, alpha, None, Slice::WHOLE)?;
    let source = Source::of(obj)?;
    let c = py
        .detach(|| {
            let model = source.model(raw_axes)?;
            continuation(&model, &param, [range.0, range.1], &plane, cycles).map_err(|e| e.0)
        })
        .map_err(Error::new_err)?;
    report(py, &c.report())
}

/// The two-parameter diagram in `param` over `range` and `param2` over `range2` (default: the
/// range a diagram in `param2` starts with), as `lowrank-explorer continue --param2 --json`: the
/// fold and Hopf (map: Neimark-Sacker, flip) curves, their codimension-2 points (cusp,
/// Bogdanov-Takens, Bautin, fold-Hopf), and with `regions=CELLS` the regions of the plane named
/// by what the phase plane holds, sampled on `CELLS x CELLS` points.
#[pyfunction]
#[pyo3(signature = (obj, param, range, param2, range2=None, regions=None, input=Input::Text("none".into()), dynamics="ode", alpha=None, raw_axes=false))]
#[allow(clippy::too_many_arguments)]
pub fn continue2<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    param: &str,
    range: (f64, f64),
    param2: &str,
    range2: Option<(f64, f64)>,
    regions: Option<usize>,
    input: Input,
    dynamics: &str,
    alpha: Option<f64>,
    raw_axes: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let parse = |name: &str, text: &str| {
        text.parse::<ParamSpec>()
            .map_err(|e| Error::new_err(format!("{name} {text:?}: {e}")))
    };
    let params = [parse("param", param)?, parse("param2", param2)?];
    let plane = plane(input, dynamics, alpha, None, Slice::WHOLE)?;
    let source = Source::of(obj)?;
    let c = py
        .detach(|| {
            let model = source.model(raw_axes)?;
            let [lo, hi] = model.continuation_range(&params[1]);
            let range2 = range2.map_or([lo, hi], |(a, b)| [a, b]);
            plane_continuation(
                &model,
                [&params[0], &params[1]],
                [[range.0, range.1], range2],
                &plane,
                regions,
            )
            .map_err(|e| e.0)
        })
        .map_err(Error::new_err)?;
    report(py, &c.report())
}
