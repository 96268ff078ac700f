//! `analyze` and `continue` from the command line: the exact JSON shape of issue 3, the mechanism of
//! the DMS mixture preset (fixtures README), networks on SVD or raw axes, and clear errors.

use std::path::PathBuf;

use io_support::fold_parameters;
use lowrank_explorer::cli::run_args;
use serde_json::Value;

mod io_support;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn json(args: &[&str]) -> Value {
    let mut all = vec!["lowrank-explorer"];
    all.extend_from_slice(args);
    all.push("--json");
    serde_json::from_str(&run_args(all).unwrap()).unwrap()
}

fn types(report: &Value) -> Vec<String> {
    let mut t: Vec<String> = report["fixed_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fp| fp["type"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

#[test]
fn json_has_exactly_the_documented_keys() {
    let r = json(&["analyze", "--preset", "dms_mixture_2pop", "--input", "A"]);
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, ["dynamics", "fixed_points", "input", "limit_cycles"]);
    assert_eq!(r["dynamics"], "ode");
    assert_eq!(r["input"], serde_json::json!([1.0, 0.0]));
    let fp = r["fixed_points"][0].as_object().unwrap();
    let mut fk: Vec<&str> = fp.keys().map(|k| k.as_str()).collect();
    fk.sort();
    assert_eq!(
        fk,
        ["eigenvalues", "kappa", "stable", "type"],
        "no multipliers for the ODE"
    );
    let cycle = r["limit_cycles"][0].as_object().unwrap();
    let mut ck: Vec<&str> = cycle.keys().map(|k| k.as_str()).collect();
    ck.sort();
    assert_eq!(
        ck,
        ["floquet", "kappa_max", "kappa_min", "period_tau", "stable"]
    );
    // Eigenvalues are [re, im] pairs.
    assert_eq!(fp["eigenvalues"][0].as_array().unwrap().len(), 2);
}

#[test]
fn mixture_preset_shows_the_poster_mechanism() {
    let none = json(&["analyze", "--preset", "dms_mixture_2pop", "--input", "none"]);
    assert_eq!(
        types(&none),
        [
            "saddle",
            "saddle",
            "stable node",
            "stable node",
            "unstable node"
        ]
    );
    assert!(none["limit_cycles"].as_array().unwrap().is_empty());
    let a = json(&["analyze", "--preset", "dms_mixture_2pop", "--input", "A"]);
    assert_eq!(types(&a), ["unstable focus"]);
    let cycles = a["limit_cycles"].as_array().unwrap();
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0]["stable"], true);
    let floquet = cycles[0]["floquet"].as_f64().unwrap();
    assert!(floquet > 0.0 && floquet < 1.0, "{floquet}");
    // The unstable focus lies inside the cycle's box.
    let (k, lo, hi) = (
        &a["fixed_points"][0]["kappa"],
        &cycles[0]["kappa_min"],
        &cycles[0]["kappa_max"],
    );
    for i in 0..2 {
        assert!(lo[i].as_f64() < k[i].as_f64() && k[i].as_f64() < hi[i].as_f64());
    }
    let b = json(&["analyze", "--preset", "dms_mixture_2pop", "--input", "B"]);
    assert_eq!(types(&b), ["stable focus"]);
    assert!(b["limit_cycles"].as_array().unwrap().is_empty());
}

#[test]
fn the_network_drawn_from_the_mixture_shows_the_same_mechanism_exactly() {
    // `--preset dms_mixture_n4096`: 4096 neurons drawn from the mixture, analysed through the exact
    // reduction (MODEL.md 3) on its SVD axes: finite N keeps the mean field's picture.
    let stable = |r: &Value| {
        r["fixed_points"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["stable"] == true)
            .count()
    };
    let none = json(&[
        "analyze",
        "--preset",
        "dms_mixture_n4096",
        "--input",
        "none",
    ]);
    assert_eq!(none["fixed_points"].as_array().unwrap().len(), 5, "{none}");
    assert_eq!(stable(&none), 2);
    assert_eq!(types(&none).iter().filter(|t| *t == "saddle").count(), 2);
    let a = json(&["analyze", "--preset", "dms_mixture_n4096", "--input", "A"]);
    assert_eq!(types(&a), ["unstable focus"]);
    let cycles = a["limit_cycles"].as_array().unwrap();
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0]["stable"], true);
    let b = json(&["analyze", "--preset", "dms_mixture_n4096", "--input", "B"]);
    assert_eq!(types(&b), ["stable focus"]);
}

#[test]
fn map_reports_multipliers_and_periods_in_tau() {
    let r = json(&[
        "analyze",
        "--preset",
        "dms_mixture_2pop",
        "--input",
        "A",
        "--dynamics",
        "map",
    ]);
    assert_eq!(r["dynamics"], "map");
    let fp = &r["fixed_points"][0];
    let (l, m) = (&fp["eigenvalues"][0], &fp["multipliers"][0]);
    // mu = 1 + alpha lambda with the default alpha = 0.2.
    assert!((m[0].as_f64().unwrap() - (1.0 + 0.2 * l[0].as_f64().unwrap())).abs() < 1e-12);
    assert!((m[1].as_f64().unwrap() - 0.2 * l[1].as_f64().unwrap()).abs() < 1e-12);
    let cycle = &r["limit_cycles"][0];
    assert_eq!(cycle["floquet"], Value::Null);
    assert!(cycle["period_tau"].as_f64().unwrap() > 5.0);
}

#[test]
fn networks_are_analysed_on_svd_axes_unless_raw_axes() {
    for file in [
        "lowrank_n64_r2.pt",
        "lowrank_n64_r2_legacy.pt",
        "lowrank_n64_r2.npz",
    ] {
        let r = json(&["analyze", &fixture(file)]);
        assert_eq!(types(&r), ["stable node"], "{file}");
        let k = r["fixed_points"][0]["kappa"].as_array().unwrap();
        assert!(k.iter().all(|x| x.as_f64().unwrap().abs() < 1e-12));
    }
    // With input A the fixed point moves; its coordinates depend on the axes, its eigenvalues not.
    let svd = json(&["analyze", &fixture("lowrank_n64_r2.pt"), "--input", "A"]);
    let raw = json(&[
        "analyze",
        &fixture("lowrank_n64_r2.pt"),
        "--input",
        "A",
        "--raw-axes",
    ]);
    assert_ne!(
        svd["fixed_points"][0]["kappa"],
        raw["fixed_points"][0]["kappa"]
    );
    for i in 0..2 {
        let a = svd["fixed_points"][0]["eigenvalues"][i][0]
            .as_f64()
            .unwrap();
        let b = raw["fixed_points"][0]["eigenvalues"][i][0]
            .as_f64()
            .unwrap();
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
}

#[test]
fn continuation_in_input_a_finds_the_two_folds() {
    let r = json(&[
        "continue",
        "--preset",
        "dms_mixture_2pop",
        "--param",
        "input.A",
        "--from",
        "0",
        "--to",
        "1",
    ]);
    assert_eq!(r["param"], "input.A");
    let folds = fold_parameters(&r);
    assert_eq!(folds.len(), 2, "{r}");
    assert!(
        (folds[0] - 0.30288).abs() < 1e-4 && (folds[1] - 0.33326).abs() < 1e-4,
        "{folds:?}"
    );
    for b in r["branches"].as_array().unwrap() {
        for q in b["points"].as_array().unwrap() {
            let p = q["p"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&p), "point outside the range: {p}");
        }
    }
    let text = run_args([
        "lowrank-explorer",
        "continue",
        "--preset",
        "dms_mixture_2pop",
        "--param",
        "p2.gain",
        "--from",
        "0",
        "--to",
        "1",
    ])
    .unwrap();
    assert!(
        text.contains("Hopf") && text.contains("branch point"),
        "{text}"
    );
}

#[test]
fn bad_arguments_give_clear_errors() {
    let err = |args: &[&str]| {
        let mut all = vec!["lowrank-explorer"];
        all.extend_from_slice(args);
        run_args(all).unwrap_err().0
    };
    assert!(err(&["analyze", "--preset", "nope"]).contains("dms_mixture_2pop"));
    assert!(err(&["analyze", "--preset", "dms_mixture_2pop", "--input", "C"]).contains("A, B"));
    assert!(
        err(&[
            "analyze",
            "--preset",
            "dms_mixture_2pop",
            "--input",
            "1,2,3"
        ])
        .contains("2 input channels")
    );
    assert!(
        err(&[
            "analyze",
            "--preset",
            "dms_mixture_2pop",
            "--range",
            "1,0,0,1"
        ])
        .contains("empty range")
    );
    assert!(
        err(&[
            "analyze",
            "--preset",
            "dms_mixture_2pop",
            "--range",
            "0,1,nan,1"
        ])
        .contains("finite")
    );
    assert!(
        err(&[
            "analyze",
            "--preset",
            "dms_mixture_2pop",
            "--dynamics",
            "map",
            "--alpha",
            "0"
        ])
        .contains("--alpha")
    );
    assert!(err(&["analyze", "/no/such/file.pt"]).contains("/no/such/file.pt"));
    assert!(err(&["analyze"]).contains("<FILE>"));
    assert!(
        err(&[
            "continue",
            "--preset",
            "dms_mixture_2pop",
            "--param",
            "p2.gain",
            "--from",
            "0",
            "--to",
            "3"
        ])
        .contains("[0, 1]")
    );
    assert!(
        err(&[
            "continue",
            &fixture("lowrank_n64_r2.pt"),
            "--param",
            "p1.gain",
            "--from",
            "0",
            "--to",
            "1"
        ])
        .contains("input amplitude")
    );
    assert!(
        err(&[
            "continue",
            "--preset",
            "dms_mixture_2pop",
            "--param",
            "input.A",
            "--from",
            "1",
            "--to",
            "1"
        ])
        .contains("different")
    );
}

#[test]
fn the_mixture_cycle_branch_runs_from_the_hopf_point_to_a_diverging_period_at_the_upper_fold() {
    let r = json(&[
        "continue",
        "--preset",
        "dms_mixture_2pop",
        "--param",
        "input.A",
        "--from",
        "0",
        "--to",
        "1.5",
        "--cycles",
    ]);
    let folds = fold_parameters(&r);
    let hopf: Vec<f64> = r["special_points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "hopf")
        .map(|s| s["p"].as_f64().unwrap())
        .collect();
    let cycles = r["cycle_branches"].as_array().unwrap();
    assert_eq!((cycles.len(), hopf.len()), (1, 1), "{r}");
    let b = &cycles[0];
    assert_eq!(b["ends"], serde_json::json!(["hopf", "period_diverges"]));
    let points = b["points"].as_array().unwrap();
    let (first, last) = (&points[0], &points[points.len() - 1]);
    assert!((first["p"].as_f64().unwrap() - hopf[0]).abs() < 1e-9);
    // Continued to the period cap, 20 times the period at the Hopf point (8.9 tau).
    assert!(last["period"].as_f64().unwrap() > 150.0);
    // The period diverges where the second memory vanishes: a saddle-node on the cycle (SNIC).
    let end = b["period_diverges_at"][0].as_f64().unwrap();
    assert!((end - folds[1]).abs() < 5e-5, "{end} vs {folds:?}");
    // Against the phase-plane search at A = 1 (its own shooting from a direct simulation).
    let at_one = json(&["analyze", "--preset", "dms_mixture_2pop", "--input", "A"]);
    let period = at_one["limit_cycles"][0]["period_tau"].as_f64().unwrap();
    let w = points
        .windows(2)
        .find(|w| (w[0]["p"].as_f64().unwrap() - 1.0) * (w[1]["p"].as_f64().unwrap() - 1.0) <= 0.0)
        .unwrap();
    let (p0, p1) = (w[0]["p"].as_f64().unwrap(), w[1]["p"].as_f64().unwrap());
    let (t0, t1) = (
        w[0]["period"].as_f64().unwrap(),
        w[1]["period"].as_f64().unwrap(),
    );
    let interpolated = t0 + (1.0 - p0) / (p1 - p0) * (t1 - t0);
    assert!(
        (interpolated / period - 1.0).abs() < 1e-3,
        "{interpolated} vs {period}"
    );
    assert!(points.iter().all(|q| q["stable"] == true));
    // A stable cycle on the side where the focus is unstable: a supercritical Hopf point.
    let hopf = r["special_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "hopf")
        .unwrap();
    assert!(hopf["first_lyapunov"].as_f64().unwrap() < 0.0, "{hopf}");
}
