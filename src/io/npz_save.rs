//! Writing `.npz` files as `np.savez` does (MODEL.md 7): a zip of stored `<key>.npy` arrays, each
//! `.npy` format 1.0, little endian (`'<f4'` or `'<f8'`), C order, so that
//! `numpy.load(path, allow_pickle=False)` reads them.
//!
//! The header is NumPy's own, byte for byte (`numpy.lib.format._write_array_header`): the dict
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 64), }`, then spaces that leave room for
//! the first dimension to grow to 21 digits, then spaces up to a multiple of 64 bytes counted from
//! the start of the array, then a newline; the arrays of `tests/fixtures/lowrank_n64_r2.npz` come
//! out identical.

use super::IoErrorKind;
use super::archive;
use super::tensor::{self, Dtype, Tensor, TensorMap};

const NPY_MAGIC_V1: &[u8] = b"\x93NUMPY\x01\x00";
/// NumPy aligns the data of every array to this many bytes.
const ARRAY_ALIGN: usize = 64;
/// Digits NumPy leaves room for in the first dimension of the shape.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// The bytes of an `.npz` file holding `map`, one `<key>.npy` per tensor in map order.
pub(crate) fn npz_bytes(map: &TensorMap) -> Result<Vec<u8>, IoErrorKind> {
    let arrays: Vec<(String, Vec<u8>)> = map
        .iter()
        .map(|(key, t)| Ok((format!("{key}.npy"), npy_bytes(t)?)))
        .collect::<Result<_, IoErrorKind>>()?;
    // np.savez neither aligns entries nor needs it: alignment 1.
    archive::write_stored(arrays.iter().map(|(n, b)| (n.clone(), b.as_slice())), 1)
        .map_err(IoErrorKind::Format)
}

/// One array: magic, version 1.0, header length, header, data.
fn npy_bytes(t: &Tensor) -> Result<Vec<u8>, IoErrorKind> {
    let descr = match t.dtype {
        Dtype::F32 => "<f4",
        Dtype::F64 => "<f8",
    };
    let shape = match t.shape.as_slice() {
        [one] => format!("({one},)"),
        dims => {
            let dims: Vec<String> = dims.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    if let Some(first) = t.shape.first() {
        let digits = first.to_string().len();
        header.extend(std::iter::repeat_n(
            ' ',
            GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits),
        ));
    }
    // The length field counts the header, its padding and the final newline.
    let unpadded = NPY_MAGIC_V1.len() + 2 + header.len() + 1;
    let padding = ARRAY_ALIGN - unpadded % ARRAY_ALIGN;
    header.extend(std::iter::repeat_n(' ', padding));
    header.push('\n');
    let header_len = u16::try_from(header.len()).map_err(|_| {
        IoErrorKind::Format(format!(
            "the .npy header of shape {shape} is longer than format 1.0 allows"
        ))
    })?;
    let data = tensor::encode_floats(&t.data, t.dtype);
    let mut out = Vec::with_capacity(NPY_MAGIC_V1.len() + 2 + header.len() + data.len());
    out.extend(NPY_MAGIC_V1);
    out.extend(header_len.to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    Ok(out)
}
