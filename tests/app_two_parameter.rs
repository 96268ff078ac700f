//! The two-parameter diagram in the explorer (issue 13, sections 2 and 3): the mixture's plane of
//! input A against the coupling that sets S~_21 shows the region where the input-induced cycle
//! exists, bounded by the fold and Hopf curves the core computes; a click sets both parameters;
//! a third parameter's change recomputes it.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{click_at, harness, settle};
use eframe::egui;
use egui_kittest::kittest::Queryable;
use lowrank_explorer::analysis::continuation::SpecialKind;
use lowrank_explorer::app::Explorer;
use lowrank_explorer::app::document::InputMode;
use lowrank_explorer::model::ParamSpec;

fn two_parameter_harness() -> egui_kittest::Harness<'static, Explorer> {
    let mut h = harness(Explorer::new());
    settle(&mut h);
    h.get_by_label("2 parameters").click();
    settle(&mut h);
    h
}

#[test]
fn the_mixture_plane_has_its_fold_and_hopf_curves_and_the_cycle_region() {
    let h = two_parameter_harness();
    let r = &h.state().doc.results;
    assert!(r.bifurcation.is_none(), "one diagram at a time");
    let out = r.plane_diagram.as_ref().expect("a two-parameter diagram");
    let coupling: ParamSpec = "p1.cov(n2,m1)".parse().unwrap();
    assert_eq!(out.key.params, [ParamSpec::Input("A".into()), coupling]);
    let d = out.diagram.as_ref().unwrap();
    let of = |k: SpecialKind| d.curves.iter().filter(|c| c.kind == k).count();
    assert_eq!((of(SpecialKind::Fold), of(SpecialKind::Hopf)), (2, 1));
    // At the preset's coupling the curves cross at the one-parameter diagram's points: the folds
    // near A = 0.303 and 0.333 and the Hopf point at 1.4334.
    let model = h.state().doc.model().clone();
    let q0 = out.current.unwrap()[1];
    let at_q0 = |k: SpecialKind| -> Vec<f64> {
        d.curves
            .iter()
            .filter(|c| c.kind == k)
            .flat_map(|c| c.points.windows(2))
            .filter(|w| (w[0].q - q0) * (w[1].q - q0) <= 0.0 && w[0].q != w[1].q)
            .map(|w| w[0].p + (q0 - w[0].q) / (w[1].q - w[0].q) * (w[1].p - w[0].p))
            .collect()
    };
    let one = model
        .bifurcation(
            &out.key.params[0],
            out.key.ranges[0],
            &out.key.v,
            out.key.time_model,
            None,
        )
        .unwrap();
    for kind in [SpecialKind::Fold, SpecialKind::Hopf] {
        let crossings = at_q0(kind);
        for sp in one.special_points.iter().filter(|s| s.kind == kind) {
            assert!(
                crossings.iter().any(|p| (p - sp.p).abs() < 2e-3),
                "{kind:?} at {} not on the curves: {crossings:?}",
                sp.p
            );
        }
    }
    let regions = out.regions.as_ref().expect("regions").as_ref().unwrap();
    let names: Vec<&str> = regions.regions.iter().map(|g| g.name.as_str()).collect();
    for name in ["2 memories", "limit cycle"] {
        assert!(names.contains(&name), "{names:?}");
    }
    // The cycle region lies between the upper fold and the Hopf curve.
    let cycle = regions
        .regions
        .iter()
        .find(|g| g.name == "limit cycle")
        .unwrap();
    assert!(
        cycle.label_at[0] > 0.33 && cycle.label_at[0] < 1.45,
        "{cycle:?}"
    );
    h.get_by_label_contains("3 curves");
}

#[test]
fn a_click_sets_both_parameters_and_a_third_one_recomputes_the_plane() {
    let mut h = two_parameter_harness();
    let coupling: ParamSpec = "p1.cov(n2,m1)".parse().unwrap();
    let value = |h: &egui_kittest::Harness<'_, Explorer>| {
        let doc = &h.state().doc;
        let model = doc.model().clone();
        [
            model.parameter_value(
                &ParamSpec::Input("A".into()),
                &doc.input(),
                doc.edits.time_model,
            ),
            model.parameter_value(&coupling, &doc.input(), doc.edits.time_model),
        ]
        .map(Result::unwrap)
    };
    let before = value(&h);
    let rect = h.state().diagram_rect().unwrap();
    click_at(
        &mut h,
        egui::pos2(
            rect.left() + 0.6 * rect.width(),
            rect.top() + 0.7 * rect.height(),
        ),
    );
    settle(&mut h);
    assert_eq!(h.state().doc.edits.input.mode, InputMode::Custom);
    let after = value(&h);
    assert!(after[0] > 0.5 && after[0] < 1.2, "{before:?} -> {after:?}");
    assert!(
        after[1] < before[1],
        "lower in the plot: {before:?} -> {after:?}"
    );
    let out = h.state().doc.results.plane_diagram.clone().unwrap();
    assert_eq!(out.current, Some(after), "the marker is at the values set");
    // Input B is neither axis: the plane is recomputed at the new input.
    let mut v = h.state().doc.input();
    v[1] = 0.3;
    h.state_mut().doc.edits.input.custom = v.clone();
    settle(&mut h);
    let moved = h.state().doc.results.plane_diagram.clone().unwrap();
    assert_eq!(moved.key.v, v);
    let curves = |o: &lowrank_explorer::app::compute::PlaneDiagramOutcome| {
        o.diagram.as_ref().unwrap().curves[0].points[0].p
    };
    assert_ne!(
        curves(&moved),
        curves(&out),
        "the curves moved with input B"
    );
    // Back to one parameter: the one-parameter diagram again.
    h.get_by_label("1 parameter").click();
    settle(&mut h);
    let r = &h.state().doc.results;
    assert!(r.bifurcation.is_some() && r.plane_diagram.is_none());
}

#[test]
fn the_maps_step_is_an_axis_of_the_maps_plane_only() {
    let mut h = two_parameter_harness();
    h.state_mut().doc.edits.time_model = lowrank_explorer::reduced::TimeModel::Map { alpha: 0.2 };
    settle(&mut h);
    h.get_by_label("second parameter").click();
    h.run();
    h.get_by_label("map step α").scroll_to_me();
    h.run();
    h.get_by_label("map step α").click();
    settle(&mut h);
    let out = h.state().doc.results.plane_diagram.clone().unwrap();
    assert_eq!(out.key.params[1], ParamSpec::Step);
    assert_eq!(out.current.map(|c| c[1]), Some(0.2));
    let d = out.diagram.as_ref().unwrap();
    // The map's folds are the flow's, whatever the step: two lines across the plane.
    let folds: Vec<_> = d
        .curves
        .iter()
        .filter(|c| c.kind == SpecialKind::Fold)
        .collect();
    assert_eq!(folds.len(), 2, "{:?}", d.curves);
    for c in folds {
        let p = c.points[0].p;
        assert!(c.points.iter().all(|q| q.p == p));
        assert!(
            (p - 0.302875).abs() < 1e-5 || (p - 0.333256).abs() < 1e-5,
            "{p}"
        );
    }
    // A click in the plane sets the step.
    let rect = h.state().diagram_rect().unwrap();
    click_at(
        &mut h,
        egui::pos2(
            rect.left() + 0.7 * rect.width(),
            rect.top() + 0.5 * rect.height(),
        ),
    );
    settle(&mut h);
    let lowrank_explorer::reduced::TimeModel::Map { alpha } = h.state().doc.edits.time_model else {
        panic!("still the map");
    };
    assert!(alpha > 0.8 && alpha < 1.8, "{alpha}");
    // Back to the ODE, which has no step: the second axis returns to the coupling.
    h.state_mut().doc.edits.time_model = lowrank_explorer::reduced::TimeModel::Ode;
    settle(&mut h);
    let second = h.state().doc.edits.bifurcation.second.clone().unwrap();
    assert_eq!(second.parameter.to_string(), "p1.cov(n2,m1)");
}
