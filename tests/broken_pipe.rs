//! Every command with its standard output a pipe that the reader closes (`lowrank-explorer info
//! FILE 2>&1 | head -3`): the program must end quietly, with status 0 or 141 (128 + SIGPIPE), never
//! with Rust's panic status 101 and its message. Runs the built binary.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lowrank-explorer");

fn asset(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lowrank-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One command line per command, each quick and each printing to stdout.
fn commands(dir: &Path) -> Vec<Vec<String>> {
    let net = asset("tests/fixtures/lowrank_n64_r2.pt");
    let trained = asset("assets/networks/dms_rank2_n512.json");
    let model = asset("assets/models/dms_mixture_2pop.json");
    let out = |name: &str| dir.join(name).display().to_string();
    let lines: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["info", &net],
        vec!["info", &net, "--json"],
        vec!["simulate", &net, "--json"],
        vec!["simulate", &net],
        vec!["eval", &net, "--trials", "20"],
        vec![
            "analyze",
            "--preset",
            "dms_mixture_2pop",
            "--input",
            "A",
            "--json",
        ],
        vec!["analyze", "--preset", "dms_mixture_2pop", "--input", "A"],
        vec![
            "continue",
            "--preset",
            "dms_mixture_2pop",
            "--param",
            "input.A",
            "--from",
            "0",
            "--to",
            "1",
        ],
        vec!["fit", &trained, "--populations", "2", "--restarts", "1"],
    ];
    let mut lines: Vec<Vec<String>> = lines
        .into_iter()
        .map(|l| l.into_iter().map(String::from).collect())
        .collect();
    let with_out: Vec<Vec<String>> = vec![
        vec![
            "convert".into(),
            net.clone(),
            "--out".into(),
            out("net.json"),
        ],
        vec![
            "train".into(),
            "--task".into(),
            "decision".into(),
            "--config".into(),
            r#"{"neurons": 16, "trials_per_stage": 40, "validation_trials": 8}"#.into(),
            "--epochs-per-stage".into(),
            "1".into(),
            "--eval-trials".into(),
            "10".into(),
            "--out".into(),
            out("trained.json"),
        ],
        vec![
            "render".into(),
            "--preset".into(),
            "dms_mixture_2pop".into(),
            "--out".into(),
            out("fig.svg"),
        ],
        vec![
            "resample".into(),
            model.clone(),
            "--n".into(),
            "100".into(),
            "--out".into(),
            out("drawn.json"),
        ],
        vec![
            "finetune".into(),
            model,
            "--n".into(),
            "64".into(),
            "--steps".into(),
            "1".into(),
            "--batch-size".into(),
            "2".into(),
            "--eval-networks".into(),
            "1".into(),
            "--eval-trials".into(),
            "4".into(),
            "--out".into(),
            out("tuned.json"),
        ],
    ];
    lines.extend(with_out);
    lines
}

fn quiet(status: ExitStatus) -> bool {
    matches!(status.code(), Some(0) | Some(141))
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let dir = scratch();
    for args in commands(&dir) {
        // stdout and stderr one pipe whose reader is gone before the program writes: `2>&1 | head`.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = Command::new(BIN)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer.try_clone().unwrap()))
            .stderr(Stdio::from(writer))
            .status()
            .unwrap();
        assert!(quiet(status), "{args:?}: {status}");

        // stdout closed, stderr read: nothing is said, least of all a panic.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let run = Command::new(BIN)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(quiet(run.status), "{args:?}: {} {stderr}", run.status);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("error"),
            "{args:?}: {stderr}"
        );

        // The reader takes the first bytes and goes away (`| head -c 10`).
        let mut child = Command::new(BIN)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 10];
        let _ = child.stdout.take().unwrap().read(&mut first);
        let run = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(quiet(run.status), "{args:?}: {} {stderr}", run.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_still_fail_even_when_stderr_is_closed() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = Command::new(BIN)
        .args(["info", "/no/such/network.pt"])
        .stdout(Stdio::null())
        .stderr(Stdio::from(writer))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "{status}");
}
