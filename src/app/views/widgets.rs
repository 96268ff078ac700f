//! Small widgets shared by the views.

use std::ops::RangeInclusive;

use eframe::egui::{self, Slider, SliderClamping, TextEdit, Ui};

/// What the user did with a [`value_slider`].
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    None,
    /// A new value, from the slider or a typed, finite number.
    Set(f64),
    /// Typed text that is not a finite number (nothing was changed).
    Invalid(String),
}

/// Width of the label column, so the sliders of a group line up.
const LABEL_WIDTH: f32 = 92.0;
/// Width of the typed-value box.
const BOX_WIDTH: f32 = 58.0;

/// A labelled slider with a typed-value box beside it.
///
/// The slider (accessible name `label`) moves within `range`; the box (accessible name
/// `"{label} value"`) takes any finite number, also outside `range`, committed on Enter or when
/// it loses focus. The caller applies the value, so the model's own checks decide what is
/// accepted.
pub fn value_slider(
    ui: &mut Ui,
    label: &str,
    value: f64,
    range: RangeInclusive<f64>,
    decimals: usize,
) -> Edit {
    let mut edit = Edit::None;
    ui.horizontal(|ui| {
        let text = ui.add_sized(
            [LABEL_WIDTH, ui.spacing().interact_size.y],
            egui::Label::new(label).truncate(),
        );
        text.on_hover_text(label);
        let box_space = BOX_WIDTH + ui.spacing().item_spacing.x;
        ui.spacing_mut().slider_width = (ui.available_width() - box_space - 4.0).max(40.0);
        let mut x = value;
        let slider = ui
            .add(
                Slider::new(&mut x, range)
                    .show_value(false)
                    .clamping(SliderClamping::Edits),
            )
            .accessible_name(label);
        if slider.changed() && x != value {
            edit = Edit::Set(x);
        }
        let boxed = typed_box(ui, &format!("{label} value"), value, decimals, BOX_WIDTH);
        if boxed != Edit::None {
            edit = boxed;
        }
    });
    edit
}

/// A typed-value box (accessible name `name`): shows `value` until focused, then the user's
/// text, parsed when committed (Enter or focus lost).
pub fn typed_box(ui: &mut Ui, name: &str, value: f64, decimals: usize, width: f32) -> Edit {
    let id = ui.scope_id().with(("typed", name));
    let shown = format!("{value:.decimals$}");
    let mut text: String = ui
        .data_mut(|d| d.get_temp(id))
        .unwrap_or_else(|| shown.clone());
    let response = ui
        .add(TextEdit::singleline(&mut text).desired_width(width))
        .accessible_name(name);
    if response.has_focus() {
        ui.data_mut(|d| d.insert_temp(id, text));
        return Edit::None;
    }
    ui.data_mut(|d| d.remove::<String>(id));
    if response.lost_focus() && text.trim() != shown {
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
    fn only_finite_numbers_are_accepted() {
        assert_eq!(parse_value(" 0.25 "), Edit::Set(0.25));
        assert_eq!(parse_value("-1e3"), Edit::Set(-1000.0));
        for bad in ["NaN", "nan", "inf", "-inf", "", "abc", "1,5"] {
            assert!(matches!(parse_value(bad), Edit::Invalid(_)), "{bad}");
        }
    }
}
