//! `simulate` on every task: the canonical noise-free trials of decision, PWM and ctx (MODEL.md 6), checked
//! against inputs written out here from the task definitions and run through the network engine; and
//! `eval`'s network noise, the papers' for each task.

mod io_support;

use io_support::Scratch;
use std::path::{Path, PathBuf};

use lowrank_explorer::cli::run_args;
use lowrank_explorer::io;
use lowrank_explorer::network::{Dims, Network, SimOptions};
use lowrank_explorer::train::{InitConfig, random_network};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;

/// A random rank-2 network with one input, saved in a fresh folder (removed when the returned
/// [`Scratch`] drops).
fn one_input_network(name: &str) -> (Network, PathBuf, Scratch) {
    saved_network(name, 2, 1)
}

/// A random network of `rank` and `inputs` channels, saved in a fresh folder.
fn saved_network(name: &str, rank: usize, inputs: usize) -> (Network, PathBuf, Scratch) {
    let dims = Dims {
        neurons: 60,
        rank,
        inputs,
        outputs: 1,
    };
    let net = random_network(dims, &InitConfig::default(), &mut StdRng::seed_from_u64(3)).unwrap();
    let dir = io_support::scratch("simulate", name);
    let path = dir.join("net.json");
    io::save_network_json(&net, &path).unwrap();
    (io::load_network(&path).unwrap(), path, dir)
}

fn simulate_json(path: &Path, extra: &[&str]) -> Value {
    let path = path.to_str().unwrap();
    let mut args = vec!["lowrank-explorer", "simulate", path, "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&run_args(args).unwrap()).unwrap()
}

/// The trials' outputs in the report against the network run on `inputs`.
fn check(report: &Value, net: &Network, expected: &[(String, Vec<f64>)]) {
    let trials = report["trials"].as_array().unwrap();
    assert_eq!(trials.len(), expected.len());
    for (t, (name, inputs)) in trials.iter().zip(expected) {
        assert_eq!(t["name"], name.as_str());
        let got: Vec<f64> = serde_json::from_value(t["output"].clone()).unwrap();
        let want = net.simulate(inputs, &SimOptions::default()).outputs;
        assert_eq!(got.len(), want.len(), "{name}");
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12, "{name}: {a} vs {b}");
        }
        assert_eq!(t["kappa"].as_array().unwrap().len(), inputs.len() + 1);
    }
}

#[test]
fn decision_canonical_trials_are_the_six_coherences() {
    let (net, path, _dir) = one_input_network("decision");
    // Fixation 5 steps, stimulus 40 steps at 0.1 c, delay 5, response 1.
    let expected: Vec<(String, Vec<f64>)> = [
        ("c=-4", -4.0),
        ("c=-2", -2.0),
        ("c=-1", -1.0),
        ("c=1", 1.0),
        ("c=2", 2.0),
        ("c=4", 4.0),
    ]
    .iter()
    .map(|&(name, c)| {
        let mut u = vec![0.0; 51];
        u[5..45].fill(0.1 * c);
        (name.to_string(), u)
    })
    .collect();
    check(
        &simulate_json(&path, &["--task", "decision"]),
        &net,
        &expected,
    );
    let text = run_args([
        "lowrank-explorer",
        "simulate",
        path.to_str().unwrap(),
        "--task",
        "decision",
    ])
    .unwrap();
    assert!(
        text.starts_with("6 canonical decision trials, fixed delay 100 ms"),
        "{text}"
    );
    let err = run_args([
        "lowrank-explorer",
        "simulate",
        path.to_str().unwrap(),
        "--task",
        "decision",
        "--delay-ms",
        "500",
    ])
    .unwrap_err()
    .0;
    assert!(err.contains("fixed delay"), "{err}");
}

#[test]
fn ctx_canonical_trials_are_both_contexts_of_two_opposite_pairs() {
    let (net, path, _dir) = saved_network("ctx", 1, 4);
    // 68 steps of 4 channels: fixation 5, context only 17 (350 ms floored), stimulus 40 at 0.1 c
    // on channels 0 and 1, delay 5, decision 1; the context's channel (2 or 3) at 0.1 on steps
    // 5..67.
    let expected: Vec<(String, Vec<f64>)> = [
        ("ctx1 c=4,-4", 2, [4.0, -4.0]),
        ("ctx1 c=-4,4", 2, [-4.0, 4.0]),
        ("ctx2 c=4,-4", 3, [4.0, -4.0]),
        ("ctx2 c=-4,4", 3, [-4.0, 4.0]),
    ]
    .iter()
    .map(|&(name, channel, c)| {
        let mut u = vec![0.0; 68 * 4];
        for t in 0..68 {
            if (22..62).contains(&t) {
                u[4 * t] = 0.1 * c[0];
                u[4 * t + 1] = 0.1 * c[1];
            }
            if (5..67).contains(&t) {
                u[4 * t + channel] = 0.1;
            }
        }
        (name.to_string(), u)
    })
    .collect();
    let report = simulate_json(&path, &["--task", "ctx"]);
    let trials = report["trials"].as_array().unwrap();
    assert_eq!(trials.len(), expected.len());
    for (t, (name, inputs)) in trials.iter().zip(&expected) {
        assert_eq!(t["name"], name.as_str());
        let got: Vec<f64> = serde_json::from_value(t["output"].clone()).unwrap();
        let want = net.simulate(inputs, &SimOptions::default()).outputs;
        assert_eq!(got, want, "{name}");
        assert_eq!(t["kappa"].as_array().unwrap().len(), 69);
    }
    let text = run_args([
        "lowrank-explorer",
        "simulate",
        path.to_str().unwrap(),
        "--task",
        "ctx",
    ])
    .unwrap();
    assert!(
        text.starts_with("4 canonical ctx trials, fixed delay 100 ms"),
        "{text}"
    );
    let err = run_args([
        "lowrank-explorer",
        "simulate",
        path.to_str().unwrap(),
        "--task",
        "ctx",
        "--delay-ms",
        "500",
    ])
    .unwrap_err()
    .0;
    assert!(
        err.contains("the context-dependent task has a fixed delay"),
        "{err}"
    );
    // A one-input network does not fit the four-input task.
    let (_, one, _dir1) = one_input_network("ctx-one");
    let err = run_args([
        "lowrank-explorer",
        "simulate",
        one.to_str().unwrap(),
        "--task",
        "ctx",
    ])
    .unwrap_err()
    .0;
    assert!(
        err.contains("needs a network with 4 input channel"),
        "{err}"
    );
}

#[test]
fn pwm_canonical_trials_are_six_pairs_about_22_hz() {
    let (net, path, _dir) = one_input_network("pwm");
    let pairs = [(34, 10), (30, 14), (26, 18), (18, 26), (14, 30), (10, 34)];
    // Fixation 5, f1 for 5 steps, delay, f2 for 5, decision 5; input (f - 22) / 24.
    let inputs = |delay: usize| -> Vec<(String, Vec<f64>)> {
        pairs
            .iter()
            .map(|&(f1, f2)| {
                let mut u = vec![0.0; 20 + delay];
                u[5..10].fill((f64::from(f1) - 22.0) / 24.0);
                u[10 + delay..15 + delay].fill((f64::from(f2) - 22.0) / 24.0);
                (format!("{f1}-{f2}"), u)
            })
            .collect()
    };
    // The default delay is the task's longest, 1000 ms = 50 steps.
    check(&simulate_json(&path, &["--task", "pwm"]), &net, &inputs(50));
    check(
        &simulate_json(&path, &["--task", "pwm", "--delay-ms", "610"]),
        &net,
        &inputs(30),
    );
    // A DMS network does not fit the one-input task.
    let dms = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/networks/dms_rank2_n512.json");
    let err = run_args([
        "lowrank-explorer",
        "simulate",
        dms.to_str().unwrap(),
        "--task",
        "pwm",
    ])
    .unwrap_err()
    .0;
    assert!(err.contains("1 input channel"), "{err}");
}

#[test]
fn eval_runs_each_task_at_the_papers_network_noise() {
    let (net, path, _dir) = one_input_network("eval");
    let text = run_args([
        "lowrank-explorer",
        "eval",
        path.to_str().unwrap(),
        "--task",
        "pwm",
        "--trials",
        "50",
        "--json",
    ])
    .unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    // The papers trained their PWM network with network noise 0.005 (DMS and decision: 0.05).
    let kind = lowrank_explorer::task::TaskKind::Pwm(Default::default());
    let want = lowrank_explorer::train::evaluate(&net, &kind, 50, 0.005, 0);
    assert_eq!(report["loss"].as_f64().unwrap(), want.loss);
    let text = run_args([
        "lowrank-explorer",
        "eval",
        path.to_str().unwrap(),
        "--task",
        "decision",
        "--trials",
        "20",
    ])
    .unwrap();
    assert!(text.contains("network noise 0.05,"), "{text}");
    // The ctx task, at its papers' noise 0.05, scored as `train::evaluate` scores it.
    let (net, path, _dir) = saved_network("eval-ctx", 1, 4);
    let text = run_args([
        "lowrank-explorer",
        "eval",
        path.to_str().unwrap(),
        "--task",
        "ctx",
        "--trials",
        "40",
        "--seed",
        "5",
        "--json",
    ])
    .unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    let kind = lowrank_explorer::task::TaskKind::Ctx(Default::default());
    let want = lowrank_explorer::train::evaluate(&net, &kind, 40, 0.05, 5);
    assert_eq!(report["loss"].as_f64().unwrap(), want.loss);
    assert_eq!(report["accuracy"].as_f64().unwrap(), want.accuracy);
    assert_eq!(report["trials"], 40);
}
