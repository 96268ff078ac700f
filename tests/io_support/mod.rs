//! Shared helpers of the CLI and file-format tests: fixtures, scratch folders that clean up after
//! themselves, exact comparisons.

// Each test file compiles this module and uses a part of it.
#![allow(dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A file of `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh folder for one test, removed when the value is dropped (also when the test fails, so
/// repeated runs leave nothing in the temporary folder).
pub struct Scratch(PathBuf);

impl Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh [`Scratch`] folder named after the test file and the test.
pub fn scratch(suite: &str, test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("lowrank-{suite}-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// The bit patterns of `values`, for comparisons that must be exact.
pub fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Asserts that two networks hold the same dimensions and the same bits in every part; `what`
/// names the comparison in the failure message.
pub fn assert_same_network(
    a: &lowrank_explorer::network::Network,
    b: &lowrank_explorer::network::Network,
    what: &str,
) {
    let (p, q) = (a.parts(), b.parts());
    assert_eq!(a.dims(), b.dims(), "{what}");
    for (name, x, y) in [
        ("wi", p.wi.as_slice(), q.wi.as_slice()),
        ("si", p.si.as_slice(), q.si.as_slice()),
        ("m", p.m.as_slice(), q.m.as_slice()),
        ("n", p.n.as_slice(), q.n.as_slice()),
        ("wo", p.wo.as_slice(), q.wo.as_slice()),
        ("so", p.so.as_slice(), q.so.as_slice()),
        ("h0", p.h0.as_slice(), q.h0.as_slice()),
    ] {
        assert_eq!(bits(x), bits(y), "{what}: {name}");
    }
    assert_eq!(
        p.b.as_ref().map(|b| bits(b.as_slice())),
        q.b.as_ref().map(|b| bits(b.as_slice())),
        "{what}: b"
    );
}

/// The parameters of the folds in a `continue --json` diagram, ascending.
pub fn fold_parameters(diagram: &serde_json::Value) -> Vec<f64> {
    let mut p: Vec<f64> = diagram["special_points"]
        .as_array()
        .expect("special_points is an array")
        .iter()
        .filter(|s| s["kind"] == "fold")
        .map(|s| s["p"].as_f64().expect("a special point's p is a number"))
        .collect();
    p.sort_by(f64::total_cmp);
    p
}
