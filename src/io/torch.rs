//! PyTorch `.pt` state dicts, in both layouts `torch.save` writes (MODEL.md 7), read without Python
//! and without executing the pickle (see [`super::pickle`]).
//!
//! - **Zip layout** (torch >= 1.6): a zip archive `<name>/data.pkl` (the pickle), `<name>/data/<key>`
//!   (the raw bytes of each storage), `<name>/byteorder` (`little` or `big`; absent in old files,
//!   which are little endian). Tensors are `_rebuild_tensor_v2(storage, offset, size, stride, ...)`
//!   calls whose storage is the persistent id `('storage', <Type>Storage, key, location, numel)`.
//! - **Legacy layout**: five pickles back to back (the magic number `0x1950a86a20f9469cfc6c`, the
//!   protocol version 1001, a system-info dict, the state dict whose persistent ids carry a sixth
//!   field `view_metadata`, and the list of storage keys), then for each key in that order an int64
//!   little-endian element count and the little-endian raw data.
//!
//! Float32 and float64 tensors are read (float32 converts to f64 exactly); other dtypes are errors
//! naming the key and the dtype. Offsets, sizes and strides are validated against their storage
//! before use, and storage sizes against the bytes really present before anything is allocated.

use std::collections::{HashMap, HashSet};

use super::IoErrorKind;
use super::archive::{Want, Zip};
use super::pickle::{self, Global, Id, Object, StorageType, Unpickled};
use super::tensor::{self, Dtype, Endian, MAX_TENSOR_ELEMENTS, Tensor, TensorMap, shown};
use crate::budget;

/// The legacy magic number `0x1950a86a20f9469cfc6c` as the little-endian bytes of its `LONG1`.
const LEGACY_MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/// The only legacy protocol version.
const LEGACY_PROTOCOL: i64 = 1001;
/// The tensors of a file may hold at most this many times the elements of its storages (plus
/// [`REPEAT_SLACK`]). A state dict's tensors are its storages (tied weights count twice); without
/// the bound, a few bytes of pickle could describe gigabytes of stride-0 or overlapping views of
/// a one-element storage.
const MAX_REPEAT: usize = 4;
/// Elements any file may repeat regardless, for small broadcast tensors.
const REPEAT_SLACK: usize = 1 << 16;

/// Reads a `.pt` file in either layout from memory, telling them apart by their first bytes.
pub fn read_torch_bytes(bytes: &[u8]) -> Result<TensorMap, IoErrorKind> {
    if bytes.starts_with(super::ZIP_MAGIC) {
        let mut zip = Zip::open(bytes).map_err(IoErrorKind::Format)?;
        let names = zip.names().map_err(IoErrorKind::Format)?;
        read_zip(&mut zip, &names)
    } else if bytes.first() == Some(&super::PICKLE_PROTO) {
        read_legacy(bytes)
    } else {
        Err(IoErrorKind::Format(
            "not a PyTorch file: it is neither a zip archive nor a pickle".into(),
        ))
    }
}

/// Whether a zip archive with these entry names is a `.pt` file (it has a `<name>/data.pkl`).
pub(crate) fn is_zip_layout(names: &[String]) -> bool {
    names.iter().any(|n| n.ends_with("/data.pkl"))
}

/// Reads the zip layout.
pub(crate) fn read_zip(zip: &mut Zip, names: &[String]) -> Result<TensorMap, IoErrorKind> {
    let format = IoErrorKind::Format;
    let pickles: Vec<&String> = names.iter().filter(|n| n.ends_with("/data.pkl")).collect();
    let pkl = match pickles.as_slice() {
        [one] => one.as_str(),
        [] => {
            return Err(format(
                "zip archive without a `<name>/data.pkl` record".into(),
            ));
        }
        several => {
            let list: Vec<String> = several.iter().map(|n| shown(n)).collect();
            return Err(format(format!(
                "zip archive with several pickles ({}); expected one state dict",
                list.join(", ")
            )));
        }
    };
    let prefix = &pkl[..pkl.len() - "data.pkl".len()];
    let byteorder = format!("{prefix}byteorder");
    let endian = if names.contains(&byteorder) {
        match zip
            .read(&byteorder, Want::AtMost(16))
            .map_err(format)?
            .as_slice()
        {
            b"little" => Endian::Little,
            b"big" => Endian::Big,
            other => {
                return Err(format(format!(
                    "`{}` says {:?}, not `little` or `big`",
                    shown(&byteorder),
                    String::from_utf8_lossy(other)
                )));
            }
        }
    } else {
        Endian::Little
    };
    let pickle_bytes = zip
        .read(pkl, Want::AtMost(super::MAX_FILE_BYTES))
        .map_err(format)?;
    let unpickled = pickle::unpickle(&pickle_bytes, 0, &shown(pkl)).map_err(format)?;
    let specs = tensor_specs(&unpickled, Layout::Zip)?;
    // All storages together may not exceed the file size limit either: deflate and zip entries
    // sharing compressed data could otherwise expand a small archive without bound.
    let mut total_bytes = 0u64;
    let load = |storage: &StorageRef, dtype: Dtype| {
        let name = format!("{prefix}data/{}", storage.key);
        let nbytes = storage_bytes(storage)? as u64;
        total_bytes = total_bytes
            .checked_add(nbytes)
            .filter(|&t| t <= super::MAX_FILE_BYTES)
            .ok_or_else(|| {
                format!(
                    "the storages hold more than {} bytes in all",
                    super::MAX_FILE_BYTES
                )
            })?;
        let bytes = zip
            .read(&name, Want::Prefix(nbytes))
            .map_err(|e| format!("storage `{}`: {e}", shown(&storage.key)))?;
        Ok(tensor::decode_floats(&bytes, dtype, endian))
    };
    Materialiser::new(load).map(specs)
}

/// Reads the legacy layout.
fn read_legacy(bytes: &[u8]) -> Result<TensorMap, IoErrorKind> {
    let format = IoErrorKind::Format;
    let magic = pickle::unpickle(bytes, 0, "legacy header").map_err(format)?;
    if magic.get(magic.root) != &Object::Long(LEGACY_MAGIC.to_vec()) {
        return Err(format(
            "wrong magic number: this pickle is not a PyTorch file (legacy layout)".into(),
        ));
    }
    let protocol = pickle::unpickle(bytes, magic.end, "protocol version").map_err(format)?;
    match protocol.get(protocol.root) {
        Object::Int(LEGACY_PROTOCOL) => {}
        Object::Int(other) => {
            return Err(format(format!(
                "legacy protocol version {other} is not supported (only {LEGACY_PROTOCOL})"
            )));
        }
        other => {
            return Err(format(format!(
                "the legacy protocol version is {}, not an int",
                other.kind()
            )));
        }
    }
    let sys_info = pickle::unpickle(bytes, protocol.end, "system info").map_err(format)?;
    check_little_endian(&sys_info)?;
    let main = pickle::unpickle(bytes, sys_info.end, "state dict").map_err(format)?;
    let key_list = pickle::unpickle(bytes, main.end, "storage key list").map_err(format)?;
    let keys = string_list(&key_list).map_err(format)?;
    let specs = tensor_specs(&main, Layout::Legacy)?;
    let declared = declared_storages(&main)?;
    let data = bytes.get(key_list.end..).unwrap_or_default();
    let owners: HashMap<&str, &str> = specs
        .iter()
        .map(|(key, spec)| (spec.storage.key.as_str(), key.as_str()))
        .collect();
    let mut values = read_legacy_storages(data, key_list.end, &keys, &declared, &owners)?;
    let load = |storage: &StorageRef, _: Dtype| {
        values.remove(&storage.key).ok_or_else(|| {
            format!(
                "storage `{}` has no data in the file (it is not in the storage key list)",
                shown(&storage.key)
            )
        })
    };
    Materialiser::new(load).map(specs)
}

/// The legacy system-info dict must say `little_endian: True` (or not say).
///
/// Since torch 1.x the legacy writer stores data little endian whatever the machine, but older
/// versions wrote native order, so a big-endian file is ambiguous and refused.
fn check_little_endian(sys_info: &Unpickled) -> Result<(), IoErrorKind> {
    let Object::Dict(entries) = sys_info.get(sys_info.root) else {
        return Err(IoErrorKind::Format(
            "the legacy system info is not a dict".into(),
        ));
    };
    let big_endian = entries.iter().any(|&(k, v)| {
        sys_info.get(k) == &Object::Str("little_endian".into())
            && sys_info.get(v) == &Object::Bool(false)
    });
    if big_endian {
        return Err(IoErrorKind::Format(
            "the file was written on a big-endian machine (legacy layout), which is not supported"
                .into(),
        ));
    }
    Ok(())
}

/// The pickled list of storage keys of the legacy layout.
fn string_list(unpickled: &Unpickled) -> Result<Vec<String>, String> {
    let Object::List(items) = unpickled.get(unpickled.root) else {
        return Err("the legacy storage key list is not a list".into());
    };
    items
        .iter()
        .map(|&id| string(unpickled, id, "storage key"))
        .collect()
}

/// Reads, after the key list, each listed storage: an int64 little-endian element count, which
/// must equal the count its persistent id declared, then the data. Storages of dtypes we do not
/// read are skipped (their element size is known from their type).
///
/// `base` is the offset of `data` in the file and `owners` maps storage keys to a tensor using
/// them, both for error messages.
fn read_legacy_storages(
    data: &[u8],
    base: usize,
    keys: &[String],
    declared: &HashMap<String, Declared>,
    owners: &HashMap<&str, &str>,
) -> Result<HashMap<String, Vec<f64>>, IoErrorKind> {
    let mut values = HashMap::new();
    let mut seen = HashSet::new();
    let mut pos = 0usize;
    let mut held = 0u64;
    for key in keys {
        let fail = |message: String| {
            let what = format!("storage `{}` (byte {})", shown(key), base + pos);
            match owners.get(key.as_str()) {
                Some(tensor) => IoErrorKind::Key {
                    key: shown(tensor),
                    message: format!("{what}: {message}"),
                },
                None => IoErrorKind::Format(format!("{what}: {message}")),
            }
        };
        if !seen.insert(key.as_str()) {
            return Err(fail("listed twice in the storage key list".into()));
        }
        let (kind, numel) = declared
            .get(key)
            .ok_or_else(|| fail("listed, but no persistent id declares it".into()))?;
        let count = data
            .get(pos..pos + 8)
            .map(|b| i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .ok_or_else(|| fail("the file ends before its element count".into()))?;
        if u64::try_from(count).ok() != Some(*numel as u64) {
            return Err(fail(format!(
                "the file says {count} elements but its persistent id declares {numel}"
            )));
        }
        let nbytes = numel
            .checked_mul(kind.element_size)
            .ok_or_else(|| fail(format!("{numel} elements overflow")))?;
        let start = pos + 8;
        let block = start
            .checked_add(nbytes)
            .and_then(|end| data.get(start..end))
            .ok_or_else(|| {
                fail(format!(
                    "needs {nbytes} bytes of data but only {} remain",
                    data.len().saturating_sub(start)
                ))
            })?;
        if let Some(dtype) = kind.dtype {
            if *numel > MAX_TENSOR_ELEMENTS {
                return Err(fail(format!(
                    "{numel} elements, more than the {MAX_TENSOR_ELEMENTS} of the largest tensor we accept"
                )));
            }
            held = held.saturating_add(budget::bytes(*numel, 8));
            budget::check(
                "decoding the tensors of this file",
                held,
                "the file's tensors are larger than the memory budget allows",
            )
            .map_err(|e| fail(e.to_string()))?;
            values.insert(
                key.clone(),
                tensor::decode_floats(block, dtype, Endian::Little),
            );
        }
        pos = start + nbytes;
    }
    Ok(values)
}

/// Which layout's persistent ids we are reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `('storage', type, key, location, numel)`.
    Zip,
    /// `('storage', type, key, location, numel, view_metadata)`.
    Legacy,
}

/// A storage as a persistent id describes it.
#[derive(Debug)]
struct StorageRef {
    key: String,
    kind: &'static StorageType,
    /// Elements of the whole storage.
    numel: usize,
    /// Legacy storage views: `(offset, size)` in elements within the root storage.
    view: Option<(usize, usize)>,
}

/// A storage's type and element count, as declared.
type Declared = (&'static StorageType, usize);

/// A tensor as `_rebuild_tensor_v2` describes it, before its data is read.
#[derive(Debug)]
struct TensorSpec {
    storage: StorageRef,
    offset: usize,
    shape: Vec<usize>,
    strides: Vec<usize>,
}

/// The tensors of the state dict at the pickle's root, by key in dict order. Values that are not
/// tensors (extra state, version numbers) are skipped.
fn tensor_specs(
    unpickled: &Unpickled,
    layout: Layout,
) -> Result<Vec<(String, TensorSpec)>, IoErrorKind> {
    let Object::Dict(entries) = unpickled.get(unpickled.root) else {
        return Err(IoErrorKind::Format(format!(
            "the pickle holds {}, not a state dict (a dict of tensors)",
            unpickled.get(unpickled.root).kind()
        )));
    };
    let mut specs = Vec::new();
    let mut nested = Vec::new();
    for &(k, v) in entries {
        let Object::Str(key) = unpickled.get(k) else {
            return Err(IoErrorKind::Format(format!(
                "a state dict key is {}; keys must be strings",
                unpickled.get(k).kind()
            )));
        };
        let spec = tensor_spec(unpickled, v, layout).map_err(|message| IoErrorKind::Key {
            key: shown(key),
            message,
        })?;
        match spec {
            Some(spec) => specs.push((key.clone(), spec)),
            None if matches!(unpickled.get(v), Object::Dict(_)) => nested.push(shown(key)),
            None => {}
        }
    }
    if specs.is_empty() {
        let hint = if nested.is_empty() {
            String::new()
        } else {
            format!(
                "; the entries {} are dicts: save the model's `state_dict()` itself",
                nested.join(", ")
            )
        };
        return Err(IoErrorKind::Format(format!(
            "the state dict holds no tensors{hint}"
        )));
    }
    Ok(specs)
}

/// The tensor `id` describes, `None` if it is not a tensor or parameter.
fn tensor_spec(
    unpickled: &Unpickled,
    id: Id,
    layout: Layout,
) -> Result<Option<TensorSpec>, String> {
    let (func, args) = match unpickled.get(id) {
        Object::Call { func, args } => (*func, *args),
        _ => return Ok(None),
    };
    let tensor_args = match func {
        Global::RebuildTensorV2 => args,
        Global::RebuildParameter | Global::RebuildParameterWithState => {
            let data = *tuple(unpickled, args, "parameter arguments")?
                .first()
                .ok_or("_rebuild_parameter without arguments")?;
            match unpickled.get(data) {
                Object::Call {
                    func: Global::RebuildTensorV2,
                    args,
                } => *args,
                other => {
                    return Err(format!(
                        "the parameter's data is {}, not a tensor",
                        other.kind()
                    ));
                }
            }
        }
        Global::OrderedDict | Global::Storage(_) => return Ok(None),
    };
    rebuild_tensor_v2(unpickled, tensor_args, layout).map(Some)
}

/// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`:
/// only the first four arguments matter for the values.
fn rebuild_tensor_v2(
    unpickled: &Unpickled,
    args: Id,
    layout: Layout,
) -> Result<TensorSpec, String> {
    let items = tuple(unpickled, args, "_rebuild_tensor_v2 arguments")?;
    let [storage, offset, size, stride, ..] = items else {
        return Err(format!(
            "_rebuild_tensor_v2 needs at least 4 arguments (storage, offset, size, stride), got {}",
            items.len()
        ));
    };
    let shape = index_tuple(unpickled, *size, "size")?;
    let strides = index_tuple(unpickled, *stride, "stride")?;
    if shape.len() != strides.len() {
        return Err(format!(
            "size {shape:?} and stride {strides:?} have different lengths"
        ));
    }
    Ok(TensorSpec {
        storage: storage_ref(unpickled, *storage, layout)?,
        offset: index(unpickled, *offset, "storage offset")?,
        shape,
        strides,
    })
}

/// Parses the storage persistent id of `layout` that `id` holds.
fn storage_ref(unpickled: &Unpickled, id: Id, layout: Layout) -> Result<StorageRef, String> {
    let Object::Persistent(pid) = unpickled.get(id) else {
        return Err(format!(
            "the tensor's storage is {}, not a persistent id",
            unpickled.get(id).kind()
        ));
    };
    let fields = tuple(unpickled, *pid, "persistent id")?;
    let (tag, kind, key, numel, view) = match (layout, fields) {
        (Layout::Zip, [tag, kind, key, _location, numel]) => (tag, kind, key, numel, None),
        (Layout::Legacy, [tag, kind, key, _location, numel, view]) => {
            (tag, kind, key, numel, Some(view))
        }
        _ => {
            let expected = match layout {
                Layout::Zip => "('storage', type, key, location, numel)",
                Layout::Legacy => "('storage', type, key, location, numel, view_metadata)",
            };
            return Err(format!(
                "the persistent id has {} fields, expected {expected}",
                fields.len()
            ));
        }
    };
    if string(unpickled, *tag, "persistent id tag")? != "storage" {
        return Err("the persistent id is not a ('storage', ...) tuple".into());
    }
    let kind = match unpickled.get(*kind) {
        Object::Global(Global::Storage(kind)) => *kind,
        other => {
            return Err(format!(
                "the storage type is {}, not a torch storage class",
                other.kind()
            ));
        }
    };
    // The location ('cpu', 'cuda:0') does not change the bytes: everything is read to the CPU.
    let numel = index(unpickled, *numel, "storage size")?;
    let view = match view.map(|&v| unpickled.get(v)) {
        None | Some(Object::None) => None,
        Some(Object::Tuple(v)) => match v.as_slice() {
            [_view_key, offset, size] => {
                let offset = index(unpickled, *offset, "storage view offset")?;
                let size = index(unpickled, *size, "storage view size")?;
                if offset.checked_add(size).is_none_or(|end| end > numel) {
                    return Err(format!(
                        "storage view [{offset}, +{size}) lies outside its storage of {numel} elements"
                    ));
                }
                Some((offset, size))
            }
            _ => return Err("the storage view metadata is not (key, offset, size)".into()),
        },
        Some(other) => {
            return Err(format!(
                "the storage view metadata is {}, not a tuple",
                other.kind()
            ));
        }
    };
    Ok(StorageRef {
        key: string(unpickled, *key, "storage key")?,
        kind,
        numel,
        view,
    })
}

/// Every storage the legacy pickle declares (reachable or not), with consistent declarations:
/// its data section lists them all, and skipping one needs its element size.
fn declared_storages(unpickled: &Unpickled) -> Result<HashMap<String, Declared>, IoErrorKind> {
    let mut declared = HashMap::new();
    for (id, object) in unpickled.objects().iter().enumerate() {
        if matches!(object, Object::Persistent(_)) {
            let storage =
                storage_ref(unpickled, id, Layout::Legacy).map_err(IoErrorKind::Format)?;
            declare(&mut declared, &storage).map_err(IoErrorKind::Format)?;
        }
    }
    Ok(declared)
}

/// Records `storage`'s declaration, or fails if the key was declared differently before.
fn declare(declared: &mut HashMap<String, Declared>, storage: &StorageRef) -> Result<(), String> {
    match declared.get(&storage.key) {
        Some(&(kind, numel)) if kind != storage.kind || numel != storage.numel => Err(format!(
            "storage `{}` is declared twice, as {} x {} and as {} x {}",
            shown(&storage.key),
            numel,
            kind.dtype_name,
            storage.numel,
            storage.kind.dtype_name
        )),
        Some(_) => Ok(()),
        None => {
            declared.insert(storage.key.clone(), (storage.kind, storage.numel));
            Ok(())
        }
    }
}

/// Bytes of a whole storage, if it holds no more elements than the largest tensor we accept (a
/// storage larger than that cannot be needed, and is not inflated).
fn storage_bytes(storage: &StorageRef) -> Result<usize, String> {
    storage
        .numel
        .checked_mul(storage.kind.element_size)
        .filter(|_| storage.numel <= MAX_TENSOR_ELEMENTS)
        .ok_or_else(|| {
            format!(
                "storage `{}` declares {} elements, more than the {MAX_TENSOR_ELEMENTS} of the \
                 largest tensor we accept",
                shown(&storage.key),
                storage.numel
            )
        })
}

/// Turns tensor specs into tensors, loading each storage once through `load` and enforcing the
/// [`MAX_REPEAT`] bound.
struct Materialiser<F> {
    load: F,
    declared: HashMap<String, Declared>,
    loaded: HashMap<String, Vec<f64>>,
    /// Elements of all storages loaded so far.
    stored: usize,
    /// Elements of all tensors produced so far.
    produced: usize,
}

impl<F: FnMut(&StorageRef, Dtype) -> Result<Vec<f64>, String>> Materialiser<F> {
    fn new(load: F) -> Self {
        Materialiser {
            load,
            declared: HashMap::new(),
            loaded: HashMap::new(),
            stored: 0,
            produced: 0,
        }
    }

    fn map(mut self, specs: Vec<(String, TensorSpec)>) -> Result<TensorMap, IoErrorKind> {
        let mut map = TensorMap::new();
        for (key, spec) in specs {
            let tensor = self.tensor(&spec).map_err(|message| IoErrorKind::Key {
                key: shown(&key),
                message,
            })?;
            map.insert(key, tensor);
        }
        Ok(map)
    }

    /// Whether `more` decoded values fit in the memory budget beside those held already (every
    /// storage and tensor is held as f64 until the file is read).
    fn check_budget(&self, more: usize) -> Result<(), String> {
        let values = self
            .stored
            .saturating_add(self.produced)
            .saturating_add(more);
        budget::check(
            "decoding the tensors of this file",
            budget::bytes(values, 8),
            "the file's tensors are larger than the memory budget allows",
        )
        .map_err(|e| e.to_string())
    }

    fn tensor(&mut self, spec: &TensorSpec) -> Result<Tensor, String> {
        let storage = &spec.storage;
        let dtype = storage.kind.dtype.ok_or_else(|| {
            format!(
                "dtype {} ({}) is not supported: only float32 and float64 tensors are read",
                storage.kind.dtype_name, storage.kind.class
            )
        })?;
        declare(&mut self.declared, storage)?;
        if !self.loaded.contains_key(&storage.key) {
            storage_bytes(storage)?;
            self.check_budget(storage.numel)?;
            let values = (self.load)(storage, dtype)?;
            self.stored = self.stored.saturating_add(values.len());
            self.loaded.insert(storage.key.clone(), values);
        }
        let values = self.loaded.get(&storage.key).map_or(&[][..], Vec::as_slice);
        let source = match storage.view {
            None => values,
            Some((start, len)) => values
                .get(start..start + len)
                .ok_or("the storage view lies outside its storage")?,
        };
        let count = tensor::element_count(&spec.shape)?;
        let budget = MAX_REPEAT
            .saturating_mul(self.stored)
            .saturating_add(REPEAT_SLACK);
        let produced = self.produced.saturating_add(count);
        if produced > budget {
            return Err(format!(
                "the file's tensors would hold {produced} elements, more than {MAX_REPEAT} times \
                 its {} stored elements: views repeating data this much are refused",
                self.stored
            ));
        }
        self.check_budget(count)?;
        let data = tensor::gather_strided(source, spec.offset, &spec.shape, &spec.strides)?;
        self.produced = produced;
        Ok(Tensor {
            shape: spec.shape.clone(),
            data,
            dtype,
        })
    }
}

fn tuple<'u>(unpickled: &'u Unpickled, id: Id, what: &str) -> Result<&'u [Id], String> {
    match unpickled.get(id) {
        Object::Tuple(items) => Ok(items),
        other => Err(format!("{what}: expected a tuple, found {}", other.kind())),
    }
}

fn string(unpickled: &Unpickled, id: Id, what: &str) -> Result<String, String> {
    match unpickled.get(id) {
        Object::Str(s) => Ok(s.clone()),
        other => Err(format!("{what}: expected a str, found {}", other.kind())),
    }
}

/// A non-negative int that fits in `usize` (an offset, size, stride or count).
fn index(unpickled: &Unpickled, id: Id, what: &str) -> Result<usize, String> {
    match unpickled.get(id) {
        Object::Int(v) => usize::try_from(*v).map_err(|_| format!("negative {what} {v}")),
        Object::Long(_) => Err(format!("{what} does not fit in 64 bits")),
        other => Err(format!("{what}: expected an int, found {}", other.kind())),
    }
}

fn index_tuple(unpickled: &Unpickled, id: Id, what: &str) -> Result<Vec<usize>, String> {
    tuple(unpickled, id, what)?
        .iter()
        .map(|&item| index(unpickled, item, what))
        .collect()
}
