//! A layout for teaching and research (issue 10, part 4): the phase plane gets the space and
//! nothing clips or grows; panels collapse; the legend hides, moves and shows each entry's real
//! key; toasts never move the layout; selecting a point keeps the diagram and shows its
//! eigenvalues; trajectories have their own look; labels are whole and plurals right.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{fixture, harness, opened, settle, sized};
use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use lowrank_explorer::app::Explorer;
use lowrank_explorer::app::actions::Action;
use lowrank_explorer::app::document::Selection;
use lowrank_explorer::app::settings::LegendPlacement;
use lowrank_explorer::scene::legend::{Key, entries};
use lowrank_explorer::scene::style::{self, Glyph, Stroke};

/// Fraction of the window the phase plane's plot (with its axes) takes.
fn plot_share(h: &egui_kittest::Harness<'_, Explorer>, size: egui::Vec2) -> f32 {
    h.state().plot_rect().unwrap().area() / (size.x * size.y)
}

/// The largest right edge of any widget: nothing may stick out of the window.
fn rightmost(h: &egui_kittest::Harness<'_, Explorer>) -> (f32, String) {
    h.query_all_by_label_contains("")
        .map(|n| {
            let label = n.accesskit_node().label().unwrap_or_default();
            (n.rect().right(), label)
        })
        .fold((0.0, String::new()), |a, b| if b.0 > a.0 { b } else { a })
}

#[test]
fn the_phase_plane_gets_the_space_and_nothing_sticks_out_or_grows() {
    for (w, h_, share) in [
        (1280.0, 800.0, 0.5),
        (1024.0, 768.0, 0.4),
        (900.0, 600.0, 0.25),
    ] {
        let size = egui::vec2(w, h_);
        let mut h = sized(Explorer::new(), size);
        settle(&mut h);
        let first = h.state().plot_rect().unwrap();
        h.run_steps(20);
        assert_eq!(
            h.state().plot_rect().unwrap(),
            first,
            "the layout moved at {size:?}"
        );
        assert!(
            plot_share(&h, size) >= share,
            "the plot takes {:.2} of {size:?}",
            plot_share(&h, size)
        );
        let (right, what) = rightmost(&h);
        assert!(right <= w + 1.0, "{what:?} ends at x = {right} of {w}");
        assert!(first.right() <= w && first.bottom() <= h_);
    }
}

#[test]
fn side_panels_collapse_and_give_their_room_to_the_plot() {
    let size = egui::vec2(1024.0, 768.0);
    let mut h = sized(Explorer::new(), size);
    settle(&mut h);
    let with = h.state().plot_rect().unwrap().width();
    h.get_by_role_and_label(Role::Button, "controls").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "analysis").click();
    settle(&mut h);
    assert!(!h.state().settings.panels.controls && !h.state().settings.panels.analysis);
    assert!(h.state().plot_rect().unwrap().width() > with + 400.0);
    assert!(h.query_by_label("Bifurcation").is_none());
}

#[test]
fn the_legend_is_the_figures_with_real_keys_and_sits_where_the_user_puts_it() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let legend = h.state().legend().to_vec();
    assert_eq!(legend, entries(&h.state().doc.scene().unwrap()));
    // Each row's key is what it stands for, in a fixed order.
    let keys: Vec<&Key> = legend.iter().map(|e| &e.key).collect();
    let glyph = |g: Glyph| {
        keys.iter()
            .position(|k| matches!(k, Key::Glyph(x, _) if *x == g))
    };
    let (stable, saddle) = (glyph(Glyph::Stable).unwrap(), glyph(Glyph::Saddle).unwrap());
    assert!(stable < saddle);
    assert!(matches!(keys[0], Key::Line(s) if s.colour == style::NULLCLINE_1));
    assert!(
        keys.iter()
            .any(|k| matches!(k, Key::Line(s) if s.stroke == Stroke::Dashed))
    );
    assert!(matches!(keys.last(), Some(Key::Speed { max, .. }) if *max > 0.0));
    let frame = h.state().plot_frame().unwrap();
    let row = |h: &egui_kittest::Harness<'_, Explorer>| {
        h.query_by_role_and_label(Role::Label, "saddle")
            .map(|n| n.rect())
    };
    assert!(
        frame.contains_rect(row(&h).unwrap()),
        "a corner of the plot"
    );

    for (placement, check) in [
        (LegendPlacement::Outside, "outside"),
        (LegendPlacement::BottomLeft, "bottom left"),
        (LegendPlacement::Hidden, "hidden"),
    ] {
        h.state_mut().settings.legend = placement;
        settle(&mut h);
        let frame = h.state().plot_frame().unwrap();
        match (check, row(&h)) {
            ("outside", Some(r)) => assert!(r.left() > frame.right(), "{r:?}"),
            ("bottom left", Some(r)) => {
                assert!(frame.contains_rect(r) && r.center().x < frame.center().x);
                assert!(r.center().y > frame.center().y);
            }
            ("hidden", None) => {}
            (c, r) => panic!("{c}: {r:?}"),
        }
    }
}

#[test]
fn toasts_float_over_the_plot_and_expire() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let before = h.state().plot_rect().unwrap();
    let c = egui::Context::default();
    h.state_mut().act(Action::Warn("a test warning".into()), &c);
    h.run();
    h.get_by_label("a test warning");
    assert_eq!(
        h.state().plot_rect().unwrap(),
        before,
        "a toast moved the layout"
    );
    // Warnings stay 20 s: 25 s of frames later it is gone.
    h.run_steps((25.0 / app_support::STEP) as usize);
    assert!(h.query_by_label("a test warning").is_none());
}

#[test]
fn selecting_a_point_keeps_the_diagram_and_shows_its_eigenvalues_at_once() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let diagram = h.state().diagram_rect().unwrap();
    let memory = h
        .state()
        .doc
        .results
        .landscape
        .as_ref()
        .unwrap()
        .fixed_points[0]
        .kappa
        .clone();
    h.state_mut().doc.view.selection = Some(Selection {
        point: [memory[0], memory[1]],
        fixed_point: true,
    });
    settle(&mut h);
    assert_eq!(
        h.state().diagram_rect().unwrap(),
        diagram,
        "the diagram moved"
    );
    assert!(diagram.height() > 300.0, "{diagram:?}");
    let eig = h.get_by_label_contains("eigenvalues λ =").rect();
    assert!(
        eig.bottom() < 800.0 - 30.0 && eig.top() > diagram.bottom(),
        "eigenvalues at {eig:?}, below the diagram {diagram:?} and above the status bar"
    );
    h.get_by_label_contains("Fixed point: ");
}

#[test]
fn click_trajectories_have_their_colour_and_arrows_and_network_trials_are_dots() {
    let mut h = opened(&fixture("lowrank_n64_r2.pt"));
    let frame = h.state().plot_frame().unwrap();
    let at = frame.center() + egui::vec2(-50.0, 40.0);
    h.hover_at(at);
    h.run();
    h.drag_at(at);
    h.run();
    h.drop_at(at);
    settle(&mut h);
    let scene = h.state().doc.scene().unwrap();
    let user = scene.overlays.last().unwrap();
    assert_eq!(user.style.colour, style::USER_TRAJECTORY);
    assert!(user.style.arrows);
    assert!(
        scene
            .overlays
            .iter()
            .all(|o| o.style.colour != style::USER_TRAJECTORY || o.style.arrows)
    );
    let dots = scene
        .overlays
        .iter()
        .filter(|o| matches!(o.style.stroke, Stroke::Markers { .. }))
        .count();
    assert_eq!(dots, 4, "the full network's trials are dots over the lines");
    h.get_by_role_and_label(Role::Label, "trajectory (click)");

    // Playing a trial brings it forward.
    let width = |h: &egui_kittest::Harness<'_, Explorer>, k: usize| {
        h.state().doc.scene().unwrap().overlays[k].style.width
    };
    let (played, other) = (width(&h, 2), width(&h, 0));
    h.get_by_role_and_label(Role::Button, "play").click();
    h.step();
    h.step();
    assert!(width(&h, 2) > played && width(&h, 0) < other);
}

#[test]
fn labels_are_whole_and_plurals_right() {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    h.get_by_label_contains("3 branches · 2 folds · 0 branch points · 1 Hopf/NS/flip point");
    h.state_mut().doc.edits.bifurcation.range = [0.5, 1.0];
    settle(&mut h);
    h.get_by_label_contains("1 branch · 0 folds · 0 branch points · 0 Hopf/NS/flip points");
    h.get_by_role_and_label(Role::RadioButton, "A").click();
    settle(&mut h);
    h.get_by_label_contains("1 fixed point (0 stable) · stable limit cycle");
}

#[test]
fn eigenvectors_of_saddles_and_nodes_are_shown_and_can_be_hidden() {
    // Issue 13, section 4: drawn as pplane does, with their legend rows; the Show toggle hides
    // both.
    let mut h = harness(Explorer::new());
    settle(&mut h);
    assert!(h.state().doc.view.layers.eigenvectors);
    h.get_by_label("unstable eigenvector");
    h.get_by_label("stable eigenvector");
    h.get_by_label("eigenvectors").scroll_to_me();
    h.run();
    h.get_by_label("eigenvectors").click();
    settle(&mut h);
    assert!(!h.state().doc.view.layers.eigenvectors);
    assert!(h.query_by_label("stable eigenvector").is_none());
}
