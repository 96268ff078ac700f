//! The explorer on the DMS mixture preset, driven through its widgets (egui_kittest): what a
//! teacher does first (no input, input A), a slider drag, undo.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{harness, settle};
use eframe::egui::accesskit::Role;
use eframe::egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use lowrank_explorer::analysis::cycles::CycleKind;
use lowrank_explorer::app::Explorer;

#[test]
fn opens_on_two_memories_and_input_a_gives_a_limit_cycle() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let land = h.state().results.landscape.clone().expect("a landscape");
    assert_eq!(land.fixed_points.len(), 5);
    assert_eq!(land.fixed_points.iter().filter(|f| f.stable).count(), 2);
    h.get_by_label_contains("5 fixed points (2 stable)");
    h.get_by_role_and_label(Role::Label, "ODE");

    h.get_by_role_and_label(Role::RadioButton, "A").click();
    settle(&mut h);
    let land = h.state().results.landscape.clone().unwrap();
    assert_eq!(land.v, vec![1.0, 0.0]);
    assert_eq!(land.cycles.len(), 1);
    assert_eq!(land.cycles[0].kind, CycleKind::LimitCycle);
    h.get_by_label_contains("limit cycle (stable, period");
}

#[test]
fn moving_a_covariance_slider_changes_the_landscape_and_undo_restores_it() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let name = "p1.cov(n2,m1)";
    let before_value = h.state().params.population.0.populations()[0].cov[(3, 0)];
    let before = h.state().results.landscape.clone().unwrap();
    h.get_by_role_and_label(Role::Slider, name)
        .set_value_accesskit(-2.0);
    settle(&mut h);
    assert_eq!(
        h.state().params.population.0.populations()[0].cov[(3, 0)],
        -2.0
    );
    let after = h.state().results.landscape.clone().unwrap();
    assert!(
        after.fixed_points.len() != before.fixed_points.len()
            || after
                .fixed_points
                .iter()
                .zip(&before.fixed_points)
                .any(|(a, b)| (a.kappa[0] - b.kappa[0]).abs() > 1e-3),
        "the fixed points did not move"
    );
    // The value box shows the new value.
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, &format!("{name} value"))
            .value()
            .as_deref(),
        Some("-2.000")
    );

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(
        h.state().params.population.0.populations()[0].cov[(3, 0)],
        before_value
    );
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_ok();
    assert_eq!(
        h.state().params.population.0.populations()[0].cov[(3, 0)],
        -2.0
    );
}
