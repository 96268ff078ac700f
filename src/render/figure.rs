//! What a figure shows: one [`Landscape`] and trajectories drawn over it, and the words of its
//! title (the time model and the input are always stated: MODEL.md 1 asks every view to say
//! which reading of the dynamics it shows).

use crate::analysis::landscape::Landscape;
use crate::reduced::TimeModel;
use crate::style::Rgb;

/// A phase-plane figure: plain data, so the app and the CLI build it the same way.
#[derive(Debug, Clone)]
pub struct Figure {
    pub landscape: Landscape,
    /// What is shown (a model's name); the time model and input are appended. May be empty.
    pub title: String,
    /// Names of the input channels (e.g. `A`, `B`), used to word the input in the title. Missing
    /// names are letters by position (channel 0 is `A`), the DMS convention.
    pub input_names: Vec<String>,
    /// Drawn over the landscape, in order, each with a legend entry (entries with the same label
    /// and look are listed once).
    pub overlays: Vec<Overlay>,
}

/// A trajectory drawn over the phase plane, e.g. one DMS trial projected on `kappa`.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    pub label: String,
    pub colour: Rgb,
    /// `(kappa_1, kappa_2)` points; a non-finite point breaks the line.
    pub points: Vec<[f64; 2]>,
    /// Dashed lines tell a second reading of the same trial (reduced vs network) apart.
    pub dashed: bool,
}

impl Figure {
    /// A figure of `landscape` with no name and no overlays.
    pub fn new(landscape: Landscape) -> Self {
        Figure {
            landscape,
            title: String::new(),
            input_names: Vec::new(),
            overlays: Vec::new(),
        }
    }

    /// The full title: `"<title> — <time model>, <input>"`.
    pub fn heading(&self) -> String {
        let what = format!(
            "{}, {}",
            time_model_text(self.landscape.time_model),
            input_text(&self.landscape.v, &self.input_names)
        );
        if self.title.is_empty() {
            what
        } else {
            format!("{} — {what}", self.title)
        }
    }
}

/// `"ODE"` or `"map, alpha = 0.2"` (spelt out: in the embedded font a small alpha reads as an `a`).
pub fn time_model_text(time_model: TimeModel) -> String {
    match time_model {
        TimeModel::Ode => "ODE".to_string(),
        TimeModel::Map { alpha } => format!("map, alpha = {}", number(alpha)),
    }
}

/// `"no input"`, `"input A"` (one channel at 1, the others at 0) or `"input v = (0.5, 0.2)"`.
pub fn input_text(v: &[f64], names: &[String]) -> String {
    let on: Vec<usize> = (0..v.len()).filter(|&s| v[s] != 0.0).collect();
    match on[..] {
        [] => "no input".to_string(),
        [s] if v[s] == 1.0 => format!("input {}", channel_name(names, s)),
        _ => {
            let values: Vec<String> = v.iter().map(|&x| number(x)).collect();
            format!("input v = ({})", values.join(", "))
        }
    }
}

/// The display name of input channel `s`: its given name, else a letter by position.
pub fn channel_name(names: &[String], s: usize) -> String {
    match names.get(s) {
        Some(name) => name.clone(),
        None if s < 26 => char::from(b'A' + s as u8).to_string(),
        None => format!("input {}", s + 1),
    }
}

/// A number for labels: at most 3 decimals, trailing zeros dropped, no `-0`.
pub fn number(x: f64) -> String {
    let text = format!("{x:.3}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["A".into(), "B".into()]
    }

    #[test]
    fn the_input_is_worded_by_channel_name_or_values() {
        assert_eq!(input_text(&[0.0, 0.0], &names()), "no input");
        assert_eq!(input_text(&[], &names()), "no input");
        assert_eq!(input_text(&[0.0, 1.0], &names()), "input B");
        assert_eq!(input_text(&[1.0, 0.0], &[]), "input A");
        assert_eq!(input_text(&[0.5, 0.0], &names()), "input v = (0.5, 0)");
        assert_eq!(input_text(&[1.0, 1.0], &names()), "input v = (1, 1)");
        assert_eq!(channel_name(&[], 30), "input 31");
    }

    #[test]
    fn numbers_are_short_and_never_negative_zero() {
        assert_eq!(number(0.2), "0.2");
        assert_eq!(number(-0.0001), "0");
        assert_eq!(number(12.0), "12");
        assert_eq!(number(-1.23456), "-1.235");
        assert_eq!(number(f64::NAN), "NaN");
    }

    #[test]
    fn the_heading_states_time_model_and_input() {
        let land = crate::analysis::landscape::analyze_fast(
            &crate::reduced::presets::get("dms_mixture_2pop")
                .map(|p| crate::reduced::MeanField::new(&p.model))
                .unwrap(),
            &crate::analysis::landscape::LandscapeRequest {
                field_grid: 2,
                nullcline_resolution: 8,
                ..crate::analysis::landscape::LandscapeRequest::new(
                    crate::analysis::Rect::new(-1.0, 1.0, -1.0, 1.0),
                    vec![1.0, 0.0],
                    TimeModel::TRAINED_MAP,
                )
            },
        );
        let mut fig = Figure::new(land);
        fig.input_names = names();
        assert_eq!(fig.heading(), "map, alpha = 0.2, input A");
        fig.title = "DMS".into();
        assert_eq!(fig.heading(), "DMS — map, alpha = 0.2, input A");
    }
}
