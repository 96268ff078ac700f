//! Reverse engineering in the explorer (issue 6): "Fit populations" on a loaded network, the fitted
//! model in the sliders and as a mean-field overlay with its distance to the exact flow, and the
//! loadings scatter coloured by population.

#![cfg(feature = "gui")]

mod app_support;

use std::path::Path;

use app_support::{harness, settle};
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use lowrank_explorer::app::Explorer;
use lowrank_explorer::app::document::Source;
use lowrank_explorer::fit::LoadingBlocks;
use lowrank_explorer::model::Axes;

#[test]
fn fitting_a_network_brings_its_populations_into_the_sliders_the_overlay_and_the_scatter() {
    let mut app = Explorer::new();
    app.open_now(Path::new("builtin:dms_rank2_n512"));
    let mut h = harness(app);
    settle(&mut h);
    assert!(
        h.query_all_by_label_contains("dms_rank2_n512 (N = 512, rank 2, exact reduction)")
            .next()
            .is_some()
    );
    assert!(h.state().doc.fit.is_none());

    h.get_by_label("Fit populations").click();
    settle(&mut h);
    let fit = h.state().doc.fit.clone().expect("a fit");
    let counts: Vec<usize> = fit.report.populations.iter().map(|p| p.count).collect();
    assert_eq!(counts.iter().sum::<usize>(), 512, "{counts:?}");
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {counts:?}"
    );
    assert_eq!(fit.report.labels.len(), 512);
    // The CLI's default: the papers' (n, m, I) for a DMS network, w completed per population.
    assert_eq!(fit.report.loadings, LoadingBlocks::DYNAMICS);
    assert_eq!(
        h.state().doc.edits.population.loading_names().len(),
        7,
        "a complete model"
    );
    assert!(
        fit.summary().contains("of loadings n,m,I"),
        "{}",
        fit.summary()
    );
    h.get_by_label_contains(&format!("fit: {}", fit.summary()));

    // The fitted model is the sliders' model, one section per population.
    let model = h.state().doc.edits.population.clone();
    assert_eq!(model.populations().len(), counts.len());
    for p in model.populations() {
        h.get_by_label_contains(&format!("{} (α = {:.3})", p.name, p.fraction));
    }
    // ... and its mean field is overlaid, with its RMS distance to the exact flow.
    assert!(matches!(h.state().doc.source, Source::Network { .. }));
    assert!(h.state().doc.view.overlay_mean_field);
    let over = h.state().doc.results.overlay.clone().expect("an overlay");
    let d = over.difference.expect("a flow difference");
    assert_eq!(d.samples, 32 * 32);
    assert!(
        d.rms_difference.is_finite() && d.rms_reference > 0.0,
        "{d:?}"
    );
    h.get_by_label_contains("RMS |F_exact − F_mean field| over the view");
    h.get_by_role_and_label(Role::Label, "mean field: nullclines");

    // Undo goes back to the model before the fit, redo to the fit.
    h.get_by_label("undo").click();
    settle(&mut h);
    assert_ne!(h.state().doc.edits.population, model);
    h.get_by_label("redo").click();
    settle(&mut h);
    assert_eq!(h.state().doc.edits.population, model);

    // The scatter colours the neurons by population.
    h.get_by_role_and_label(Role::CheckBox, "loadings scatter (window)")
        .click();
    settle(&mut h);
    h.get_by_label_contains(&format!("pop 1 ({} neurons)", counts[0]));
}

#[test]
fn the_presets_menu_opens_the_example_networks() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    h.get_by_label("Presets").click();
    h.run();
    h.get_by_label("DMS network trained here (N = 512)").click();
    settle(&mut h);
    let net = h.state().doc.model().network().cloned().expect("a network");
    assert_eq!(net.network.dims().neurons, 512);
    assert!(
        h.state().doc.results.trials.as_ref().unwrap().runs[0]
            .network
            .is_some()
    );
}

#[test]
fn a_network_drawn_from_the_model_opens_and_fine_tuning_replaces_the_model() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let preset = h.state().doc.edits.population.clone();
    h.get_by_label("Networks from this model").click();
    h.run();
    h.get_by_role_and_label(Role::SpinButton, "drawn network N")
        .set_value_accesskit(1000.0);
    h.run();
    h.get_by_label("Draw network").click();
    settle(&mut h);
    let net = h
        .state()
        .doc
        .model()
        .network()
        .cloned()
        .expect("the drawn network");
    assert_eq!(net.network.dims().neurons, 1000);
    assert!(matches!(h.state().doc.source, Source::Network { .. }));
    let trials = h.state().doc.results.trials.clone().expect("trials");
    assert!(trials.runs.iter().all(|r| r.network.is_some()));
    // On the model's own axes, the model's mean field is the large-N limit of the exact flow:
    // overlaid, the two are close. `tests/fit_mean_field.rs` measures an RMS distance of 0.075 at
    // N = 512 falling like 1/sqrt(N), so about 0.05 at N = 1000 (on the SVD axes it would be
    // of the order of |F| itself).
    assert_eq!(h.state().doc.edits.population, preset);
    assert_eq!(net.axes, Axes::Raw);
    h.get_by_label_contains("overlay mean field of").click();
    settle(&mut h);
    let d = h
        .state()
        .doc
        .results
        .overlay
        .clone()
        .unwrap()
        .difference
        .unwrap();
    assert!(d.rms_difference < 0.08, "{d:?}");

    // Fine-tuning, shortened to two steps of small networks: the tuned model replaces the
    // population model (an undoable edit) and the notice reports the accuracies.
    let mut h = harness(Explorer::new());
    settle(&mut h);
    h.get_by_label("Networks from this model").click();
    h.run();
    for (name, value) in [("fine-tuning N", 64.0), ("fine-tuning steps", 2.0)] {
        h.get_by_role_and_label(Role::SpinButton, name)
            .set_value_accesskit(value);
        h.run();
    }
    h.get_by_label("Fine-tune on DMS").click();
    settle(&mut h);
    assert!(h.state().settled());
    let tuned = h.state().doc.edits.population.clone();
    assert_ne!(tuned, preset, "the covariances moved");
    assert_eq!(tuned.populations().len(), preset.populations().len());
    for (a, b) in tuned.populations().iter().zip(preset.populations()) {
        assert_eq!(a.fraction, b.fraction, "fractions are fixed by fine-tuning");
    }
    assert!(
        h.state()
            .notices()
            .iter()
            .any(|n| n.text.contains("fine-tuned") && n.text.contains("over 2 steps")),
        "{:?}",
        h.state().notices()
    );
    h.get_by_label("undo").click();
    settle(&mut h);
    assert_eq!(h.state().doc.edits.population, preset);
}
