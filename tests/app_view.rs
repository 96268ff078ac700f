//! Answers that do not depend on the view (issue 10, part 2): the fixed points, cycles and the
//! bifurcation diagram are the search box's, whatever is on screen; the header says how many are
//! in view; a newly opened model is framed to show them all; the wheel zooms about the pointer.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{harness, settle};
use eframe::egui;
use egui_kittest::kittest::Queryable;
use lowrank_explorer::analysis::Rect;
use lowrank_explorer::analysis::continuation::SpecialKind;
use lowrank_explorer::app::Explorer;
use lowrank_explorer::cli::run_args;

/// `(fixed points, stable ones, branches, folds)` of what the explorer shows now.
fn answers(h: &egui_kittest::Harness<'_, Explorer>) -> (usize, usize, usize, usize) {
    let r = &h.state().doc.results;
    let land = r.landscape.as_ref().unwrap();
    let d = r.bifurcation.as_ref().unwrap().diagram.as_ref().unwrap();
    (
        land.fixed_points.len(),
        land.fixed_points.iter().filter(|f| f.stable).count(),
        d.branches.len(),
        d.special_points
            .iter()
            .filter(|s| s.kind == SpecialKind::Fold)
            .count(),
    )
}

#[test]
fn zooming_and_panning_change_neither_the_fixed_points_nor_the_diagram() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let full = answers(&h);
    assert_eq!(full, (5, 2, 3, 2));
    // Far into one corner, then panned away from everything.
    for rect in [
        Rect::new(0.1, 0.2, 0.45, 0.55),
        Rect::new(3.0, 4.0, 3.0, 4.0),
    ] {
        h.state_mut().doc.view.rect = Some(rect);
        settle(&mut h);
        assert_eq!(answers(&h), full, "in view {rect:?}");
        let shown = h.state().doc.results.view.as_ref().unwrap().rect;
        assert!(shown.width() < 1.5, "the view itself did change: {shown:?}");
    }
    // The header counts what is in view.
    h.get_by_label_contains("5 fixed points (2 stable), 0 in view");
    h.state_mut().doc.view.rect = Some(Rect::new(0.1, 0.3, 0.45, 0.65));
    settle(&mut h);
    h.get_by_label_contains("5 fixed points (2 stable), 1 in view");
}

#[test]
fn a_newly_opened_network_is_framed_to_show_every_fixed_point_the_cli_finds() {
    let cli = run_args([
        "lowrank-explorer",
        "analyze",
        "--preset",
        "dms_rank2_n512",
        "--dynamics",
        "map",
        "--json",
    ])
    .unwrap();
    let report: serde_json::Value = serde_json::from_str(&cli).unwrap();
    let expected = report["fixed_points"].as_array().unwrap().len();
    assert_eq!(expected, 13);

    let mut h = harness(Explorer::new());
    settle(&mut h);
    // A view of the preset first: the network must not open on it.
    h.state_mut().doc.view.rect = Some(Rect::new(-0.2, 0.2, -0.2, 0.2));
    settle(&mut h);
    h.state_mut()
        .open_now(&std::path::PathBuf::from("builtin:dms_rank2_n512"));
    settle(&mut h);
    let doc = &h.state().doc;
    let land = doc.results.landscape.as_ref().unwrap();
    assert_eq!(land.fixed_points.len(), expected);
    let shown = doc.results.view.as_ref().unwrap().rect;
    for f in &land.fixed_points {
        assert!(shown.contains(&f.kappa), "{:?} outside {shown:?}", f.kappa);
    }
    for run in &doc.results.trials.as_ref().unwrap().runs {
        assert!(run.reduced.kappa.iter().all(|k| shown.contains(k)));
    }
    h.get_by_label_contains(&format!("{expected} fixed points (6 stable) ·"));
}

/// The data point at screen position `at` of the plot as it is drawn now.
fn data_at(h: &egui_kittest::Harness<'_, Explorer>, at: egui::Pos2) -> [f64; 2] {
    let f = h.state().plot_frame().unwrap();
    let r = h.state().doc.results.view.as_ref().unwrap().rect;
    [
        r.x_min + f64::from((at.x - f.left()) / f.width()) * r.width(),
        r.y_max - f64::from((at.y - f.top()) / f.height()) * r.height(),
    ]
}

#[test]
fn the_wheel_zooms_about_the_pointer() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let before = h.state().doc.results.view.as_ref().unwrap().rect;
    let at = h.state().plot_frame().unwrap().center() + egui::vec2(60.0, -40.0);
    let under = data_at(&h, at);
    h.hover_at(at);
    h.run();
    for _ in 0..5 {
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, 60.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
    settle(&mut h);
    let after = h.state().doc.results.view.as_ref().unwrap().rect;
    assert!(
        after.width() < 0.8 * before.width(),
        "scrolling up zooms in: {before:?} -> {after:?}"
    );
    let still = data_at(&h, at);
    let tol = 0.01 * after.width();
    assert!(
        (still[0] - under[0]).abs() < tol && (still[1] - under[1]).abs() < tol,
        "the point under the pointer moved from {under:?} to {still:?}"
    );
    // The fixed points are the search box's: zooming found no new ones and lost none.
    assert_eq!(answers(&h).0, 5);
}
