//! Status messages as toasts: they float over the phase plane's corner (the layout never moves),
//! expire on their own (warnings later than confirmations), can be dismissed, and belong to one
//! document: opening another model drops those about the previous one.

use eframe::egui::{self, Color32, RichText};

/// Seconds a confirmation stays.
const INFO_SECONDS: f64 = 6.0;
/// Seconds a warning stays.
const WARNING_SECONDS: f64 = 20.0;
/// Toasts shown at once (older ones are dropped).
const MAX_TOASTS: usize = 4;
/// Width of a toast, points.
const WIDTH: f32 = 380.0;
/// Warning colour.
pub const WARN: Color32 = Color32::from_rgb(200, 80, 0);

/// One message.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub warning: bool,
    /// The document it is about.
    pub doc: u64,
    /// `egui` time it was posted (set when first shown).
    born: Option<f64>,
}

/// The messages on screen.
#[derive(Debug, Default)]
pub struct Toasts {
    items: Vec<Notice>,
}

impl Toasts {
    /// Posts a message about document `doc` (a repeat of the newest one is not posted again).
    pub fn post(&mut self, text: String, warning: bool, doc: u64) {
        if self.items.last().is_some_and(|n| n.text == text) {
            return;
        }
        self.items.push(Notice {
            text,
            warning,
            doc,
            born: None,
        });
        if self.items.len() > MAX_TOASTS {
            self.items.remove(0);
        }
    }

    /// Drops every message that is not about document `doc`.
    pub fn keep_only(&mut self, doc: u64) {
        self.items.retain(|n| n.doc == doc);
    }

    pub fn items(&self) -> &[Notice] {
        &self.items
    }

    /// Draws the toasts stacked up from the bottom-right corner of `area`, and drops expired
    /// and dismissed ones.
    pub fn show(&mut self, ctx: &egui::Context, area: egui::Rect) {
        let now = ctx.input(|i| i.time);
        self.items.retain(|n| {
            let life = if n.warning {
                WARNING_SECONDS
            } else {
                INFO_SECONDS
            };
            n.born.is_none_or(|b| now - b < life)
        });
        if self.items.is_empty() {
            return;
        }
        let mut dismissed = None;
        let corner = area.right_bottom() - egui::vec2(12.0, 12.0);
        egui::Area::new(egui::Id::unique("toasts"))
            .order(egui::Order::Foreground)
            .pivot(egui::Align2::RIGHT_BOTTOM)
            .fixed_pos(corner)
            .interactable(true)
            .show(ctx, |ui| {
                ui.set_max_width(WIDTH.min(area.width() - 24.0).max(120.0));
                for (i, n) in self.items.iter_mut().enumerate() {
                    n.born.get_or_insert(now);
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.horizontal(|ui| {
                            if ui.small_button("×").on_hover_text("dismiss").clicked() {
                                dismissed = Some(i);
                            }
                            let text = RichText::new(&n.text);
                            ui.add(
                                egui::Label::new(if n.warning {
                                    text.color(WARN).strong()
                                } else {
                                    text
                                })
                                .wrap(),
                            );
                        });
                    });
                }
            });
        if let Some(i) = dismissed {
            self.items.remove(i);
        }
        // Expiry needs frames even when nothing else moves.
        ctx.request_repaint_after(std::time::Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toasts_belong_to_their_document_and_do_not_repeat() {
        let mut t = Toasts::default();
        t.post("opened a".into(), false, 1);
        t.post("opened a".into(), false, 1);
        t.post("fit of a".into(), true, 1);
        t.post("opened b".into(), false, 2);
        assert_eq!(t.items().len(), 3);
        t.keep_only(2);
        assert_eq!(t.items().len(), 1);
        assert_eq!(t.items()[0].text, "opened b");
        for k in 0..10 {
            t.post(format!("m{k}"), false, 2);
        }
        assert_eq!(t.items().len(), MAX_TOASTS);
    }
}
