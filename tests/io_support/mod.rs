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
