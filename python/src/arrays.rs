//! nalgebra matrices and vectors to NumPy arrays and back, in PyTorch's shapes and C order, with
//! every value copied exactly (f64; float32 inputs widen exactly).

use nalgebra::{DMatrix, DVector};
use numpy::ndarray::{Array2, ArrayView1, ArrayView2};
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;

pub fn matrix_to_numpy<'py>(py: Python<'py>, m: &DMatrix<f64>) -> Bound<'py, PyArray2<f64>> {
    let a = Array2::from_shape_fn(m.shape(), |(i, j)| m[(i, j)]);
    PyArray2::from_owned_array(py, a)
}

pub fn vector_to_numpy<'py>(py: Python<'py>, v: &DVector<f64>) -> Bound<'py, PyArray1<f64>> {
    PyArray1::from_slice(py, v.as_slice())
}

pub fn matrix_from_view(a: ArrayView2<'_, f64>) -> DMatrix<f64> {
    let (rows, cols) = a.dim();
    DMatrix::from_fn(rows, cols, |i, j| a[[i, j]])
}

pub fn vector_from_view(a: ArrayView1<'_, f64>) -> DVector<f64> {
    DVector::from_iterator(a.len(), a.iter().copied())
}

/// A flat row-major buffer as an array of `shape`.
pub fn shaped<'py>(
    py: Python<'py>,
    values: Vec<f64>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyArray1::from_vec(py, values).reshape(shape)?.into_any())
}
