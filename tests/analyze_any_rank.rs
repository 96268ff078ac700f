//! `analyze` of networks that are not rank 2 (issue 12, section 2): every fixed point in the
//! R-dimensional absorbing box, with all R eigenvalues, on networks whose fixed points are known in
//! closed form.
//!
//! The networks: `N = R k` neurons in `R` blocks; block `j` has `m_ij = +-1` in column `j` only and
//! `n_i = 2 R m_i`, so `F_j = -kappa_j + 2 tanh(kappa_j)`: `3^R` fixed points, the products of the
//! roots `0, +-k*` of `k = 2 tanh k`, stable where no coordinate is 0 (`2^R` of them).

use std::path::{Path, PathBuf};

use lowrank_explorer::cli::run_args;
use lowrank_explorer::io;
use lowrank_explorer::network::{Network, NetworkParts};
use nalgebra::{DMatrix, DVector};
use serde_json::Value;

/// The positive root of `k = 2 tanh k`, by bisection.
fn root() -> f64 {
    let (mut lo, mut hi) = (1.0, 2.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if 2.0 * f64::tanh(mid) > mid {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

fn blocks(rank: usize, per_block: usize, name: &str) -> PathBuf {
    let n = rank * per_block;
    let sign = |i: usize| if i.is_multiple_of(2) { 1.0 } else { -1.0 };
    let m = DMatrix::from_fn(
        n,
        rank,
        |i, j| if i / per_block == j { sign(i) } else { 0.0 },
    );
    let net = Network::new(NetworkParts {
        wi: DMatrix::zeros(1, n),
        si: DVector::from_element(1, 1.0),
        n: &m * (2.0 * rank as f64),
        m,
        wo: DMatrix::from_element(n, 1, 1.0),
        so: DVector::from_element(1, 1.0),
        h0: DVector::zeros(n),
        b: None,
    })
    .unwrap();
    let dir = std::env::temp_dir().join(format!("lowrank-any-rank-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    io::save_network_json(&net, &path).unwrap();
    path
}

fn analyze(path: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "lowrank-explorer",
        "analyze",
        path.to_str().unwrap(),
        "--raw-axes",
    ];
    args.extend_from_slice(extra);
    run_args(args).unwrap()
}

#[test]
fn rank_1_and_rank_3_networks_have_every_known_fixed_point_with_all_eigenvalues() {
    let k = root();
    for rank in [1usize, 3] {
        let path = blocks(rank, 4, &format!("rank{rank}.json"));
        for dynamics in ["ode", "map"] {
            let report: Value =
                serde_json::from_str(&analyze(&path, &["--dynamics", dynamics, "--json"])).unwrap();
            let fps = report["fixed_points"].as_array().unwrap();
            assert_eq!(fps.len(), 3usize.pow(rank as u32), "rank {rank}");
            for fp in fps {
                let kappa: Vec<f64> = fp["kappa"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect();
                assert_eq!(kappa.len(), rank);
                for x in &kappa {
                    let off = [-k, 0.0, k]
                        .iter()
                        .map(|r| (x - r).abs())
                        .fold(9.0, f64::min);
                    assert!(off < 1e-12, "rank {rank}: {kappa:?}");
                }
                assert_eq!(fp["eigenvalues"].as_array().unwrap().len(), rank);
                let stable = kappa.iter().all(|x| x.abs() > 1.0);
                assert_eq!(fp["stable"], stable, "{fp}");
                let all_unstable = kappa.iter().all(|x| *x == 0.0);
                let kind = match (stable, all_unstable) {
                    (true, _) => "stable node",
                    (false, true) => "unstable node",
                    _ => "saddle",
                };
                assert_eq!(fp["type"], kind, "{fp}");
            }
            assert_eq!(report["search"]["complete"], true, "{}", report["search"]);
            assert_eq!(
                report["search"]["half_widths"].as_array().unwrap().len(),
                rank
            );
            // Cycles are searched in R dimensions for the ODE of rank >= 3 (there are none in
            // these decoupled bistable blocks); rank 1 and the map have no list that would read
            // as "none".
            let searched = rank >= 3 && dynamics == "ode";
            match report.get("limit_cycles") {
                Some(cycles) => assert!(searched && cycles.as_array().unwrap().is_empty()),
                None => assert!(!searched, "rank {rank} {dynamics}"),
            }
        }
        let text = analyze(&path, &[]);
        assert!(
            text.contains(&format!("{} fixed points", 3usize.pow(rank as u32))),
            "{text}"
        );
        assert!(
            text.contains(&format!("{rank}-dimensional absorbing box")),
            "{text}"
        );
        assert!(text.contains("complete: "), "{text}");
        let cycles = if rank == 1 {
            "rank 1: a flow on a line has no limit cycle".to_string()
        } else {
            format!("attracting limit cycles in {rank} dimensions")
        };
        assert!(text.contains(&cycles), "{text}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
