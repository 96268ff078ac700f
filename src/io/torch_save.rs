//! Writing `.pt` files in the zip layout `torch.save` writes (torch 2.x; MODEL.md 7), so that
//! `torch.load(path, weights_only=True)` returns the state dict and `LowRankRNN.load_state_dict`
//! takes it unchanged.
//!
//! The archive holds, in this order and every entry stored with its data 64-byte aligned, as
//! torch 2.15 wrote `tests/fixtures/lowrank_n64_r2.pt`:
//!
//! | entry | content |
//! |---|---|
//! | `<name>/data.pkl` | the state dict's pickle ([`super::pickler`]) |
//! | `<name>/.format_version` | `1` |
//! | `<name>/.storage_alignment` | `64` |
//! | `<name>/byteorder` | `little` |
//! | `<name>/data/<i>` | tensor `i`'s storage, little endian, one storage per tensor |
//! | `<name>/version` | `3` and a newline (the archive format version torch writes) |
//! | `<name>/.data/serialization_id` | 40 digits tagging the file |
//!
//! `<name>` is the file's stem, as torch names it. Torch draws the serialization id at random; ours
//! is derived from the content (two 64-bit FNV-1a hashes, of the pickle and of the storages), so
//! that the same network always gives the same file. Torch only records the id.

use super::IoErrorKind;
use super::archive;
use super::pickler::{self, TensorEntry};
use super::tensor::{self, TensorMap};

/// The data alignment `torch.save` uses (its `.storage_alignment`).
const STORAGE_ALIGNMENT: u16 = 64;
/// The archive format version torch 2.x writes.
const ARCHIVE_VERSION: &str = "3\n";

/// The bytes of a `.pt` file holding `map` (each tensor stored with its own dtype), with the
/// records under `archive_name/`.
pub(crate) fn pt_bytes(map: &TensorMap, archive_name: &str) -> Result<Vec<u8>, IoErrorKind> {
    let storage_keys: Vec<String> = (0..map.len()).map(|i| i.to_string()).collect();
    let entries: Vec<TensorEntry> = map
        .iter()
        .zip(&storage_keys)
        .map(|((key, t), storage_key)| TensorEntry {
            key,
            storage_key,
            shape: &t.shape,
            dtype: t.dtype,
        })
        .collect();
    let pickle = pickler::state_dict_pickle(&entries).map_err(IoErrorKind::Format)?;
    let storages: Vec<Vec<u8>> = map
        .iter()
        .map(|(_, t)| tensor::encode_floats(&t.data, t.dtype))
        .collect();
    let id = format!(
        "{:020}{:020}",
        fnv1a(std::iter::once(pickle.as_slice())),
        fnv1a(storages.iter().map(Vec::as_slice))
    );
    let a = archive_name;
    let mut records: Vec<(String, &[u8])> = vec![
        (format!("{a}/data.pkl"), &pickle),
        (format!("{a}/.format_version"), b"1"),
        (format!("{a}/.storage_alignment"), b"64"),
        (format!("{a}/byteorder"), b"little"),
    ];
    for (key, bytes) in storage_keys.iter().zip(&storages) {
        records.push((format!("{a}/data/{key}"), bytes));
    }
    records.push((format!("{a}/version"), ARCHIVE_VERSION.as_bytes()));
    records.push((format!("{a}/.data/serialization_id"), id.as_bytes()));
    archive::write_stored(records, STORAGE_ALIGNMENT).map_err(IoErrorKind::Format)
}

/// The archive name torch gives a file: its stem (`net` for `runs/net.pt`), or `archive` (torch's
/// name for a file object) when the stem is not plain text.
pub(crate) fn archive_name(path: &std::path::Path) -> String {
    match path.file_stem().and_then(|s| s.to_str()) {
        Some(stem) if !stem.is_empty() && !stem.chars().any(|c| c.is_control() || c == '\\') => {
            stem.to_owned()
        }
        _ => "archive".to_owned(),
    }
}

/// The 64-bit FNV-1a hash of the concatenated `chunks`.
fn fnv1a<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    chunks
        .flatten()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::tensor::{Dtype, Tensor};

    fn tensor(shape: &[usize], dtype: Dtype, seed: f64) -> Tensor {
        let count = shape.iter().product::<usize>();
        Tensor {
            shape: shape.to_vec(),
            data: (0..count).map(|i| (i as f64 * 0.37 + seed).sin()).collect(),
            dtype,
        }
    }

    /// Beyond what the fixtures hold: 40 tensors (more than 256 memo entries, hence `LONG_BINPUT`,
    /// and `LONG_BINGET` of `DoubleStorage`, first met after entry 255), sizes needing `BININT2` and
    /// `BININT`, both dtypes in one file, a 3-D and a 0-D tensor; read back by our own reader.
    #[test]
    fn large_memo_ints_and_mixed_dtypes_read_back() {
        let mut map = TensorMap::new();
        for i in 0..36 {
            let dtype = if i < 34 { Dtype::F32 } else { Dtype::F64 };
            map.insert(format!("layer{i}.w"), tensor(&[2, 3], dtype, f64::from(i)));
        }
        map.insert("wide".into(), tensor(&[300], Dtype::F64, 0.5));
        map.insert("long".into(), tensor(&[70_000], Dtype::F32, 0.25));
        map.insert("cube".into(), tensor(&[2, 3, 4], Dtype::F64, 0.125));
        map.insert("scalar".into(), tensor(&[], Dtype::F64, 2.0));
        let bytes = pt_bytes(&map, "big").unwrap();
        let back = crate::io::torch::read_torch_bytes(&bytes).unwrap();
        assert_eq!(
            back.keys().collect::<Vec<_>>(),
            map.keys().collect::<Vec<_>>()
        );
        for (key, t) in map.iter() {
            let u = back.get(key).unwrap();
            assert_eq!((&u.shape, u.dtype), (&t.shape, t.dtype), "{key}");
            let expected: Vec<f64> = match t.dtype {
                Dtype::F32 => t.data.iter().map(|&v| f64::from(v as f32)).collect(),
                Dtype::F64 => t.data.clone(),
            };
            assert_eq!(u.data, expected, "{key}");
        }
        let pickle = super::super::archive::Zip::open(&bytes)
            .unwrap()
            .read("big/data.pkl", super::super::archive::Want::AtMost(1 << 20))
            .unwrap();
        let has = |pattern: &[u8]| pickle.windows(pattern.len()).any(|w| w == pattern);
        assert!(has(&[b'r', 0, 1, 0, 0]), "LONG_BINPUT 256");
        // DoubleStorage is memoized past 255 (LONG_BINPUT), then referred to by LONG_BINGET.
        let global = b"ctorch\nDoubleStorage\nr";
        let at = pickle
            .windows(global.len())
            .position(|w| w == global)
            .unwrap()
            + global.len();
        let index = u32::from_le_bytes(pickle[at..at + 4].try_into().unwrap());
        assert!(index > 255, "{index}");
        assert!(
            has(&[&[b'j'][..], &index.to_le_bytes()].concat()),
            "LONG_BINGET {index}"
        );
        assert!(has(&[b'M', 0x2c, 0x01]), "BININT2 300");
        assert!(has(&[b'J', 0x70, 0x11, 0x01, 0x00]), "BININT 70000");
    }

    #[test]
    fn archive_names_are_stems() {
        use std::path::Path;
        assert_eq!(archive_name(Path::new("runs/net.pt")), "net");
        assert_eq!(archive_name(Path::new("my net.v2.pt")), "my net.v2");
        assert_eq!(archive_name(Path::new("bad\nname.pt")), "archive");
        assert_eq!(archive_name(Path::new("/")), "archive");
    }
}
