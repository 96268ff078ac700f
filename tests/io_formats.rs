//! File formats of MODEL.md 7: the fixtures in all three binary formats, the project's JSON, the
//! `convert` command, and a table of malformed and hostile inputs that must fail cleanly.

mod io_support;

use io_support::{Scratch, assert_same_network, bits, fixture};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lowrank_explorer::io::{
    self, Dtype, IoError, Meta, NetworkFile, TensorMap, load_network, load_network_file,
    read_tensors, save_network_file, save_network_json,
};
use lowrank_explorer::network::Network;

/// A fresh directory for one test.
fn scratch(test: &str) -> Scratch {
    io_support::scratch("io", test)
}

/// Two tensor maps hold the same keys, shapes and bitwise-identical values.
fn assert_same_tensors(a: &TensorMap, b: &TensorMap) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (key, t) in a.iter() {
        let u = b.get(key).unwrap();
        assert_eq!(t.shape, u.shape, "{key}");
        assert_eq!(bits(&t.data), bits(&u.data), "{key}");
    }
}

/// Every parameter of two networks is bitwise identical.
// ---------------------------------------------------------------------------------------------
// The fixtures.

#[test]
fn three_fixture_formats_give_identical_tensors() {
    let zip = read_tensors(&fixture("lowrank_n64_r2.pt")).unwrap();
    let legacy = read_tensors(&fixture("lowrank_n64_r2_legacy.pt")).unwrap();
    let npz = read_tensors(&fixture("lowrank_n64_r2.npz")).unwrap();
    assert_same_tensors(&zip, &legacy);
    assert_same_tensors(&zip, &npz);
    let shapes: Vec<(&str, Vec<usize>)> = zip.iter().map(|(k, t)| (k, t.shape.clone())).collect();
    assert_eq!(
        shapes,
        vec![
            ("wi", vec![2, 64]),
            ("si", vec![2]),
            ("m", vec![64, 2]),
            ("n", vec![64, 2]),
            ("wo", vec![64, 1]),
            ("so", vec![1]),
            ("h0", vec![64]),
        ]
    );
    for map in [&zip, &legacy, &npz] {
        assert!(map.iter().all(|(_, t)| t.dtype == Dtype::F32));
        // float32 values converted exactly, not rounded to the nearest f64 decimal.
        assert_eq!(
            bits(&map.get("si").unwrap().data),
            bits(&[f64::from(1.3f32), f64::from(0.7f32)])
        );
        assert_eq!(
            bits(&map.get("so").unwrap().data),
            bits(&[f64::from(2.2f32)])
        );
        assert!(map.get("h0").unwrap().data.iter().all(|&v| v == 0.0));
    }
}

/// The zip fixture re-saved by torch with pickle protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE,
/// STACK_GLOBAL), in both layouts.
#[test]
fn pickle_protocol_4_files() {
    let reference = read_tensors(&fixture("lowrank_n64_r2.pt")).unwrap();
    for file in ["generated/protocol4.pt", "generated/protocol4_legacy.pt"] {
        assert_same_tensors(&reference, &read_tensors(&fixture(file)).unwrap());
    }
}

#[test]
fn fixture_networks_are_identical() {
    let zip = load_network(&fixture("lowrank_n64_r2.pt")).unwrap();
    let legacy = load_network(&fixture("lowrank_n64_r2_legacy.pt")).unwrap();
    let npz = load_network(&fixture("lowrank_n64_r2.npz")).unwrap();
    assert_same_network(&zip, &legacy, "zip vs legacy");
    assert_same_network(&zip, &npz, "zip vs npz");
    let d = zip.dims();
    assert_eq!((d.neurons, d.rank, d.inputs, d.outputs), (64, 2, 2, 1));
    // wi (2, 64) row-major in the file: the first row is input channel 0.
    let map = read_tensors(&fixture("lowrank_n64_r2.pt")).unwrap();
    let wi = &map.get("wi").unwrap().data;
    assert_eq!(zip.parts().wi[(0, 1)].to_bits(), wi[1].to_bits());
    assert_eq!(zip.parts().wi[(1, 0)].to_bits(), wi[64].to_bits());
    let m = &map.get("m").unwrap().data;
    assert_eq!(zip.parts().m[(3, 1)].to_bits(), m[7].to_bits());
}

/// Tensors written by torch 2 as views (transposed, offset and strided slices of one shared
/// float64 storage, Parameters, a `rnn.` prefix, a bias), in both `.pt` layouts, and as an `.npz`
/// with Fortran-order, big-endian and deflate-compressed arrays: all equal the values NumPy
/// printed (`generated/views_expected.json`).
#[test]
fn views_float64_fortran_and_prefixes() {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("generated/views_expected.json")).unwrap())
            .unwrap();
    let expected = expected.as_object().unwrap();
    for file in [
        "generated/views_f64.pt",
        "generated/views_f64_legacy.pt",
        "generated/views.npz",
    ] {
        let map = read_tensors(&fixture(file)).unwrap();
        assert_eq!(map.len(), expected.len(), "{file}");
        for (key, want) in expected {
            let t = map.get(key).unwrap_or_else(|| panic!("{file}: no {key}"));
            let shape: Vec<usize> = want["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let data: Vec<f64> = want["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(t.shape, shape, "{file} {key}");
            assert_eq!(bits(&t.data), bits(&data), "{file} {key}");
            assert_eq!(t.dtype, Dtype::F64, "{file} {key}");
        }
        let net = load_network(&fixture(file)).unwrap();
        assert_eq!(net.dims().neurons, 5);
        assert!(net.bias().is_some(), "{file}");
    }
}

// ---------------------------------------------------------------------------------------------
// JSON and `convert`.

#[test]
fn json_round_trip_is_bitwise_and_keeps_meta() {
    let dir = scratch("json-round-trip");
    let net = load_network(&fixture("lowrank_n64_r2.pt")).unwrap();
    let path = dir.join("net.json");
    save_network_json(&net, &path).unwrap();
    let back = load_network_file(&path).unwrap();
    assert_same_network(&net, &back.network, "round trip");
    assert_eq!(back.meta, None);

    let mut meta = Meta::new();
    meta.insert(
        "command".into(),
        serde_json::json!(["train", "--seed", 3, {"lr": 0.001}]),
    );
    let with_meta = NetworkFile {
        network: load_network(&fixture("generated/views_f64.pt")).unwrap(),
        meta: Some(meta),
    };
    save_network_file(&with_meta, &path).unwrap();
    let back = load_network_file(&path).unwrap();
    assert_same_network(
        &with_meta.network,
        &back.network,
        "round trip with metadata",
    );
    assert_eq!(back.meta, with_meta.meta);
}

/// Arbitrary finite f64 bit patterns (subnormals, extremes, negative zero) survive the JSON text:
/// this fails if floats are parsed without `float_roundtrip`.
#[test]
fn json_round_trip_of_arbitrary_floats() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        // xorshift64*: any bit pattern, so every exponent occurs.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let v = f64::from_bits(state.wrapping_mul(0x2545_f491_4f6c_dd1d));
        if v.is_finite() { v } else { -0.0 }
    };
    let base = load_network(&fixture("lowrank_n64_r2.npz")).unwrap();
    let mut parts = base.into_parts();
    for v in parts
        .m
        .iter_mut()
        .chain(parts.n.iter_mut())
        .chain(parts.wi.iter_mut())
        .chain(parts.h0.iter_mut())
    {
        *v = next();
    }
    parts.m[(0, 0)] = f64::from_bits(1); // smallest subnormal
    parts.m[(1, 0)] = f64::MAX;
    parts.m[(2, 0)] = -0.0;
    let net = Network::new(parts).unwrap();
    let dir = scratch("json-floats");
    let path = dir.join("net.json");
    save_network_json(&net, &path).unwrap();
    assert_same_network(&net, &load_network(&path).unwrap(), "written and read");
}

#[test]
fn convert_then_reload_is_equal() {
    let dir = scratch("convert");
    for input in [
        "lowrank_n64_r2.pt",
        "lowrank_n64_r2_legacy.pt",
        "lowrank_n64_r2.npz",
    ] {
        let out = dir.join(format!("{input}.json"));
        let input = fixture(input);
        let report = lowrank_explorer::cli::run_args([
            "lowrank-explorer",
            "convert",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .unwrap_or_else(|e| panic!("convert failed: {}", e.0));
        assert!(report.contains("N = 64"), "{report}");
        assert_same_network(
            &load_network(&input).unwrap(),
            &load_network(&out).unwrap(),
            "load_network",
        );
        // JSON to JSON as well.
        let again = dir.join("again.json");
        lowrank_explorer::cli::run_args([
            "lowrank-explorer",
            "convert",
            out.to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ])
        .unwrap_or_else(|e| panic!("convert failed: {}", e.0));
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
    }
}

#[test]
fn missing_h0_defaults_to_zeros() {
    let mut arrays = small_network(4);
    arrays.retain(|a| a.name != "h0");
    let net = io::parse_network_bytes(&pt_zip_from(&arrays), Path::new("no-h0.pt"))
        .unwrap()
        .network;
    assert_eq!(net.h0().as_slice(), &[0.0; 4]);
}

#[test]
fn legacy_storage_views_are_honoured() {
    // Old torch wrote views of a storage as ('storage', type, root, loc, numel, (view, offset, size)).
    let data: Vec<f32> = (0..10).map(|i| i as f32).collect();
    let mut t = TensorDesc::new("x", "FloatStorage", "root", 10, &[3], &[1]);
    t.offset = 1;
    t.view = Some(("view", 4, 5));
    let file = legacy_file(&[t], &[("root", 10, f32_bytes(&data))]);
    let map = io::read_tensors_from_bytes(&file, Path::new("views.pt")).unwrap();
    // Element 1 of the view starting at 4: values 5, 6, 7.
    assert_eq!(map.get("x").unwrap().data, vec![5.0, 6.0, 7.0]);
    // A view beyond its storage, or a tensor beyond its view, is refused.
    let mut t = TensorDesc::new("x", "FloatStorage", "root", 10, &[3], &[1]);
    t.view = Some(("view", 8, 5));
    let file = legacy_file(&[t], &[("root", 10, f32_bytes(&data))]);
    assert!(io::read_tensors_from_bytes(&file, Path::new("v.pt")).is_err());
    let mut t = TensorDesc::new("x", "FloatStorage", "root", 10, &[3], &[1]);
    t.offset = 3;
    t.view = Some(("view", 4, 5));
    let file = legacy_file(&[t], &[("root", 10, f32_bytes(&data))]);
    assert!(io::read_tensors_from_bytes(&file, Path::new("v.pt")).is_err());
}

#[test]
fn zip_byteorder_record_is_honoured() {
    let t = || vec![TensorDesc::new("x", "DoubleStorage", "0", 2, &[2], &[1])];
    let data: Vec<u8> = [1.5f64, -0.25]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let big = pt_zip_ordered(
        &state_dict_pickle(&t(), false),
        &[("0", data.clone())],
        b"big",
    );
    let map = io::read_tensors_from_bytes(&big, Path::new("big.pt")).unwrap();
    assert_eq!(map.get("x").unwrap().data, vec![1.5, -0.25]);
    let odd = pt_zip_ordered(&state_dict_pickle(&t(), false), &[("0", data)], b"middle");
    let err = io::read_tensors_from_bytes(&odd, Path::new("odd.pt")).unwrap_err();
    assert!(err.to_string().contains("byteorder"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Builders for hand-made files: pickles opcode by opcode, `.pt` files in both layouts, `.npz`.

/// A pickle, written opcode by opcode.
#[derive(Default)]
struct Pickle(Vec<u8>);

impl Pickle {
    fn new() -> Self {
        Pickle(vec![0x80, 2])
    }
    fn op(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }
    fn str(self, s: &str) -> Self {
        let len = (s.len() as u32).to_le_bytes();
        self.op(b"X").op(&len).op(s.as_bytes())
    }
    fn int(self, v: i64) -> Self {
        match i32::try_from(v) {
            Ok(small) => self.op(b"J").op(&small.to_le_bytes()),
            Err(_) => self.op(&[0x8a, 8]).op(&v.to_le_bytes()),
        }
    }
    fn global(self, module: &str, name: &str) -> Self {
        self.op(format!("c{module}\n{name}\n").as_bytes())
    }
    fn ints(self, values: &[i64]) -> Self {
        values.iter().fold(self.op(b"("), |p, &v| p.int(v)).op(b"t")
    }
    fn stop(self) -> Vec<u8> {
        self.op(b".").0
    }
}

/// One tensor entry of a hand-made state dict.
struct TensorDesc<'a> {
    name: &'a str,
    class: &'a str,
    key: &'a str,
    numel: i64,
    offset: i64,
    shape: Vec<i64>,
    stride: Vec<i64>,
    /// Legacy storage view `(view key, offset, size)`.
    view: Option<(&'a str, i64, i64)>,
}

impl<'a> TensorDesc<'a> {
    fn new(
        name: &'a str,
        class: &'a str,
        key: &'a str,
        numel: i64,
        shape: &[i64],
        stride: &[i64],
    ) -> Self {
        TensorDesc {
            name,
            class,
            key,
            numel,
            offset: 0,
            shape: shape.to_vec(),
            stride: stride.to_vec(),
            view: None,
        }
    }
}

/// The pickle `torch.save` writes for a state dict of these tensors.
fn state_dict_pickle(tensors: &[TensorDesc], legacy: bool) -> Vec<u8> {
    let mut p = Pickle::new()
        .global("collections", "OrderedDict")
        .op(b")R(");
    for t in tensors {
        p = p
            .str(t.name)
            .global("torch._utils", "_rebuild_tensor_v2")
            .op(b"((")
            .str("storage")
            .global("torch", t.class)
            .str(t.key)
            .str("cpu")
            .int(t.numel);
        if legacy {
            p = match t.view {
                None => p.op(b"N"),
                Some((key, offset, size)) => p.op(b"(").str(key).int(offset).int(size).op(b"t"),
            };
        }
        p = p
            .op(b"tQ")
            .int(t.offset)
            .ints(&t.shape)
            .ints(&t.stride)
            .op(&[0x89])
            .global("collections", "OrderedDict")
            .op(b")RtR");
    }
    p.op(b"u").stop()
}

const LEGACY_MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/// The legacy header: magic number, protocol version, system info.
fn legacy_header() -> Vec<u8> {
    let mut out = Pickle::new().op(&[0x8a, 10]).op(&LEGACY_MAGIC).stop();
    out.extend(Pickle::new().int(1001).stop());
    out.extend(
        Pickle::new()
            .op(b"}(")
            .str("little_endian")
            .op(&[0x88])
            .op(b"u")
            .stop(),
    );
    out
}

/// A legacy `.pt`: header, `main` pickle, key list, then per storage `count` and `data`.
fn legacy_with_pickle(main: &[u8], storages: &[(&str, i64, Vec<u8>)]) -> Vec<u8> {
    let mut out = legacy_header();
    out.extend(main);
    let keys = storages
        .iter()
        .fold(Pickle::new().op(b"]("), |p, (k, _, _)| p.str(k))
        .op(b"e")
        .stop();
    out.extend(keys);
    for (_, count, data) in storages {
        out.extend(count.to_le_bytes());
        out.extend(data);
    }
    out
}

fn legacy_file(tensors: &[TensorDesc], storages: &[(&str, i64, Vec<u8>)]) -> Vec<u8> {
    legacy_with_pickle(&state_dict_pickle(tensors, true), storages)
}

/// A zip-layout `.pt` with this pickle and these (little-endian) storage records.
fn pt_zip(pickle: &[u8], storages: &[(&str, Vec<u8>)]) -> Vec<u8> {
    pt_zip_ordered(pickle, storages, b"little")
}

/// A zip-layout `.pt` whose `byteorder` record says `order`.
fn pt_zip_ordered(pickle: &[u8], storages: &[(&str, Vec<u8>)], order: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut add = |name: &str, bytes: &[u8]| {
        zip.start_file(format!("archive/{name}"), stored).unwrap();
        zip.write_all(bytes).unwrap();
    };
    add("data.pkl", pickle);
    add("byteorder", order);
    for (key, bytes) in storages {
        add(&format!("data/{key}"), bytes);
    }
    zip.finish().unwrap().into_inner()
}

/// A named float32 array.
#[derive(Clone)]
struct Array {
    name: &'static str,
    shape: Vec<usize>,
    data: Vec<f32>,
}

/// A valid network of `n` neurons (R = 2, S = 2, O = 1) as float32 arrays.
fn small_network(n: usize) -> Vec<Array> {
    let values =
        |len: usize, seed: f32| (0..len).map(|i| ((i as f32 + seed) * 0.37).sin()).collect();
    let array = |name, shape: &[usize], seed| Array {
        name,
        shape: shape.to_vec(),
        data: values(shape.iter().product(), seed),
    };
    vec![
        array("wi", &[2, n], 1.0),
        array("si", &[2], 2.0),
        array("m", &[n, 2], 3.0),
        array("n", &[n, 2], 4.0),
        array("wo", &[n, 1], 5.0),
        array("so", &[1], 6.0),
        array("h0", &[n], 7.0),
    ]
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn contiguous_strides(shape: &[usize]) -> Vec<i64> {
    let mut strides = vec![1i64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1] as i64;
    }
    strides
}

/// Storage key `i` for array `i`.
const KEYS: [&str; 8] = ["0", "1", "2", "3", "4", "5", "6", "7"];

fn descs(arrays: &[Array]) -> Vec<TensorDesc<'static>> {
    arrays
        .iter()
        .zip(KEYS)
        .map(|(a, key)| {
            let shape: Vec<i64> = a.shape.iter().map(|&d| d as i64).collect();
            TensorDesc::new(
                a.name,
                "FloatStorage",
                key,
                a.data.len() as i64,
                &shape,
                &contiguous_strides(&a.shape),
            )
        })
        .collect()
}

fn pt_zip_from(arrays: &[Array]) -> Vec<u8> {
    let storages: Vec<(&str, Vec<u8>)> = arrays
        .iter()
        .zip(KEYS)
        .map(|(a, key)| (key, f32_bytes(&a.data)))
        .collect();
    pt_zip(&state_dict_pickle(&descs(arrays), false), &storages)
}

fn legacy_from(arrays: &[Array]) -> Vec<u8> {
    let storages: Vec<(&str, i64, Vec<u8>)> = arrays
        .iter()
        .zip(KEYS)
        .map(|(a, key)| (key, a.data.len() as i64, f32_bytes(&a.data)))
        .collect();
    legacy_file(&descs(arrays), &storages)
}

/// One `.npy` array (format 1.0) with this descr, shape and raw data.
fn npy(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if shape.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

/// A zip archive of deflated entries.
fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn npz(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let entries: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|(name, bytes)| (format!("{name}.npy"), bytes.clone()))
        .collect();
    zip_of(&entries)
}

fn npz_from(arrays: &[Array]) -> Vec<u8> {
    let entries: Vec<(&str, Vec<u8>)> = arrays
        .iter()
        .map(|a| (a.name, npy("<f4", &a.shape, &f32_bytes(&a.data))))
        .collect();
    npz(&entries)
}

/// A safetensors file: the header's length (8 bytes, little endian), the header, the data.
fn safetensors_of(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

/// The arrays as a safetensors file, its header written by hand, every tensor declared `dtype`.
fn safetensors_from(arrays: &[Array], dtype: &str) -> Vec<u8> {
    let (header, data) = safetensors_parts(arrays, dtype);
    safetensors_of(&header, &data)
}

/// The header and data of [`safetensors_from`].
fn safetensors_parts(arrays: &[Array], dtype: &str) -> (String, Vec<u8>) {
    let mut entries = Vec::new();
    let mut data = Vec::new();
    for a in arrays {
        let bytes = f32_bytes(&a.data);
        entries.push(format!(
            r#""{}": {{"dtype": "{dtype}", "shape": {:?}, "data_offsets": [{}, {}]}}"#,
            a.name,
            a.shape,
            data.len(),
            data.len() + bytes.len()
        ));
        data.extend(bytes);
    }
    (format!("{{{}}}", entries.join(", ")), data)
}

fn with(arrays: &[Array], name: &str, edit: impl Fn(&mut Array)) -> Vec<Array> {
    let mut arrays = arrays.to_vec();
    edit(arrays.iter_mut().find(|a| a.name == name).unwrap());
    arrays
}

#[test]
fn hand_made_files_are_valid_before_being_broken() {
    // The builders must produce loadable files, or the malformed table would test nothing.
    let arrays = small_network(4);
    for (name, bytes) in [
        ("ok.pt", pt_zip_from(&arrays)),
        ("ok_legacy.pt", legacy_from(&arrays)),
        ("ok.npz", npz_from(&arrays)),
        ("ok.safetensors", safetensors_from(&arrays, "F32")),
    ] {
        let net = io::parse_network_bytes(&bytes, Path::new(name))
            .unwrap_or_else(|e| panic!("{e}"))
            .network;
        assert_eq!(net.dims().neurons, 4, "{name}");
        assert_eq!(
            net.parts().m[(1, 0)],
            f64::from(arrays[2].data[2]),
            "{name}"
        );
    }
}

/// The arrays of `small_network(8)` as an `.npz` whose `m` entry is followed by 1 GiB of zeros
/// (deflated to about 1 MB) and declares `m_shape`.
fn deflate_bomb(m_shape: &[usize]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    for a in small_network(8) {
        zip.start_file(format!("{}.npy", a.name), options).unwrap();
        if a.name == "m" {
            zip.write_all(&npy("<f4", m_shape, &f32_bytes(&a.data)))
                .unwrap();
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..1024 {
                zip.write_all(&zeros).unwrap();
            }
        } else {
            zip.write_all(&npy("<f4", &a.shape, &f32_bytes(&a.data)))
                .unwrap();
        }
    }
    zip.finish().unwrap().into_inner()
}

/// Sets the uncompressed size that the central directory declares for entry `name`.
fn declare_size(archive: &mut [u8], name: &str, size: u32) {
    let at = (0..archive.len() - 46)
        .find(|&i| {
            archive[i..].starts_with(b"PK\x01\x02")
                && archive[i + 46..].starts_with(name.as_bytes())
        })
        .expect("no central directory record");
    archive[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
}

#[test]
fn a_deflate_bomb_is_never_inflated_past_what_the_header_needs() {
    // 1 GiB behind a small array (a 10 MB file): only the array is inflated, far faster than the
    // whole entry.
    let bytes = deflate_bomb(&[8, 2]);
    assert!(bytes.len() < 16 << 20, "{} bytes", bytes.len());
    let start = Instant::now();
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
    let inflated = std::io::copy(&mut archive.by_name("m.npy").unwrap(), &mut std::io::sink());
    assert!(inflated.unwrap() > 1 << 30);
    let whole = start.elapsed();
    let start = Instant::now();
    let net = io::parse_network_bytes(&bytes, Path::new("bomb.npz"))
        .unwrap_or_else(|e| panic!("{e}"))
        .network;
    assert_eq!(net.dims().neurons, 8);
    let read = start.elapsed();
    assert!(
        read * 10 < whole,
        "read in {read:?}, inflating all takes {whole:?}"
    );

    // A header that claims the 1 GiB is refused from the header, before the data is inflated.
    let bytes = deflate_bomb(&[1 << 28]);
    let start = Instant::now();
    let err = io::parse_network_bytes(&bytes, Path::new("bomb.npz"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bomb.npz") && err.contains("key `m`") && err.contains("more than 16777216"),
        "{err}"
    );
    assert!(start.elapsed() * 10 < whole, "{:?}", start.elapsed());

    // An entry whose declared size is shorter than its own header needs is refused as such.
    let mut bytes = deflate_bomb(&[8, 2]);
    declare_size(&mut bytes, "m.npy", 100);
    let err = io::parse_network_bytes(&bytes, Path::new("lie.npz"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("key `m`") && err.contains("declared uncompressed size"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Malformed and hostile inputs.

/// A hostile pickle as the main pickle of a legacy file, with no storages.
fn legacy_main(main: Vec<u8>) -> Vec<u8> {
    legacy_with_pickle(&main, &[])
}

fn network_json(edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let dir = scratch("json-case");
    let path = dir.join("n.json");
    save_network_json(&load_network(&fixture("lowrank_n64_r2.pt")).unwrap(), &path).unwrap();
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut value);
    serde_json::to_vec(&value).unwrap()
}

/// One entry of the malformed table: a name (also the file name), the bytes, and words the error
/// must contain besides the file name.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    words: &'static [&'static str],
}

fn case(name: &'static str, bytes: Vec<u8>, words: &'static [&'static str]) -> Case {
    Case { name, bytes, words }
}

fn malformed_cases() -> Vec<Case> {
    let ok = small_network(4);
    let zip_fixture = std::fs::read(fixture("lowrank_n64_r2.pt")).unwrap();
    let legacy_fixture = std::fs::read(fixture("lowrank_n64_r2_legacy.pt")).unwrap();
    let mut wrong_magic = legacy_fixture.clone();
    wrong_magic[5] ^= 0xff;
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let one_float = |name, numel, shape: &[i64], stride: &[i64], offset| {
        let mut t = TensorDesc::new(name, "FloatStorage", "0", numel, shape, stride);
        t.offset = offset;
        pt_zip(
            &state_dict_pickle(&[t], false),
            &[("0", f32_bytes(&vec![1.0; numel as usize]))],
        )
    };
    let mut missing_storage = descs(&ok);
    missing_storage.truncate(4);
    let storages: Vec<(&str, Vec<u8>)> = ok[..4]
        .iter()
        .zip(KEYS)
        .filter(|(_, k)| *k != "2")
        .map(|(a, k)| (k, f32_bytes(&a.data)))
        .collect();
    let huge = 1i64 << 40;
    let mut big_endian_sys = legacy_from(&ok);
    let flag = big_endian_sys
        .windows(13)
        .position(|w| w == b"little_endian")
        .unwrap();
    big_endian_sys[flag + 13] = 0x89; // NEWTRUE -> NEWFALSE
    let mut nested = vec![0x80, 2];
    nested.extend(std::iter::repeat_n(b'(', 100_000));
    let mut deep_lists = vec![0x80, 2];
    deep_lists.extend(std::iter::repeat_n(b']', 200_000));

    vec![
        case("empty.pt", Vec::new(), &["empty"]),
        case("random.bin", random, &["unrecognised"]),
        case(
            "truncated_zip.pt",
            zip_fixture[..zip_fixture.len() / 2].to_vec(),
            &["zip"],
        ),
        case(
            "truncated_legacy_data.pt",
            legacy_fixture[..legacy_fixture.len() - 100].to_vec(),
            &["key `wo`", "storage", "remain"],
        ),
        case(
            "truncated_legacy_pickle.pt",
            legacy_fixture[..500].to_vec(),
            &["state dict", "ends inside the pickle"],
        ),
        case("wrong_magic.pt", wrong_magic, &["magic number"]),
        case(
            "os_system.pt",
            legacy_main(
                Pickle::new()
                    .global("os", "system")
                    .str("ls")
                    .op(&[0x85])
                    .op(b"R")
                    .stop(),
            ),
            &["os.system", "not allowed"],
        ),
        case(
            "builtins_eval.pt",
            legacy_main(
                Pickle::new()
                    .global("builtins", "eval")
                    .str("1")
                    .op(&[0x85])
                    .op(b"R")
                    .stop(),
            ),
            &["builtins.eval", "not allowed"],
        ),
        case(
            "posix_system.pt",
            pt_zip(&Pickle::new().global("posix", "system").stop(), &[]),
            &["posix.system", "not allowed"],
        ),
        case(
            "stack_global_subprocess.pt",
            legacy_main(
                Pickle::new()
                    .str("subprocess")
                    .str("Popen")
                    .op(&[0x93])
                    .stop(),
            ),
            &["subprocess.Popen", "not allowed"],
        ),
        case(
            "unknown_opcode.pt",
            legacy_main(Pickle::new().op(&[0xff]).stop()),
            &["opcode 0xff", "byte"],
        ),
        case(
            "reduce_storage_class.pt",
            legacy_main(
                Pickle::new()
                    .global("torch", "FloatStorage")
                    .op(b")R")
                    .stop(),
            ),
            &["REDUCE", "torch.FloatStorage"],
        ),
        case(
            "reduce_on_int.pt",
            legacy_main(Pickle::new().int(3).op(b")R").stop()),
            &["REDUCE", "not an allowed callable"],
        ),
        case(
            "missing_storage.pt",
            pt_zip(&state_dict_pickle(&missing_storage, false), &storages),
            &["key `m`", "archive/data/2"],
        ),
        case(
            "huge_count_legacy.pt",
            legacy_file(
                &[TensorDesc::new(
                    "m",
                    "FloatStorage",
                    "0",
                    huge,
                    &[huge],
                    &[1],
                )],
                &[("0", huge, vec![0; 64])],
            ),
            &["key `m`", "storage `0`", "remain"],
        ),
        case(
            "huge_count_zip.pt",
            one_float_huge(huge),
            &["key `m`", "largest tensor we accept"],
        ),
        case(
            "count_beyond_entry_zip.pt",
            one_float_huge(10_000_000),
            &["key `m`", "fewer than"],
        ),
        case(
            "negative_size.pt",
            one_float("m", 4, &[-1, 2], &[2, 1], 0),
            &["key `m`", "negative size"],
        ),
        case(
            "negative_offset.pt",
            one_float("m", 4, &[2, 2], &[2, 1], -3),
            &["key `m`", "negative storage offset"],
        ),
        case(
            "overflowing_stride.pt",
            one_float("m", 4, &[2, 2], &[i64::MAX, 1], 0),
            &["key `m`", "past the end"],
        ),
        case(
            "overflowing_size.pt",
            one_float("m", 4, &[i64::MAX, i64::MAX], &[0, 0], 0),
            &["key `m`", "more than"],
        ),
        case(
            "offset_past_end.pt",
            one_float("m", 4, &[2, 2], &[2, 1], 1),
            &["key `m`", "past the end"],
        ),
        case(
            "broadcast_bomb.pt",
            one_float("m", 1, &[1 << 24], &[0], 0),
            &["key `m`", "repeating"],
        ),
        case(
            "m_n_mismatch.pt",
            pt_zip_from(&with(&ok, "n", |a| {
                a.shape = vec![3, 2];
                a.data.truncate(6);
            })),
            &["`n`", "shape [3, 2]"],
        ),
        case(
            "wi_inconsistent_n.npz",
            npz_from(&with(&ok, "wi", |a| {
                a.shape = vec![2, 5];
                a.data.resize(10, 0.5);
            })),
            &["`wi`", "shape [2, 5]"],
        ),
        case(
            "nan.pt",
            legacy_from(&with(&ok, "m", |a| a.data[3] = f32::NAN)),
            &["`m`", "non-finite", "NaN"],
        ),
        case(
            "inf.npz",
            npz_from(&with(&ok, "wo", |a| a.data[1] = f32::INFINITY)),
            &["`wo`", "non-finite", "inf"],
        ),
        case(
            "missing_m.pt",
            pt_zip_from(
                &ok.iter()
                    .filter(|a| a.name != "m")
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
            &["key `m`", "missing"],
        ),
        case("zero_neurons.npz", npz_from(&small_network(0)), &["N = 0"]),
        case(
            "int64_m.pt",
            std::fs::read(fixture("malformed/int64_m.pt")).unwrap(),
            &["key `m`", "int64", "not supported"],
        ),
        case(
            "float16_m.pt",
            std::fs::read(fixture("malformed/float16_m.pt")).unwrap(),
            &["key `m`", "float16", "not supported"],
        ),
        case(
            "int_m.npz",
            std::fs::read(fixture("malformed/int_m.npz")).unwrap(),
            &["key `m`", "<i8", "not supported"],
        ),
        case(
            "npz_truncated_array.npz",
            npz(&[("m", npy("<f4", &[64, 2], &[0; 16]))]),
            &["key `m`", "truncated"],
        ),
        case(
            "npz_overflowing_shape.npz",
            npz(&[("m", npy("<f8", &[1 << 32, 1 << 32, 1 << 32], &[]))]),
            &["key `m`", "more than"],
        ),
        case(
            "json_version.json",
            network_json(|v| v["version"] = 2.into()),
            &["version 2", "this build reads version 1"],
        ),
        case(
            "json_format.json",
            network_json(|v| v["format"] = "lowrank-explorer/population".into()),
            &[
                "lowrank-explorer/population",
                "not `lowrank-explorer/network`",
            ],
        ),
        case(
            "json_string_number.json",
            network_json(|v| v["si"][1] = "0.7".into()),
            &["key `si`", "invalid type: string", "expected f64"],
        ),
        case(
            "json_rows.json",
            network_json(|v| {
                v["m"].as_array_mut().unwrap().pop();
            }),
            &["key `m`", "63 rows, expected 64"],
        ),
        case(
            "json_unknown_field.json",
            network_json(|v| v["B"] = serde_json::json!([1.0])),
            &["unknown field `B`", "meta"],
        ),
        case("deep_marks.pt", legacy_main(nested), &["nested MARKs"]),
        case("deep_stack.pt", legacy_main(deep_lists), &["stack deeper"]),
        case(
            "huge_memo_index.pt",
            legacy_main(Pickle::new().op(&[b'j', 0xff, 0xff, 0xff, 0xff]).stop()),
            &["memo index 4294967295"],
        ),
        case("big_endian_legacy.pt", big_endian_sys, &["big-endian"]),
        case(
            "storage_count_mismatch.pt",
            legacy_file(
                &[TensorDesc::new("m", "FloatStorage", "0", 4, &[4], &[1])],
                &[("0", 5, vec![0; 20])],
            ),
            &["key `m`", "storage `0`", "5 elements", "declares 4"],
        ),
        case(
            "not_a_dict.pt",
            legacy_main(Pickle::new().op(b"]").stop()),
            &["holds a list", "not a state dict"],
        ),
        case(
            "checkpoint.pt",
            legacy_main(Pickle::new().op(b"}").str("model").op(b"}s").stop()),
            &["no tensors", "model", "state_dict()"],
        ),
        case(
            "plain_zip.zip",
            zip_of(&[("readme.txt".into(), b"hello".to_vec())]),
            &["neither a PyTorch .pt", "nor a"],
        ),
        // Safetensors.
        case(
            "truncated.safetensors",
            {
                let mut b = safetensors_from(&ok, "F32");
                b.truncate(40);
                b
            },
            &[
                "safetensors header",
                "reaches past the end of the file",
                "truncated",
            ],
        ),
        case(
            "short_data.safetensors",
            {
                let mut b = safetensors_from(&ok, "F32");
                b.truncate(b.len() - 4);
                b
            },
            &["safetensors header", "truncated, or trailing bytes"],
        ),
        case(
            "trailing.safetensors",
            [safetensors_from(&ok, "F32"), vec![0; 4]].concat(),
            &["truncated, or trailing bytes"],
        ),
        case(
            "not_json.safetensors",
            safetensors_of("{not json}", b""),
            &["safetensors header", "invalid JSON"],
        ),
        case(
            "int32.safetensors",
            safetensors_from(&ok, "I32"),
            &["key `", "I32", "only F32 and F64"],
        ),
        case(
            "gap.safetensors",
            safetensors_of(
                r#"{"m": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                &[0; 8],
            ),
            &["safetensors header", "invalid offset", "m"],
        ),
        case(
            "size_mismatch.safetensors",
            safetensors_of(
                r#"{"m": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#,
                &[0; 8],
            ),
            &["safetensors header", "invalid shape"],
        ),
        case(
            "overflow.safetensors",
            safetensors_of(
                r#"{"m": {"dtype": "F64", "shape": [4294967296, 4294967296, 4], "data_offsets": [0, 0]}}"#,
                b"",
            ),
            &["safetensors header", "overflow"],
        ),
        case(
            "no_tensors.safetensors",
            safetensors_of(r#"{"__metadata__": {"format": "pt"}}"#, b""),
            &["holds no tensors"],
        ),
        case(
            "no_m.safetensors",
            safetensors_from(&ok[..1], "F32"),
            &["key `m`", "missing"],
        ),
        case(
            "bad_meta.safetensors",
            {
                let (header, data) = safetensors_parts(&ok, "F32");
                let header = header.replacen(
                    '{',
                    r#"{"__metadata__": {"lowrank_explorer.meta": "[1, 2]"}, "#,
                    1,
                );
                safetensors_of(&header, &data)
            },
            &["__metadata__.lowrank_explorer.meta", "not a JSON object"],
        ),
    ]
}

/// A zip `.pt` whose only tensor declares `numel` float32 elements, with 512 bytes of data.
fn one_float_huge(numel: i64) -> Vec<u8> {
    let t = TensorDesc::new("m", "FloatStorage", "0", numel, &[numel], &[1]);
    pt_zip(&state_dict_pickle(&[t], false), &[("0", vec![0; 512])])
}

#[test]
fn malformed_inputs_fail_cleanly_naming_file_and_cause() {
    let dir = scratch("malformed");
    let cases = malformed_cases();
    assert!(cases.len() >= 25);
    for Case { name, bytes, words } in cases {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let start = Instant::now();
        let result = load_network(&path);
        let elapsed = start.elapsed();
        let err: IoError = match result {
            Ok(_) => panic!("{name}: loaded without error"),
            Err(e) => e,
        };
        let message = err.to_string();
        assert_eq!(err.file, path, "{name}");
        assert!(message.contains(name), "{name}: {message}");
        for word in words {
            assert!(message.contains(word), "{name}: `{word}` not in: {message}");
        }
        // Nothing is allocated from a declared size: every case fails fast.
        assert!(elapsed < Duration::from_secs(2), "{name} took {elapsed:?}");
    }
}

#[test]
fn read_tensors_reports_json_and_missing_files() {
    let err = read_tensors(Path::new("/nonexistent/dir/net.pt")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/dir/net.pt"), "{err}");
    let dir = scratch("json-tensors");
    let path = dir.join("n.json");
    save_network_json(&load_network(&fixture("lowrank_n64_r2.pt")).unwrap(), &path).unwrap();
    let err = read_tensors(&path).unwrap_err();
    assert!(err.to_string().contains("load it as a network"), "{err}");
}

#[test]
fn open_model_tells_networks_from_population_models() {
    use lowrank_explorer::io::{
        ModelFile, ReadOptions, load_population_model, open_model, save_population_model,
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for net in [
        "lowrank_n64_r2.pt",
        "lowrank_n64_r2.npz",
        "lowrank_n64_r2_legacy.pt",
    ] {
        let loaded = open_model(&fixture(net), &ReadOptions::default())
            .unwrap()
            .model;
        assert!(matches!(loaded, ModelFile::Network(_)), "{net}");
    }
    let preset = root.join("assets/models/dms_mixture_2pop.json");
    let ModelFile::Population(model) = open_model(&preset, &ReadOptions::default()).unwrap().model
    else {
        panic!("the preset is a population model");
    };
    let published = load_population_model(&fixture("dms_mixture_2pop.json")).unwrap();
    assert_eq!(model.populations(), published.populations());
    let dir = tempfile_dir();
    let out = dir.join("model.json");
    save_population_model(&model, &out).unwrap();
    assert_eq!(
        load_population_model(&out).unwrap().populations(),
        model.populations()
    );
    let err = open_model(&fixture("README.md"), &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("README.md"), "{err}");
}

fn tempfile_dir() -> Scratch {
    scratch("test")
}
