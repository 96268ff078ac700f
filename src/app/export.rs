//! Exports of what the phase plane shows: PNG (the plot's pixels), CSV (trajectories and fixed
//! points) and SVG (vector, through the `render` module). Every file is written atomically.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use eframe::egui::{self, ColorImage};

use crate::analysis::landscape::Landscape;
use crate::app::compute::{TrialSet, UserTrajectory};
use crate::app::views::time_model_label;
use crate::io::write_atomic;
use crate::network::ALPHA;
use crate::render::{
    self,
    figure::{Figure, Overlay},
};
use crate::style;

/// The fixed points as CSV: position, type, stability, eigenvalues, residual.
pub fn fixed_points_csv(land: &Landscape) -> String {
    let mut s = String::from(
        "kappa1,kappa2,type,stable,lambda1_re,lambda1_im,lambda2_re,lambda2_im,residual\n",
    );
    for f in &land.fixed_points {
        let kind = serde_json::to_value(f.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let ev = |i: usize, j: usize| f.eigenvalues.get(i).map_or(f64::NAN, |z| z[j]);
        let _ = writeln!(
            s,
            "{},{},{kind},{},{},{},{},{},{:e}",
            f.kappa[0],
            f.kappa[1],
            f.stable,
            ev(0, 0),
            ev(0, 1),
            ev(1, 0),
            ev(1, 1),
            f.residual
        );
    }
    s
}

/// Every trajectory shown, one row per state: click-to-run trajectories and the shown trials
/// (reduced and, for a network, projected full-network). Time in units of tau.
pub fn trajectories_csv(
    land: Option<&Landscape>,
    user: &[UserTrajectory],
    trials: Option<&TrialSet>,
    shown: &[bool; 4],
) -> String {
    let mut s = String::from("curve,source,index,t_tau,kappa1,kappa2\n");
    let reading = land.map_or_else(String::new, |l| time_model_label(l.time_model));
    for (k, u) in user.iter().enumerate() {
        let dir = if u.start.backward {
            "backward"
        } else {
            "forward"
        };
        for i in 0..u.path.len() {
            let y = u.path.state(i);
            let _ = writeln!(
                s,
                "click {},{dir} {reading},{i},{},{},{}",
                k + 1,
                u.path.t[i],
                y[0],
                y[1]
            );
        }
    }
    if let Some(set) = trials {
        let reduced = format!("reduced {}", time_model_label(set.time_model));
        for (k, run) in set.runs.iter().enumerate() {
            if !shown.get(k).copied().unwrap_or(false) {
                continue;
            }
            for (t, p) in run.reduced.kappa.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "{},{reduced},{t},{},{},{}",
                    run.trial.name,
                    t as f64 * ALPHA,
                    p[0],
                    p[1]
                );
            }
            if let Some(net) = &run.network {
                for (t, p) in net.kappa.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "{},network,{t},{},{},{}",
                        run.trial.name,
                        t as f64 * ALPHA,
                        p[0],
                        p[1]
                    );
                }
            }
        }
    }
    s
}

/// `dir/stem_suffix.csv` next to the user's `path`.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!("{stem}_{suffix}.csv"))
}

/// Writes the two CSV files for `path` (`<stem>_trajectories.csv`, `<stem>_fixed_points.csv`);
/// returns their paths.
pub fn write_csv(
    path: &Path,
    land: Option<&Landscape>,
    user: &[UserTrajectory],
    trials: Option<&TrialSet>,
    shown: &[bool; 4],
) -> Result<Vec<PathBuf>, String> {
    let traj = sibling(path, "trajectories");
    write_atomic(
        &traj,
        trajectories_csv(land, user, trials, shown).as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    let mut written = vec![traj];
    if let Some(l) = land {
        let fps = sibling(path, "fixed_points");
        write_atomic(&fps, fixed_points_csv(l).as_bytes()).map_err(|e| e.to_string())?;
        written.push(fps);
    }
    Ok(written)
}

/// The pixels of `rect` (points) of a screenshot, as PNG bytes.
pub fn png_of_region(
    image: &ColorImage,
    rect: egui::Rect,
    pixels_per_point: f32,
) -> Result<Vec<u8>, String> {
    let region = image.region(&rect, Some(pixels_per_point));
    let [w, h] = region.size;
    let bytes: Vec<u8> = region.pixels.iter().flat_map(|c| c.to_array()).collect();
    let img = image::RgbaImage::from_raw(w as u32, h as u32, bytes)
        .ok_or_else(|| "the screenshot region is empty".to_string())?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| format!("PNG encoding failed: {e}"))?;
    Ok(out.into_inner())
}

/// Writes the plot region of a screenshot as a PNG, atomically.
pub fn write_png(
    image: &ColorImage,
    rect: egui::Rect,
    pixels_per_point: f32,
    path: &Path,
) -> Result<(), String> {
    let bytes = png_of_region(image, rect, pixels_per_point)?;
    write_atomic(path, &bytes).map_err(|e| e.to_string())
}

/// The phase plane as a vector figure (the `render` module's SVG, the drawing the `render` command
/// makes), with the shown DMS trials and the click trajectories drawn over it, written atomically.
pub fn write_svg(figure: &SvgFigure<'_>, path: &Path) -> Result<(), String> {
    let svg = render::svg(&figure.build(), SVG_SIZE).map_err(|e| e.to_string())?;
    write_atomic(path, svg.as_bytes()).map_err(|e| e.to_string())
}

/// The mean field's nullclines (in the nullclines' colours) and cycles (grey), dashed.
fn mean_field_overlays(mf: &Landscape) -> Vec<Overlay> {
    let colours = [style::NULLCLINE_1, style::NULLCLINE_2];
    let nullclines = mf
        .nullclines
        .curves
        .iter()
        .zip(colours)
        .flat_map(|(curves, colour)| {
            curves.iter().map(move |c| {
                let mut points = c.points.clone();
                if c.closed {
                    points.extend(c.points.first().copied());
                }
                Overlay {
                    label: "mean field: nullclines".into(),
                    colour,
                    points,
                    dashed: true,
                }
            })
        });
    let cycles = mf.cycles.iter().map(|c| {
        let mut points: Vec<[f64; 2]> = c.points.iter().map(|p| [p[0], p[1]]).collect();
        points.extend(points.first().copied());
        Overlay {
            label: "mean field: cycles".into(),
            colour: style::SEPARATRIX,
            points,
            dashed: true,
        }
    });
    nullclines.chain(cycles).collect()
}

/// Size of the exported SVG, in pixels (user units).
const SVG_SIZE: (u32, u32) = (1000, 750);

/// What the exported figure holds.
pub struct SvgFigure<'a> {
    pub landscape: &'a Landscape,
    pub title: String,
    pub input_names: Vec<String>,
    pub user: &'a [UserTrajectory],
    pub trials: Option<&'a TrialSet>,
    pub shown: &'a [bool; 4],
    /// A population model's mean-field landscape drawn over a network's (dashed, as in the app).
    pub mean_field: Option<&'a Landscape>,
}

impl SvgFigure<'_> {
    /// The render figure: reduced trials solid, projected network trials dashed (as in the app),
    /// click trajectories in their own colour.
    fn build(&self) -> Figure {
        let mut overlays = Vec::new();
        if let Some(set) = self.trials {
            for (k, run) in set.runs.iter().enumerate() {
                if !self.shown.get(k).copied().unwrap_or(false) {
                    continue;
                }
                let colour = style::TRIALS[k % style::TRIALS.len()];
                overlays.push(Overlay {
                    label: format!("{} reduced", run.trial.name),
                    colour,
                    points: run.reduced.kappa.iter().map(|p| [p[0], p[1]]).collect(),
                    dashed: false,
                });
                if let Some(net) = &run.network {
                    overlays.push(Overlay {
                        label: format!("{} network", run.trial.name),
                        colour,
                        points: net.kappa.clone(),
                        dashed: true,
                    });
                }
            }
        }
        for (k, u) in self.user.iter().enumerate() {
            overlays.push(Overlay {
                label: format!("trajectory {}", k + 1),
                colour: style::USER_TRAJECTORY,
                points: (0..u.path.len())
                    .map(|i| {
                        let y = u.path.state(i);
                        [y[0], y[1]]
                    })
                    .collect(),
                dashed: false,
            });
        }
        if let Some(mf) = self.mean_field {
            overlays.extend(mean_field_overlays(mf));
        }
        Figure {
            landscape: self.landscape.clone(),
            title: self.title.clone(),
            input_names: self.input_names.clone(),
            overlays,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::landscape::{LandscapeRequest, analyze_fast};
    use crate::app::params::DEFAULT_VIEW;
    use crate::reduced::{MeanField, TimeModel, presets};

    #[test]
    fn svg_export_is_the_render_figure_of_the_landscape() {
        let model = presets::get("dms_mixture_2pop").unwrap().model;
        let land = analyze_fast(
            &MeanField::new(&model),
            &LandscapeRequest::new(DEFAULT_VIEW, vec![0.0, 0.0], TimeModel::Ode),
        );
        let dir = std::env::temp_dir().join(format!("lre-svg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("plane.svg");
        let figure = SvgFigure {
            landscape: &land,
            title: "DMS mixture".into(),
            input_names: vec!["A".into(), "B".into()],
            user: &[],
            trials: None,
            shown: &[true; 4],
            mean_field: None,
        };
        write_svg(&figure, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg") || svg.contains("<svg"));
        assert!(svg.contains("DMS mixture") && svg.contains("ODE"));
        let [r, g, b] = crate::style::NULLCLINE_1;
        assert!(
            svg.to_uppercase()
                .contains(&format!("#{r:02X}{g:02X}{b:02X}")),
            "nullcline colour"
        );
        assert!(write_svg(&figure, &dir.join("missing/plane.svg")).is_err());
        assert!(!svg.contains("mean field"));

        // A mean field over it: its nullclines and its cycle, dashed, named in the legend.
        let with_cycle = crate::analysis::landscape::analyze(
            &MeanField::new(&model),
            &LandscapeRequest::new(DEFAULT_VIEW, vec![1.0, 0.0], TimeModel::Ode),
        );
        assert_eq!(with_cycle.cycles.len(), 1);
        let overlays = mean_field_overlays(&with_cycle);
        let curves: usize = with_cycle.nullclines.curves.iter().map(Vec::len).sum();
        assert_eq!(overlays.len(), curves + 1);
        assert!(overlays.iter().all(|o| o.dashed));
        let cycle = overlays.last().unwrap();
        assert_eq!(cycle.points.first(), cycle.points.last(), "closed");
        let figure = SvgFigure {
            mean_field: Some(&with_cycle),
            ..figure
        };
        write_svg(&figure, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("mean field: nullclines") && svg.contains("mean field: cycles"));
    }

    #[test]
    fn csv_lists_every_fixed_point_and_the_files_are_written() {
        let model = presets::get("dms_mixture_2pop").unwrap().model;
        let land = analyze_fast(
            &MeanField::new(&model),
            &LandscapeRequest::new(DEFAULT_VIEW, vec![0.0, 0.0], TimeModel::Ode),
        );
        let csv = fixed_points_csv(&land);
        assert_eq!(csv.lines().count(), 1 + 5);
        assert!(csv.contains(",saddle,false,"));
        let dir = std::env::temp_dir().join(format!("lre-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let written = write_csv(&dir.join("fig.png"), Some(&land), &[], None, &[true; 4]).unwrap();
        assert_eq!(written.len(), 2);
        assert!(written[0].ends_with("fig_trajectories.csv"));
        assert!(
            std::fs::read_to_string(&written[1])
                .unwrap()
                .starts_with("kappa1,")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn png_region_is_cropped() {
        let image = ColorImage::filled([40, 30], egui::Color32::RED);
        let rect = egui::Rect::from_min_max(egui::pos2(5.0, 5.0), egui::pos2(15.0, 25.0));
        let png = png_of_region(&image, rect, 1.0).unwrap();
        let back = image::load_from_memory(&png).unwrap();
        assert_eq!((back.width(), back.height()), (10, 20));
    }
}
