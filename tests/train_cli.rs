//! The `train` command end to end: flags, output file, summary, bad input, Ctrl-C.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lowrank_explorer::cli::run_args;
use lowrank_explorer::network::{Network, NetworkParts};
use lowrank_explorer::train::{TrainTask, evaluate};
use nalgebra::{DMatrix, DVector};
use serde_json::Value;

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lowrank-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Reads the network JSON schema back (rows of the published shapes).
fn load(path: &PathBuf) -> (Network, Value) {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(v["format"], "lowrank-explorer/network");
    assert_eq!(v["version"], 1);
    let matrix = |key: &str| {
        let rows: Vec<Vec<f64>> = serde_json::from_value(v[key].clone()).unwrap();
        DMatrix::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
    };
    let vector = |key: &str| DVector::from_vec(serde_json::from_value(v[key].clone()).unwrap());
    let net = Network::new(NetworkParts {
        wi: matrix("wi"),
        si: vector("si"),
        m: matrix("m"),
        n: matrix("n"),
        wo: matrix("wo"),
        so: vector("so"),
        h0: vector("h0"),
        b: None,
    })
    .unwrap();
    let d = net.dims();
    assert_eq!(
        (
            v["neurons"].as_u64(),
            v["rank"].as_u64(),
            v["inputs"].as_u64(),
            v["outputs"].as_u64()
        ),
        (
            Some(d.neurons as u64),
            Some(d.rank as u64),
            Some(d.inputs as u64),
            Some(d.outputs as u64)
        )
    );
    (net, v["meta"].clone())
}

#[test]
fn train_writes_a_network_whose_accuracy_matches_the_summary() {
    let dir = scratch("decision");
    let out = dir.join("net.json");
    let cfg = dir.join("cfg.json");
    std::fs::write(
        &cfg,
        r#"{"trials_per_stage": 400, "validation_trials": 80}"#,
    )
    .unwrap();
    let args = [
        "lowrank-explorer",
        "train",
        "--task",
        "decision",
        "--n",
        "48",
        "--seed",
        "3",
        "--epochs-per-stage",
        "6",
        "--batch-size",
        "16",
        "--threads",
        "2",
        "--eval-trials",
        "300",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let report = run_args(args).unwrap();
    assert!(report.contains("final: accuracy"), "{report}");
    // The decision recipe has no early stop: no stage is marked, and the mark has no key.
    assert!(!report.contains("stopped early"), "{report}");
    let (net, meta) = load(&out);
    assert_eq!(
        (net.dims().neurons, net.dims().rank, net.dims().inputs),
        (48, 1, 1)
    );
    assert_eq!(meta["seed"], 3);
    assert_eq!(meta["interrupted"], false);
    assert_eq!(meta["config"]["trials_per_stage"], 400);
    let command = meta["command"].as_str().unwrap();
    assert!(
        command.contains("--task decision --n 48 --rank 1 --seed 3"),
        "{command}"
    );
    // The stored network reproduces the reported final evaluation (serde_json's default float parser
    // may be one ulp off, so the weights read back are not always the trained bits).
    let e = evaluate(&net, &TrainTask::Decision.eval_kind(), 300, 0.05, 3);
    let reported = meta["final_evaluation"]["accuracy"].as_f64().unwrap();
    assert!((reported - e.accuracy).abs() < 1e-9, "{reported} vs {e:?}");
    assert!(e.accuracy > 0.9, "{e:?}");
    assert_eq!(meta["stages"].as_array().unwrap().len(), 1);
    // Same command, same bits.
    let again = dir.join("again.json");
    let args2: Vec<&str> = args
        .iter()
        .map(|a| {
            if *a == out.to_str().unwrap() {
                again.to_str().unwrap()
            } else {
                a
            }
        })
        .collect();
    run_args(args2).unwrap();
    assert_eq!(load(&again).0, net);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn train_and_eval_the_context_dependent_task() {
    let dir = scratch("ctx");
    let out = dir.join("ctx.json");
    let report = run_args([
        "lowrank-explorer",
        "train",
        "--task",
        "ctx",
        "--recipe",
        "fast",
        "--n",
        "32",
        "--seed",
        "2",
        "--epochs-per-stage",
        "2",
        "--eval-trials",
        "100",
        "--config",
        r#"{"trials_per_stage": 120, "validation_trials": 20}"#,
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    assert!(report.contains("final: accuracy"), "{report}");
    let (net, meta) = load(&out);
    // Rank 1 and the four inputs by default.
    assert_eq!(
        (net.dims().neurons, net.dims().rank, net.dims().inputs),
        (32, 1, 4)
    );
    let command = meta["command"].as_str().unwrap();
    assert!(
        command.contains("--task ctx --n 32 --rank 1 --seed 2"),
        "{command}"
    );
    assert_eq!(
        meta["config"]["trained"],
        serde_json::json!(["wi", "si", "m", "n", "so"])
    );
    let e = evaluate(&net, &TrainTask::Ctx.eval_kind(), 100, 0.05, 2);
    let reported = meta["final_evaluation"]["accuracy"].as_f64().unwrap();
    assert!((reported - e.accuracy).abs() < 1e-9, "{reported} vs {e:?}");
    // `eval --task ctx` of the written file: the same procedure, the same numbers.
    let text = run_args([
        "lowrank-explorer",
        "eval",
        out.to_str().unwrap(),
        "--task",
        "ctx",
        "--trials",
        "100",
        "--seed",
        "2",
        "--json",
    ])
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(
        (v["accuracy"].as_f64().unwrap() - e.accuracy).abs() < 1e-9,
        "{text}"
    );
    // The papers' recipe, printed: their script's constants.
    let printed = run_args([
        "lowrank-explorer",
        "train",
        "--task",
        "ctx",
        "--print-config",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let cfg: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(cfg["stages"][0]["lr"], 1e-2);
    assert_eq!(cfg["stages"][0]["clip"], 0.1);
    assert_eq!(cfg["trained"], serde_json::json!(["wi", "m", "n", "so"]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stage_that_stops_early_is_marked_and_the_mark_explained() {
    let dir = scratch("early");
    let report = run_args([
        "lowrank-explorer",
        "train",
        "--task",
        "decision",
        "--n",
        "16",
        "--epochs-per-stage",
        "5",
        "--eval-trials",
        "20",
        "--config",
        r#"{"trials_per_stage": 64, "validation_trials": 16, "early_stop_loss": 100}"#,
        "--out",
        dir.join("net.json").to_str().unwrap(),
    ])
    .unwrap();
    // Every epoch's loss is below 100: the stage ends after its first epoch.
    assert!(report.contains(" 1* "), "{report}");
    assert!(
        report.contains("(* stopped early: epoch loss below 100)"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_train_flags_are_clear_errors() {
    let dir = scratch("bad");
    let out = dir.join("x.json");
    let out = out.to_str().unwrap();
    let bad_json = dir.join("bad.json");
    std::fs::write(&bad_json, "{ not json").unwrap();
    let unknown = dir.join("unknown.json");
    std::fs::write(&unknown, r#"{"learning_rate": 1}"#).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--n", "0"], "neurons"),
        (vec!["--rank", "65"], "rank"),
        (vec!["--threads", "0"], "--threads"),
        (vec!["--epochs-per-stage", "0"], "epochs"),
        (vec!["--batch-size", "0"], "batch_size"),
        (vec!["--eval-trials", "0"], "--eval-trials"),
        (vec!["--config", "/nonexistent/cfg.json"], "cfg.json"),
        (vec!["--config", bad_json.to_str().unwrap()], "bad.json"),
        (vec!["--config", unknown.to_str().unwrap()], "learning_rate"),
        (vec!["--config", "{\"neuronz\": 3}"], "neuronz"),
        (vec!["--config", "{ not json"], "--config"),
        (vec!["--recipe", "slow"], "slow"),
        (vec!["--task", "xor"], "xor"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["lowrank-explorer", "train", "--out", out];
        args.extend(extra);
        let err = run_args(args.clone()).unwrap_err().0;
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let err = run_args([
        "lowrank-explorer",
        "train",
        "--out",
        "/nonexistent/dir/net.json",
    ])
    .unwrap_err()
    .0;
    assert!(err.contains("does not exist"), "{err}");
    assert!(!std::path::Path::new(out).exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_keeps_the_best_network_and_exits_cleanly() {
    let dir = scratch("ctrlc");
    let out = dir.join("net.json");
    // No early stopping, so the run lasts until interrupted however fast the machine trains.
    let config = dir.join("no-early-stop.json");
    std::fs::write(&config, r#"{"early_stop_loss": 0.0}"#).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_lowrank-explorer"))
        .args([
            "train",
            "--task",
            "dms",
            "--n",
            "64",
            "--epochs-per-stage",
            "100000",
        ])
        .args([
            "--seed",
            "1",
            "--eval-trials",
            "50",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let it finish a few epochs (one epoch of N = 64 takes well under a second).
    std::thread::sleep(Duration::from_millis(2500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("interrupted"), "{stdout}");
    let (net, meta) = load(&out);
    assert_eq!(net.dims().neurons, 64);
    assert_eq!(meta["interrupted"], true);
    let stage = &meta["stages"][0];
    assert!(stage["epochs"].as_u64().unwrap() >= 1, "{stage}");
    assert!(stage["best_epoch"].as_u64().is_some(), "{stage}");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["net.json", "no-early-stop.json"],
        "temporary files left behind"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The network kept in `assets/networks` (see its README) still solves DMS at the `eval` defaults.
#[test]
fn the_trained_asset_solves_dms() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/networks/dms_rank2_n512.json");
    let (net, meta) = load(&path);
    assert_eq!((net.dims().neurons, net.dims().rank), (512, 2));
    assert!(
        meta["command"]
            .as_str()
            .unwrap()
            .starts_with("lowrank-explorer train --task dms")
    );
    let e = evaluate(&net, &TrainTask::Dms.eval_kind(), 200, 0.05, 0);
    assert!(e.accuracy >= 0.95, "{e:?}");
}

#[test]
fn print_config_shows_the_effective_recipe() {
    let text = run_args([
        "lowrank-explorer",
        "train",
        "--task",
        "pwm",
        "--n",
        "100",
        "--epochs-per-stage",
        "7",
        "--out",
        "unused.json",
        "--print-config",
    ])
    .unwrap();
    let cfg: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(cfg["neurons"], 100);
    assert_eq!(cfg["rank"], 2);
    assert_eq!(cfg["stages"][0]["epochs"], 7);
    assert_eq!(cfg["precision"], "f32");
    assert!(!std::path::Path::new("unused.json").exists());
}

/// `--print-config` of `train` with `extra` flags, parsed.
fn printed_config(extra: &[&str]) -> Value {
    let mut args = vec![
        "lowrank-explorer",
        "train",
        "--out",
        "unused.json",
        "--print-config",
    ];
    args.extend(extra);
    serde_json::from_str(&run_args(args).unwrap()).unwrap()
}

#[test]
fn the_default_recipe_is_the_papers_and_config_takes_an_object_or_a_file() {
    // The papers' decision script: lr 5e-3, no clipping, no early stop, wo std 4, m and n
    // independent (MODEL.md 6).
    let papers = printed_config(&["--task", "decision"]);
    assert_eq!(papers["stages"][0]["lr"], 5e-3);
    assert_eq!(papers["stages"][0]["clip"], Value::Null);
    assert_eq!(papers["early_stop_loss"], Value::Null);
    assert_eq!(papers["init"]["wo_std"], 4.0);
    assert_eq!(papers["init"]["mn_overlap"], 0.0);
    let fast = printed_config(&["--task", "decision", "--recipe", "fast"]);
    assert_eq!(fast["stages"][0]["lr"], 1e-2);
    assert_eq!(fast["early_stop_loss"], 0.05);
    // The papers' last DMS stage has its own batch size, which --batch-size replaces.
    let dms = printed_config(&[]);
    assert_eq!(dms["stages"][2]["batch_size"], 128);
    let batch = printed_config(&["--batch-size", "64"]);
    assert_eq!(batch["batch_size"], 64);
    assert_eq!(batch["stages"][2]["batch_size"], Value::Null);
    // --config: an inline object, or a file holding the same object.
    let inline = printed_config(&["--config", r#"{"neurons": 100, "init": {"wo_std": 2}}"#]);
    let dir = scratch("config");
    let file = dir.join("cfg.json");
    std::fs::write(&file, r#"{"neurons": 100, "init": {"wo_std": 2}}"#).unwrap();
    let from_file = printed_config(&["--config", file.to_str().unwrap()]);
    assert_eq!(inline, from_file);
    assert_eq!(
        (inline["neurons"].clone(), inline["init"]["wo_std"].clone()),
        (100.into(), 2.0.into())
    );
    assert_eq!(inline["init"]["mn_overlap"], 2.0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn eval_and_simulate_explain_what_they_cannot_do_for_other_tasks() {
    let err = run_args([
        "lowrank-explorer",
        "eval",
        "missing.json",
        "--task",
        "decision",
        "--delay-max-ms",
        "900",
    ])
    .unwrap_err()
    .0;
    assert!(err.contains("fixed delay"), "{err}");
    let err = run_args([
        "lowrank-explorer",
        "simulate",
        "missing.json",
        "--task",
        "decision",
        "--delay-ms",
        "900",
    ])
    .unwrap_err()
    .0;
    assert!(err.contains("fixed delay"), "{err}");
}
