//! Named tensors as read from `.pt` and `.npz` files (MODEL.md 7), before they become a network.
//!
//! Every reader produces a [`TensorMap`]: the file's keys in file order, each with a row-major `f64`
//! copy of the data and the dtype it was stored with. Float32 values convert to f64 exactly, so the
//! three fixture formats give bitwise-identical maps.

use std::collections::HashMap;

use crate::network::{MAX_NEURONS, MAX_SMALL_DIM};

/// Largest element count of one tensor: an `(N, R)` matrix at the network limits. Checked before any
/// allocation, so a file cannot make us reserve more than a real network could need.
pub const MAX_TENSOR_ELEMENTS: usize = MAX_NEURONS * MAX_SMALL_DIM;

/// The element types we read; both convert to f64 without rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    F32,
    F64,
}

impl Dtype {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }
}

/// Byte order of stored elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

/// One tensor: its shape, its values in row-major (C) order, and the dtype it was stored with.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
    pub dtype: Dtype,
}

/// Tensors by key, in the order the file lists them (a state dict is ordered).
///
/// Inserting an existing key replaces its tensor in place, as a Python dict does when a pickle sets
/// the same key twice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TensorMap {
    entries: Vec<(String, Tensor)>,
    index: HashMap<String, usize>,
}

impl TensorMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `tensor` under `key`, replacing (in place) a tensor already stored under that key.
    pub fn insert(&mut self, key: String, tensor: Tensor) {
        match self.index.get(&key) {
            Some(&i) => self.entries[i].1 = tensor,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, tensor));
            }
        }
    }

    /// The tensor stored under exactly `key`.
    pub fn get(&self, key: &str) -> Option<&Tensor> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    /// Keys and tensors in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.entries.iter().map(|(k, t)| (k.as_str(), t))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Finds the parameter `name`: the key `name` itself or, failing that, the only key ending in
    /// `.name` (a state dict saved from a wrapper module has keys such as `rnn.m`).
    ///
    /// `Ok(None)` if no key matches; an error listing the candidates if several suffixes match.
    pub fn find(&self, name: &str) -> Result<Option<(&str, &Tensor)>, String> {
        if let Some(&i) = self.index.get(name) {
            let (key, t) = &self.entries[i];
            return Ok(Some((key.as_str(), t)));
        }
        let suffix = format!(".{name}");
        let mut matches = self.iter().filter(|(k, _)| k.ends_with(&suffix));
        let first = matches.next();
        let rest: Vec<&str> = matches.map(|(k, _)| k).collect();
        match (first, rest.is_empty()) {
            (None, _) => Ok(None),
            (Some(found), true) => Ok(Some(found)),
            (Some((k, _)), false) => {
                let all: Vec<String> = std::iter::once(k).chain(rest).map(shown).collect();
                Err(format!(
                    "several keys end in `{suffix}` ({}); rename or remove all but one",
                    all.join(", ")
                ))
            }
        }
    }
}

/// `text` made safe to print in an error: control characters escaped, long text cut. Keys and names
/// come from the file, so they must not reach a terminal raw.
pub(crate) fn shown(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    let mut out: String = text
        .chars()
        .take(MAX_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

/// Product of `dims`, or an error if it overflows or exceeds [`MAX_TENSOR_ELEMENTS`].
pub(crate) fn element_count(dims: &[usize]) -> Result<usize, String> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_TENSOR_ELEMENTS)
        .ok_or_else(|| {
            format!(
                "shape {dims:?} has more than {MAX_TENSOR_ELEMENTS} elements, the largest we accept"
            )
        })
}

/// Converts raw stored elements to f64 (exact for both dtypes). `bytes.len()` must be a multiple of
/// the element size; a trailing partial element is ignored by construction of `chunks_exact`, and
/// callers pass exactly `count * size` bytes.
pub(crate) fn decode_floats(bytes: &[u8], dtype: Dtype, endian: Endian) -> Vec<f64> {
    match (dtype, endian) {
        (Dtype::F32, Endian::Little) => bytes
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        (Dtype::F32, Endian::Big) => bytes
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        (Dtype::F64, Endian::Little) => bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
        (Dtype::F64, Endian::Big) => bytes
            .chunks_exact(8)
            .map(|c| f64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
    }
}

/// The little-endian bytes of `values` stored as `dtype`: what every writer stores (`.pt` storages,
/// `.npy` data, safetensors buffers are all little endian). Float32 rounds each value to nearest;
/// see [`float32_rounding`] for what that loses.
pub(crate) fn encode_floats(values: &[f64], dtype: Dtype) -> Vec<u8> {
    match dtype {
        Dtype::F32 => values
            .iter()
            .flat_map(|&v| (v as f32).to_le_bytes())
            .collect(),
        Dtype::F64 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

/// What storing values as float32 changes: how many are not exactly representable, and the
/// largest relative change `|f32(v) - v| / |v|` among them (infinite if one overflows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rounding {
    pub inexact: usize,
    pub total: usize,
    pub max_relative: f64,
}

/// How `values` fare when stored as float32 (`None` if every value is exactly a float32, as for a
/// network read from a float32 file, which then round-trips bit for bit).
pub fn float32_rounding<'a>(values: impl IntoIterator<Item = &'a f64>) -> Option<Rounding> {
    let mut r = Rounding {
        inexact: 0,
        total: 0,
        max_relative: 0.0,
    };
    for &v in values {
        r.total += 1;
        let rounded = f64::from(v as f32);
        if rounded != v {
            r.inexact += 1;
            r.max_relative = r.max_relative.max((rounded - v).abs() / v.abs());
        }
    }
    (r.inexact > 0).then_some(r)
}

/// Copies the strided view `source[offset + sum_d i_d * strides[d]]` into a row-major vector.
///
/// This is how both a PyTorch tensor (a view of its storage, MODEL.md 7) and a Fortran-order NumPy
/// array are materialised. The element count is capped by [`MAX_TENSOR_ELEMENTS`] and the last
/// element the view can reach is checked against `source.len()` (with checked arithmetic) before
/// anything is allocated or read, so hostile offsets, sizes and strides give an error.
pub(crate) fn gather_strided(
    source: &[f64],
    offset: usize,
    shape: &[usize],
    strides: &[usize],
) -> Result<Vec<f64>, String> {
    if shape.len() != strides.len() {
        return Err(format!(
            "shape {shape:?} and strides {strides:?} have different lengths"
        ));
    }
    let count = element_count(shape)?;
    if count == 0 {
        return Ok(Vec::new());
    }
    // Largest flat index the view reaches: offset + sum (size - 1) * stride.
    let last = shape
        .iter()
        .zip(strides)
        .try_fold(offset, |acc, (&size, &stride)| {
            (size - 1).checked_mul(stride).and_then(|s| acc.checked_add(s))
        })
        .filter(|&last| last < source.len())
        .ok_or_else(|| {
            format!(
                "offset {offset}, shape {shape:?} and strides {strides:?} reach past the end of its \
                 storage of {} elements",
                source.len()
            )
        })?;
    debug_assert!(last < source.len());
    // A dimension of size 1 never moves the position, whatever its stride: zero it, so that every
    // position below stays within `offset..=last`.
    let steps: Vec<usize> = shape
        .iter()
        .zip(strides)
        .map(|(&size, &stride)| if size == 1 { 0 } else { stride })
        .collect();
    let mut out = Vec::with_capacity(count);
    let mut index = vec![0usize; shape.len()];
    let mut pos = offset;
    for _ in 0..count {
        out.push(
            source
                .get(pos)
                .copied()
                .ok_or("strided index out of range")?,
        );
        // Odometer increment of the multi-index, last dimension fastest (row-major order).
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                pos += steps[d];
                break;
            }
            pos -= steps[d] * (shape[d] - 1);
            index[d] = 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_transposed_view() {
        // A 3x4 row-major matrix viewed as its 4x3 transpose (strides (1, 4)).
        let source: Vec<f64> = (0..12).map(f64::from).collect();
        let t = gather_strided(&source, 0, &[4, 3], &[1, 4]).unwrap();
        assert_eq!(t, vec![0., 4., 8., 1., 5., 9., 2., 6., 10., 3., 7., 11.]);
    }

    #[test]
    fn gather_offset_and_step() {
        // base[1:, ::2] of the 3x4 matrix: offset 4, shape (2, 2), strides (4, 2).
        let source: Vec<f64> = (0..12).map(f64::from).collect();
        let t = gather_strided(&source, 4, &[2, 2], &[4, 2]).unwrap();
        assert_eq!(t, vec![4., 6., 8., 10.]);
    }

    #[test]
    fn gather_broadcast_and_scalar() {
        let source = [7.0];
        assert_eq!(
            gather_strided(&source, 0, &[3], &[0]).unwrap(),
            vec![7.0; 3]
        );
        assert_eq!(gather_strided(&source, 0, &[], &[]).unwrap(), vec![7.0]);
        // A size-1 dimension may carry any stride.
        assert_eq!(
            gather_strided(&source, 0, &[1, 1], &[usize::MAX, 5]).unwrap(),
            vec![7.0]
        );
        assert!(
            gather_strided(&source, 0, &[0, 9], &[1, 1])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn gather_rejects_out_of_bounds_and_overflow() {
        let source = [0.0; 10];
        assert!(gather_strided(&source, 9, &[2], &[1]).is_err());
        assert!(gather_strided(&source, 0, &[2], &[10]).is_err());
        assert!(gather_strided(&source, usize::MAX, &[2], &[1]).is_err());
        assert!(gather_strided(&source, 0, &[3], &[usize::MAX]).is_err());
        assert!(gather_strided(&source, 0, &[usize::MAX, usize::MAX], &[0, 0]).is_err());
        assert!(gather_strided(&source, 0, &[2], &[1, 1]).is_err());
    }

    #[test]
    fn decode_both_endians() {
        let x = 1.3f32;
        let le = decode_floats(&x.to_le_bytes(), Dtype::F32, Endian::Little);
        let be = decode_floats(&x.to_be_bytes(), Dtype::F32, Endian::Big);
        assert_eq!(le, vec![f64::from(x)]);
        assert_eq!(be, le);
        let y = -2.5e-300f64;
        assert_eq!(
            decode_floats(&y.to_be_bytes(), Dtype::F64, Endian::Big),
            vec![y]
        );
    }

    #[test]
    fn find_exact_then_unique_suffix() {
        let t = Tensor {
            shape: vec![1],
            data: vec![1.0],
            dtype: Dtype::F32,
        };
        let mut map = TensorMap::new();
        map.insert("rnn.m".into(), t.clone());
        map.insert("rnn.n".into(), t.clone());
        map.insert("other.n".into(), t.clone());
        map.insert("wm".into(), t.clone());
        assert_eq!(map.find("m").unwrap().unwrap().0, "rnn.m");
        let err = map.find("n").unwrap_err();
        assert!(err.contains("rnn.n") && err.contains("other.n"), "{err}");
        assert!(map.find("h0").unwrap().is_none());
        map.insert("n".into(), t);
        assert_eq!(map.find("n").unwrap().unwrap().0, "n");
    }

    #[test]
    fn insert_replaces_in_place() {
        let t = |v: f64| Tensor {
            shape: vec![1],
            data: vec![v],
            dtype: Dtype::F64,
        };
        let mut map = TensorMap::new();
        map.insert("a".into(), t(1.0));
        map.insert("b".into(), t(2.0));
        map.insert("a".into(), t(3.0));
        assert_eq!(map.keys().collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(map.get("a").unwrap().data, vec![3.0]);
    }

    #[test]
    fn shown_escapes_and_truncates() {
        assert_eq!(shown("a\nb"), "a\\nb");
        assert!(shown(&"x".repeat(500)).ends_with("..."));
    }
}
