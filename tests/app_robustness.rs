//! User input never panics the explorer: every slider driven to both ends, garbage typed in the
//! value boxes, broken files. Each refusal is a visible warning and nothing already shown is
//! lost.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{fixture, harness, landscape, settle, type_into};
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use lowrank_explorer::app::Explorer;

/// A magnitude beyond every slider's range: an edit is clamped to the range's end.
const FAR: f64 = 1e15;

#[test]
fn every_slider_at_both_ends_never_panics() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    // Show every slider: custom input, the map's step, both populations clamped, every group.
    h.get_by_role_and_label(Role::RadioButton, "custom")
        .click_accesskit();
    h.get_by_role_and_label(Role::RadioButton, "Euler map")
        .click_accesskit();
    h.get_by_label_contains("pop 2 (").click_accesskit();
    h.run_ok();
    for radio in h.query_all_by_role_and_label(Role::RadioButton, "clamped") {
        radio.click_accesskit();
    }
    h.run_ok();
    for title in [
        "n–input overlaps (drive)",
        "m variances, covariances",
        "input variances, covariances",
        "m–input covariances",
        "readout w–m, w–input",
    ] {
        for header in h.query_all_by_label(title) {
            header.click_accesskit();
        }
    }
    h.run_ok();
    let labels: Vec<String> = h
        .query_all_by_role(Role::Slider)
        .filter_map(|n| n.accesskit_node().label())
        .collect();
    assert!(labels.len() >= 50, "only {} sliders found", labels.len());
    for label in &labels {
        for value in [-FAR, FAR, 0.0] {
            if let Some(s) = h.query_by_role_and_label(Role::Slider, label) {
                s.set_value_accesskit(value);
            }
            h.step();
        }
    }
    settle(&mut h);
    let land = landscape(&h);
    assert!(land.error.is_none(), "{:?}", land.error);
}

#[test]
fn garbage_typed_in_value_boxes_is_refused_with_a_warning() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let name = "p1.cov(n2,m1) value";
    let before = h.state().doc.edits.clone();
    for garbage in ["NaN", "inf", "abc", "1e300"] {
        type_into(&mut h, name, garbage);
    }
    settle(&mut h);
    assert_eq!(
        h.state().doc.edits,
        before,
        "a refused value changed the parameters"
    );
    // One visible warning per refusal: NaN, inf, abc (not numbers) and 1e300 (out of range).
    assert_eq!(
        h.query_all_by_label_contains("is not a finite number")
            .count(),
        3
    );
    h.get_by_label_contains("larger in magnitude than the supported 1e12");
    assert!(h.state().doc.results.landscape.is_some());

    type_into(&mut h, "bifurcation range to", "NaN");
    h.get_by_label_contains("bifurcation range to: “");
    assert_eq!(h.state().doc.edits.bifurcation, before.bifurcation);
}

#[test]
fn broken_files_give_a_warning_and_keep_the_model() {
    let mut app = Explorer::new();
    let before = app.doc.edits.clone();
    app.open_now(&fixture("malformed/float16_m.pt"));
    app.open_now(&fixture("does_not_exist.pt"));
    let mut h = harness(app);
    settle(&mut h);
    assert_eq!(h.state().doc.edits, before);
    let warnings: Vec<_> = h
        .state()
        .notices()
        .iter()
        .filter(|n| n.warning)
        .map(|n| n.text.clone())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings.iter().all(|w| w.starts_with("cannot open")),
        "{warnings:?}"
    );
    h.get_by_label_contains("float16_m.pt");
}

/// A network whose whole landscape lies within 0.02 of the origin (the example network read with
/// the wrong scaling convention) once made the plot's bounds and its tick labels settle into a
/// two-frame cycle, each frame asking the worker for a new field, forever.
#[test]
fn a_tiny_landscape_settles_instead_of_asking_again_every_frame() {
    let dir = app_support::Scratch::new("tiny");
    let net = lowrank_explorer::io::load_network(std::path::Path::new(
        "assets/networks/dms_rank2_n512.json",
    ))
    .unwrap();
    let root_n = 512f64.sqrt();
    let tiny = lowrank_explorer::network::Network::new(lowrank_explorer::network::NetworkParts {
        m: net.m() / root_n,
        n: net.n() / root_n,
        wo: &net.parts().wo / 512.0,
        ..net.parts().clone()
    })
    .unwrap();
    let path = dir.path("tiny.json");
    lowrank_explorer::io::save_network_json(&tiny, &path).unwrap();
    let mut h = harness(Explorer::new());
    h.state_mut().open_now(&path);
    settle(&mut h);
    let requested = h.state().doc.results.requested;
    for _ in 0..20 {
        h.step();
    }
    assert_eq!(h.state().doc.results.requested, requested);
}
