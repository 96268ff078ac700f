//! The bifurcation panel (issue 13, sections 1 and 3): it draws the branch of limit cycles the
//! CLI's `continue --cycles` gives, keeps the last branches while new ones are computed, and is a
//! control: a click or a drag across it sets the parameter, and one undo takes a drag back.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{click_at, harness, settle};
use eframe::egui;
use egui_kittest::kittest::Queryable;
use lowrank_explorer::analysis::cycle_branch::CycleBranchEnd;
use lowrank_explorer::app::Explorer;
use lowrank_explorer::app::document::InputMode;
use lowrank_explorer::model::ParamSpec;

#[test]
fn the_mixture_diagram_has_its_cycle_branch_from_the_hopf_point_to_the_diverging_period() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let r = &h.state().doc.results;
    let out = r.bifurcation.as_ref().unwrap();
    assert_eq!(out.key.parameter, ParamSpec::Input("A".into()));
    let branches = out
        .cycles
        .as_ref()
        .expect("cycles computed")
        .as_ref()
        .unwrap();
    assert_eq!(branches.len(), 1, "{branches:?}");
    let b = &branches[0];
    assert_eq!(
        b.ends,
        [CycleBranchEnd::Hopf, CycleBranchEnd::PeriodDiverges]
    );
    // The SNIC end lies at the upper fold of the fixed points (issue 13: near A = 0.333).
    let diverges = b.period_diverges_at[0];
    assert!((diverges - 0.3332).abs() < 1e-3, "{diverges}");
    h.get_by_label_contains("1 cycle branch");
    assert!(
        std::sync::Arc::ptr_eq(r.cycles.as_ref().unwrap(), out),
        "the drawn cycles are this diagram's"
    );
    // Turned off, the diagram has none, and says nothing about computing them.
    h.state_mut().doc.edits.bifurcation.cycles = false;
    settle(&mut h);
    let out = h.state().doc.results.bifurcation.clone().unwrap();
    assert!(out.cycles.is_none() && !out.key.wants_cycles());
    assert!(h.query_by_label_contains("cycle branch").is_none());
}

#[test]
fn clicking_and_dragging_across_the_diagram_set_the_parameter() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let rect = h.state().diagram_rect().unwrap();
    let a = |h: &egui_kittest::Harness<'_, Explorer>| h.state().doc.input()[0];
    assert_eq!(a(&h), 0.0);
    let at = |t: f32| egui::pos2(rect.left() + t * rect.width(), rect.center().y);
    click_at(&mut h, at(0.5));
    settle(&mut h);
    assert_eq!(h.state().doc.edits.input.mode, InputMode::Custom);
    let clicked = a(&h);
    assert!(clicked > 0.4 && clicked < 1.1, "{clicked}");
    let out = h.state().doc.results.bifurcation.clone().unwrap();
    assert_eq!(out.current, Some(clicked), "the line is at the value set");
    // A drag to the right moves it further, in one undo step.
    h.hover_at(at(0.5));
    h.run();
    h.drag_at(at(0.5));
    h.step();
    for k in 1..=10 {
        h.hover_at(at(0.5 + 0.03 * k as f32));
        h.step();
    }
    h.drop_at(at(0.8));
    settle(&mut h);
    let dragged = a(&h);
    assert!(dragged > clicked + 0.2, "{clicked} -> {dragged}");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut h);
    assert_eq!(a(&h), clicked, "one undo takes the drag back");
}
