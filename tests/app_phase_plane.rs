//! The explorer on the DMS mixture preset, driven through its widgets (egui_kittest): what a
//! teacher does first (no input, input A), a slider drag, undo, sessions.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{harness, landscape, settle};
use eframe::egui;
use eframe::egui::accesskit::Role;
use eframe::egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use lowrank_explorer::analysis::cycles::CycleKind;
use lowrank_explorer::app::Explorer;
use lowrank_explorer::app::actions::Action;
use lowrank_explorer::app::document::Document;

#[test]
fn opens_on_two_memories_and_input_a_gives_a_limit_cycle() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let land = landscape(&h);
    assert_eq!(land.fixed_points.len(), 5);
    assert_eq!(land.fixed_points.iter().filter(|f| f.stable).count(), 2);
    h.get_by_label_contains("5 fixed points (2 stable)");
    h.get_by_role_and_label(Role::Label, "ODE");

    h.get_by_role_and_label(Role::RadioButton, "A").click();
    settle(&mut h);
    let land = landscape(&h);
    assert_eq!(land.v, vec![1.0, 0.0]);
    assert_eq!(land.cycles.len(), 1);
    assert_eq!(land.cycles[0].kind, CycleKind::LimitCycle);
    h.get_by_label_contains("stable limit cycle, T = ");
}

#[test]
fn moving_a_covariance_slider_changes_the_landscape_and_undo_restores_it() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let name = "p1.cov(n2,m1)";
    let cov = |h: &egui_kittest::Harness<'_, Explorer>| {
        h.state().doc.edits.population.populations()[0].cov[(3, 0)]
    };
    let before_value = cov(&h);
    let before = landscape(&h);
    h.get_by_role_and_label(Role::Slider, name)
        .set_value_accesskit(-2.0);
    settle(&mut h);
    assert_eq!(cov(&h), -2.0);
    let after = landscape(&h);
    assert!(
        after.fixed_points.len() != before.fixed_points.len()
            || after
                .fixed_points
                .iter()
                .zip(&before.fixed_points)
                .any(|(a, b)| (a.kappa[0] - b.kappa[0]).abs() > 1e-3),
        "the fixed points did not move"
    );
    // The value box shows the new value, to four decimals.
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, &format!("{name} value"))
            .value()
            .as_deref(),
        Some("-2.0000")
    );

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(cov(&h), before_value);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_ok();
    assert_eq!(cov(&h), -2.0);
}

#[test]
fn a_saved_session_restores_the_edits_and_reset_goes_back_to_the_preset() {
    let dir = std::env::temp_dir().join(format!("lre-app-session-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.json");
    let mut h = harness(Explorer::new());
    settle(&mut h);
    h.get_by_role_and_label(Role::RadioButton, "B").click();
    h.get_by_role_and_label(Role::Slider, "p1.cov(n1,m2)")
        .set_value_accesskit(0.5);
    h.run_ok();
    let saved = h.state().doc.edits.clone();
    let ctx = egui::Context::default();
    h.state_mut().act(Action::SaveSession(path.clone()), &ctx);
    assert!(path.exists(), "no session written");
    h.run();
    h.get_by_label_contains("session saved to");

    // Reset goes back to the preset as loaded; opening the session brings the edits back.
    h.get_by_role_and_label(Role::Button, "reset").click();
    settle(&mut h);
    assert_eq!(h.state().doc.edits, Document::default().edits);
    h.state_mut().open_now(&path);
    settle(&mut h);
    assert_eq!(h.state().doc.edits, saved);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_view_stays_where_it_was_put_while_results_arrive() {
    // The flow field is drawn over the view; if the plot fitted its bounds to its items, every
    // new field would widen the view and the next sampled rectangle.
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let first = h.state().doc.results.view.clone().unwrap().rect;
    h.get_by_role_and_label(Role::RadioButton, "A").click();
    settle(&mut h);
    h.get_by_role_and_label(Role::RadioButton, "none").click();
    for _ in 0..10 {
        settle(&mut h);
    }
    let last = h.state().doc.results.view.clone().unwrap().rect;
    assert_eq!(first, last, "the view drifted");
    // The whole requested view is shown, widened along one axis to the plot's aspect.
    let view = h.state().doc.view.rect.unwrap();
    let tol = 1e-3 * view.diagonal();
    assert!(
        last.x_min <= view.x_min + tol
            && last.x_max >= view.x_max - tol
            && last.y_min <= view.y_min + tol
            && last.y_max >= view.y_max - tol,
        "{last:?} does not show {view:?}"
    );
    let exact_x = (last.width() - view.width()).abs() < tol;
    let exact_y = (last.height() - view.height()).abs() < tol;
    assert!(exact_x || exact_y, "{last:?} against the view {view:?}");
}
