//! Nothing lost, nothing silent (issues 11 and 17), through the real binary: outputs follow links
//! and stream to special files, a signal during a write leaves no temporary file, `kill -9` during
//! a write leaves the previous file (and the next write sweeps its temporary file), an output that
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

/// The mixture preset: networks drawn from it of the largest size make writes of about 40 MB.
fn mixture() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/models/dms_mixture_2pop.json")
        .to_string_lossy()
        .into_owned()
}

/// The largest network we accept (`MAX_NEURONS`), whose write takes a while.
const LARGEST: &str = "262144";

/// Whether a temporary file in `dir` is being written (it has data: the empty one that checks
/// the output is writable before the work does not count).
fn writing(dir: &Scratch) -> bool {
    dir.files()
        .iter()
        .any(|f| f.ends_with(".tmp") && std::fs::metadata(dir.path(f)).is_ok_and(|m| m.len() > 0))
}

/// Runs `args` until one of its temporary files has data in `dir`, then sends it `signal`; tries
/// again (up to five times) when the write is over before it is seen. Returns how the process
/// ended, or `None` if no attempt caught a write in progress.
#[cfg(unix)]
fn interrupt_write(dir: &Scratch, args: &[&str], signal: &str) -> Option<Output> {
    for _ in 0..5 {
        let child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id().to_string();
        let start = Instant::now();
        let mut signalled = false;
        while start.elapsed() < Duration::from_secs(120) && !signalled {
            if writing(dir) {
                signalled = Command::new("kill")
                    .args([signal, &pid])
                    .status()
                    .unwrap()
                    .success();
            } else {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        let output = child.wait_with_output().unwrap();
        if signalled {
            return Some(output);
        }
    }
    None
}

#[cfg(unix)]
#[test]
fn a_signal_during_a_write_leaves_no_temporary_file() {
    let dir = Scratch::new("signal");
    let out = dir.path("big.json");
    let (model, out) = (mixture(), out.to_str().unwrap().to_string());
    let args = ["resample", &model, "--n", LARGEST, "--out", &out];
    let output =
        interrupt_write(&dir, &args, "-TERM").expect("the write was over before it was seen");
    assert!(!output.status.success(), "the command was not stopped");
    assert!(dir.files().is_empty(), "left behind: {:?}", dir.files());
}

/// `kill -9` in the middle of writing `target` (the process cannot clean up): `target` is still
/// the previous file, byte for byte, or the complete new one; the next write of the same target
/// sweeps what the killed process left.
#[cfg(unix)]
fn killed_mid_write_keeps_the_previous_file(dir: &Scratch, previous: &[&str], args: &[&str]) {
    let target = args[args.iter().position(|a| *a == "--out").unwrap() + 1];
    let o = run(previous);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = std::fs::read(target).unwrap();
    let output = interrupt_write(dir, args, "-KILL").expect("no write was caught in progress");
    assert!(!output.status.success(), "the command was not killed");
    let after = std::fs::read(target).unwrap();
    if after == before {
        assert!(
            dir.files().iter().any(|f| f.ends_with(".tmp")),
            "killed before its rename, the write must have left its temporary file: {:?}",
            dir.files()
        );
    } else {
        // Killed just after the rename: only the complete new file may have replaced it.
        let o = run(&["info", target]);
        assert!(o.status.success(), "a torn file: {}", stderr(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains(LARGEST));
    }
    let o = run(args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !dir.files().iter().any(|f| f.ends_with(".tmp")),
        "the killed write's temporary file was not swept: {:?}",
        dir.files()
    );
    let o = run(&["info", target]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(LARGEST));
}

#[cfg(unix)]
#[test]
fn kill_9_during_resample_keeps_the_previous_network() {
    let dir = Scratch::new("kill-resample");
    let (model, out) = (mixture(), dir.path("net.json"));
    let out = out.to_str().unwrap();
    killed_mid_write_keeps_the_previous_file(
        &dir,
        &["resample", &model, "--n", "64", "--out", out],
        &["resample", &model, "--n", LARGEST, "--out", out],
    );
}

#[cfg(unix)]
#[test]
fn kill_9_during_convert_keeps_the_previous_network() {
    let source = Scratch::new("kill-convert-source");
    let big = source.path("big.json");
    let big = big.to_str().unwrap();
    let o = run(&["resample", &mixture(), "--n", LARGEST, "--out", big]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = Scratch::new("kill-convert");
    let out = dir.path("net.json");
    let out = out.to_str().unwrap();
    let small = fixture("lowrank_n64_r2.pt");
    killed_mid_write_keeps_the_previous_file(
        &dir,
        &["convert", small.to_str().unwrap(), "--out", out],
        &["convert", big, "--out", out],
    );
}

#[cfg(unix)]
#[test]
fn kill_9_during_train_keeps_the_previous_network() {
    let config = Scratch::new("kill-train-config");
    let tiny = config.path("tiny.json");
    std::fs::write(
        &tiny,
        r#"{"trials_per_stage": 4, "validation_trials": 2, "batch_size": 2}"#,
    )
    .unwrap();
    let tiny = tiny.to_str().unwrap();
    let dir = Scratch::new("kill-train");
    let out = dir.path("net.json");
    let out = out.to_str().unwrap();
    let train = |n: &'static str| {
        [
            "train",
            "--task",
            "decision",
            "--n",
            n,
            "--epochs-per-stage",
            "1",
            "--eval-trials",
            "1",
            "--config",
            tiny,
            "--out",
            out,
        ]
    };
    killed_mid_write_keeps_the_previous_file(&dir, &train("64"), &train(LARGEST));
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

/// The N = 512 example network.
fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/networks/dms_rank2_n512.json")
        .to_string_lossy()
        .into_owned()
}

/// Runs `args` and returns its error, which must say what was asked, the budget and what to change.
fn refused(args: &[&str], needed: &str, change: &str) -> String {
    let o = run(args);
    assert!(!o.status.success(), "{args:?} ran");
    let e = stderr(&o);
    assert!(
        e.contains(needed) && e.contains("more than the budget of") && e.contains(change),
        "{args:?}: {e}"
    );
    e
}

#[test]
fn work_over_the_memory_budget_is_refused_before_it_starts_saying_what_to_change() {
    let dir = Scratch::new("budget");
    let (model, example) = (mixture(), example());
    let net = dir.path("net.json");
    let net = net.to_str().unwrap();
    refused(
        &[
            "--max-memory",
            "1M",
            "resample",
            &model,
            "--n",
            LARGEST,
            "--out",
            net,
        ],
        "drawing a network of N = 262144 needs 42.0 MiB",
        "draw a smaller network (--n)",
    );
    assert!(dir.files().is_empty(), "written: {:?}", dir.files());
    let o = run(&["resample", &model, "--n", "20000", "--out", net]);
    assert!(o.status.success(), "{}", stderr(&o));
    refused(
        &["--max-memory", "1M", "info", net],
        "reading the file needs",
        "larger than the memory budget",
    );
    refused(
        &[
            "--max-memory",
            "64M",
            "simulate",
            &example,
            "--delay-ms",
            "3600000",
        ],
        "simulating 4 trials of 180106 steps",
        "use a shorter --delay-ms",
    );
    let png = dir.path("big.png");
    refused(
        &[
            "--max-memory",
            "10M",
            "render",
            &example,
            "--size",
            "4000x4000",
            "--out",
            png.to_str().unwrap(),
        ],
        "drawing a 4000 x 4000 PNG",
        "draw a smaller figure (--size) or an SVG",
    );
    assert!(!png.exists());
    // Sizes are parsed with their unit, and a wrong one is named.
    let o = run(&["--max-memory", "4X", "info", net]);
    assert!(stderr(&o).contains("unknown unit \"X\""), "{}", stderr(&o));
    // The largest network is what runs in seconds; beyond it nothing is allocated.
    let o = run(&["resample", &model, "--n", "16777216", "--out", net]);
    assert!(
        stderr(&o).contains("between 1 and 262144"),
        "{}",
        stderr(&o)
    );
}

/// An hour of task time on the example network: trajectories are projected as the run goes,
/// never kept whole (3 GB before), so the run fits in a small address space.
#[cfg(unix)]
#[test]
fn a_long_simulation_keeps_latents_not_states() {
    let script = format!(
        "ulimit -v 1500000 && exec '{BIN}' simulate '{}' --delay-ms 3600000",
        example()
    );
    let o = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("delay 3600000 ms (180000 steps)"), "{text}");
}
