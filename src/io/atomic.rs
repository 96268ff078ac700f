//! Atomic file replacement, for every file the project writes (networks, population models,
//! sessions): a crash or a full disk never leaves a half-written file where a good one was.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{IoError, IoErrorKind};

/// Attempts at finding an unused temporary name before giving up.
const TEMP_ATTEMPTS: u32 = 16;

/// Writes `bytes` to `path` atomically: into a new temporary file in the same directory (so the
/// rename stays on one file system), flushed to disk with fsync, then renamed over `path`.
///
/// Readers see either the old file or the complete new one. On any error the temporary file is
/// removed and `path` is untouched; the error names `path`. On Unix the directory is fsynced too,
/// so that the rename itself survives a power cut (best effort: some file systems refuse it).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    let fail = |kind: IoErrorKind| IoError {
        file: path.to_path_buf(),
        kind,
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| fail(IoErrorKind::Format("the path does not name a file".into())))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (mut file, temp) = create_temp(dir, file_name).map_err(|e| fail(e.into()))?;
    let mut temp = TempFile {
        path: temp,
        renamed: false,
    };
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            fs::rename(&temp.path, path)
        });
    written.map_err(|e| fail(e.into()))?;
    temp.renamed = true;
    sync_dir(dir);
    Ok(())
}

/// Creates a fresh `.<name>.<pid>.<n>.tmp` next to the target; `create_new` guarantees we never
/// write into a file someone else opened.
fn create_temp(dir: &Path, file_name: &std::ffi::OsStr) -> std::io::Result<(File, PathBuf)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut last_error = None;
    for _ in 0..TEMP_ATTEMPTS {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = std::ffi::OsString::from(".");
        name.push(file_name);
        name.push(format!(".{}.{n}.tmp", std::process::id()));
        let temp = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((file, temp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no free temporary file name")))
}

/// The temporary file, deleted when dropped unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    renamed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.renamed {
            // Nothing more can be done if this fails; the write error is what gets reported.
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    // Best effort: the data is already safely in the renamed file, and some file systems do not
    // support fsync on a directory.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lowrank-atomic-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_and_leaves_no_temp() {
        let dir = scratch("replace");
        let path = dir.join("net.json");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new contents").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new contents");
        assert_eq!(entries(&dir), vec!["net.json"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn failure_names_the_file_and_keeps_the_old_one() {
        let dir = scratch("fail");
        // Renaming a file over a non-empty directory fails after the temp file was written.
        let target = dir.join("occupied");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside"), b"x").unwrap();
        let err = write_atomic(&target, b"data").unwrap_err();
        assert_eq!(err.file, target);
        assert!(err.to_string().contains("occupied"), "{err}");
        assert_eq!(entries(&dir), vec!["occupied"]);
        // A missing directory.
        let err = write_atomic(&dir.join("no/such/dir/f.json"), b"x").unwrap_err();
        assert!(err.to_string().contains("f.json"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }
}
