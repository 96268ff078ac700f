//! State that belongs to one model (issue 10, part 3): undo history, fits, trials and the
//! bifurcation parameter never cross from one model to the next; only model edits are undo steps
//! and one drag is one step; drawn networks and sessions reopen as they were, in the background;
//! dead jobs are reported; closing never waits for the worker.

#![cfg(feature = "gui")]

mod app_support;

use lowrank_explorer::reduced::plane::PlaneAxes;
use std::time::{Duration, Instant};

use app_support::{Scratch, fixture, harness, opened, settle};
use eframe::egui::accesskit::Role;
use eframe::egui::{self, Key, Modifiers};
use egui_kittest::kittest::Queryable;
use lowrank_explorer::analysis::Rect;
use lowrank_explorer::app::Explorer;
use lowrank_explorer::app::actions::Action;
use lowrank_explorer::app::document::{Document, Selection, Source};
use lowrank_explorer::model::{NetworkSource, ParamSpec};
use lowrank_explorer::network::{Network, NetworkParts};
use lowrank_explorer::reduced::TimeModel;
use nalgebra::{DMatrix, DVector};

/// A network of rank `rank` with `inputs` input channels, written as JSON.
fn network_file(path: &std::path::Path, rank: usize, inputs: usize) {
    let n = 60;
    let mut state = 7u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    let mut matrix = |rows, cols, scale: f64| DMatrix::from_fn(rows, cols, |_, _| scale * next());
    let parts = NetworkParts {
        wi: matrix(inputs, n, 1.0),
        si: DVector::from_element(inputs, 1.0),
        m: matrix(n, rank, 1.5),
        n: matrix(n, rank, 1.5),
        wo: matrix(n, 1, 1.0),
        so: DVector::from_element(1, 1.0),
        h0: DVector::zeros(n),
        b: None,
    };
    lowrank_explorer::io::save_network_json(&Network::new(parts).unwrap(), path).unwrap();
}

fn ctx() -> egui::Context {
    egui::Context::default()
}

#[test]
fn undo_history_trajectories_and_readouts_belong_to_their_model() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    h.get_by_role_and_label(Role::Slider, "p1.cov(n2,m1)")
        .set_value_accesskit(-1.0);
    h.run();
    let plot = h.state().plot_rect().unwrap();
    h.hover_at(plot.center() + egui::vec2(40.0, 30.0));
    h.run();
    h.drag_at(plot.center() + egui::vec2(40.0, 30.0));
    h.run();
    h.drop_at(plot.center() + egui::vec2(40.0, 30.0));
    settle(&mut h);
    assert!(h.state().doc.has_undo());
    assert!(
        !h.state().doc.view.starts.is_empty(),
        "the click ran a trajectory"
    );
    assert!(h.state().doc.view.selection.is_some());

    h.state_mut().open_now(&fixture("lowrank_n64_r2.pt"));
    settle(&mut h);
    let before = h.state().doc.edits.clone();
    assert!(!h.state().doc.has_undo(), "the new model has no history");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    let doc = &h.state().doc;
    assert!(matches!(doc.source, Source::Network { .. }));
    assert_eq!(doc.edits, before, "Ctrl+Z did not reach the previous model");
    assert!(doc.view.starts.is_empty() && doc.view.selection.is_none());
    assert!(doc.results.trajectories.is_empty() && doc.results.readout.is_none());
    assert!(doc.fit.is_none() && doc.results.overlay.is_none());
}

#[test]
fn pan_zoom_selection_and_playback_are_not_undo_steps_and_a_drag_is_one() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    {
        let view = &mut h.state_mut().doc.view;
        view.rect = Some(Rect::new(-0.3, 0.3, -0.3, 0.3));
        view.selection = Some(Selection {
            point: [0.1, 0.1],
            fixed_point: false,
        });
        view.scrub.step = 40;
        view.scrub.follow = true;
    }
    settle(&mut h);
    assert!(!h.state().doc.has_undo(), "view changes became undo steps");
    h.state_mut().doc.view.scrub.follow = false;
    settle(&mut h);

    // The map's step slider, dragged with the pointer over many frames: one step.
    h.get_by_role_and_label(Role::RadioButton, "Euler map")
        .click();
    settle(&mut h);
    assert_eq!(h.state().doc.edits.time_model, TimeModel::TRAINED_MAP);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(h.state().doc.edits.time_model, TimeModel::Ode);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    settle(&mut h);
    assert_eq!(h.state().doc.edits.time_model, TimeModel::TRAINED_MAP);
    let slider = h.get_by_role_and_label(Role::Slider, "map α").rect();
    let start = egui::pos2(slider.left() + 0.2 * slider.width(), slider.center().y);
    h.hover_at(start);
    h.run();
    h.drag_at(start);
    h.step();
    for k in 1..=12 {
        h.hover_at(start + egui::vec2(4.0 * k as f32, 0.0));
        h.step();
    }
    h.drop_at(start + egui::vec2(48.0, 0.0));
    settle(&mut h);
    let TimeModel::Map { alpha } = h.state().doc.edits.time_model else {
        panic!("the map");
    };
    assert!(alpha > 0.25, "the drag moved alpha to {alpha}");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(
        h.state().doc.edits.time_model,
        TimeModel::TRAINED_MAP,
        "one undo takes the whole drag back"
    );
}

#[test]
fn a_fit_belongs_to_its_network_and_a_late_one_is_dropped() {
    let mut h = harness(Explorer::new());
    h.state_mut().open_now(&fixture("lowrank_n64_r2.pt"));
    settle(&mut h);
    h.get_by_label("Fit populations").click();
    // Another network opens before the fit is back: the fit must not land on it.
    h.step();
    assert!(!h.state().settled(), "the fit runs");
    h.state_mut()
        .open_now(&std::path::PathBuf::from("builtin:dms_rank2_n512"));
    settle(&mut h);
    let doc = &h.state().doc;
    assert!(doc.fit.is_none(), "a fit of another network");
    assert!(!doc.view.overlay_mean_field);
    assert_eq!(
        doc.edits.population_label,
        "DMS network, 2-population mixture"
    );
}

#[test]
fn the_bifurcation_parameter_is_reset_to_one_the_new_model_has() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let p: ParamSpec = "p2.cov(n1,m2)".parse().unwrap();
    h.state_mut().doc.edits.bifurcation.parameter = p.clone();
    h.state_mut().doc.edits.bifurcation.range = [-1.0, 1.0];
    settle(&mut h);
    let out = h.state().doc.results.bifurcation.clone().unwrap();
    assert_eq!(out.key.parameter, p);
    h.state_mut().open_now(&fixture("lowrank_n64_r2.pt"));
    settle(&mut h);
    let b = &h.state().doc.edits.bifurcation;
    assert_eq!(b.parameter, ParamSpec::Input("A".into()));
    assert_eq!(b.range, [0.0, 1.5]);
    assert!(
        h.state()
            .doc
            .results
            .bifurcation
            .as_ref()
            .unwrap()
            .diagram
            .is_ok()
    );
}

#[test]
fn a_model_without_dms_inputs_shows_no_trials() {
    let dir = Scratch::new("one-input");
    let path = dir.path("one.json");
    network_file(&path, 2, 1);
    let mut h = harness(Explorer::new());
    settle(&mut h);
    assert!(h.state().doc.results.trials.is_some());
    h.state_mut().open_now(&path);
    settle(&mut h);
    let doc = &h.state().doc;
    assert_eq!(doc.model().dims().inputs, 1);
    assert!(doc.results.trials.is_none(), "trials of the previous model");
    let scene = doc.scene().unwrap();
    assert!(scene.overlays.is_empty(), "trial overlays drawn");
    assert!(h.query_by_label("DMS trials").is_none());
}

#[test]
fn a_rank_1_network_opens_on_its_input_plane_with_its_phase_line_and_trials() {
    let dir = Scratch::new("rank-1");
    let path = dir.path("r1.json");
    network_file(&path, 1, 2);
    let mut h = harness(Explorer::new());
    settle(&mut h);
    h.state_mut().open_now(&path);
    h.state_mut().doc.view.selection = Some(Selection {
        point: [0.1, 0.1],
        fixed_point: false,
    });
    settle(&mut h);
    let doc = &h.state().doc;
    assert_eq!(doc.plane(), PlaneAxes::Input { channel: 0 });
    let r = &doc.results;
    let land = r.landscape.as_ref().unwrap();
    assert!(land.error.is_none(), "{:?}", land.error);
    assert!(!land.fixed_points.is_empty());
    let line = land.phase_line.as_ref().expect("a phase line");
    assert_eq!(line.fixed_points.len(), land.fixed_points.len());
    assert!(r.readout.is_some(), "readouts on the plane");
    assert!(r.bifurcation.as_ref().unwrap().diagram.is_ok());
    assert_eq!(r.trials.as_ref().unwrap().runs.len(), 4, "its trials run");
    let scene = doc.scene().unwrap();
    assert_eq!(scene.axes, ["v(A)".to_string(), "κ".to_string()]);
    assert!(
        !scene.overlays.is_empty(),
        "its trials are drawn on (v_A, κ)"
    );
    h.get_by_label("Phase line");
    // The channel of v is a choice: v(B).
    h.get_by_label("v(B)").click();
    settle(&mut h);
    assert_eq!(h.state().doc.plane(), PlaneAxes::Input { channel: 1 });
    let land = h.state().doc.results.landscape.clone().unwrap();
    assert!(
        land.fixed_points.iter().all(|f| f.kappa[0].abs() < 1e-9),
        "v_B = u_B = 0"
    );
}

#[test]
fn a_rank_3_model_opens_on_a_slice_that_a_fixed_point_button_moves() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let doc = lowrank_explorer::app::document::Document::preset("dms_mixture_rank3").unwrap();
    h.state_mut().open_document(doc);
    settle(&mut h);
    let land = h.state().doc.results.landscape.clone().unwrap();
    assert_eq!(land.fixed_points.len(), 5);
    assert!(land.notes[0].contains("slice"));
    h.get_by_label("slice at κ₃ = 0");
    h.get_by_label("fp 5").click();
    settle(&mut h);
    let PlaneAxes::Latent { held, .. } = h.state().doc.plane() else {
        panic!("a latent slice");
    };
    let memory = land.fixed_points[4].latent.clone().unwrap();
    assert_eq!(held, memory);
}

#[test]
fn a_drawn_network_is_a_source_that_a_session_reopens_in_the_background() {
    let dir = Scratch::new("drawn");
    let session = dir.path("drawn.json");
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let c = ctx();
    h.state_mut().act(
        Action::Resample {
            neurons: 300,
            seed: 5,
        },
        &c,
    );
    assert!(!h.state().settled(), "drawing runs in the background");
    settle(&mut h);
    let Source::Network {
        network: NetworkSource::Drawn { neurons, seed, .. },
    } = h.state().doc.source.clone()
    else {
        panic!("a drawn network: {:?}", h.state().doc.source);
    };
    assert_eq!((neurons, seed), (300, 5));
    let m = h.state().doc.model().network().unwrap().network.m().clone();
    h.state_mut().act(Action::SaveSession(session.clone()), &c);

    let mut h = harness(Explorer::new());
    settle(&mut h);
    let before = h.state().doc.id;
    h.state_mut().act(Action::Open(session.clone()), &c);
    // The session (and its network, drawn again) loads off the UI thread.
    assert_eq!(h.state().doc.id, before);
    assert!(!h.state().settled());
    settle(&mut h);
    let doc = &h.state().doc;
    assert_ne!(doc.id, before);
    assert_eq!(doc.model().network().unwrap().network.m(), &m);
    assert!(h.state().settings.recent.contains(&session));
}

#[test]
fn a_load_whose_thread_died_is_reported_as_failed() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let c = ctx();
    h.state_mut()
        .load_in_background("a broken file".into(), &c, || {
            panic!("deliberate test panic")
        });
    settle(&mut h);
    assert!(
        h.state()
            .notices()
            .iter()
            .any(|n| n.warning && n.text.contains("opening a broken file failed")),
        "{:?}",
        h.state().notices()
    );
    assert_eq!(h.state().doc.title(), Document::default().title());
}

#[test]
fn closing_the_window_does_not_wait_for_the_analysis() {
    let mut app = Explorer::new();
    app.open_now(&std::path::PathBuf::from("builtin:dms_mixture_n4096"));
    let mut h = harness(app);
    // One frame sends the request; the worker is then deep in the N = 4096 stages.
    h.step();
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    drop(h);
    let waited = t.elapsed();
    assert!(
        waited < Duration::from_millis(300),
        "closing took {waited:?}"
    );
}

#[test]
fn the_network_trials_run_at_the_maps_step_and_the_panel_says_when_it_is_not_the_trained_one() {
    let mut h = opened(&fixture("lowrank_n64_r2.pt"));
    assert_eq!(
        h.state().doc.results.trials.as_ref().unwrap().network_alpha,
        Some(0.2)
    );
    assert!(
        h.query_by_label_contains("not the trained network")
            .is_none()
    );
    h.get_by_role_and_label(Role::Slider, "map α")
        .set_value_accesskit(0.1);
    settle(&mut h);
    let set = h.state().doc.results.trials.clone().unwrap();
    assert_eq!(set.network_alpha, Some(0.1));
    for run in &set.runs {
        let net = run.network.as_ref().unwrap();
        let worst = net
            .kappa
            .iter()
            .zip(&run.reduced.kappa)
            .map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs()))
            .fold(0.0, f64::max);
        assert!(worst < 1e-9, "{}: {worst:e}", run.trial.name);
    }
    h.get_by_label_contains("not the trained network's own dynamics");
}
