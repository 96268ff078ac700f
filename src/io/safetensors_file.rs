//! Safetensors files (read and write), through Hugging Face's `safetensors` crate: an 8-byte
//! little-endian header length, a JSON header `{"<key>": {"dtype": "F32", "shape": [2, 64],
//! "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}`, then the raw
//! little-endian, row-major data. It cannot carry code, which is why PyTorch users increasingly
//! save weights this way (`safetensors.torch.save_file(model.state_dict(), path)`).
//!
//! Reading: the header is checked by the crate (offsets contiguous and covering the file, sizes
//! matching shapes without overflow) after its length has been checked against the memory
//! budget; every tensor's element count is capped and the decoded size budgeted before any value
//! is decoded. `F32` and `F64` are read; any other dtype is an error naming the key.
//!
//! Writing: the tensors of a network, `__metadata__` holding `"format": "pt"` (what
//! `safetensors.torch` writes, so that tools load it as PyTorch weights) and, when the network
//! has metadata (provenance, training results), its JSON under [`META_KEY`]; reading a network
//! back restores it. The crate orders the tensors by dtype, then name.

use std::borrow::Cow;

use safetensors::SafeTensorError;
use safetensors::tensor::{Metadata, SafeTensors, View};

use super::IoErrorKind;
use super::network_json::Meta;
use super::tensor::{self, Dtype, Endian, Tensor, TensorMap, shown};
use crate::budget;

/// The `__metadata__` entry that carries a network's `meta` as JSON text.
pub const META_KEY: &str = "lowrank_explorer.meta";
/// Bytes of the header-length prefix.
const LEN_BYTES: usize = 8;

/// Headers longer than this are refused by the crate (100 MB).
const MAX_HEADER: u64 = 100_000_000;

/// Whether `bytes` look like a safetensors file: a header length the format allows, followed by
/// the header's opening brace. (Neither a zip, a pickle nor a JSON document starts this way:
/// their first eight bytes, read as a length, are far beyond 100 MB.) A header longer than the
/// file is still recognised, to be reported as a truncated safetensors file.
pub(crate) fn is_safetensors(bytes: &[u8]) -> bool {
    header_len(bytes).is_some_and(|n| n <= MAX_HEADER) && bytes.get(LEN_BYTES) == Some(&b'{')
}

fn header_len(bytes: &[u8]) -> Option<u64> {
    let prefix: [u8; LEN_BYTES] = bytes.get(..LEN_BYTES)?.try_into().ok()?;
    Some(u64::from_le_bytes(prefix))
}

/// Reads the tensors of a safetensors file, in data order, and the network metadata its
/// `__metadata__` carries (if any).
pub fn read_safetensors_bytes(bytes: &[u8]) -> Result<(TensorMap, Option<Meta>), IoErrorKind> {
    let format = |m: String| IoErrorKind::Format(format!("safetensors header: {m}"));
    let n = header_len(bytes).ok_or_else(|| format("the file is shorter than 8 bytes".into()))?;
    budget::check_json(usize::try_from(n).unwrap_or(usize::MAX))
        .map_err(|e| format(e.to_string()))?;
    let (n, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| {
        format(match e {
            SafeTensorError::InvalidHeaderLength => format!(
                "its length, {n} bytes, reaches past the end of the file ({} bytes): truncated",
                bytes.len()
            ),
            SafeTensorError::MetadataIncompleteBuffer => format!(
                "the {} bytes after it are not exactly the data its offsets describe: \
                 truncated, or trailing bytes",
                bytes
                    .len()
                    .saturating_sub(LEN_BYTES)
                    .saturating_sub(n as usize)
            ),
            other => other.to_string(),
        })
    })?;
    let data = &bytes[LEN_BYTES + n..];
    let mut map = TensorMap::new();
    let mut held = 0u64;
    for key in metadata.offset_keys() {
        let fail = |message: String| IoErrorKind::Key {
            key: shown(&key),
            message,
        };
        let info = metadata
            .info(&key)
            .ok_or_else(|| fail("listed but not described in the header".into()))?;
        let dtype = match info.dtype {
            safetensors::Dtype::F32 => Dtype::F32,
            safetensors::Dtype::F64 => Dtype::F64,
            other => {
                return Err(fail(format!(
                    "dtype {other:?} is not supported: only F32 and F64 tensors are read"
                )));
            }
        };
        let count = tensor::element_count(&info.shape).map_err(fail)?;
        held = held.saturating_add(budget::bytes(count, 8));
        budget::check(
            "decoding the tensors of this file",
            held,
            "the file's tensors are larger than the memory budget allows",
        )
        .map_err(|e| fail(e.to_string()))?;
        let (begin, end) = info.data_offsets;
        // The crate has checked that the offsets tile the data exactly and match the shape.
        let raw = data
            .get(begin..end)
            .ok_or_else(|| fail(format!("data offsets [{begin}, {end}] are out of the file")))?;
        map.insert(
            key.clone(),
            Tensor {
                shape: info.shape.clone(),
                data: tensor::decode_floats(raw, dtype, Endian::Little),
                dtype,
            },
        );
    }
    if map.is_empty() {
        return Err(IoErrorKind::Format(
            "the safetensors file holds no tensors".into(),
        ));
    }
    Ok((map, network_meta(&metadata)?))
}

/// The network metadata stored under [`META_KEY`], which must be a JSON object.
fn network_meta(metadata: &Metadata) -> Result<Option<Meta>, IoErrorKind> {
    let Some(text) = metadata.metadata().as_ref().and_then(|m| m.get(META_KEY)) else {
        return Ok(None);
    };
    let fail = |why: String| IoErrorKind::Key {
        key: format!("__metadata__.{META_KEY}"),
        message: why,
    };
    budget::check_json(text.len()).map_err(|e| fail(e.to_string()))?;
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(meta)) => Ok(Some(meta)),
        Ok(_) => Err(fail("is not a JSON object".into())),
        Err(e) => Err(fail(format!("is not JSON: {e}"))),
    }
}

/// One tensor as the crate serialises it.
struct Stored {
    dtype: safetensors::Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for &Stored {
    fn dtype(&self) -> safetensors::Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// The bytes of a safetensors file holding `map` (each tensor with its own dtype) and `meta`.
pub fn safetensors_bytes(map: &TensorMap, meta: Option<&Meta>) -> Result<Vec<u8>, IoErrorKind> {
    let stored: Vec<(String, Stored)> = map
        .iter()
        .map(|(key, t)| {
            let stored = Stored {
                dtype: match t.dtype {
                    Dtype::F32 => safetensors::Dtype::F32,
                    Dtype::F64 => safetensors::Dtype::F64,
                },
                shape: t.shape.clone(),
                bytes: tensor::encode_floats(&t.data, t.dtype),
            };
            (key.to_owned(), stored)
        })
        .collect();
    let mut info = vec![("format".to_owned(), "pt".to_owned())];
    if let Some(meta) = meta {
        let json = serde_json::to_string(meta).map_err(|e| IoErrorKind::Format(e.to_string()))?;
        info.push((META_KEY.to_owned(), json));
    }
    safetensors::serialize(
        stored.iter().map(|(k, s)| (k.as_str(), s)),
        Some(info.into_iter().collect()),
    )
    .map_err(|e| IoErrorKind::Format(format!("cannot write the safetensors file: {e}")))
}
