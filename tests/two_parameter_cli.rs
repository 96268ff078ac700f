//! `continue --param2` (issue 13, section 2): the JSON of the two-parameter diagram, the DMS
//! mixture's fold and Hopf curves in input A against the coupling that sets S~_21 checked point by
//! point on a mean field built afresh (F = 0 with det J = 0, or tr J = 0 with det J > 0), its
//! cusp and Bogdanov-Takens points, the named regions, and clear errors.

use lowrank_explorer::analysis::linalg::eigenvalues;
use lowrank_explorer::cli::run_args;
use lowrank_explorer::reduced::{MeanField, ModelParam, ReducedSystem, presets};
use serde_json::Value;

fn run(args: &[&str]) -> Result<String, String> {
    let mut all = vec!["lowrank-explorer"];
    all.extend_from_slice(args);
    run_args(all).map_err(|e| e.0)
}

const PLANE: [&str; 13] = [
    "continue",
    "--preset",
    "dms_mixture_2pop",
    "--param",
    "input.A",
    "--from",
    "0",
    "--to",
    "1.5",
    "--param2",
    "p1.cov(n2,m1)",
    "--from2",
    "-0.6",
];

/// `F` and `J` of the mixture's mean field with `Sigma_1[n2, m1] = q`, at input `(a, 0)`.
fn flow_at(a: f64, q: f64, kappa: &[f64]) -> ([f64; 2], [f64; 4]) {
    let mut model = presets::get("dms_mixture_2pop").unwrap().model;
    let coupling: ModelParam = "p1.cov(n2,m1)".parse().unwrap();
    coupling.set(&mut model, q).unwrap();
    let (mut f, mut jac) = ([0.0; 2], [0.0; 4]);
    MeanField::new(&model).flow_jacobian(kappa, &[a, 0.0], &mut f, &mut jac);
    (f, jac)
}

/// The names of a report's regions.
fn region_names(r: &Value) -> Vec<&str> {
    r["regions"]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn the_mixture_plane_of_input_a_and_the_coupling_has_its_curves_cusp_and_bogdanov_takens_point() {
    let mut args = PLANE.to_vec();
    args.extend(["--to2", "3.3", "--regions", "8", "--json"]);
    let r: Value = serde_json::from_str(&run(&args).unwrap()).unwrap();
    let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "codim2_points",
            "curves",
            "dynamics",
            "evaluations",
            "input",
            "param",
            "param2",
            "ranges",
            "regions",
            "start"
        ]
    );
    assert_eq!(
        (r["param"].as_str(), r["param2"].as_str()),
        (Some("input.A"), Some("p1.cov(n2,m1)"))
    );
    let curves = r["curves"].as_array().unwrap();
    let kinds: Vec<&str> = curves.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "fold").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "hopf").count(),
        1,
        "{kinds:?}"
    );
    for c in curves {
        for pt in c["points"].as_array().unwrap().iter().step_by(5) {
            let (a, q) = (pt["p"].as_f64().unwrap(), pt["q"].as_f64().unwrap());
            let (f, j) = flow_at(a, q, &numbers(&pt["kappa"]));
            assert!(f[0].hypot(f[1]) < 1e-8, "not a fixed point: {pt}");
            let (tr, det) = (j[0] + j[3], j[0] * j[3] - j[1] * j[2]);
            match (
                c["kind"].as_str().unwrap(),
                pt.get("neutral_saddle").is_some(),
            ) {
                ("fold", _) => assert!(det.abs() < 1e-7, "det J = {det} on a fold: {pt}"),
                ("hopf", neutral) => {
                    assert!(tr.abs() < 1e-7, "tr J = {tr} on a Hopf curve: {pt}");
                    assert_eq!(det < 0.0, neutral, "{pt}");
                    if !neutral {
                        assert!(pt["first_lyapunov"].as_f64().unwrap() < 0.0, "{pt}");
                    }
                }
                (kind, _) => panic!("{kind}"),
            }
        }
    }
    let codim2 = r["codim2_points"].as_array().unwrap();
    let find = |kind: &str| {
        codim2
            .iter()
            .find(|c| c["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {codim2:?}"))
    };
    let bt = find("bogdanov_takens");
    let (a, q) = (bt["p"].as_f64().unwrap(), bt["q"].as_f64().unwrap());
    assert!(
        (a - 0.724).abs() < 2e-3 && (q + 0.1233).abs() < 1e-3,
        "{bt}"
    );
    let (_, j) = flow_at(a, q, &numbers(&bt["kappa"]));
    for l in eigenvalues(&j, 2).unwrap() {
        assert!(
            l[0].hypot(l[1]) < 1e-3,
            "BT: a double zero eigenvalue, not {l:?}"
        );
    }
    // Its normal form says the Hopf curve from it is supercritical (a b < 0): what the first
    // Lyapunov coefficients of the Hopf points, a formula of their own, say above.
    let k = &bt["coefficients"];
    assert_eq!(k["form"], "bogdanov_takens", "{bt}");
    let (ka, kb) = (k["a"].as_f64().unwrap(), k["b"].as_f64().unwrap());
    assert!(ka > 0.0 && kb < 0.0, "{bt}");
    let cusp = find("cusp");
    assert!((cusp["p"].as_f64().unwrap() - 0.726).abs() < 2e-3, "{cusp}");
    assert!(
        cusp["coefficients"]["c"].as_f64().unwrap().is_finite(),
        "{cusp}"
    );
    let names = region_names(&r);
    for name in ["2 memories", "limit cycle"] {
        assert!(names.contains(&name), "{names:?}");
    }
    // The text report names the same points.
    let text = run(&PLANE[..]).unwrap();
    assert!(
        text.contains("Bogdanov-Takens  (BT)") && text.contains("cusp") && text.contains("ab < 0"),
        "{text}"
    );
}

#[test]
fn bad_two_parameter_arguments_give_clear_errors() {
    let with = |extra: &[&str]| {
        let mut args = PLANE.to_vec();
        args.extend_from_slice(extra);
        run(&args).unwrap_err()
    };
    assert!(with(&["--cycles"]).contains("--cycles"));
    assert!(with(&["--regions", "0"]).contains("--regions"));
    assert!(with(&["--to2", "-0.6"]).contains("different"));
    let same = run(&[
        "continue",
        "--preset",
        "dms_mixture_2pop",
        "--param",
        "input.A",
        "--from",
        "0",
        "--to",
        "1",
        "--param2",
        "input.A",
    ])
    .unwrap_err();
    assert!(same.contains("two different"), "{same}");
    let network = run(&[
        "continue",
        "--preset",
        "dms_rank2_n512",
        "--param",
        "input.A",
        "--from",
        "0",
        "--to",
        "1",
        "--param2",
        "p1.gain",
    ])
    .unwrap_err();
    assert!(network.contains("input amplitude"), "{network}");
    let missing = run(&[
        "continue",
        "--preset",
        "dms_mixture_2pop",
        "--param",
        "input.A",
        "--from",
        "0",
        "--to",
        "1",
        "--from2",
        "0",
    ])
    .unwrap_err();
    assert!(missing.contains("--param2"), "{missing}");
}

#[test]
fn the_maps_plane_of_input_a_and_its_step_follows_from_the_flow() {
    let mut base = PLANE[..10].to_vec();
    base.push("alpha");
    let mut args = base.clone();
    args.extend(["--dynamics", "map", "--regions", "6", "--json"]);
    let r: Value = serde_json::from_str(&run(&args).unwrap()).unwrap();
    assert_eq!(numbers(&r["ranges"][1]), [0.05, 2.5]);
    let q0 = {
        let model = presets::get("dms_mixture_2pop").unwrap().model;
        let coupling: ModelParam = "p1.cov(n2,m1)".parse().unwrap();
        coupling.get(&model).unwrap()
    };
    let curves = r["curves"].as_array().unwrap();
    let of = |kind: &'static str| curves.iter().filter(move |c| c["kind"] == kind);
    // The folds do not move with the step: lines at the flow's folds, A = 0.302875 and 0.333256.
    let mut folds: Vec<f64> = of("fold")
        .map(|c| {
            let points = c["points"].as_array().unwrap();
            let p = points[0]["p"].as_f64().unwrap();
            assert!(points.iter().all(|q| q["p"].as_f64() == Some(p)));
            p
        })
        .collect();
    folds.sort_by(f64::total_cmp);
    assert_eq!(folds.len(), 2);
    assert!((folds[0] - 0.302875).abs() < 1e-5 && (folds[1] - 0.333256).abs() < 1e-5);
    // Past the flow's Hopf point (A = 1.4334) the focus is stable, and the map loses it where
    // |1 + alpha lambda| = 1, alpha = -tr J / det J: checked on a mean field built afresh.
    let ns: Vec<&Value> = of("neimark_sacker")
        .flat_map(|c| c["points"].as_array().unwrap())
        .collect();
    assert!(!ns.is_empty());
    for pt in ns {
        let (a, alpha) = (pt["p"].as_f64().unwrap(), pt["q"].as_f64().unwrap());
        assert!(a > 1.4334, "{a}");
        let (f, jac) = flow_at(a, q0, &numbers(&pt["kappa"]));
        assert!(f[0].hypot(f[1]) < 1e-9, "{f:?}");
        let mu = eigenvalues(&jac, 2)
            .unwrap()
            .iter()
            .map(|z| (1.0 + alpha * z[0]).hypot(alpha * z[1]))
            .collect::<Vec<_>>();
        assert!(mu.iter().all(|m| (m - 1.0).abs() < 1e-8), "{mu:?}");
    }
    let names = region_names(&r);
    assert!(
        names.contains(&"2 memories") && names.contains(&"limit cycle"),
        "{names:?}"
    );
    // The step needs the map, and moves no fixed point on its own.
    let ode = run(&base).unwrap_err();
    assert!(ode.contains("ODE has none"), "{ode}");
    let mut alone = PLANE[..9].to_vec();
    alone[4] = "alpha";
    alone[6] = "0.1";
    alone.extend(["--dynamics", "map"]);
    let alone = run(&alone).unwrap_err();
    assert!(alone.contains("no one-parameter"), "{alone}");
}
