//! Atomic file replacement, for every file the project writes (networks, population models,
//! sessions, figures): a crash, a signal or a full disk never leaves a half-written file where a
//! good one was, and never a stray temporary file.
//!
//! - The target is resolved first ([`target`]): a symbolic link is followed, so the file it points
//!   to is replaced and the link stays a link; a FIFO, a terminal, `/proc/self/fd/1` or `-`
//!   (standard output) is written directly, as a stream.
//! - A regular file is written into a new temporary file beside the real target, fsynced, then
//!   renamed over it. Live temporary files are registered, so a signal handler can remove them
//!   ([`remove_live_temps`]); the ones a killed process left (their pid is dead) are swept before
//!   the same target is written again.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{IoError, IoErrorKind};

/// Attempts at finding an unused temporary name before giving up.
const TEMP_ATTEMPTS: u32 = 16;
/// Links followed at most (a loop of links is an error, as for the kernel).
const MAX_LINKS: usize = 40;

/// The temporary files of writes in progress in this process.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Where a write to a path lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `-`: standard output.
    Stdout,
    /// A FIFO, a device or another special file: written directly.
    Stream(PathBuf),
    /// A regular file (existing or not), after following links: replaced atomically.
    File(PathBuf),
}

/// Where writing to `path` lands: `-` is standard output; an existing special file (a FIFO, a
/// device, a pipe named by `/proc/self/fd/N`) is a stream; anything else is the regular file at
/// the end of its chain of symbolic links (a dangling link names the file to create).
pub fn target(path: &Path) -> std::io::Result<Target> {
    if path.as_os_str() == "-" {
        return Ok(Target::Stdout);
    }
    if let Ok(m) = fs::metadata(path)
        && !m.is_file()
        && !m.is_dir()
    {
        return Ok(Target::Stream(path.to_path_buf()));
    }
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(Target::File(p)),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links"
    )))
}

/// Writes `bytes` to `path`: atomically for a regular file (see the module), directly for
/// standard output and special files.
///
/// For a file, readers see either the old file or the complete new one. On any error the
/// temporary file is removed and the target is untouched; the error names `path`. On Unix the
/// directory is fsynced too, so that the rename itself survives a power cut (best effort: some
/// file systems refuse it).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    let fail = |kind: IoErrorKind| IoError {
        file: path.to_path_buf(),
        kind,
    };
    match target(path).map_err(|e| fail(e.into()))? {
        Target::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(|e| fail(e.into()))
        }
        Target::Stream(p) => OpenOptions::new()
            .write(true)
            .open(p)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|e| fail(e.into())),
        Target::File(real) => replace(&real, bytes).map_err(fail),
    }
}

/// Checks that `path` can be written (before hours of work end in a failed write): standard
/// output and special files always can; for a file, a temporary file is created beside its real
/// target and removed.
pub fn check_writable(path: &Path) -> Result<(), IoError> {
    let fail = |kind: IoErrorKind| IoError {
        file: path.to_path_buf(),
        kind,
    };
    let Target::File(real) = target(path).map_err(|e| fail(e.into()))? else {
        return Ok(());
    };
    if real.is_dir() {
        return Err(fail(IoErrorKind::Format(
            "is a folder, not a file".to_string(),
        )));
    }
    let (dir, name) = split(&real).map_err(fail)?;
    let (_, temp) = create_temp(dir, name).map_err(|e| fail(e.into()))?;
    drop(temp);
    Ok(())
}

/// The folder and the file name of `real`.
fn split(real: &Path) -> Result<(&Path, &std::ffi::OsStr), IoErrorKind> {
    let name = real
        .file_name()
        .ok_or_else(|| IoErrorKind::Format("the path does not name a file".into()))?;
    let dir = match real.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((dir, name))
}

/// Replaces the regular file `real` by `bytes`, through a temporary file beside it.
fn replace(real: &Path, bytes: &[u8]) -> Result<(), IoErrorKind> {
    let (dir, name) = split(real)?;
    sweep_stale(dir, name);
    let (mut file, mut temp) = create_temp(dir, name)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            fs::rename(&temp.path, real)
        })?;
    temp.renamed();
    sync_dir(dir);
    Ok(())
}

/// Removes every temporary file of a write in progress (for a signal handler: the process is
/// about to end, and the targets stay as they were).
pub fn remove_live_temps() {
    remove_live(|_| true);
}

/// Removes the live temporary files `which` selects.
fn remove_live(which: impl Fn(&Path) -> bool) {
    let live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    for p in live.iter().filter(|p| which(p)) {
        let _ = fs::remove_file(p);
    }
}

/// The temporary-file name of target `name` for process `pid`, write `n`.
fn temp_name(name: &std::ffi::OsStr, pid: u32, n: u64) -> std::ffi::OsString {
    let mut t = std::ffi::OsString::from(".");
    t.push(name);
    t.push(format!(".{pid}.{n}.tmp"));
    t
}

/// Removes the temporary files of target `name` in `dir` that a process no longer alive left
/// (a write killed by SIGKILL or a power cut). Only on systems with `/proc`, which says whether a
/// pid lives; elsewhere nothing is removed.
fn sweep_stale(dir: &Path, name: &std::ffi::OsStr) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        let pid = rest.split('.').next().and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !Path::new("/proc").join(pid.to_string()).exists()
        {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Creates a fresh `.<name>.<pid>.<n>.tmp` next to the target; `create_new` guarantees we never
/// write into a file someone else opened.
fn create_temp(dir: &Path, file_name: &std::ffi::OsStr) -> std::io::Result<(File, TempFile)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut last_error = None;
    for _ in 0..TEMP_ATTEMPTS {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(temp_name(file_name, std::process::id(), n));
        // Registered before it exists, so a signal in between still finds it.
        let guard = TempFile::register(temp.clone());
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((file, guard)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                guard.forget();
                last_error = Some(e);
            }
            Err(e) => {
                guard.forget();
                return Err(e);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no free temporary file name")))
}

/// A registered temporary file, deleted when dropped unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    /// Delete the file when dropped.
    delete: bool,
}

impl TempFile {
    fn register(path: PathBuf) -> TempFile {
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.clone());
        TempFile { path, delete: true }
    }

    /// It was renamed into place: nothing to delete.
    fn renamed(&mut self) {
        self.delete = false;
    }

    /// It was never created (someone else's name, or an error): only unregister it.
    fn forget(mut self) {
        self.delete = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.delete {
            // Nothing more can be done if this fails; the write error is what gets reported.
            let _ = fs::remove_file(&self.path);
        }
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| *p != self.path);
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

    #[cfg(unix)]
    #[test]
    fn a_link_stays_a_link_and_its_target_is_replaced() {
        let dir = scratch("link");
        let real = dir.join("real.json");
        write_atomic(&real, b"old").unwrap();
        let link = dir.join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");
        // A dangling link creates its target.
        let dangling = dir.join("dangling.json");
        std::os::unix::fs::symlink("made.json", &dangling).unwrap();
        write_atomic(&dangling, b"made").unwrap();
        assert_eq!(fs::read(dir.join("made.json")).unwrap(), b"made");
        assert_eq!(
            entries(&dir),
            vec!["dangling.json", "link.json", "made.json", "real.json"]
        );
        // A loop of links is an error, not a hang.
        std::os::unix::fs::symlink("b", dir.join("a")).unwrap();
        std::os::unix::fs::symlink("a", dir.join("b")).unwrap();
        assert!(write_atomic(&dir.join("a"), b"x").is_err());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn temporary_files_of_dead_processes_are_swept_and_live_ones_removed_on_request() {
        let dir = scratch("sweep");
        let name = std::ffi::OsStr::new("net.json");
        // A pid far above any the kernel hands out, and our own (alive).
        let stale = dir.join(temp_name(name, 4_000_000_000, 0));
        let ours = dir.join(temp_name(name, std::process::id(), 999_999));
        fs::write(&stale, b"half").unwrap();
        fs::write(&ours, b"in progress").unwrap();
        let other = dir.join(temp_name(
            std::ffi::OsStr::new("other.json"),
            4_000_000_000,
            0,
        ));
        fs::write(&other, b"not this target's").unwrap();
        write_atomic(&dir.join("net.json"), b"done").unwrap();
        let left = entries(&dir);
        if Path::new("/proc/self").exists() {
            assert!(!left.iter().any(|e| stale.ends_with(e)), "{left:?}");
        }
        assert!(
            left.iter().any(|e| ours.ends_with(e)),
            "a live pid's file stays"
        );
        assert!(
            left.iter().any(|e| other.ends_with(e)),
            "another target's stays"
        );
        // A registered temporary file goes when a signal handler asks (only this folder's here:
        // the other tests write in parallel).
        let (_file, guard) = create_temp(&dir, name).unwrap();
        let path = guard.path.clone();
        assert!(path.exists());
        remove_live(|p| p.starts_with(&dir));
        assert!(!path.exists());
        drop(guard);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn writability_is_checked_before_the_work() {
        let dir = scratch("check");
        check_writable(&dir.join("fresh.json")).unwrap();
        assert_eq!(entries(&dir), Vec::<String>::new(), "the probe is removed");
        let err = check_writable(&dir).unwrap_err();
        assert!(err.to_string().contains("folder"), "{err}");
        assert!(check_writable(&dir.join("no/such/folder/x.json")).is_err());
        check_writable(Path::new("-")).unwrap();
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
