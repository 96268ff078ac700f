//! What pplane and XPPAUT users have (issue 13, section 4): the time plot of a clicked
//! trajectory, with how long it runs settable, and the flow field as directions, scaled arrows
//! or speed shading at a settable density.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{click_at, harness, settle};
use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use lowrank_explorer::app::Explorer;
use lowrank_explorer::app::document::SeriesShows;
use lowrank_explorer::scene::FieldMode;
use lowrank_explorer::scene::legend::{Key, entries};

/// Times of the upward crossings of `x(t)` through `level`, linearly interpolated.
fn upward_crossings(series: &[[f64; 2]], level: f64) -> Vec<f64> {
    series
        .windows(2)
        .filter(|w| w[0][1] < level && w[1][1] >= level)
        .map(|w| w[0][0] + (level - w[0][1]) / (w[1][1] - w[0][1]) * (w[1][0] - w[0][0]))
        .collect()
}

#[test]
fn a_clicked_trajectory_has_its_time_plot_and_runs_as_long_as_asked() {
    let mut h = harness(Explorer::new());
    h.state_mut().settings.panels.series = Some(true);
    // Laid out with the series panel open before the click, which would otherwise land where
    // the radio button was a frame earlier.
    settle(&mut h);
    h.get_by_role_and_label(Role::RadioButton, "A").click();
    settle(&mut h);
    assert_eq!(h.state().doc.input(), [1.0, 0.0]);
    let period = app_support::landscape(&h).cycles[0].period_tau;
    let frame = h.state().plot_frame().unwrap();
    click_at(&mut h, frame.center() + egui::vec2(30.0, 20.0));
    settle(&mut h);
    assert_eq!(h.state().doc.view.series, SeriesShows::Trajectories);
    h.get_by_label("run for");
    h.get_by_role_and_label(Role::RadioButton, "clicked trajectories");
    let paths = h.state().doc.results.trajectories.clone();
    assert_eq!(paths.len(), 1);
    assert!((paths[0].path.last_time() - 40.0).abs() < 1e-9);

    // Longer: the trajectory is run again, and on the stable cycle its kappa_1(t) repeats with
    // the cycle's period (found by the shooting method, independently of this integration).
    h.state_mut().doc.view.trajectory_tau = 150.0;
    settle(&mut h);
    let paths = h.state().doc.results.trajectories.clone();
    assert!((paths[0].path.last_time() - 150.0).abs() < 1e-9);
    let series = paths[0].series(0);
    let late: Vec<[f64; 2]> = series.iter().copied().filter(|p| p[0] > 80.0).collect();
    let mean = late.iter().map(|p| p[1]).sum::<f64>() / late.len() as f64;
    let ups = upward_crossings(&late, mean);
    assert!(ups.len() >= 4, "{} crossings", ups.len());
    let measured = (ups[ups.len() - 1] - ups[0]) / (ups.len() - 1) as f64;
    assert!(
        (measured / period - 1.0).abs() < 5e-3,
        "time plot period {measured} against the cycle's {period}"
    );

    // The trials are a switch away; clearing the trajectories returns to them.
    h.get_by_role_and_label(Role::RadioButton, "trials").click();
    h.run();
    assert_eq!(h.state().doc.view.series, SeriesShows::Trials);
    h.get_by_label("clear trajectories").click();
    settle(&mut h);
    assert!(h.state().doc.results.trajectories.is_empty());
    assert!(h.query_by_label("run for").is_none());
}

#[test]
fn the_field_is_drawn_as_the_user_chooses_at_the_density_asked() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let n = |h: &egui_kittest::Harness<'_, Explorer>| {
        h.state().doc.results.view.as_ref().unwrap().field.n
    };
    assert_eq!(n(&h), 32);
    h.state_mut().doc.view.field_density = 12;
    settle(&mut h);
    assert_eq!(n(&h), 12, "the worker samples the view at the new density");
    for mode in [FieldMode::Speed, FieldMode::Arrows] {
        h.state_mut().doc.view.layers.field_mode = mode;
        settle(&mut h);
        let scene = h.state().doc.scene().unwrap();
        let key = entries(&scene).into_iter().find_map(|e| match e.key {
            Key::Speed { mode, .. } => Some((mode, e.label)),
            _ => None,
        });
        let (shown, label) = key.expect("a speed key");
        assert_eq!(shown, mode);
        assert_eq!(
            label.contains(", log, "),
            mode == FieldMode::Speed,
            "{label}"
        );
        h.get_by_label(label.as_str());
    }
}
