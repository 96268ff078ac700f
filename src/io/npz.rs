//! NumPy `.npz` archives (MODEL.md 7): a zip of `<key>.npy` arrays (stored by `np.savez`, deflated
//! by `np.savez_compressed`), with the state dict's key names.
//!
//! An `.npy` array is the magic `\x93NUMPY`, a version (1.0: 2-byte header length; 2.0 and 3.0:
//! 4-byte), a header that is a Python dict literal `{'descr': '<f4', 'fortran_order': False,
//! 'shape': (2, 64), }`, then the raw data. We parse that header ourselves, accepting only string,
//! bool and integer-tuple values: a general parser (npyz 0.9) multiplies the shape without overflow
//! checks, which panics on a hostile header in debug and fuzzing builds. Each entry's header is
//! inflated first: its element count is capped and checked against the memory budget, and only then
//! is the data inflated, no further than the header says.
//!
//! Dtypes `<f4`, `>f4`, `<f8`, `>f8`; C and Fortran order (a Fortran array is transposed to
//! row-major). Anything else is an error naming the key.

use super::IoErrorKind;
use super::archive::{Want, Zip};
use super::tensor::{self, Dtype, Endian, Tensor, TensorMap, shown};
use crate::budget;

const NPY_MAGIC: &[u8] = b"\x93NUMPY";
/// NumPy arrays have at most 64 dimensions.
const MAX_DIMS: usize = 64;
/// The most we inflate to find an array's header (NumPy writes headers of a few hundred bytes).
const MAX_HEAD: usize = 1 << 16;

/// Reads an `.npz` file from memory.
pub fn read_npz_bytes(bytes: &[u8]) -> Result<TensorMap, IoErrorKind> {
    let mut zip = Zip::open(bytes).map_err(IoErrorKind::Format)?;
    let names = zip.names().map_err(IoErrorKind::Format)?;
    read_archive(&mut zip, &names)
}

/// Whether a zip archive with these entry names is an `.npz` (it holds `.npy` arrays).
pub(crate) fn is_npz(names: &[String]) -> bool {
    names.iter().any(|n| n.ends_with(".npy"))
}

/// Reads every `<key>.npy` entry of the archive, in archive order; other entries are ignored.
pub(crate) fn read_archive(zip: &mut Zip, names: &[String]) -> Result<TensorMap, IoErrorKind> {
    let mut map = TensorMap::new();
    // All arrays together may not exceed the file size limit: deflate, and zip entries sharing
    // compressed data, could otherwise expand a small archive without bound.
    let mut raw_left = super::MAX_FILE_BYTES;
    let mut held = 0u64;
    for name in names {
        let Some(key) = name.strip_suffix(".npy") else {
            continue;
        };
        let fail = |message: String| IoErrorKind::Key {
            key: shown(key),
            message,
        };
        let head = zip.read(name, Want::Head(MAX_HEAD as u64)).map_err(fail)?;
        let layout = npy_layout(&head).map_err(fail)?;
        let raw = layout.data_start as u64 + layout.data_bytes();
        if raw > raw_left {
            return Err(fail(format!(
                "the arrays hold more than {} bytes in all, the most we read",
                super::MAX_FILE_BYTES
            )));
        }
        raw_left -= raw;
        // The raw bytes and the decoded values are held together for a moment.
        held = held.saturating_add(layout.data_bytes()) + budget::bytes(layout.count, 8);
        budget::check(
            "decoding the arrays of this file",
            held,
            "the file's arrays are larger than the memory budget allows",
        )
        .map_err(|e| fail(e.to_string()))?;
        let bytes = zip.read(name, Want::Prefix(raw)).map_err(fail)?;
        map.insert(key.to_owned(), parse_npy(&bytes).map_err(fail)?);
    }
    if map.is_empty() {
        return Err(IoErrorKind::Format(
            "the archive holds no .npy arrays".into(),
        ));
    }
    Ok(map)
}

/// The header fields we use.
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Where an `.npy` array's data starts and what it holds, read from its first bytes.
#[derive(Debug)]
struct NpyLayout {
    /// Offset of the data from the start of the array.
    data_start: usize,
    header: Header,
    dtype: Dtype,
    endian: Endian,
    /// Elements of the array (capped by [`tensor::element_count`]).
    count: usize,
}

impl NpyLayout {
    fn data_bytes(&self) -> u64 {
        budget::bytes(self.count, self.dtype.size())
    }
}

/// Parses the magic, version and header at the start of an `.npy` array (`head` may stop anywhere
/// after the header).
fn npy_layout(head: &[u8]) -> Result<NpyLayout, String> {
    let rest = head
        .strip_prefix(NPY_MAGIC)
        .ok_or("not a .npy array (no \\x93NUMPY magic)")?;
    let (header_len, prefix_len, rest) = match rest {
        [1, _, a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), 4, rest),
        [2 | 3, _, a, b, c, d, rest @ ..] => {
            let len = u32::from_le_bytes([*a, *b, *c, *d]);
            (
                usize::try_from(len).map_err(|_| "header too long")?,
                6,
                rest,
            )
        }
        [major, ..] => return Err(format!(".npy format version {major} is not supported")),
        [] => return Err("truncated .npy header".into()),
    };
    let text = rest.get(..header_len).ok_or_else(|| {
        if head.len() >= MAX_HEAD {
            format!("the .npy header is longer than {MAX_HEAD} bytes (NumPy writes a few hundred)")
        } else {
            "the .npy header is longer than the array".to_string()
        }
    })?;
    let text = std::str::from_utf8(text).map_err(|_| "the .npy header is not text")?;
    let header = parse_header(text)?;
    let (dtype, endian) = match header.descr.as_str() {
        "<f4" => (Dtype::F32, Endian::Little),
        ">f4" => (Dtype::F32, Endian::Big),
        "<f8" => (Dtype::F64, Endian::Little),
        ">f8" => (Dtype::F64, Endian::Big),
        other => {
            return Err(format!(
                "dtype `{}` is not supported: only float32 ('<f4') and float64 ('<f8') arrays are read",
                shown(other)
            ));
        }
    };
    let count = tensor::element_count(&header.shape)?;
    Ok(NpyLayout {
        data_start: NPY_MAGIC.len() + prefix_len + header_len,
        header,
        dtype,
        endian,
        count,
    })
}

/// Parses one `.npy` array.
fn parse_npy(bytes: &[u8]) -> Result<Tensor, String> {
    let NpyLayout {
        data_start,
        header,
        dtype,
        endian,
        count,
    } = npy_layout(bytes)?;
    let data = &bytes[data_start..];
    let nbytes = count * dtype.size();
    let data = data.get(..nbytes).ok_or_else(|| {
        format!(
            "the array data is truncated: shape {:?} needs {nbytes} bytes, {} present",
            header.shape,
            data.len()
        )
    })?;
    let values = tensor::decode_floats(data, dtype, endian);
    let data = if header.fortran_order {
        // Column-major: the first index moves fastest.
        let strides: Vec<usize> = header
            .shape
            .iter()
            .scan(1usize, |acc, &d| {
                let stride = *acc;
                // Saturating: with a zero dimension the view is empty and no stride is used.
                *acc = acc.saturating_mul(d);
                Some(stride)
            })
            .collect();
        tensor::gather_strided(&values, 0, &header.shape, &strides)?
    } else {
        values
    };
    Ok(Tensor {
        shape: header.shape,
        data,
        dtype,
    })
}

/// Parses the header dict literal (see the module doc). Keys other than the three we need are
/// ignored; values other than strings, booleans and tuples of integers are errors.
fn parse_header(text: &str) -> Result<Header, String> {
    let mut lex = Lexer {
        s: text.as_bytes(),
        pos: 0,
    };
    let (mut descr, mut fortran_order, mut shape) = (None, None, None);
    lex.expect(b'{')?;
    while lex.peek() != Some(b'}') {
        let key = lex.string()?;
        lex.expect(b':')?;
        match key.as_str() {
            "descr" => descr = Some(lex.string()?),
            "fortran_order" => fortran_order = Some(lex.boolean()?),
            "shape" => shape = Some(lex.int_tuple()?),
            _ => lex.skip_value()?,
        }
        if lex.peek() == Some(b',') {
            lex.pos += 1;
        } else {
            break;
        }
    }
    lex.expect(b'}')?;
    let missing = |k: &str| format!("the .npy header has no '{k}'");
    Ok(Header {
        descr: descr.ok_or_else(|| missing("descr"))?,
        fortran_order: fortran_order.ok_or_else(|| missing("fortran_order"))?,
        shape: shape.ok_or_else(|| missing("shape"))?,
    })
}

/// A cursor over the header text; every method skips leading whitespace.
struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&mut self) -> Option<u8> {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{}`", char::from(c))))
        }
    }

    fn unexpected(&self, wanted: &str) -> String {
        format!(
            "malformed .npy header: expected {wanted} at character {}",
            self.pos
        )
    }

    /// A quoted string without escapes (NumPy writes none in these fields).
    fn string(&mut self) -> Result<String, String> {
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(self.unexpected("a string")),
        };
        let start = self.pos + 1;
        let len = self.s[start..]
            .iter()
            .position(|&c| c == quote || c == b'\\')
            .ok_or_else(|| self.unexpected("a closing quote"))?;
        let end = start + len;
        if self.s[end] == b'\\' {
            return Err(self.unexpected("a string without escapes"));
        }
        self.pos = end + 1;
        Ok(String::from_utf8_lossy(&self.s[start..end]).into_owned())
    }

    fn boolean(&mut self) -> Result<bool, String> {
        self.peek();
        let rest = &self.s[self.pos..];
        for (word, value) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        Err(self.unexpected("True or False"))
    }

    /// A tuple or list of non-negative integers (a Python 2 `L` suffix is allowed).
    fn int_tuple(&mut self) -> Result<Vec<usize>, String> {
        let close = match self.peek() {
            Some(b'(') => b')',
            Some(b'[') => b']',
            _ => return Err(self.unexpected("a tuple of integers")),
        };
        self.pos += 1;
        let mut values = Vec::new();
        while self.peek() != Some(close) {
            if values.len() == MAX_DIMS {
                return Err(format!(
                    "the .npy shape has more than {MAX_DIMS} dimensions"
                ));
            }
            values.push(self.integer()?);
            if self.peek() == Some(b',') {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.expect(close)?;
        Ok(values)
    }

    fn integer(&mut self) -> Result<usize, String> {
        self.peek();
        let digits = self.s[self.pos..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return Err(self.unexpected("a non-negative integer"));
        }
        let text = &self.s[self.pos..self.pos + digits];
        self.pos += digits;
        if self.s.get(self.pos) == Some(&b'L') {
            self.pos += 1;
        }
        std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse::<usize>().ok())
            .ok_or_else(|| "a .npy shape dimension does not fit in 64 bits".into())
    }

    /// Skips a value of a key we do not use (a string, bool or integer tuple).
    fn skip_value(&mut self) -> Result<(), String> {
        match self.peek() {
            Some(b'\'' | b'"') => self.string().map(drop),
            Some(b'(' | b'[') => self.int_tuple().map(drop),
            _ => self.boolean().map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = NPY_MAGIC.to_vec();
        out.extend([1, 0]);
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn header_variants() {
        let h = parse_header("{'descr': '<f8', 'fortran_order': True, 'shape': (3L, 2), }  \n")
            .unwrap();
        assert_eq!(
            h,
            Header {
                descr: "<f8".into(),
                fortran_order: true,
                shape: vec![3, 2]
            }
        );
        assert_eq!(
            parse_header("{\"shape\": (), \"descr\": \">f4\", \"fortran_order\": False}")
                .unwrap()
                .shape,
            Vec::<usize>::new()
        );
        for bad in [
            "",
            "{",
            "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
            "{'descr': '<f4', 'fortran_order': False}",
            "{'descr': 'a\\'b', 'fortran_order': False, 'shape': ()}",
        ] {
            assert!(parse_header(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fortran_order_is_transposed() {
        // [[1, 2, 3], [4, 5, 6]] stored column-major: 1 4 2 5 3 6.
        let data: Vec<u8> = [1.0f64, 4., 2., 5., 3., 6.]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let t = parse_npy(&npy(
            "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }\n",
            &data,
        ))
        .unwrap();
        assert_eq!(t.shape, vec![2, 3]);
        assert_eq!(t.data, vec![1., 2., 3., 4., 5., 6.]);
    }

    #[test]
    fn big_endian_and_errors() {
        let t = parse_npy(&npy(
            "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }\n",
            &(-0.5f64).to_be_bytes(),
        ))
        .unwrap();
        assert_eq!(t.data, vec![-0.5]);
        let err = parse_npy(&npy(
            "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n",
            &[0; 8],
        ))
        .unwrap_err();
        assert!(err.contains("<i8"), "{err}");
        let err = parse_npy(&npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000,), }\n",
            &[0; 8],
        ))
        .unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        let err = parse_npy(&npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }\n",
            &[],
        ))
        .unwrap_err();
        assert!(err.contains("more than"), "{err}");
    }
}
