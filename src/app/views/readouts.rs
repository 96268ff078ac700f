//! Readouts at the selected point: first what it is and its eigenvalues (visible without
//! scrolling), then the effective connectivity `S~` written out as on the poster, the gains, the
//! poster's `S~ - Id` and the exact Jacobian.

use eframe::egui::{self, Grid, RichText, Ui};
use nalgebra::DMatrix;

use crate::analysis::fixed_points::map_multipliers;
use crate::app::compute::Readout;
use crate::app::document::Document;
use crate::app::toasts::WARN;
use crate::app::views::{format_eigenvalues, format_point};
use crate::reduced::{EffectiveConnectivity, TimeModel};

/// Decimals of the poster's breakdown (`S~_21 = 1.00 x 0.91 + (-1.00) x 0.12 = 0.79`).
const POSTER_DECIMALS: usize = 2;

/// The readouts panel.
#[derive(Default)]
pub struct Readouts;

impl Readouts {
    pub fn ui(&mut self, ui: &mut Ui, doc: &mut Document) {
        let (Some(r), Some(_)) = (doc.results.readout.clone(), doc.view.selection) else {
            ui.heading("Readouts");
            ui.label("Click a fixed point or any point of the plane.");
            return;
        };
        let tm = doc
            .results
            .landscape
            .as_ref()
            .map_or(doc.edits.time_model, |l| l.time_model);
        ui.horizontal_wrapped(|ui| {
            ui.heading("Readouts");
            if ui.small_button("clear").clicked() {
                doc.view.selection = None;
            }
        });
        point_header(ui, &r, tm);
        match &r.connectivity {
            Some(c) => connectivity(ui, c),
            None => {
                ui.label(
                    RichText::new(
                        "Exact reduction of a network: no populations, so no S~ breakdown. \
                         A population model (fitted or loaded) gives one.",
                    )
                    .weak(),
                );
            }
        }
        jacobian(ui, &r);
    }
}

/// What the point is, where, and its eigenvalues (and multipliers for the map).
fn point_header(ui: &mut Ui, r: &Readout, tm: TimeModel) {
    match &r.fixed_point {
        Some(fp) => {
            let stability = if fp.stable { "stable" } else { "unstable" };
            ui.label(
                RichText::new(format!(
                    "Fixed point: {} ({stability} for the {})",
                    fp.kind.name(),
                    tm.label()
                ))
                .strong(),
            );
        }
        None if r.lost_fixed_point => {
            ui.label(
                RichText::new("The selected fixed point vanished; showing its last position.")
                    .color(WARN),
            );
        }
        None => {
            ui.label(RichText::new("Clicked point").strong());
        }
    }
    ui.monospace(format!("κ = {}", format_point(&r.point, 4)));
    match &r.eigenvalues {
        Some(ev) => {
            ui.monospace(format!("eigenvalues λ = {}", format_eigenvalues(ev, 4)));
            if let TimeModel::Map { alpha } = tm {
                ui.monospace(format!(
                    "multipliers 1 + αλ = {}",
                    format_eigenvalues(&map_multipliers(ev, alpha), 4)
                ));
            }
        }
        None => {
            ui.label(RichText::new("eigenvalues undefined (non-finite Jacobian)").color(WARN));
        }
    }
    ui.monospace(format!("F(κ) = {}", format_point(&r.flow, 4)));
}

/// `S~` entry by entry as the poster writes it, then the gains and the poster's Jacobian.
fn connectivity(ui: &mut Ui, c: &EffectiveConnectivity) {
    ui.separator();
    ui.label(RichText::new("Effective connectivity S~ = Σ_p α_p σ_p <φ'>_p").strong())
        .on_hover_text("S~_rl = Σ_p (α_p Σ_p[n_r, m_l]) <φ'>_p: each term is (population share of the overlap) x (its gain). Row = n, column = m (MODEL.md 4).");
    for row in 0..c.rank {
        for col in 0..c.rank {
            ui.monospace(c.explain(row, col, POSTER_DECIMALS));
        }
    }
    // For rank 1 the input couplings are the story (a context input changes which sensory
    // input drives kappa): open.
    egui::CollapsingHeader::new("input columns S~_r,I")
        .id_salt("input_columns")
        .default_open(c.rank == 1)
        .show(ui, |ui| {
            for row in 0..c.rank {
                for col in c.rank..c.rank + c.inputs {
                    ui.monospace(c.explain(row, col, POSTER_DECIMALS));
                }
            }
        });
    ui.label(RichText::new("Gains").strong());
    for (p, share) in c.populations.iter().enumerate() {
        let how = if share.clamped {
            "clamped".to_string()
        } else {
            format!("Δ = {:.3}", share.variance)
        };
        ui.monospace(format!("<φ'>_{} = {:.3}   ({how})", p + 1, share.gain));
    }
    ui.label(RichText::new("Poster's Jacobian S~ − Id").strong())
        .on_hover_text("Ignores how the gains change with κ: equals the exact Jacobian only where cov(n, x) = 0, e.g. at the origin without input (MODEL.md 4).");
    matrix(ui, "poster_jacobian", &c.poster_jacobian);
}

/// The exact Jacobian.
fn jacobian(ui: &mut Ui, r: &Readout) {
    ui.label(RichText::new("Exact Jacobian ∂F/∂κ").strong())
        .on_hover_text("Includes the gains' dependence on κ; its eigenvalues are the ones above.");
    matrix(
        ui,
        "exact_jacobian",
        &DMatrix::from_row_slice(2, 2, &r.jacobian),
    );
}

fn matrix(ui: &mut Ui, id: &str, m: &DMatrix<f64>) {
    Grid::new(id).spacing([14.0, 2.0]).show(ui, |ui| {
        for row in m.row_iter() {
            for x in row.iter() {
                ui.monospace(format!("{x:>8.4}"));
            }
            ui.end_row();
        }
    });
}
