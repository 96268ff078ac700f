//! Nothing lost, nothing silent (issue 17), through the real binary: outputs follow links and
//! stream to special files, a signal during a write leaves no temporary file, an output that
//! cannot be written is refused before the work, and what the input left out or had adjusted is
//! refused by name or reported.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_lowrank-explorer");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("lre-rel-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[cfg(unix)]
#[test]
fn an_output_through_a_link_replaces_its_target_and_special_files_are_streamed() {
    let dir = Scratch::new("links");
    let fixture = fixture("lowrank_n64_r2.pt");
    let fixture = fixture.to_str().unwrap();
    let real = dir.path("real.json");
    std::fs::write(&real, b"old").unwrap();
    let link = dir.path("link.json");
    std::os::unix::fs::symlink("real.json", &link).unwrap();
    let o = run(&["convert", fixture, "--out", link.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(text.contains("\"m\""), "the target was not written");
    assert_eq!(dir.files(), ["link.json", "real.json"]);

    // `-` and a FIFO are written as streams.
    let o = run(&["convert", fixture, "--out", "-"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"m\""));
    let fifo = dir.path("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let o = run(&["convert", fixture, "--out", fifo.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(reader.join().unwrap().contains("\"m\""));
    assert!(
        !std::fs::metadata(&fifo).unwrap().is_file(),
        "the FIFO was replaced by a file"
    );
}

#[cfg(unix)]
#[test]
fn a_signal_during_a_write_leaves_no_temporary_file() {
    let dir = Scratch::new("signal");
    let out = dir.path("big.json");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/models/dms_mixture_2pop.json");
    // A network large enough that its write takes a while (about 150 MB).
    let child = Command::new(BIN)
        .args(["resample", model.to_str().unwrap(), "--n", "1000000"])
        .args(["--out", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let start = Instant::now();
    let mut signalled = false;
    while start.elapsed() < Duration::from_secs(60) {
        if dir.files().iter().any(|f| f.ends_with(".tmp")) {
            let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
            signalled = killed.success();
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        signalled,
        "the write was over before it could be interrupted"
    );
    assert!(!output.status.success(), "the command was not stopped");
    assert!(dir.files().is_empty(), "left behind: {:?}", dir.files());
}

#[test]
fn an_output_that_cannot_be_written_is_refused_before_the_work() {
    // Nothing can create files in /proc, not even root.
    let o = run(&[
        "train",
        "--task",
        "dms",
        "--n",
        "64",
        "--out",
        "/proc/lre-net.json",
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("--out /proc/lre-net.json cannot be written"),
        "{e}"
    );
}

#[test]
fn inputs_are_refused_by_name_never_half_read() {
    let dir = Scratch::new("fields");
    let base = std::fs::read_to_string(fixture("dms_mixture_2pop.json")).unwrap();
    // A fixture-shaped file (no `format`) with fields that shape does not have.
    for (field, edit) in [
        (
            "mean",
            base.replacen(
                "\"weight\"",
                "\"mean\": [0, 0, 0, 0, 0, 0, 0], \"weight\"",
                1,
            ),
        ),
        (
            "gain_clamp",
            base.replacen("\"weight\"", "\"gain_clamp\": 0.5, \"weight\"", 1),
        ),
        (
            "input_names",
            base.replacen('{', "{\"input_names\": [\"A\", \"B\"], ", 1),
        ),
    ] {
        let path = dir.path(&format!("{field}.json"));
        std::fs::write(&path, edit).unwrap();
        let o = run(&["analyze", path.to_str().unwrap()]);
        assert!(!o.status.success(), "{field} was ignored");
        let e = stderr(&o);
        assert!(
            e.contains(&format!("unknown field `{field}`")) && e.contains(&format!("{field}.json")),
            "{e}"
        );
    }
    // A parameter of a population that does not exist is not continued.
    let o = run(&[
        "continue",
        "--preset",
        "poster_didactic",
        "--param",
        "p3.gain",
        "--from",
        "0",
        "--to",
        "1",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("population 3 does not exist"),
        "{}",
        stderr(&o)
    );
    // A delay range the task cannot draw from is an error, not silently raised.
    let o = run(&[
        "eval",
        fixture("lowrank_n64_r2.pt").to_str().unwrap(),
        "--task",
        "dms",
        "--delay-max-ms",
        "0",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("must be at least 520 ms"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn repeated_input_names_are_refused_and_a_non_psd_model_is_reported() {
    let dir = Scratch::new("names");
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/models/dms_mixture_2pop.json");
    let text = std::fs::read_to_string(&model).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut twice = value.clone();
    twice["input_names"] = serde_json::json!(["A", "A"]);
    let path = dir.path("twice.json");
    std::fs::write(&path, twice.to_string()).unwrap();
    let o = run(&["analyze", path.to_str().unwrap()]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("input_names") && e.contains("given twice"),
        "{e}"
    );

    // A covariance that is not PSD: said on stderr and in the JSON.
    let mut bent = value;
    bent["populations"][0]["cov"][3][0] = serde_json::json!(40.0);
    bent["populations"][0]["cov"][0][3] = serde_json::json!(40.0);
    let path = dir.path("bent.json");
    std::fs::write(&path, bent.to_string()).unwrap();
    let o = run(&["analyze", path.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning: pop 1: the covariance is not positive semi-definite"));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1);
    let o = run(&[
        "resample",
        path.to_str().unwrap(),
        "--n",
        "100",
        "--out",
        dir.path("drawn.json").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("not positive semi-definite"));
}
