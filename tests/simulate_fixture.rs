//! The engine reproduces the published PyTorch forward pass (MODEL.md 1) on the fixture network, from
//! all three file formats — through the library and through `simulate --json`.
//!
//! Tolerance: the fixture was computed in float64 but *stored* in float32 (every value in
//! `lowrank_n64_r2_expected.json` is exactly representable as an f32: the published code allocates its
//! output and trajectory tensors with torch's default dtype). So an exact f64 engine must land within half
//! an f32 ulp of each stored value; we allow that plus 1e-9 (the f64 agreement the spec asks for), which is
//! as tight as the stored data permits. `fixture_values_are_float32` pins that fact down.

use std::path::PathBuf;

use lowrank_explorer::cli::run_args;
use lowrank_explorer::io::load_network;
use lowrank_explorer::network::{Projector, Recording, SimOptions};
use lowrank_explorer::task::dms;
use serde_json::Value;

const FORMATS: [&str; 3] = [
    "lowrank_n64_r2.pt",
    "lowrank_n64_r2_legacy.pt",
    "lowrank_n64_r2.npz",
];
/// The f64 agreement asked for, on top of the fixture's own f32 rounding.
const TOL: f64 = 1e-9;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture("lowrank_n64_r2_expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Half the spacing of f32 values around `x`: the rounding error of storing `x` as an f32.
fn half_f32_ulp(x: f64) -> f64 {
    let f = x as f32;
    f64::from((f.abs().next_up() - f.abs()) / 2.0)
}

/// Every `got[i]` is within `TOL + half_f32_ulp(want[i])` of the stored `want[i]`.
fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        let allowed = TOL + half_f32_ulp(*b);
        assert!(
            (a - b).abs() <= allowed,
            "{what}[{i}]: {a} vs stored {b}: deviation {:e} > {allowed:e}",
            (a - b).abs()
        );
    }
}

/// Projections are compared with states we computed ourselves: plain f64 agreement.
fn assert_close_f64(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (a, b) in got.iter().zip(want) {
        assert!((a - b).abs() <= TOL, "{what}: {a} vs {b}");
    }
}

#[test]
fn fixture_values_are_float32() {
    let exp = expected();
    for key in ["output", "h_step_40", "h_final"] {
        for trial in exp[key].as_array().unwrap() {
            for x in floats(trial) {
                assert_eq!(f64::from(x as f32), x, "{key} holds a non-f32 value {x}");
            }
        }
    }
}

#[test]
fn library_reproduces_outputs_and_states_for_every_format() {
    let exp = expected();
    let names: Vec<&str> = exp["trials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(names, dms::TRIAL_TYPES);
    let steps = exp["steps"].as_u64().unwrap() as usize;
    for file in FORMATS {
        let net = load_network(&fixture(file)).unwrap();
        let n = net.dims().neurons;
        let trials = dms::canonical(600.0);
        assert_eq!(trials[0].steps, steps);
        for (k, trial) in trials.iter().enumerate() {
            let run = net.simulate(
                &trial.inputs,
                &SimOptions {
                    recording: Recording::States,
                    ..SimOptions::default()
                },
            );
            assert_close(
                &run.outputs,
                &floats(&exp["output"][k]),
                &format!("{file} {} output", trial.name),
            );
            let states = run.states.unwrap();
            assert_close(
                &states[40 * n..41 * n],
                &floats(&exp["h_step_40"][k]),
                &format!("{file} {} h[40]", trial.name),
            );
            assert_close(
                &states[steps * n..],
                &floats(&exp["h_final"][k]),
                &format!("{file} {} h[T]", trial.name),
            );
        }
    }
}

#[test]
fn simulate_json_reproduces_the_fixture() {
    let exp = expected();
    for file in FORMATS {
        let path = fixture(file);
        let text = run_args([
            "lowrank-explorer",
            "simulate",
            path.to_str().unwrap(),
            "--task",
            "dms",
            "--delay-ms",
            "600",
            "--json",
        ])
        .unwrap();
        let got: Value = serde_json::from_str(&text).unwrap();
        let trials = got["trials"].as_array().unwrap();
        assert_eq!(trials.len(), 4);
        let net = load_network(&path).unwrap();
        let projector = Projector::new(&net);
        for (k, t) in trials.iter().enumerate() {
            assert_eq!(t["name"], exp["trials"][k]);
            let output = floats(&t["output"]);
            assert_close(
                &output,
                &floats(&exp["output"][k]),
                &format!("{file} output"),
            );
            let decision: f64 = output[85..].iter().sum::<f64>() / 50.0;
            assert!((t["decision_mean"].as_f64().unwrap() - decision).abs() < 1e-12);
            let kappa = t["kappa"].as_array().unwrap();
            assert_eq!(kappa.len(), 136, "T + 1 rows");
            assert_eq!(floats(&kappa[0]), vec![0.0, 0.0], "first row is h0 = 0");
            // Row T is the projection of the final state of our own run of that trial.
            let trial = &dms::canonical(600.0)[k];
            let run = net.simulate(
                &trial.inputs,
                &SimOptions {
                    recording: Recording::States,
                    ..SimOptions::default()
                },
            );
            let last = projector.project(&run.states.unwrap()[135 * 64..]);
            assert_close_f64(
                &floats(&kappa[135]),
                &last.kappa,
                &format!("{file} kappa[T]"),
            );
        }
    }
}
