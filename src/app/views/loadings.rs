//! The loadings scatter: one point per neuron of the loaded network, at two of its loadings
//! `(m, n, I, w)` on the SVD axes (MODEL.md 4-5), coloured by the population a fit assigned it to.
//! This is the picture the populations are read from: two clouds with different covariances.

use eframe::egui::{self, Color32, Ui};
use egui_plot::{Legend, Plot, PlotPoints, Points};

use crate::app::document::Document;
use crate::app::fitting::FittedNetwork;
use crate::app::views::color;
use crate::fit::model_dims;
use crate::model::NetworkModel;
use crate::reduced::Loading;
use crate::scene::style;

/// Colours of the populations (the trials' palette, then grey).
fn population_colour(p: usize) -> Color32 {
    color(style::TRIALS[p % style::TRIALS.len()])
}

/// The scatter window's axes (UI state only).
pub struct LoadingsView {
    /// Columns of the loadings matrix on the x and y axes.
    axes: [usize; 2],
}

impl Default for LoadingsView {
    /// `n₁` against `m₁`: the memory loop's overlap, split by population in the papers' networks.
    fn default() -> Self {
        LoadingsView { axes: [0, 2] }
    }
}

impl LoadingsView {
    /// Shows the window while `doc.view.loadings` is on and the document is a network.
    pub fn show(&mut self, ctx: &egui::Context, doc: &mut Document) {
        let model = doc.model().clone();
        let Some(net) = model.network() else {
            return;
        };
        if !doc.view.loadings {
            return;
        }
        let mut open = true;
        let fit = doc.fit.clone();
        egui::Window::new("Loadings")
            .open(&mut open)
            // Over the phase plane, clear of the controls it is opened from.
            .default_pos([440.0, 130.0])
            .default_size([420.0, 420.0])
            .show(ctx, |ui| self.ui(ui, net, fit.as_deref()));
        doc.view.loadings = open;
    }

    fn ui(&mut self, ui: &mut Ui, net: &NetworkModel, fit: Option<&FittedNetwork>) {
        let dims = model_dims(&net.network);
        let loadings = net.loadings();
        let count = loadings.ncols();
        if count == 0 {
            ui.label("This network's loadings could not be formed.");
            return;
        }
        let names: Vec<String> = (0..count)
            .map(|i| Loading::from_index(i, &dims).to_string())
            .collect();
        for a in &mut self.axes {
            *a = (*a).min(count - 1);
        }
        ui.horizontal(|ui| {
            for (k, axis) in ["x", "y"].iter().enumerate() {
                egui::ComboBox::from_label(*axis)
                    .selected_text(&names[self.axes[k]])
                    .show_ui(ui, |ui| {
                        for (i, name) in names.iter().enumerate() {
                            ui.selectable_value(&mut self.axes[k], i, name);
                        }
                    });
            }
        });
        let labels = fit.map(|f| (&f.report.labels, f.report.populations.len()));
        let [x, y] = self.axes;
        let point = |i: usize| [loadings[(i, x)], loadings[(i, y)]];
        let neurons = loadings.nrows();
        ui.label(match labels {
            Some(_) => {
                "Each neuron at two of its loadings, coloured by its most likely population."
            }
            None => {
                "Each neuron at two of its loadings. “Fit populations” colours them by population."
            }
        });
        Plot::new("loadings_plot")
            .data_aspect(1.0)
            .x_axis_label(&names[x])
            .y_axis_label(&names[y])
            .legend(Legend::default())
            .show(ui, |pui| match labels {
                Some((labels, populations)) => {
                    for p in 0..populations {
                        let pts: Vec<[f64; 2]> = (0..neurons)
                            .filter(|&i| labels.get(i) == Some(&p))
                            .map(point)
                            .collect();
                        let name = format!("pop {} ({} neurons)", p + 1, pts.len());
                        pui.points(
                            Points::new(name, PlotPoints::from(pts))
                                .radius(1.8)
                                .color(population_colour(p)),
                        );
                    }
                }
                None => {
                    let pts: Vec<[f64; 2]> = (0..neurons).map(point).collect();
                    pui.points(
                        Points::new(format!("{neurons} neurons"), PlotPoints::from(pts))
                            .radius(1.8)
                            .color(Color32::from_gray(90)),
                    );
                }
            });
    }
}
