//! Sliders fit for research (issue 10, part 4): an editable range kept in the session, a fine
//! drag with Shift, no jump when the handle is pressed, boxes with the digits to reproduce a
//! value, and a tooltip saying what the parameter enters.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{harness, settle, type_into};
use eframe::egui::accesskit::Role;
use eframe::egui::{self, Key, Modifiers};
use egui_kittest::kittest::Queryable;
use lowrank_explorer::app::Explorer;
use lowrank_explorer::app::session::Session;
use lowrank_explorer::app::views::widgets::FINE_FACTOR;

const NAME: &str = "p1.cov(n2,m1)";

/// The explorer with the slider scrolled into view.
fn explorer() -> egui_kittest::Harness<'static, Explorer> {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    h.get_by_role_and_label(Role::Slider, NAME).scroll_to_me();
    h.run();
    h
}

fn value(h: &egui_kittest::Harness<'_, Explorer>) -> f64 {
    h.state().doc.edits.population.populations()[0].cov[(3, 0)]
}

#[test]
fn the_range_can_be_set_and_is_kept_in_the_session() {
    let mut h = explorer();
    h.get_by_role_and_label(Role::Button, &format!("{NAME} range"))
        .click();
    h.run();
    type_into(&mut h, &format!("{NAME} range from"), "-1");
    type_into(&mut h, &format!("{NAME} range to"), "2.5");
    assert_eq!(
        h.state().doc.view.ranges.get(NAME),
        Some(&[-1.0, 2.5]),
        "{:?}",
        h.state().doc.view.ranges
    );
    // The slider now moves within it.
    h.key_press(Key::Escape);
    h.run();
    h.get_by_role_and_label(Role::Slider, NAME)
        .set_value_accesskit(-5.0);
    settle(&mut h);
    assert_eq!(value(&h), -1.0);
    let session = Session::of(&h.state().doc);
    assert_eq!(session.view.ranges.get(NAME), Some(&[-1.0, 2.5]));
    let json = lowrank_explorer::app::session::to_json(&session);
    let back = lowrank_explorer::app::session::from_json(&json).unwrap();
    assert_eq!(back.view.ranges, session.view.ranges);
}

#[test]
fn pressing_the_handle_does_not_move_the_value_and_shift_drags_finely() {
    let mut h = explorer();
    let before = value(&h);
    let track = h.get_by_role_and_label(Role::Slider, NAME).rect();
    // The default range of this entry is [-5, 5].
    let fraction = ((before + 5.0) / 10.0) as f32;
    let handle = egui::pos2(
        track.left() + fraction * track.width() + 3.0,
        track.center().y,
    );
    h.hover_at(handle);
    h.run();
    h.drag_at(handle);
    h.step();
    h.step();
    assert_eq!(value(&h), before, "pressing the handle moved the value");
    // Shift held: 40 px of drag move the value a tenth of what they would.
    h.event(egui::Event::ModifiersChanged(Modifiers::SHIFT));
    for k in 1..=8 {
        h.hover_at(handle + egui::vec2(5.0 * k as f32, 0.0));
        h.step();
    }
    h.event(egui::Event::ModifiersChanged(Modifiers::NONE));
    h.drop_at(handle + egui::vec2(40.0, 0.0));
    settle(&mut h);
    let moved = value(&h) - before;
    let coarse = 40.0 / f64::from(track.width()) * 10.0;
    assert!(
        moved > 0.0 && moved <= 1.01 * FINE_FACTOR * coarse,
        "moved {moved} for 40 px (coarse would be {coarse})"
    );
    assert!(moved > 0.5 * FINE_FACTOR * coarse, "moved {moved}");
}

#[test]
fn the_box_holds_every_digit_while_edited_and_the_label_says_what_it_enters() {
    let mut h = explorer();
    let exact = value(&h);
    let name = format!("{NAME} value");
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, &name)
            .value()
            .as_deref(),
        Some("1.6451")
    );
    h.get_by_role_and_label(Role::TextInput, &name).focus();
    h.step();
    h.step();
    let edited = h
        .get_by_role_and_label(Role::TextInput, &name)
        .value()
        .unwrap();
    assert_eq!(edited.parse::<f64>().unwrap(), exact, "{edited}");
    // A typed value with four decimals lands exactly (a bifurcation point at -0.1186).
    h.get_by_role_and_label(Role::TextInput, &name)
        .type_text("-0.1186");
    h.step();
    h.key_press(Key::Enter);
    settle(&mut h);
    assert_eq!(value(&h), -0.1186);
    h.get_by_role_and_label(Role::Label, NAME).hover();
    h.run_steps(60);
    h.get_by_label_contains("the coupling S~_21 = sum_p alpha_p Sigma_p[n2,m1]");
}
