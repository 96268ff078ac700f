//! The explorer on a trained network file: its exact landscape, the DMS trials of the full
//! network projected on the latent plane beside the reduced ones, and the epoch scrubber.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{fixture, harness, landscape, opened, settle};
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use lowrank_explorer::app::Explorer;
use lowrank_explorer::app::document::Source;

#[test]
fn a_loaded_network_shows_its_fixed_points_and_projected_trajectories() {
    let mut h = opened(&fixture("lowrank_n64_r2.pt"));
    assert!(matches!(h.state().doc.source, Source::Network { .. }));
    let land = landscape(&h);
    assert!(land.error.is_none());
    assert!(!land.fixed_points.is_empty(), "no fixed point found");
    assert!(land.fixed_points.iter().all(|f| f.residual < 1e-10));
    assert!(
        h.query_all_by_label_contains("lowrank_n64_r2.pt (N = 64, rank 2, exact reduction)")
            .next()
            .is_some()
    );
    h.get_by_role_and_label(Role::Label, "map (alpha = 0.2)");

    let trials = h.state().doc.results.trials.clone().expect("trials");
    assert_eq!(trials.runs.len(), 4);
    for run in &trials.runs {
        let net = run.network.as_ref().expect("full-network run");
        assert_eq!(net.kappa.len(), run.reduced.kappa.len());
        // Noise-free, from h0 = 0: the network stays in its latent plane and the exact map
        // reduction follows it (MODEL.md 3).
        let worst = net
            .kappa
            .iter()
            .zip(&run.reduced.kappa)
            .map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs()))
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-9,
            "{}: network and reduction differ by {worst:e}",
            run.trial.name
        );
        assert!(net.relative_residual.iter().all(|r| *r < 1e-9));
    }
    // The legend names both kinds of trajectory, and the residual is shown.
    h.get_by_role_and_label(Role::Label, "full network, projected (dots)");
    h.get_by_role_and_label(Role::Label, "AB");
    h.get_by_label_contains("projection residual");

    // The scrubber moves the state and, following the trial, the landscape's input.
    h.get_by_role_and_label(Role::CheckBox, "landscape follows the trial")
        .click();
    h.run();
    h.get_by_role_and_label(Role::Slider, "trial time")
        .set_value_accesskit(15.0);
    settle(&mut h);
    let k = h.state().doc.view.scrub.trial;
    let expected = trials.input_at(k, 15).unwrap();
    let land = landscape(&h);
    assert_eq!(
        land.v, expected,
        "the landscape shows the trial's input at step 15"
    );
    assert!(
        land.v.iter().any(|x| *x > 0.5),
        "stimulus 1 is on at step 15: {:?}",
        land.v
    );
}

#[test]
fn the_mean_field_preset_runs_its_reduced_trials() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let trials = h.state().doc.results.trials.clone().expect("trials");
    assert!(trials.runs.iter().all(|r| r.network.is_none()));
    assert!(
        trials
            .runs
            .iter()
            .all(|r| r.reduced.kappa.len() == r.trial.steps + 1)
    );
    h.get_by_role_and_label(Role::Label, "AA");
    h.get_by_label_contains("mean field: reduced trajectories only");
}
