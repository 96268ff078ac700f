//! Exports of what the phase plane shows: SVG and PNG (the [`render`] module's figure of the
//! document's [`Scene`], the same scene the view draws: axes, legend, title), and CSV (every
//! fixed point of the search box, and the trajectories shown). Every file is written atomically.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::analysis::landscape::Landscape;
use crate::app::compute::UserTrajectory;
use crate::io::write_atomic;
use crate::model::TrialSet;
use crate::network::ALPHA;
use crate::render;
use crate::scene::Scene;

/// Size of an exported SVG, in pixels (user units).
pub const SVG_SIZE: (u32, u32) = (1000, 750);
/// Size of an exported PNG, in pixels: print resolution for a column-wide figure.
pub const PNG_SIZE: (u32, u32) = (2000, 1500);

/// Writes the scene as SVG or PNG (by `path`'s extension; anything but `.png` is SVG).
pub fn write_figure(scene: &Scene, path: &Path) -> Result<(), String> {
    let png = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    let bytes = if png {
        render::png(scene, PNG_SIZE)
    } else {
        render::svg(scene, SVG_SIZE).map(String::into_bytes)
    }
    .map_err(|e| e.to_string())?;
    write_atomic(path, &bytes).map_err(|e| e.to_string())
}

/// The fixed points as CSV: position, type, stability, eigenvalues, residual.
pub fn fixed_points_csv(land: &Landscape) -> String {
    let mut s = String::from(
        "kappa1,kappa2,type,stable,lambda1_re,lambda1_im,lambda2_re,lambda2_im,residual\n",
    );
    for f in &land.fixed_points {
        let ev = |i: usize, j: usize| f.eigenvalues.get(i).map_or(f64::NAN, |z| z[j]);
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{:e}",
            f.kappa[0],
            f.kappa[1],
            f.kind.name(),
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
    let reading = land.map_or_else(String::new, |l| l.time_model.label());
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
        let reduced = format!("reduced {}", set.time_model.label());
        let network = format!("network alpha {}", set.network_alpha.unwrap_or(ALPHA));
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
                let step = set.network_alpha.unwrap_or(ALPHA);
                for (t, p) in net.kappa.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "{},{network},{t},{},{},{}",
                        run.trial.name,
                        t as f64 * step,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::landscape::{LandscapeRequest, analyze_fast};
    use crate::model::Model;
    use crate::reduced::TimeModel;

    #[test]
    fn csv_lists_every_fixed_point_and_the_files_are_written() {
        let model = Model::preset("dms_mixture_2pop").unwrap();
        let axes = model.default_plane().unwrap();
        let land = analyze_fast(
            &model.plane(&axes).unwrap(),
            &LandscapeRequest::new(model.search_box(&axes), vec![0.0, 0.0], TimeModel::Ode),
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
}
