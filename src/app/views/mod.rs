//! The views: plain structs with a `ui(&mut self, ui, &mut Document, ...)` method, one file each.
//! They draw what the worker computed and edit the [`Document`](crate::app::document::Document);
//! anything that touches more than the document (files, jobs, warnings) goes back to the app as
//! an [`Action`](crate::app::actions::Action).

pub mod bifurcation;
pub mod controls;
pub mod legend;
pub mod loadings;
pub mod phase_line;
pub mod phase_plane;
pub mod readouts;
pub mod time_series;
pub mod trials;
pub mod two_parameter;
pub mod widgets;

use eframe::egui::Color32;

use crate::analysis::linalg::Complex;
use crate::scene::style::Rgb;

/// An sRGB triple of [`crate::scene::style`] as an egui colour.
pub fn color(rgb: Rgb) -> Color32 {
    Color32::from_rgb(rgb[0], rgb[1], rgb[2])
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
        assert_eq!(format_point(&[0.5, -1.0], 2), "(0.50, -1.00)");
    }
}
