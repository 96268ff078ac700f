//! The `fit`, `resample` and `finetune` commands end to end: flags, outputs, files, bad input.

mod io_support;

use io_support::Scratch;
use std::path::Path;

use lowrank_explorer::cli::run_args;
use lowrank_explorer::io;
use serde_json::Value;

const NETWORK: &str = "assets/networks/dms_rank2_n512.json";

fn asset(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

/// A fresh, empty folder for one test, removed at its end.
fn scratch(name: &str) -> Scratch {
    io_support::scratch("fit", name)
}

fn fit_json(extra: &[&str]) -> Value {
    let net = asset(NETWORK);
    let mut args = vec!["lowrank-explorer", "fit", &net, "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&run_args(args).unwrap()).unwrap()
}

#[test]
fn fit_json_has_exactly_the_specified_shape_and_is_deterministic() {
    let v = fit_json(&["--populations", "2", "--restarts", "3", "--seed", "4"]);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, ["bic", "log_likelihood", "populations"]);
    let pops = v["populations"].as_array().unwrap();
    assert_eq!(pops.len(), 2);
    let mut total = 0;
    let mut weights = 0.0;
    for p in pops {
        let keys: Vec<&str> = p.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, ["count", "cov", "weight"]);
        let cov: Vec<Vec<f64>> = serde_json::from_value(p["cov"].clone()).unwrap();
        assert!(cov.len() == 7 && cov.iter().all(|r| r.len() == 7));
        total += p["count"].as_u64().unwrap();
        weights += p["weight"].as_f64().unwrap();
    }
    assert_eq!(total, 512);
    assert!((weights - 1.0).abs() < 1e-12);
    assert!(pops[0]["count"].as_u64() >= pops[1]["count"].as_u64());
    // The default for a DMS network fits the 6 loadings (n, m, I): BIC = k ln N - 2 ln L with
    // k = 2 * 21 + 1; on all 7 (`--loadings all`) k = 2 * 28 + 1.
    let bic_of = |v: &Value| {
        let (ll, bic) = (
            v["log_likelihood"].as_f64().unwrap(),
            v["bic"].as_f64().unwrap(),
        );
        (bic, ll)
    };
    let (bic, ll) = bic_of(&v);
    assert!((bic - (43.0 * 512f64.ln() - 2.0 * ll)).abs() < 1e-9 * bic.abs());
    let all = fit_json(&[
        "--populations",
        "2",
        "--restarts",
        "3",
        "--seed",
        "4",
        "--loadings",
        "all",
    ]);
    let (bic, ll) = bic_of(&all);
    assert!((bic - (57.0 * 512f64.ln() - 2.0 * ll)).abs() < 1e-9 * bic.abs());
    // Either way the model covers all 7 loadings.
    assert_ne!(all["populations"], v["populations"]);
    // Same seed, other thread count: the same bits.
    let again = fit_json(&[
        "--populations",
        "2",
        "--restarts",
        "3",
        "--seed",
        "4",
        "--threads",
        "1",
    ]);
    assert_eq!(v, again);
}

#[test]
fn auto_keeps_the_lowest_bic_of_the_fixed_fits() {
    let auto = fit_json(&[
        "--populations",
        "auto",
        "--max-populations",
        "3",
        "--restarts",
        "2",
    ]);
    let bics: Vec<f64> = (1..=3)
        .map(|p| {
            fit_json(&["--populations", &p.to_string(), "--restarts", "2"])["bic"]
                .as_f64()
                .unwrap()
        })
        .collect();
    let min = bics.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(auto["bic"].as_f64().unwrap(), min, "{bics:?}");
    let chosen = bics.iter().position(|&b| b == min).unwrap() + 1;
    assert_eq!(auto["populations"].as_array().unwrap().len(), chosen);
}

#[test]
fn fit_out_then_resample_then_eval() {
    let dir = scratch("chain");
    let model = dir.join("model.json");
    let net = asset(NETWORK);
    let text = run_args([
        "lowrank-explorer",
        "fit",
        &net,
        "--populations",
        "2",
        "--restarts",
        "2",
        "--out",
        model.to_str().unwrap(),
    ])
    .unwrap();
    assert!(
        text.contains("pop 1: weight") && text.contains("wrote"),
        "{text}"
    );
    let m = io::load_population_model(&model).unwrap();
    assert_eq!(m.populations().len(), 2);
    assert_eq!(m.meta()["source"], net.as_str());
    assert!(
        m.meta()["command"]
            .as_str()
            .unwrap()
            .contains("--populations 2")
    );
    assert!(m.meta()["fit"]["bic"].is_f64());
    let out = dir.join("net.json");
    let text = run_args([
        "lowrank-explorer",
        "resample",
        model.to_str().unwrap(),
        "--n",
        "300",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    assert!(text.contains("drew 300 neurons"), "{text}");
    let file = io::load_network_file(&out).unwrap();
    assert_eq!(file.network.dims().neurons, 300);
    let meta = file.meta.unwrap();
    assert_eq!(meta["seed"], 3);
    let sizes: Vec<usize> = serde_json::from_value(meta["population_sizes"].clone()).unwrap();
    assert_eq!(sizes.iter().sum::<usize>(), 300);
    // The same draw as the library's.
    assert_eq!(
        file.network,
        lowrank_explorer::fit::resample_network(&m, 300, 3).unwrap()
    );
    let eval = run_args([
        "lowrank-explorer",
        "eval",
        out.to_str().unwrap(),
        "--trials",
        "20",
        "--json",
    ])
    .unwrap();
    let e: Value = serde_json::from_str(&eval).unwrap();
    assert_eq!(e["trials"], 20);
}

#[test]
fn finetune_writes_a_model_and_reports_before_and_after() {
    let dir = scratch("finetune");
    let out = dir.join("tuned.json");
    let model = asset("assets/models/dms_mixture_2pop.json");
    let text = run_args([
        "lowrank-explorer",
        "finetune",
        &model,
        "--n",
        "48",
        "--steps",
        "2",
        "--batch-size",
        "4",
        "--eval-networks",
        "2",
        "--eval-trials",
        "6",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ])
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["steps"], 2);
    assert_eq!(v["history"].as_array().unwrap().len(), 2);
    assert_eq!(v["before"]["networks"].as_array().unwrap().len(), 2);
    let tuned = io::load_population_model(&out).unwrap();
    assert_eq!(tuned.meta()["source"], model.as_str());
    assert!(tuned.meta()["finetune"]["after"]["mean_accuracy"].is_f64());
    assert_eq!(
        tuned.meta()["parent"]["name"],
        "DMS network, 2-population mixture"
    );
}

#[test]
fn bad_arguments_fail_with_clear_messages() {
    let net = asset(NETWORK);
    let err = |args: &[&str]| run_args(args.iter().copied()).unwrap_err().0;
    let e = err(&["lowrank-explorer", "fit", &net, "--populations", "zero"]);
    assert!(
        e.contains("expected `auto` or a number of populations"),
        "{e}"
    );
    let e = err(&["lowrank-explorer", "fit", &net, "--populations", "0"]);
    assert!(e.contains("expected `auto`"), "{e}");
    let e = err(&[
        "lowrank-explorer",
        "fit",
        &net,
        "--populations",
        "2",
        "--restarts",
        "0",
    ]);
    assert!(e.contains("restarts must be in"), "{e}");
    let e = err(&["lowrank-explorer", "fit", &net, "--populations", "80"]);
    assert!(e.contains("1..=64"), "{e}");
    let e = err(&[
        "lowrank-explorer",
        "fit",
        &net,
        "--populations",
        "2",
        "--loadings",
        "n,readout",
    ]);
    assert!(e.contains("m, n, I, w"), "{e}");
    let e = err(&[
        "lowrank-explorer",
        "fit",
        "/no/such/file.json",
        "--populations",
        "1",
    ]);
    assert!(e.contains("/no/such/file.json"), "{e}");
    let model = asset("assets/models/dms_mixture_2pop.json");
    // Ten neurons cannot determine two seven-dimensional covariances.
    let bad = scratch("bad");
    let small = bad.join("small.json");
    let small = small.to_str().unwrap();
    run_args([
        "lowrank-explorer",
        "resample",
        &model,
        "--n",
        "10",
        "--out",
        small,
    ])
    .unwrap();
    let e = err(&["lowrank-explorer", "fit", small, "--populations", "2"]);
    assert!(e.contains("10 points are too few"), "{e}");
    let e = err(&[
        "lowrank-explorer",
        "resample",
        &model,
        "--n",
        "0",
        "--out",
        "/tmp/x.json",
    ]);
    assert!(e.contains("--n must be between"), "{e}");
    let e = err(&[
        "lowrank-explorer",
        "resample",
        &net,
        "--n",
        "10",
        "--out",
        "/tmp/x.json",
    ]);
    assert!(
        e.contains("expected \"lowrank-explorer/population-model\""),
        "{e}"
    );
    let e = err(&[
        "lowrank-explorer",
        "finetune",
        &model,
        "--task",
        "decision",
        "--out",
        "/tmp/x.json",
    ]);
    assert!(e.contains("the decision task needs 1 input"), "{e}");
}
