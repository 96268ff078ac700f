//! The writers of `.pt`, `.npz` and `.safetensors` (issue 14): byte-for-byte against the files
//! torch, NumPy and the safetensors package wrote for the same tensors, round trips through the
//! project's own readers, the choice of format by extension, float32 rounding, atomicity, and the
//! commands that write networks.

mod io_support;

use io_support::{Scratch, assert_same_network, fixture};
use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use lowrank_explorer::cli::run_args;
use lowrank_explorer::io::{
    self, Dtype, Meta, NetworkFile, NetworkFormat, load_network, load_network_file, read_tensors,
    save_network_as,
};
use lowrank_explorer::network::{Network, NetworkParts};
use nalgebra::{DMatrix, DVector};

const BIN: &str = env!("CARGO_BIN_EXE_lowrank-explorer");

/// A fresh directory for one test.
fn scratch(test: &str) -> Scratch {
    io_support::scratch("writers", test)
}

/// Every parameter of two networks is bitwise identical (shapes included).
/// The entries of a zip archive in order: name, content, offset of the data in the file, and
/// whether it is stored uncompressed.
fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>, u64, bool)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let stored = entry.compression() == zip::CompressionMethod::Stored;
            let name = entry.name().unwrap().into_owned();
            let start = entry.data_start().unwrap();
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
            (name, content, start, stored)
        })
        .collect()
}

/// Values with every mantissa bit in use (not float32-representable), from a fixed LCG.
fn values(seed: &mut u64, count: usize) -> Vec<f64> {
    (0..count)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // In (-4, 4), never zero.
            ((*seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 8.0 + 1e-9
        })
        .collect()
}

/// A network of `n` neurons and rank `rank` with 2 inputs and 1 output, optionally with a bias.
fn network(n: usize, rank: usize, bias: bool, seed: u64) -> Network {
    let mut s = seed;
    let matrix = |s: &mut u64, r, c| DMatrix::from_row_slice(r, c, &values(s, r * c));
    let vector = |s: &mut u64, len| DVector::from_vec(values(s, len));
    let parts = NetworkParts {
        wi: matrix(&mut s, 2, n),
        si: vector(&mut s, 2),
        m: matrix(&mut s, n, rank),
        n: matrix(&mut s, n, rank),
        wo: matrix(&mut s, n, 1),
        so: vector(&mut s, 1),
        h0: vector(&mut s, n),
        b: bias.then(|| vector(&mut s, n)),
    };
    Network::new(parts).unwrap()
}

/// `net` with every value rounded to float32: what a float32 file holds.
fn rounded_to_f32(net: &Network) -> Network {
    let mut parts = net.parts().clone();
    let round = |x: &mut f64| *x = f64::from(*x as f32);
    for m in [&mut parts.wi, &mut parts.m, &mut parts.n, &mut parts.wo] {
        m.iter_mut().for_each(round);
    }
    for v in [&mut parts.si, &mut parts.so, &mut parts.h0] {
        v.iter_mut().for_each(round);
    }
    if let Some(b) = &mut parts.b {
        b.iter_mut().for_each(round);
    }
    Network::new(parts).unwrap()
}

fn plain(network: Network) -> NetworkFile {
    NetworkFile {
        network,
        meta: None,
    }
}

fn some_meta() -> Meta {
    let mut meta = Meta::new();
    meta.insert("command".into(), "lowrank-explorer train --seed 3".into());
    meta.insert(
        "final_evaluation".into(),
        serde_json::json!({"accuracy": 0.97}),
    );
    meta
}

// ---------------------------------------------------------------------------------------------
// Against the files the Python world wrote.

/// Our `.pt` of the network torch saved is torch's file: the same entries in the same order, each
/// stored, its data 64-byte aligned, with the same bytes (`data.pkl` included, so the same pickle
/// opcodes, memo and persistent ids), except the serialization id, which torch draws at random.
#[test]
fn pt_reproduces_the_files_torch_wrote() {
    let dir = scratch("pt-torch");
    for (name, precision) in [
        ("lowrank_n64_r2.pt", Dtype::F32),
        ("generated/bias_f64.pt", Dtype::F64),
    ] {
        let torch_file = std::fs::read(fixture(name)).unwrap();
        let ours_path = dir.join(Path::new(name).file_name().unwrap());
        save_network_as(
            &plain(load_network(&fixture(name)).unwrap()),
            &ours_path,
            precision,
        )
        .unwrap();
        let ours = zip_entries(&std::fs::read(&ours_path).unwrap());
        let theirs = zip_entries(&torch_file);
        let names = |e: &[(String, Vec<u8>, u64, bool)]| -> Vec<String> {
            e.iter().map(|x| x.0.clone()).collect()
        };
        assert_eq!(names(&ours), names(&theirs), "{name}");
        assert!(names(&ours).iter().any(|n| n.ends_with("/data.pkl")));
        for ((entry, content, start, stored), (_, torch_content, torch_start, _)) in
            ours.iter().zip(&theirs)
        {
            assert!(*stored, "{name}: {entry} is compressed");
            assert_eq!(start % 64, 0, "{name}: {entry} starts at {start}");
            assert_eq!(torch_start % 64, 0, "{name}: torch aligns {entry} too");
            if entry.ends_with(".data/serialization_id") {
                assert_eq!(content.len(), 40, "{name}");
                assert!(content.iter().all(u8::is_ascii_digit), "{name}");
            } else {
                assert_eq!(content, torch_content, "{name}: {entry}");
            }
        }
    }
}

/// Our `.npz` holds the arrays `np.savez` wrote, byte for byte (headers and data).
#[test]
fn npz_reproduces_the_arrays_numpy_wrote() {
    let dir = scratch("npz-numpy");
    for (name, precision) in [
        ("lowrank_n64_r2.npz", Dtype::F32),
        ("generated/bias_f64.npz", Dtype::F64),
    ] {
        let out = dir.join("net.npz");
        save_network_as(
            &plain(load_network(&fixture(name)).unwrap()),
            &out,
            precision,
        )
        .unwrap();
        let ours = zip_entries(&std::fs::read(&out).unwrap());
        let theirs = zip_entries(&std::fs::read(fixture(name)).unwrap());
        let contents = |e: Vec<(String, Vec<u8>, u64, bool)>| -> Vec<(String, Vec<u8>)> {
            e.into_iter().map(|(n, c, _, _)| (n, c)).collect()
        };
        assert_eq!(contents(ours), contents(theirs), "{name}");
    }
}

/// Our `.safetensors` is the file `safetensors.torch.save_file(state_dict, metadata={"format":
/// "pt"})` wrote, byte for byte.
#[test]
fn safetensors_reproduces_the_file_the_python_package_wrote() {
    let dir = scratch("st-python");
    let theirs = fixture("generated/bias_f64.safetensors");
    let out = dir.join("net.safetensors");
    save_network_as(&plain(load_network(&theirs).unwrap()), &out, Dtype::F64).unwrap();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&theirs).unwrap()
    );
    // The three files torch, NumPy and safetensors wrote hold the same network.
    let pt = load_network(&fixture("generated/bias_f64.pt")).unwrap();
    assert_same_network(&pt, &load_network(&theirs).unwrap(), "safetensors");
    assert_same_network(
        &pt,
        &load_network(&fixture("generated/bias_f64.npz")).unwrap(),
        "npz",
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips through our own readers.

#[test]
fn every_format_round_trips_bit_for_bit() {
    let dir = scratch("round-trip");
    let nets = [
        ("rank1", network(7, 1, false, 1)),
        ("rank2_bias", network(9, 2, true, 2)),
    ];
    for (label, net) in &nets {
        for ext in ["pt", "npz", "safetensors", "json"] {
            for precision in [Dtype::F32, Dtype::F64] {
                let what = format!("{label}.{ext} {precision:?}");
                let path = dir.join(format!("{label}.{ext}"));
                save_network_as(&plain(net.clone()), &path, precision).unwrap();
                let back = load_network(&path).unwrap();
                // JSON keeps every f64 whatever the precision; the binary formats store it.
                let expected = if ext != "json" && precision == Dtype::F32 {
                    rounded_to_f32(net)
                } else {
                    net.clone()
                };
                assert_same_network(&expected, &back, &what);
                if ext != "json" {
                    let tensors = read_tensors(&path).unwrap();
                    assert!(tensors.iter().all(|(_, t)| t.dtype == precision), "{what}");
                    let keys: Vec<&str> = tensors.keys().collect();
                    assert_eq!(keys.len(), if net.bias().is_some() { 8 } else { 7 });
                }
                // A network read from a float32 file round-trips exactly through float32.
                let f32_net = rounded_to_f32(net);
                save_network_as(&plain(f32_net.clone()), &path, Dtype::F32).unwrap();
                assert_same_network(&f32_net, &load_network(&path).unwrap(), &what);
            }
        }
    }
}

#[test]
fn pt_keys_follow_the_published_state_dict() {
    let dir = scratch("pt-keys");
    let path = dir.join("net.pt");
    save_network_as(&plain(network(5, 2, true, 3)), &path, Dtype::F32).unwrap();
    let tensors = read_tensors(&path).unwrap();
    let shapes: Vec<(&str, Vec<usize>)> =
        tensors.iter().map(|(k, t)| (k, t.shape.clone())).collect();
    assert_eq!(
        shapes,
        vec![
            ("wi", vec![2, 5]),
            ("si", vec![2]),
            ("m", vec![5, 2]),
            ("n", vec![5, 2]),
            ("wo", vec![5, 1]),
            ("so", vec![1]),
            ("h0", vec![5]),
            ("b", vec![5]),
        ]
    );
    // The archive is named after the file, as torch names it.
    let entries = zip_entries(&std::fs::read(&path).unwrap());
    assert_eq!(entries[0].0, "net/data.pkl");
}

#[test]
fn metadata_is_kept_by_json_and_safetensors_only() {
    let dir = scratch("meta");
    let file = NetworkFile {
        network: network(6, 2, false, 4),
        meta: Some(some_meta()),
    };
    for (ext, kept) in [
        ("json", true),
        ("safetensors", true),
        ("pt", false),
        ("npz", false),
    ] {
        let path = dir.join(format!("net.{ext}"));
        save_network_as(&file, &path, Dtype::F64).unwrap();
        let back = load_network_file(&path).unwrap();
        assert_eq!(back.meta.is_some(), kept, "{ext}");
        if kept {
            assert_eq!(back.meta, file.meta, "{ext}");
        }
        assert_eq!(
            NetworkFormat::of_path(&path).unwrap().keeps_meta(),
            kept,
            "{ext}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The choice of format, range and atomicity.

#[test]
fn the_extension_names_the_format() {
    let of = |p: &str| NetworkFormat::of_path(Path::new(p));
    assert_eq!(of("a.json").unwrap(), NetworkFormat::Json);
    assert_eq!(of("-").unwrap(), NetworkFormat::Json);
    assert_eq!(of("dir/net").unwrap(), NetworkFormat::Json);
    assert_eq!(of("A.PT").unwrap(), NetworkFormat::Pt);
    assert_eq!(of("a.pth").unwrap(), NetworkFormat::Pt);
    assert_eq!(of("a.npz").unwrap(), NetworkFormat::Npz);
    assert_eq!(of("a.SafeTensors").unwrap(), NetworkFormat::Safetensors);
    let err = of("weights.bin").unwrap_err().to_string();
    for word in ["weights.bin", "`.bin`", ".json, .pt, .npz, .safetensors"] {
        assert!(err.contains(word), "`{word}` not in: {err}");
    }
    // Nothing is written under an unknown extension.
    let dir = scratch("ext");
    let path = dir.join("net.h5");
    let err = save_network_as(&plain(network(3, 1, false, 5)), &path, Dtype::F32).unwrap_err();
    assert_eq!(err.file, path);
    assert!(!path.exists());
}

/// A value beyond the float32 range cannot be written as float32 (it would read back infinite):
/// the error names the key, the old file stays, and no temporary file is left.
#[test]
fn float32_overflow_is_refused_and_leaves_the_old_file() {
    let dir = scratch("overflow");
    let mut parts = network(4, 1, false, 6).into_parts();
    parts.n[(2, 0)] = 1e300;
    let huge = plain(Network::new(parts).unwrap());
    for ext in ["pt", "npz", "safetensors"] {
        let path = dir.join(format!("net.{ext}"));
        let good = plain(network(4, 1, false, 7));
        save_network_as(&good, &path, Dtype::F32).unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = save_network_as(&huge, &path, Dtype::F32)
            .unwrap_err()
            .to_string();
        assert!(err.contains("key `n`") && err.contains("float32"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "{ext}");
        // Float64 holds it.
        save_network_as(&huge, &path, Dtype::F64).unwrap();
        assert_eq!(load_network(&path).unwrap().n()[(2, 0)], 1e300);
    }
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn rounding_is_measured_and_exact_precision_chosen() {
    let net = network(5, 2, true, 8);
    let f32_net = rounded_to_f32(&net);
    let values = |n: &Network| {
        io::network_to_tensors(n, Dtype::F64)
            .iter()
            .flat_map(|(_, t)| t.data.clone())
            .collect::<Vec<f64>>()
    };
    assert_eq!(io::float32_rounding(&values(&f32_net)), None);
    let r = io::float32_rounding(&values(&net)).unwrap();
    assert_eq!(r.total, 2 * 5 + 2 + 4 * 5 + 5 + 1 + 5 + 5);
    assert_eq!(r.inexact, r.total);
    assert!(r.max_relative > 0.0 && r.max_relative <= f64::from(f32::EPSILON) / 2.0);
    assert_eq!(io::exact_precision(&net), Dtype::F64);
    assert_eq!(io::exact_precision(&f32_net), Dtype::F32);
    let fixture_net = load_network(&fixture("lowrank_n64_r2.pt")).unwrap();
    assert_eq!(io::exact_precision(&fixture_net), Dtype::F32);
}

// ---------------------------------------------------------------------------------------------
// The commands.

fn convert(input: &Path, out: &Path, extra: &[&str]) -> Result<String, String> {
    let mut args = vec![
        "lowrank-explorer".to_owned(),
        "convert".into(),
        input.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    run_args(args).map_err(|e| e.0)
}

#[test]
fn convert_between_every_format() {
    let dir = scratch("convert");
    let source = fixture("lowrank_n64_r2.pt");
    let original = load_network(&source).unwrap();
    let mut previous = source;
    // A chain through every format, float32 throughout: the fixture's values are float32, so
    // nothing changes along the way.
    for name in ["a.npz", "b.safetensors", "c.json", "d.pt", "e.npz"] {
        let out = dir.join(name);
        let report = convert(&previous, &out, &[]).unwrap();
        assert!(report.contains("N = 64"), "{report}");
        assert_same_network(&original, &load_network(&out).unwrap(), name);
        previous = out;
    }
    // --precision f64 stores doubles.
    let out = dir.join("f.pt");
    convert(&previous, &out, &["--precision", "f64"]).unwrap();
    assert!(
        read_tensors(&out)
            .unwrap()
            .iter()
            .all(|(_, t)| t.dtype == Dtype::F64)
    );
    assert_same_network(&original, &load_network(&out).unwrap(), "f64");
    // An unknown extension is refused before anything is read.
    let err = convert(Path::new("/nonexistent.pt"), &dir.join("x.bin"), &[]).unwrap_err();
    assert!(
        err.contains("`.bin`") && err.contains(".safetensors"),
        "{err}"
    );
    assert!(!err.contains("nonexistent"), "{err}");
}

/// The CLI says on stderr when float32 rounds values or a format drops the metadata, and stays
/// quiet when nothing is lost.
#[test]
fn convert_notes_what_float32_rounds_and_what_metadata_is_dropped() {
    let dir = scratch("notes");
    let json = dir.join("trained.json");
    save_network_as(
        &NetworkFile {
            network: network(6, 2, false, 9),
            meta: Some(some_meta()),
        },
        &json,
        Dtype::F64,
    )
    .unwrap();
    let run = |out: &str, extra: &[&str]| {
        let o = Command::new(BIN)
            .args(["convert", json.to_str().unwrap(), "--out"])
            .arg(dir.join(out))
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let err = run("net.pt", &[]);
    assert!(
        err.contains("rounded to float32") && err.contains("--precision f64"),
        "{err}"
    );
    assert!(err.contains("metadata"), "{err}");
    let err = run("net.safetensors", &["--precision", "f64"]);
    assert!(err.is_empty(), "{err}");
    let err = run("again.json", &[]);
    assert!(err.is_empty(), "{err}");
    // A float32 network to float32: nothing to say.
    let o = Command::new(BIN)
        .args([
            "convert",
            fixture("lowrank_n64_r2.pt").to_str().unwrap(),
            "--out",
        ])
        .arg(dir.join("f.npz"))
        .output()
        .unwrap();
    assert!(o.status.success() && o.stderr.is_empty(), "{o:?}");
}

#[test]
fn train_and_resample_write_the_format_of_their_out() {
    let dir = scratch("train-resample");
    let out = dir.join("net.pt");
    run_args([
        "lowrank-explorer",
        "train",
        "--task",
        "decision",
        "--config",
        r#"{"neurons": 16, "trials_per_stage": 40, "validation_trials": 8}"#,
        "--epochs-per-stage",
        "1",
        "--eval-trials",
        "10",
        "--threads",
        "1",
        "--precision",
        "f64",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let tensors = read_tensors(&out).unwrap();
    assert_eq!(tensors.get("m").unwrap().shape, vec![16, 1]);
    assert!(tensors.iter().all(|(_, t)| t.dtype == Dtype::F64));

    let drawn = dir.join("drawn.safetensors");
    run_args([
        "lowrank-explorer",
        "resample",
        fixture("dms_mixture_2pop.json").to_str().unwrap(),
        "--n",
        "40",
        "--out",
        drawn.to_str().unwrap(),
    ])
    .unwrap();
    let file = load_network_file(&drawn).unwrap();
    assert_eq!(file.network.dims().neurons, 40);
    assert!(
        file.meta.unwrap()["command"]
            .as_str()
            .unwrap()
            .contains("resample")
    );

    // An unknown extension fails at once, before training.
    let start = std::time::Instant::now();
    let err = run_args([
        "lowrank-explorer",
        "train",
        "--task",
        "dms",
        "--out",
        dir.join("net.onnx").to_str().unwrap(),
    ])
    .unwrap_err()
    .0;
    assert!(err.contains("`.onnx`") && err.contains(".npz"), "{err}");
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    assert!(!dir.join("net.onnx").exists());
}

/// A population model is JSON only: `fit` and `finetune` refuse the tensor formats' extensions
/// before any work.
#[test]
fn population_model_outputs_refuse_tensor_extensions() {
    let model = fixture("dms_mixture_2pop.json");
    for args in [
        vec![
            "fit".to_owned(),
            fixture("lowrank_n64_r2.pt").display().to_string(),
            "--populations".into(),
            "2".into(),
            "--out".into(),
            "/tmp/model.pt".into(),
        ],
        vec![
            "finetune".to_owned(),
            model.display().to_string(),
            "--out".into(),
            "/tmp/tuned.npz".into(),
        ],
    ] {
        let err = run_args(std::iter::once("lowrank-explorer".to_owned()).chain(args.clone()))
            .unwrap_err()
            .0;
        assert!(err.contains("JSON only"), "{args:?}: {err}");
    }
}
