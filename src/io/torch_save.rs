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
