//! The planes of systems that are not rank 2 (issue 12, sections 1-2; MODEL.md 8), checked
//! against systems whose answers are known independently:
//!
//! - a rank-3 system that decouples into the rank-2 DMS mixture plus `kappa_3' = -kappa_3` (the
//!   preset `dms_mixture_rank3`, and an exact network made from the rank-2 example by adding a
//!   third direction with `n_3 = 0`): its fixed points and limit cycle, found in three
//!   dimensions, are the rank-2 ones with `kappa_3 = 0` and the extra eigenvalue `-1`;
//! - the rank-1 context-gating preset: the context input decides which sensory input drives
//!   `kappa`, read off the effective input couplings and the fixed points of its plane.

use io_support::fold_parameters;
use lowrank_explorer::analysis::fixed_points::FixedPoint;
use lowrank_explorer::analysis::landscape::{Landscape, LandscapeRequest, analyze};
use lowrank_explorer::cli::run_args;
use lowrank_explorer::model::{Axes, Model, NetworkSource};
use lowrank_explorer::network::{Network, NetworkParts};
use lowrank_explorer::reduced::TimeModel;
use lowrank_explorer::reduced::plane::PlaneAxes;
use nalgebra::DMatrix;

mod io_support;

fn landscape(model: &Model, axes: &PlaneAxes, v: &[f64]) -> Landscape {
    let plane = model.plane(axes).unwrap();
    let req = LandscapeRequest::new(model.search_box(axes), v.to_vec(), TimeModel::Ode);
    analyze(&plane, &req)
}

fn slice(rank: usize, axes: [usize; 2]) -> PlaneAxes {
    PlaneAxes::Latent {
        axes,
        held: vec![0.0; rank],
    }
}

/// Every rank-2 fixed point appears once among the rank-3 ones, at `kappa_3 = 0`, with the same
/// eigenvalues plus `-1`.
fn assert_lifted(two: &[FixedPoint], three: &[FixedPoint], tol: f64) {
    assert_eq!(two.len(), three.len());
    for f in two {
        let g = three
            .iter()
            .find(|g| {
                let k = g.latent.as_ref().expect("a slice keeps the full state");
                (k[0] - f.kappa[0]).abs() < tol && (k[1] - f.kappa[1]).abs() < tol
            })
            .unwrap_or_else(|| panic!("{:?} not among the rank-3 fixed points", f.kappa));
        assert!(g.latent.as_ref().unwrap()[2].abs() < tol);
        assert_eq!(g.eigenvalues.len(), 3);
        assert_eq!(g.stable, f.stable);
        let mut re3: Vec<f64> = g.eigenvalues.iter().map(|l| l[0]).collect();
        let mut re2: Vec<f64> = f.eigenvalues.iter().map(|l| l[0]).chain([-1.0]).collect();
        re3.sort_by(f64::total_cmp);
        re2.sort_by(f64::total_cmp);
        for (a, b) in re3.iter().zip(&re2) {
            assert!((a - b).abs() < 1e3 * tol, "{re3:?} vs {re2:?}");
        }
    }
}

#[test]
fn the_decoupled_rank_3_mixture_has_the_rank_2_fixed_points_and_cycle() {
    let two = Model::preset("dms_mixture_2pop").unwrap();
    let three = Model::preset("dms_mixture_rank3").unwrap();
    let flat = two.default_plane().unwrap();
    for v in [[0.0, 0.0], [0.2, 0.0], [1.0, 0.0], [0.0, 1.0]] {
        let a = landscape(&two, &flat, &v);
        for axes in [[0, 1], [2, 0], [1, 2]] {
            let b = landscape(&three, &slice(3, axes), &v);
            assert!(b.error.is_none(), "{:?}", b.error);
            assert_lifted(&a.fixed_points, &b.fixed_points, 1e-9);
            assert!(b.notes[0].contains("not invariant"), "{:?}", b.notes);
            assert!(b.separatrices.is_empty());
            // The cycle under input A, found in three dimensions: the same period and
            // nontrivial multiplier as in the plane (kappa_3's exp(-T) is smaller).
            assert_eq!(a.cycles.len(), b.cycles.len(), "v = {v:?}");
            for (c2, c3) in a.cycles.iter().zip(&b.cycles) {
                assert!((c2.period_tau - c3.period_tau).abs() < 1e-6 * c2.period_tau);
                let (f2, f3) = (c2.floquet.unwrap(), c3.floquet.unwrap());
                assert!((f2 - f3).abs() < 1e-4, "{f2} vs {f3}");
                // Projected: its points are on the slice's axes.
                assert!(c3.points.iter().all(|p| p.len() == 2));
            }
        }
    }
}

/// An exact rank-3 network: the rank-2 example with a third column `m_3` (random) and `n_3 = 0`,
/// on its raw axes, so `F_3 = -kappa_3` exactly and the plane `kappa_3 = 0` is the rank-2 network.
#[test]
fn an_exact_rank_3_network_with_a_dead_direction_is_its_rank_2_network() {
    let two = Model::preset("dms_rank2_n512").unwrap();
    let net = &two.network().unwrap().network;
    let parts = net.parts().clone();
    let n = parts.m.nrows();
    let mut state = 3u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
        ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    let m3 = DMatrix::from_fn(n, 1, |_, _| next());
    let three = Network::new(NetworkParts {
        m: DMatrix::from_fn(
            n,
            3,
            |i, j| if j < 2 { parts.m[(i, j)] } else { m3[(i, 0)] },
        ),
        n: DMatrix::from_fn(n, 3, |i, j| if j < 2 { parts.n[(i, j)] } else { 0.0 }),
        ..parts.clone()
    })
    .unwrap();
    let flat = two.default_plane().unwrap();
    let three = Model::from_network(three, Axes::Raw, NetworkSource::file("rank3.json")).unwrap();
    for v in [[0.0, 0.0], [1.0, 0.0]] {
        let a = landscape(&two, &flat, &v);
        let b = landscape(&three, &slice(3, [0, 1]), &v);
        assert_lifted(&a.fixed_points, &b.fixed_points, 1e-8);
    }
}

#[test]
fn the_context_input_decides_which_sensory_input_drives_kappa() {
    let model = Model::preset("ctx_gating_rank1").unwrap();
    assert_eq!(model.input_names(), ["u1", "u2", "ctx1", "ctx2"]);
    let coupling = |v: [f64; 4], channel: usize| {
        let s = model.effective_connectivity(&[0.0], &v).unwrap();
        s.total[(0, 1 + channel)]
    };
    for (ctx, relevant, irrelevant) in [(2, 0, 1), (3, 1, 0)] {
        let mut v = [0.0; 4];
        v[ctx] = 1.0;
        let (on, off) = (coupling(v, relevant), coupling(v, irrelevant));
        assert!(on > 5.0 * off, "context {ctx}: {on} vs {off}");
        // The relevant input decides (one memory left); the irrelevant one does not (two).
        let axes = PlaneAxes::Input { channel: relevant };
        for (input, memories) in [(relevant, 1), (irrelevant, 2)] {
            let mut u = v;
            u[input] = 1.0;
            let land = landscape(&model, &axes, &u);
            let stable: Vec<&FixedPoint> = land.fixed_points.iter().filter(|f| f.stable).collect();
            assert_eq!(stable.len(), memories, "context {ctx}, input {input}");
            // Each fixed point of the plane sits at v = u on the channel shown.
            assert!(
                land.fixed_points
                    .iter()
                    .all(|f| (f.kappa[0] - u[relevant]).abs() < 1e-9)
            );
            let line = land.phase_line.as_ref().expect("rank 1 has a phase line");
            assert_eq!(line.fixed_points.len(), land.fixed_points.len());
        }
    }
}

fn run(args: &[&str]) -> Result<String, String> {
    let mut all = vec!["lowrank-explorer"];
    all.extend_from_slice(args);
    run_args(all).map_err(|e| e.0)
}

#[test]
fn render_and_continue_take_rank_1_and_rank_3_and_refuse_options_of_another_rank() {
    let dir = std::env::temp_dir().join(format!("lre-planes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("p.svg");
    let out = out.to_str().unwrap();
    let r1 = run(&[
        "render",
        "--preset",
        "ctx_gating_rank1",
        "--channel",
        "u2",
        "--out",
        out,
    ])
    .unwrap();
    assert!(r1.contains("3 fixed points"), "{r1}");
    assert!(std::fs::read_to_string(out).unwrap().contains("v(u2)"));
    let r3 = run(&[
        "render",
        "--preset",
        "dms_mixture_rank3",
        "--axes",
        "1,3",
        "--through",
        "fp:1",
        "--input",
        "A",
        "--out",
        out,
    ])
    .unwrap();
    assert!(r3.contains("stable limit cycle"), "{r3}");
    let svg = std::fs::read_to_string(out).unwrap();
    assert!(svg.contains("slice at") && svg.contains("κ₃"));
    // The memories' folds under input A are those of the rank-2 mixture.
    let folds = |preset: &str| {
        let json = run(&[
            "continue", "--preset", preset, "--param", "input.A", "--from", "0", "--to", "1.5",
            "--json",
        ])
        .unwrap();
        fold_parameters(&serde_json::from_str(&json).unwrap())
    };
    let (two, three) = (folds("dms_mixture_2pop"), folds("dms_mixture_rank3"));
    assert_eq!(two.len(), 2);
    assert_eq!(two.len(), three.len());
    for (a, b) in two.iter().zip(&three) {
        assert!((a - b).abs() < 1e-8, "{two:?} vs {three:?}");
    }
    let line = run(&[
        "continue",
        "--preset",
        "ctx_gating_rank1",
        "--param",
        "input.u1",
        "--from",
        "-1",
        "--to",
        "1",
    ]);
    assert!(line.is_ok(), "{line:?}");
    for (args, says) in [
        (
            vec!["render", "--preset", "dms_mixture_2pop", "--channel", "A"],
            "--channel applies",
        ),
        (
            vec!["render", "--preset", "dms_mixture_2pop", "--axes", "1,2"],
            "--axes and --through",
        ),
        (
            vec!["render", "--preset", "ctx_gating_rank1", "--axes", "1,2"],
            "--axes and --through",
        ),
        (
            vec!["render", "--preset", "dms_mixture_rank3", "--axes", "1,4"],
            "latent coordinates in 1..=3",
        ),
        (
            vec![
                "render",
                "--preset",
                "dms_mixture_rank3",
                "--through",
                "fp:9",
            ],
            "5 fixed points",
        ),
        (
            vec![
                "render",
                "--preset",
                "dms_mixture_rank3",
                "--through",
                "1,2",
            ],
            "expected 3 values",
        ),
    ] {
        let mut args = args;
        args.extend(["--out", out]);
        let err = run(&args).unwrap_err();
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A cycle found at rank 3 seeds a branch as at rank 2: over A in [0.6, 1.2], which holds no Hopf
/// point (the mixture's is at 1.433), the rank-3 mixture's branch is seeded from the cycle found
/// in three dimensions at A = 1, and its periods and kappa_1, kappa_2 amplitudes are the rank-2
/// branch's, with kappa_3 = 0 and a third multiplier exp(-T).
#[test]
fn a_cycle_found_in_three_dimensions_seeds_its_branch() {
    let a = lowrank_explorer::model::ParamSpec::Input("A".into());
    let (range, v) = ([0.6, 1.2], [1.0, 0.0]);
    let branch = |preset: &str| {
        let model = Model::preset(preset).unwrap();
        let d = model
            .bifurcation(&a, range, &v, TimeModel::Ode, None)
            .unwrap();
        assert!(d.special_points.iter().all(|s| s.kind.name() != "Hopf"));
        let mut b = model.cycle_branches(&a, range, &v, &d, None).unwrap();
        assert_eq!(b.len(), 1, "{preset}: {} branches", b.len());
        b.remove(0)
    };
    let (two, three) = (branch("dms_mixture_2pop"), branch("dms_mixture_rank3"));
    assert!(three.points.len() > 5);
    for q in &three.points {
        assert!(
            q.kappa_min[2].abs() < 1e-6 && q.kappa_max[2].abs() < 1e-6,
            "{q:?}"
        );
        let at = two
            .points
            .windows(2)
            .find(|w| (w[0].p - q.p) * (w[1].p - q.p) <= 0.0 && w[0].p != w[1].p)
            .expect("the rank-2 branch spans the same values");
        let t = (q.p - at[0].p) / (at[1].p - at[0].p);
        let period = at[0].period + t * (at[1].period - at[0].period);
        assert!(
            (q.period / period - 1.0).abs() < 2e-3,
            "{} vs {period}",
            q.period
        );
        let extra = q
            .multipliers
            .iter()
            .map(|m| (m[0] - (-q.period).exp()).abs())
            .fold(f64::INFINITY, f64::min);
        assert!(extra < 1e-5, "{:?}", q.multipliers);
    }
}
