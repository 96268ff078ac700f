//! No panic on any finite network (issue 11): random networks of 1 to 64 neurons, rank 1 to 3, 1 to
//! 3 inputs, with each matrix at a scale anywhere from 1e-300 to 1e300, go through load (with the
//! SVD axes), simulate, analyze and render; each step gives `Ok` or a clean `Err`, never a panic.

use std::sync::Arc;

use lowrank_explorer::analysis::landscape::{
    LandscapeRequest, NULLCLINE_RESOLUTION, analyze, view_layer,
};
use lowrank_explorer::cli::run_args;
use lowrank_explorer::model::{Axes, Model};
use lowrank_explorer::network::{Network, NetworkParts, Recording, SimOptions};
use lowrank_explorer::reduced::TimeModel;
use lowrank_explorer::render;
use lowrank_explorer::scene::{Plane, Scene, frame};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

/// A matrix of `rows x cols` entries `scale * u`, `u` uniform in [-1, 1] from `seed`.
fn matrix(rows: usize, cols: usize, scale: f64, seed: &mut u64) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |_, _| {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        scale * (((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0)
    })
}

/// The network of the case, or `None` if its parts are refused (a clean refusal is fine too).
fn network(n: usize, r: usize, s: usize, exponents: [i32; 4], mut seed: u64) -> Option<Network> {
    let scale = |k: usize| 10f64.powi(exponents[k]);
    let parts = NetworkParts {
        wi: matrix(s, n, scale(0), &mut seed),
        si: DVector::from_element(s, 1.0),
        m: matrix(n, r, scale(1), &mut seed),
        n: matrix(n, r, scale(2), &mut seed),
        wo: matrix(n, 1, scale(3), &mut seed),
        so: DVector::from_element(1, 1.0),
        h0: DVector::zeros(n),
        b: None,
    };
    Network::new(parts).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn finite_networks_of_any_scale_never_panic(
        n in 1usize..=64,
        r in 1usize..=3,
        s in 1usize..=3,
        exponents in proptest::array::uniform4(-300i32..=300),
        seed in any::<u64>(),
    ) {
        let Some(net) = network(n, r, s, exponents, seed) else { return Ok(()) };
        let dir = std::env::temp_dir().join(format!("lre-robust-{}-{seed}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("net.json");
        lowrank_explorer::io::save_network_json(&net, &path).unwrap();

        // Simulate a short trial of constant input.
        let inputs = vec![0.5; 20 * s];
        let opts = SimOptions { recording: Recording::States, ..SimOptions::default() };
        let runs = net.simulate_batch(&[inputs.as_slice()], &opts);
        prop_assert_eq!(runs.len(), 1);

        // Load on the SVD axes, analyze and render what is a plane.
        if let Ok(model) = Model::load(&path, Axes::Svd)
            && let Ok(axes) = model.default_plane()
        {
            let sys = model.plane(&axes).unwrap();
            let req = LandscapeRequest::new(model.search_box(&axes), vec![0.0; s], TimeModel::Ode);
            let land = analyze(&sys, &req);
            if land.error.is_none() {
                let rect = frame::view_of(&land, &[], 0.75);
                let view = view_layer(&sys, &land, rect, 16, NULLCLINE_RESOLUTION);
                let scene = Scene::new(Plane { landscape: Arc::new(land), view: Arc::new(view) });
                let _ = render::svg(&scene, (400, 300));
            }
        }
        // And the CLI on the file: a report or a clean error.
        let file = path.to_str().unwrap();
        let _ = run_args(["lowrank-explorer", "analyze", file]);
        let _ = run_args(["lowrank-explorer", "render", file, "--out", dir.join("p.svg").to_str().unwrap()]);
        let _ = run_args(["lowrank-explorer", "info", file]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
