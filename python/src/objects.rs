//! The two things a file holds: a `Network` (MODEL.md 1, with the published `LowRankRNN`'s
//! parameter names and shapes) and a `PopulationModel` (MODEL.md 4). Both are immutable: every
//! operation returns a new object.

use std::sync::Arc;

use lowrank::io::{Meta, NetworkFile};
use lowrank::model::{Axes, Model, NetworkSource};
use lowrank::network::{self as core, NetworkParts};
use lowrank::reduced;
use numpy::{
    AllowTypeChange, PyArray1, PyArray2, PyArray3, PyArrayLike1, PyArrayLike2, PyArrayMethods,
};
use pyo3::prelude::*;

use crate::arrays::{matrix_from_view, matrix_to_numpy, vector_from_view, vector_to_numpy};
use crate::{error, report};

/// A low-rank RNN: `wi (S, N)`, `si (S,)`, `m (N, R)`, `n (N, R)`, `wo (N, O)`, `so (O,)`,
/// `h0 (N,)` and an optional bias `b (N,)`, as the published PyTorch `LowRankRNN` holds them.
#[pyclass(module = "lowrank_explorer", frozen)]
pub struct Network {
    pub file: Arc<NetworkFile>,
}

impl Network {
    pub fn new(network: core::Network, meta: Option<Meta>) -> Self {
        Network {
            file: Arc::new(NetworkFile { network, meta }),
        }
    }

    pub fn network(&self) -> &core::Network {
        &self.file.network
    }
}

#[pymethods]
impl Network {
    /// Builds a network from arrays in the published shapes (any float dtype; copied as float64).
    /// `si` and `so` default to ones and `h0` to zeros, as `LowRankRNN` initialises them.
    #[staticmethod]
    #[pyo3(signature = (m, n, wi, wo, si=None, so=None, h0=None, b=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_arrays(
        m: PyArrayLike2<'_, f64, AllowTypeChange>,
        n: PyArrayLike2<'_, f64, AllowTypeChange>,
        wi: PyArrayLike2<'_, f64, AllowTypeChange>,
        wo: PyArrayLike2<'_, f64, AllowTypeChange>,
        si: Option<PyArrayLike1<'_, f64, AllowTypeChange>>,
        so: Option<PyArrayLike1<'_, f64, AllowTypeChange>>,
        h0: Option<PyArrayLike1<'_, f64, AllowTypeChange>>,
        b: Option<PyArrayLike1<'_, f64, AllowTypeChange>>,
    ) -> PyResult<Self> {
        let vector = |v: Option<PyArrayLike1<'_, f64, AllowTypeChange>>, len: usize, fill: f64| {
            v.map_or_else(
                || nalgebra::DVector::from_element(len, fill),
                |a| vector_from_view(a.as_array()),
            )
        };
        let (wi, wo) = (
            matrix_from_view(wi.as_array()),
            matrix_from_view(wo.as_array()),
        );
        let parts = NetworkParts {
            si: vector(si, wi.nrows(), 1.0),
            so: vector(so, wo.ncols(), 1.0),
            h0: vector(h0, m.as_array().nrows(), 0.0),
            b: b.map(|a| vector_from_view(a.as_array())),
            m: matrix_from_view(m.as_array()),
            n: matrix_from_view(n.as_array()),
            wi,
            wo,
        };
        Ok(Network::new(
            core::Network::new(parts).map_err(error)?,
            None,
        ))
    }

    #[getter]
    fn m<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        matrix_to_numpy(py, &self.network().parts().m)
    }

    #[getter]
    fn n<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        matrix_to_numpy(py, &self.network().parts().n)
    }

    #[getter]
    fn wi<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        matrix_to_numpy(py, &self.network().parts().wi)
    }

    #[getter]
    fn wo<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        matrix_to_numpy(py, &self.network().parts().wo)
    }

    #[getter]
    fn si<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        vector_to_numpy(py, &self.network().parts().si)
    }

    #[getter]
    fn so<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        vector_to_numpy(py, &self.network().parts().so)
    }

    #[getter]
    fn h0<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        vector_to_numpy(py, &self.network().parts().h0)
    }

    /// The bias `b`, or `None` for the published networks (which have none).
    #[getter]
    fn b<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f64>>> {
        self.network().bias().map(|b| vector_to_numpy(py, b))
    }

    /// Number of neurons N.
    #[getter]
    fn neurons(&self) -> usize {
        self.network().dims().neurons
    }

    #[getter]
    fn rank(&self) -> usize {
        self.network().dims().rank
    }

    /// Number of input channels S.
    #[getter]
    fn inputs(&self) -> usize {
        self.network().dims().inputs
    }

    /// Number of outputs O.
    #[getter]
    fn outputs(&self) -> usize {
        self.network().dims().outputs
    }

    /// The file's provenance (`meta` of the project's JSON: the command that made it, training
    /// results), or `None`.
    #[getter]
    fn meta<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.file.meta.as_ref().map(|m| report(py, m)).transpose()
    }

    /// The same network on the orthogonal SVD axes of MODEL.md 2 (same dynamics, `m` orthogonal).
    fn svd(&self) -> PyResult<Self> {
        let net = self.network().svd_reparametrised().map_err(error)?;
        Ok(Network::new(net, self.file.meta.clone()))
    }

    fn __repr__(&self) -> String {
        let d = self.network().dims();
        format!(
            "Network(neurons={}, rank={}, inputs={}, outputs={}{})",
            d.neurons,
            d.rank,
            d.inputs,
            d.outputs,
            if self.network().bias().is_some() {
                ", bias"
            } else {
                ""
            }
        )
    }
}

/// A population model (MODEL.md 4): zero-mean Gaussian populations of loadings `(m, n, I, w)`.
#[pyclass(module = "lowrank_explorer", frozen)]
pub struct PopulationModel {
    pub model: reduced::PopulationModel,
    /// What it is called in titles (a file's or a preset's name).
    pub name: String,
}

#[pymethods]
impl PopulationModel {
    #[getter]
    fn rank(&self) -> usize {
        self.model.dims().rank
    }

    #[getter]
    fn inputs(&self) -> usize {
        self.model.dims().inputs
    }

    #[getter]
    fn outputs(&self) -> usize {
        self.model.dims().outputs
    }

    /// The names of the loadings, in the order of the covariances' rows (`m1, m2, n1, ...`).
    #[getter]
    fn loading_names(&self) -> Vec<String> {
        self.model.loading_names()
    }

    /// The fraction of neurons in each population, `(P,)`.
    #[getter]
    fn fractions<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        let f: Vec<f64> = self
            .model
            .populations()
            .iter()
            .map(|p| p.fraction)
            .collect();
        PyArray1::from_vec(py, f)
    }

    /// The covariance of each population, `(P, D, D)` over [`PopulationModel::loading_names`].
    #[getter]
    fn covariances<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let pops = self.model.populations();
        let d = self.model.dims().loadings();
        let values: Vec<f64> = pops
            .iter()
            .flat_map(|p| (0..d).flat_map(move |i| (0..d).map(move |j| p.cov[(i, j)])))
            .collect();
        PyArray1::from_vec(py, values).reshape([pops.len(), d, d])
    }

    /// The model as the project's JSON (what `save` writes).
    fn to_json(&self) -> String {
        lowrank::io::model_json::to_json_string(&self.model)
    }

    /// The model's provenance (`meta`: the fit's statistics, the command that made it).
    #[getter]
    fn meta<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        report(py, self.model.meta())
    }

    fn __repr__(&self) -> String {
        let d = self.model.dims();
        format!(
            "PopulationModel({:?}, populations={}, rank={}, inputs={}, outputs={})",
            self.name,
            self.model.populations().len(),
            d.rank,
            d.inputs,
            d.outputs
        )
    }
}

/// What the analyses accept, taken out of its Python object so that the reduced system can be
/// built with the GIL released (a network's SVD re-parametrisation is O(N R^2)).
pub enum Source {
    Network(Arc<NetworkFile>),
    Population(reduced::PopulationModel, String),
}

impl Source {
    /// A `Network` or a `PopulationModel`; a `TypeError` for anything else.
    pub fn of(obj: &Bound<'_, PyAny>) -> PyResult<Source> {
        if let Ok(net) = obj.cast::<Network>() {
            return Ok(Source::Network(net.get().file.clone()));
        }
        if let Ok(pop) = obj.cast::<PopulationModel>() {
            let pop = pop.get();
            return Ok(Source::Population(pop.model.clone(), pop.name.clone()));
        }
        Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "expected a lowrank_explorer.Network or PopulationModel, got {}",
            obj.get_type().name()?
        )))
    }

    /// The model the CLI would analyse: a network's exact reduction (on its SVD axes unless
    /// `raw_axes`), a population model's mean field.
    pub fn model(self, raw_axes: bool) -> Result<Model, String> {
        match self {
            Source::Network(file) => {
                let axes = if raw_axes { Axes::Raw } else { Axes::Svd };
                let source = NetworkSource::file("<python>");
                Model::from_network(file.network.clone(), axes, source).map_err(|e| e.to_string())
            }
            Source::Population(model, name) => Ok(Model::from_population(model, &name)),
        }
    }
}
