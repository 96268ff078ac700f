//! The views: plain structs with a `ui(&mut self, ui, &mut Params, &Results, &mut Vec<Action>)`
//! method, one file each. They draw what the worker computed and edit [`Params`]; anything that
//! touches more than the parameters (files, undo, warnings) goes back to the app as an [`Action`].

pub mod bifurcation;
pub mod controls;
pub mod loadings;
pub mod phase_plane;
pub mod readouts;
pub mod time_series;
pub mod trials;
pub mod widgets;

use std::path::PathBuf;

use eframe::egui::Color32;

use crate::analysis::linalg::Complex;
use crate::app::fitting::{FinetuneRequest, FitRequest};
use crate::reduced::TimeModel;
use crate::style::Rgb;

/// Something a view asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Show a warning (bad input, a refused edit, a failed file).
    Warn(String),
    Open(PathBuf),
    LoadPreset(&'static str),
    SaveSession(PathBuf),
    ExportPng(PathBuf),
    ExportSvg(PathBuf),
    ExportCsv(PathBuf),
    /// Write the population model (a fitted or edited one) as JSON.
    SaveModel(PathBuf),
    Undo,
    Redo,
    Reset,
    /// Fit populations to the loaded network's loadings (MODEL.md 5).
    Fit(FitRequest),
    /// Fine-tune the population model's covariances on DMS (MODEL.md 5).
    Finetune(FinetuneRequest),
    /// Stop the running fit or fine-tuning.
    CancelJob,
    /// Draw a network from the population model and open it.
    Resample {
        neurons: usize,
        seed: u64,
    },
    /// Write the loaded network (on its SVD axes) as JSON.
    SaveNetwork(PathBuf),
}

/// An sRGB triple of [`crate::style`] as an egui colour.
pub fn color(rgb: Rgb) -> Color32 {
    Color32::from_rgb(rgb[0], rgb[1], rgb[2])
}

/// "ODE" or "map (α = 0.2)": every view states which reading of the dynamics it shows.
pub fn time_model_label(tm: TimeModel) -> String {
    match tm {
        TimeModel::Ode => "ODE".to_string(),
        TimeModel::Map { alpha } => format!("map (α = {alpha})"),
    }
}

/// One eigenvalue as `a ± bi` or `a`.
pub fn format_complex(z: Complex, decimals: usize) -> String {
    if z[1].abs() < 0.5 * 10f64.powi(-(decimals as i32)) {
        format!("{:.decimals$}", z[0])
    } else {
        let sign = if z[1] < 0.0 { '−' } else { '+' };
        format!("{:.decimals$} {sign} {:.decimals$}i", z[0], z[1].abs())
    }
}

/// Eigenvalues as a list, a complex pair written once with `±`.
pub fn format_eigenvalues(values: &[Complex], decimals: usize) -> String {
    match values {
        [a, b] if a[1] != 0.0 && a[0] == b[0] && a[1] == -b[1] => {
            format!("{:.decimals$} ± {:.decimals$}i", a[0], a[1].abs())
        }
        _ => values
            .iter()
            .map(|z| format_complex(*z, decimals))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A point of the plane as `(x, y)`.
pub fn format_point(p: &[f64], decimals: usize) -> String {
    let parts: Vec<String> = p.iter().map(|x| format!("{x:.decimals$}")).collect();
    format!("({})", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvalues_are_written_as_a_physicist_would() {
        assert_eq!(
            format_eigenvalues(&[[0.1, 0.5], [0.1, -0.5]], 2),
            "0.10 ± 0.50i"
        );
        assert_eq!(
            format_eigenvalues(&[[0.714, 0.0], [0.418, 0.0]], 3),
            "0.714, 0.418"
        );
        assert_eq!(format_complex([1.0, -2.0], 1), "1.0 − 2.0i");
        assert_eq!(time_model_label(TimeModel::TRAINED_MAP), "map (α = 0.2)");
        assert_eq!(format_point(&[0.5, -1.0], 2), "(0.50, -1.00)");
    }
}
