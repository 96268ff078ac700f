//! What the worker is asked for: a pure function of the open [`Document`], so the answers
//! depend on the model and its edits (and, for the flow field only, on the visible rectangle).

use crate::app::compute::{BifurcationKey, PlaneDiagramKey, PlaneKey};
use crate::app::document::Document;
use crate::app::worker::Request;
use crate::model::trials::has_trials;

/// The request the document implies. While the scrubber follows a trial, the input is that
/// trial's filtered input at the scrubber's step.
pub fn request(doc: &Document) -> Request {
    let model = doc.model().clone();
    let channels = model.dims().inputs;
    let view = &doc.view;
    let followed = view
        .scrub
        .follow
        .then(|| {
            doc.results
                .trials
                .as_ref()
                .and_then(|t| t.input_at(view.scrub.trial, view.scrub.step))
        })
        .flatten()
        .filter(|v| v.len() == channels);
    let v = followed.unwrap_or_else(|| doc.input());
    let time_model = doc.edits.time_model;
    let b = &doc.edits.bifurcation;
    let axes = doc.plane();
    Request {
        doc: doc.id,
        plane: PlaneKey {
            axes: axes.clone(),
            v: v.clone(),
            time_model,
            cycles: view.layers.cycles,
            separatrices: view.layers.separatrices,
        },
        view: view
            .shown
            .or(view.rect)
            .unwrap_or_else(|| model.search_box(&axes)),
        field_grid: view.field_density,
        selection: view.selection,
        starts: view.starts.clone(),
        trajectory_tau: view.trajectory_tau,
        trials: has_trials(channels).then_some((time_model, doc.edits.trials)),
        overlay: doc.overlay().cloned(),
        bifurcation: (b.enabled && b.second.is_none()).then(|| BifurcationKey {
            parameter: b.parameter.clone(),
            range: b.range,
            v: v.clone(),
            time_model,
            cycles: b.cycles,
        }),
        plane_diagram: b
            .second
            .as_ref()
            .filter(|_| b.enabled)
            .map(|second| PlaneDiagramKey {
                params: [b.parameter.clone(), second.parameter.clone()],
                ranges: [b.range, second.range],
                v,
                time_model,
                regions: second.regions,
            }),
        model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Rect;
    use crate::app::document::InputMode;
    use crate::reduced::TimeModel;

    #[test]
    fn the_request_follows_the_edits_and_not_the_view_except_for_the_field() {
        let mut doc = Document::default();
        let a = request(&doc);
        assert_eq!(a.plane.v, vec![0.0, 0.0]);
        assert_eq!(
            a.view,
            doc.model().search_box(&doc.plane()),
            "no view yet: the box"
        );
        assert!(a.trials.is_some() && a.overlay.is_none());
        // Panning changes only the view.
        doc.view.shown = Some(Rect::new(-0.5, 0.5, -0.5, 0.5));
        let b = request(&doc);
        assert_eq!(b.plane, a.plane);
        assert_eq!(b.bifurcation, a.bifurcation);
        assert_ne!(b.view, a.view);
        // An edit changes the plane and the diagram's base input.
        doc.edits.input.mode = InputMode::Channel(0);
        doc.edits.time_model = TimeModel::TRAINED_MAP;
        let c = request(&doc);
        assert_eq!(c.plane.v, vec![1.0, 0.0]);
        assert_eq!(c.bifurcation.as_ref().unwrap().v, vec![1.0, 0.0]);
        assert_eq!(c.trials.unwrap().0, TimeModel::TRAINED_MAP);
        assert!(c.plane_diagram.is_none());
        // Two parameters: the plane diagram instead of the one-parameter one.
        doc.edits.bifurcation.second = Some(crate::app::document::SecondParameter {
            parameter: "input.B".parse().unwrap(),
            range: [-1.0, 1.0],
            regions: true,
        });
        let d = request(&doc);
        assert!(d.bifurcation.is_none());
        let key = d.plane_diagram.unwrap();
        assert_eq!(key.params[1].to_string(), "input.B");
        assert_eq!((key.ranges[1], key.v), ([-1.0, 1.0], vec![1.0, 0.0]));
        doc.edits.bifurcation.enabled = false;
        assert!(request(&doc).bifurcation.is_none());
        assert!(request(&doc).plane_diagram.is_none());
        assert_eq!(request(&doc), request(&doc), "same document, same request");
    }
}
