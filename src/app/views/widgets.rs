//! Small widgets shared by the views: a research slider ([`param_slider`]: relative drag with a
//! fine mode, an editable range, a box with enough digits to reproduce a value) and the typed
//! value box.

use std::collections::BTreeMap;

use eframe::egui::{self, Sense, TextEdit, Ui, accesskit};

/// What the user did with a [`param_slider`] or a [`typed_box`].
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    None,
    /// A new value, from the slider or a typed, finite number.
    Set(f64),
    /// Typed text that is not a finite number (nothing was changed).
    Invalid(String),
}

/// Decimals a value box shows at most: enough to reproduce the values the analysis reports (a
/// bifurcation point at `-0.1186`); large values show six significant digits instead. While the
/// box is being edited it holds the full value.
pub const DECIMALS: usize = 4;

/// A value as its box shows it: [`DECIMALS`] decimals, fewer from 10 up (six significant digits).
pub fn shown_value(x: f64) -> String {
    let magnitude = if x != 0.0 && x.is_finite() {
        x.abs().log10().floor() as i32
    } else {
        0
    };
    let decimals = (5 - magnitude).clamp(0, DECIMALS as i32) as usize;
    format!("{x:.decimals$}")
}
/// Width of the typed-value box.
const BOX_WIDTH: f32 = 68.0;
/// Smallest label column, so the sliders of a group line up; longer labels take what they need.
const LABEL_WIDTH: f32 = 88.0;
/// The narrowest useful track, and the range button's width.
const MIN_TRACK: f32 = 50.0;
const BUTTON_WIDTH: f32 = 24.0;
/// Holding Shift while dragging moves the value this much slower.
pub const FINE_FACTOR: f64 = 0.1;
/// Keyboard steps per range (arrow keys; with Shift, ten times finer).
const KEY_STEPS: f64 = 100.0;

/// A slider's description.
pub struct SliderSpec<'a> {
    /// The parameter's name: the label, the accessible name and the key of its range.
    pub label: &'a str,
    pub value: f64,
    /// The range it starts with (the model's suggestion).
    pub default_range: [f64; 2],
    /// The values the parameter can take at all (the range editor stays inside).
    pub domain: (f64, f64),
    /// What the parameter enters (the tooltip).
    pub role: &'a str,
}

/// A labelled slider with a typed-value box and a range editor.
///
/// The slider (accessible name `label`) moves relative to the pointer (pressing the handle never
/// moves the value; a click elsewhere on the track jumps there); Shift while dragging is fine
/// mode ([`FINE_FACTOR`]). The box (`"{label} value"`) takes any finite number, also outside the
/// range. The range (`"{label} range"` button) is kept in `ranges` by label. The caller applies
/// the value, so the model's own checks decide what is accepted.
pub fn param_slider(
    ui: &mut Ui,
    spec: &SliderSpec<'_>,
    ranges: &mut BTreeMap<String, [f64; 2]>,
) -> Edit {
    let range = ranges
        .get(spec.label)
        .copied()
        .unwrap_or(spec.default_range);
    let mut edit = Edit::None;
    let font = egui::TextStyle::Body.resolve(ui.style());
    let label_width = ui
        .painter()
        .layout_no_wrap(spec.label.to_string(), font, egui::Color32::BLACK)
        .size()
        .x
        .max(LABEL_WIDTH);
    let spacing = ui.spacing().item_spacing.x;
    let controls = MIN_TRACK + BOX_WIDTH + BUTTON_WIDTH + 3.0 * spacing;
    // The label beside the controls when the panel has the room, above them when not: a name
    // is never cut and the controls never overlap it.
    let beside = ui.available_width() >= label_width + spacing + controls;
    let label = egui::Label::new(spec.label)
        .selectable(false)
        .extend()
        .sense(Sense::hover());
    if beside {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(
                egui::vec2(label_width, ui.spacing().interact_size.y),
                Sense::hover(),
            );
            ui.put(rect, label).on_hover_text(spec.role);
            edit = controls_row(ui, spec, range, ranges);
        });
    } else {
        ui.add(label).on_hover_text(spec.role);
        ui.horizontal(|ui| edit = controls_row(ui, spec, range, ranges));
    }
    edit
}

/// Right to left in what the row has left: the range button and the box take their width, the
/// track the rest, so the row never needs more than the panel has.
fn controls_row(
    ui: &mut Ui,
    spec: &SliderSpec<'_>,
    range: [f64; 2],
    ranges: &mut BTreeMap<String, [f64; 2]>,
) -> Edit {
    let rest = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    let layout = egui::Layout::right_to_left(egui::Align::Center);
    ui.allocate_ui_with_layout(rest, layout, |ui| {
        range_button(ui, spec, range, ranges);
        let boxed = typed_box(ui, &format!("{} value", spec.label), spec.value, BOX_WIDTH);
        let width = ui.available_width().max(MIN_TRACK);
        match track(ui, spec.label, spec.value, range, width) {
            _ if boxed != Edit::None => boxed,
            Some(x) if x != spec.value => Edit::Set(x),
            _ => Edit::None,
        }
    })
    .inner
}

/// The slider track: returns a new value when the user moved it.
fn track(ui: &mut Ui, label: &str, value: f64, range: [f64; 2], width: f32) -> Option<f64> {
    let [lo, hi] = range;
    let span = hi - lo;
    let height = ui.spacing().interact_size.y;
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(width, height), Sense::click_and_drag());
    let response = response
        .on_hover_text(format!(
            "{label}: drag to move (Shift: fine, ×{FINE_FACTOR}), click the track to jump, arrow keys to step; range [{lo}, {hi}]"
        ))
        .accessible_name(label);
    let fraction = |x: f64| {
        if span > 0.0 {
            ((x - lo) / span).clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    let to_x = |x: f64| rect.left() + fraction(x) as f32 * rect.width();
    let handle = to_x(value);
    let mut new = None;
    if response.dragged() {
        let fine = ui.input(|i| i.modifiers.shift);
        let dx = f64::from(response.drag_delta().x);
        if dx != 0.0 && rect.width() > 0.0 {
            let factor = if fine { FINE_FACTOR } else { 1.0 };
            let start = if value.is_finite() {
                value.clamp(lo, hi)
            } else {
                lo
            };
            new = Some((start + dx / f64::from(rect.width()) * span * factor).clamp(lo, hi));
        }
    } else if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
        && (p.x - handle).abs() > handle_radius(rect)
    {
        new = Some(lo + f64::from((p.x - rect.left()) / rect.width()).clamp(0.0, 1.0) * span);
    }
    if response.has_focus() {
        let steps = ui.input(|i| {
            i.num_presses(egui::Key::ArrowRight) as f64 - i.num_presses(egui::Key::ArrowLeft) as f64
        });
        if steps != 0.0 {
            let fine = ui.input(|i| i.modifiers.shift);
            let step = span / KEY_STEPS * if fine { FINE_FACTOR } else { 1.0 };
            new = Some((value + steps * step).clamp(lo, hi));
        }
    }
    let requested = ui.input(|i| {
        i.accesskit_action_requests(response.id, accesskit::Action::SetValue)
            .filter_map(|r| match r.data {
                Some(accesskit::ActionData::NumericValue(x)) => Some(x),
                _ => None,
            })
            .last()
    });
    if let Some(x) = requested {
        new = Some(if x.is_nan() { lo } else { x.clamp(lo, hi) });
    }
    let shown = new.unwrap_or(value);
    response.widget_info(|| egui::WidgetInfo::slider(ui.is_enabled(), shown, label));
    ui.ctx().accesskit_node_builder(response.id, |b| {
        b.set_min_numeric_value(lo);
        b.set_max_numeric_value(hi);
        b.add_action(accesskit::Action::SetValue);
    });
    paint_track(ui, rect, &response, to_x(shown));
    new
}

fn handle_radius(rect: egui::Rect) -> f32 {
    0.45 * rect.height()
}

/// The rail, the filled part up to the handle, and the handle.
fn paint_track(ui: &Ui, rect: egui::Rect, response: &egui::Response, handle_x: f32) {
    if !ui.is_rect_visible(rect) {
        return;
    }
    let visuals = ui.style().interact(response);
    let painter = ui.painter();
    let rail = egui::Rect::from_center_size(rect.center(), egui::vec2(rect.width(), 4.0));
    painter.rect_filled(rail, 2.0, ui.visuals().widgets.inactive.bg_fill);
    let fill = egui::Rect::from_min_max(rail.min, egui::pos2(handle_x, rail.max.y));
    painter.rect_filled(fill, 2.0, ui.visuals().selection.bg_fill);
    let centre = egui::pos2(handle_x, rect.center().y);
    let r = handle_radius(rect);
    painter.circle(centre, r, visuals.bg_fill, visuals.fg_stroke);
}

/// The range editor: a small button with a popup of two boxes and a reset.
fn range_button(
    ui: &mut Ui,
    spec: &SliderSpec<'_>,
    range: [f64; 2],
    ranges: &mut BTreeMap<String, [f64; 2]>,
) {
    let name = format!("{} range", spec.label);
    let button = ui
        .add(egui::Button::new("…").small())
        .on_hover_text(format!(
            "Range of the slider: [{}, {}]. Click to edit it.",
            range[0], range[1]
        ))
        .accessible_name(name.clone());
    egui::Popup::menu(&button)
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
        .show(|ui| {
            ui.label(egui::RichText::new(format!("Range of {}", spec.label)).strong());
            let mut r = range;
            let mut note = None;
            ui.horizontal(|ui| {
                for (i, end) in ["from", "to"].into_iter().enumerate() {
                    ui.label(end);
                    match typed_box(ui, &format!("{name} {end}"), r[i], BOX_WIDTH) {
                        Edit::Set(x) => r[i] = x.clamp(spec.domain.0, spec.domain.1),
                        Edit::Invalid(t) => note = Some(format!("“{t}” is not a finite number")),
                        Edit::None => {}
                    }
                }
            });
            if r != range {
                if r[0] < r[1] {
                    ranges.insert(spec.label.to_string(), r);
                } else {
                    note = Some("the start must be below the end".to_string());
                }
            }
            if let Some(n) = note {
                ui.label(egui::RichText::new(n).color(crate::app::toasts::WARN));
            }
            if ui.button("reset range").clicked() {
                ranges.remove(spec.label);
            }
        });
}

/// A typed-value box (accessible name `name`): shows `value` as [`shown_value`] until focused,
/// then the full value to edit; parsed when committed (Enter or focus lost).
pub fn typed_box(ui: &mut Ui, name: &str, value: f64, width: f32) -> Edit {
    let id = ui.scope_id().with(("typed", name));
    let shown = shown_value(value);
    let stored: Option<String> = ui.data_mut(|d| d.get_temp(id));
    let mut text = stored.clone().unwrap_or_else(|| shown.clone());
    let edit_id = id.with("edit");
    let response = ui
        .add(
            TextEdit::singleline(&mut text)
                .id(edit_id)
                .desired_width(width),
        )
        .accessible_name(name);
    if response.gained_focus() && stored.is_none() {
        // The full value, all of it selected: typing replaces it, the arrow keys edit the exact
        // number.
        text = format!("{value}");
        if let Some(mut state) = TextEdit::load_state(ui.ctx(), edit_id) {
            let all = egui::text::CCursorRange::two(
                egui::text::CCursor::new(0),
                egui::text::CCursor::new(text.chars().count()),
            );
            state.cursor.set_char_range(Some(all));
            state.store(ui.ctx(), edit_id);
        }
    }
    if response.has_focus() {
        ui.data_mut(|d| d.insert_temp(id, text));
        return Edit::None;
    }
    ui.data_mut(|d| d.remove::<String>(id));
    let untouched = text.trim() == shown || text.trim() == format!("{value}");
    if response.lost_focus() && !untouched {
        return parse_value(&text);
    }
    Edit::None
}

/// A typed number: finite values only (`NaN`, `inf` and garbage are refused).
pub fn parse_value(text: &str) -> Edit {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Edit::Set(x),
        _ => Edit::Invalid(text.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_show_enough_digits_to_reproduce_a_bifurcation_point() {
        assert_eq!(shown_value(-0.1186), "-0.1186");
        assert_eq!(shown_value(1.645067430659261), "1.6451");
        assert_eq!(shown_value(-2.0), "-2.0000");
        assert_eq!(shown_value(1000.0), "1000.00");
        assert_eq!(shown_value(123456.0), "123456");
        assert_eq!(shown_value(0.0), "0.0000");
    }

    #[test]
    fn only_finite_numbers_are_accepted() {
        assert_eq!(parse_value(" 0.25 "), Edit::Set(0.25));
        assert_eq!(parse_value("-1e3"), Edit::Set(-1000.0));
        for bad in ["NaN", "nan", "inf", "-inf", "", "abc", "1,5"] {
            assert!(matches!(parse_value(bad), Edit::Invalid(_)), "{bad}");
        }
    }
}
