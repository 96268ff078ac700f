//! The analysis worker's jobs as plain functions of a [`Model`]: each one wires core calls
//! (readouts, trajectories, the mean-field overlay, continuation) for one part of the view, and
//! is testable without a thread or a window. No numerics are implemented here.

use std::sync::Arc;
use std::time::Instant;

use crate::analysis::Rect;
use crate::analysis::continuation::BifurcationDiagram;
use crate::analysis::cycle_branch::{Cancel, CycleBranch, CycleBranchEnd};
use crate::analysis::fixed_points::FixedPoint;
use crate::analysis::integrate::Trajectory;
use crate::analysis::landscape::{
    self, FIELD_GRID, FieldDifference, Landscape, LandscapeRequest, NULLCLINE_RESOLUTION,
    ViewLayer, view_layer,
};
use crate::analysis::linalg::{Complex, dist, eigenvalues};
use crate::analysis::regions::Regions;
use crate::analysis::two_parameter::TwoParameterDiagram;
use crate::app::document::{Selection, TrajectoryStart};
use crate::model::{Model, ParamSpec};
use crate::reduced::plane::PlaneAxes;
use crate::reduced::{EffectiveConnectivity, ReducedSystem, TimeModel};
use crate::scene::Plane;

/// A selected fixed point is followed to the nearest fixed point of a new landscape within this
/// fraction of the view's diagonal (farther, it is taken to have vanished).
const FOLLOW_FRACTION: f64 = 0.05;

/// What a landscape depends on besides the model (the search box is the model's).
#[derive(Debug, Clone, PartialEq)]
pub struct PlaneKey {
    /// The plane shown (MODEL.md 8).
    pub axes: PlaneAxes,
    pub v: Vec<f64>,
    pub time_model: TimeModel,
    pub cycles: bool,
    pub separatrices: bool,
}

impl PlaneKey {
    /// The request on `model`'s search box of the plane.
    pub fn request(&self, model: &Model) -> LandscapeRequest {
        LandscapeRequest {
            cycles: self.cycles,
            separatrices: self.separatrices,
            ..LandscapeRequest::new(
                model.search_box(&self.axes),
                self.v.clone(),
                self.time_model,
            )
        }
    }

    /// The landscape's first part ([`landscape::analyze_fast`]) on `model`'s plane, or one that
    /// says why the model has no such plane.
    pub fn analyze_fast(&self, model: &Model) -> Landscape {
        let req = self.request(model);
        match model.plane(&self.axes) {
            Ok(plane) => landscape::analyze_fast(&plane, &req),
            Err(e) => Landscape::failed(&req, e),
        }
    }
}

/// The readouts at the selected point.
#[derive(Debug, Clone)]
pub struct Readout {
    pub point: [f64; 2],
    /// The fixed point the selection sits on, if it follows one.
    pub fixed_point: Option<FixedPoint>,
    /// The selection followed a fixed point that no longer exists.
    pub lost_fixed_point: bool,
    pub flow: [f64; 2],
    /// The exact `dF/dkappa` (row-major) and its eigenvalues.
    pub jacobian: [f64; 4],
    pub eigenvalues: Option<Vec<Complex>>,
    /// Effective connectivity with its per-population breakdown (population models only).
    pub connectivity: Option<EffectiveConnectivity>,
}

/// Readouts at `selection` on `land`, a landscape of the plane `axes` (a fixed-point selection
/// snaps to the nearest fixed point within a small fraction of the view `rect`); `None` for a
/// model without that plane.
pub fn readout(
    model: &Model,
    axes: &PlaneAxes,
    land: &Landscape,
    selection: &Selection,
    rect: &Rect,
) -> Option<Readout> {
    let plane = model.plane(axes).ok()?;
    let reach = FOLLOW_FRACTION * rect.diagonal();
    let snapped = selection
        .fixed_point
        .then(|| {
            land.fixed_points
                .iter()
                .map(|f| (dist(&f.kappa, &selection.point), f))
                .filter(|(d, _)| *d <= reach)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, f)| f.clone())
        })
        .flatten();
    let point = snapped
        .as_ref()
        .map(|f| [f.kappa[0], f.kappa[1]])
        .unwrap_or(selection.point);
    let (mut f, mut jac) = ([0.0; 2], [0.0; 4]);
    plane.flow_jacobian(&point, &land.v, &mut f, &mut jac);
    let (kappa, v) = axes.lift(point, &land.v);
    // A fixed point's own eigenvalues: all R of them on a slice (the block's are not).
    let eigenvalues = snapped
        .as_ref()
        .map(|f| f.eigenvalues.clone())
        .or_else(|| eigenvalues(&jac, 2));
    Some(Readout {
        point,
        lost_fixed_point: selection.fixed_point && snapped.is_none(),
        fixed_point: snapped,
        flow: f,
        jacobian: jac,
        eigenvalues,
        connectivity: model.effective_connectivity(&kappa, &v),
    })
}

/// A click-to-run trajectory with its start.
#[derive(Debug, Clone)]
pub struct UserTrajectory {
    pub start: TrajectoryStart,
    pub path: Trajectory,
}

impl UserTrajectory {
    /// Its `(kappa_1, kappa_2)` points.
    pub fn points(&self) -> Vec<[f64; 2]> {
        (0..self.path.len())
            .map(|i| self.path.state(i))
            .filter(|s| s.len() >= 2)
            .map(|s| [s[0], s[1]])
            .collect()
    }

    /// `(t, coordinate q)` of its states, time in units of `tau` (negative backward).
    pub fn series(&self, q: usize) -> Vec<[f64; 2]> {
        (0..self.path.len())
            .filter_map(|i| Some([self.path.t[i], *self.path.state(i).get(q)?]))
            .collect()
    }
}

/// The click-to-run trajectories of `tau` (units of `tau`) on the plane of `key` (none for a
/// model without that plane). On a slice each runs in all `R` dimensions from the clicked point
/// (the other coordinates at their held values) and is projected: the slice's own flow is not
/// the system's.
pub fn user_trajectories(
    model: &Model,
    key: &PlaneKey,
    starts: &[TrajectoryStart],
    tau: f64,
) -> Vec<UserTrajectory> {
    let (axes, v, time_model) = (&key.axes, &key.v[..], key.time_model);
    let Ok(plane) = model.plane(axes) else {
        return Vec::new();
    };
    starts
        .iter()
        .map(|s| {
            let path = if axes.is_slice() {
                let (kappa, _) = axes.lift(s.point, v);
                let full =
                    landscape::trajectory(model.system(), v, time_model, &kappa, tau, s.backward);
                full.projected(|k| axes.project(k, v))
            } else {
                landscape::trajectory(&plane, v, time_model, &s.point, tau, s.backward)
            };
            UserTrajectory { start: *s, path }
        })
        .collect()
}

/// A population model's mean field drawn over a network's exact landscape, and how far the two
/// flows are apart over the view.
#[derive(Debug, Clone)]
pub struct OverlayOutcome {
    pub plane: Plane,
    /// RMS of `|F_exact - F_mean field|` on the view's flow-field grid (MODEL.md 3 against 4).
    pub difference: Option<FieldDifference>,
}

/// The mean field of `overlay` analysed on the network's search box `search` (so that both
/// landscapes answer the same question) and seen in `rect`, compared with the network's field
/// `exact` sampled on the same view.
pub fn overlay(
    overlay: &Model,
    key: &PlaneKey,
    search: Rect,
    rect: Rect,
    exact: &landscape::FieldSamples,
) -> OverlayOutcome {
    let req = LandscapeRequest {
        rect: search,
        ..key.request(overlay)
    };
    let (land, view) = match overlay.plane(&key.axes) {
        Ok(sys) => {
            let land = landscape::analyze(&sys, &req);
            let view = view_layer(
                &sys,
                &land,
                rect,
                exact.n.max(FIELD_GRID),
                NULLCLINE_RESOLUTION,
            );
            (land, view)
        }
        Err(e) => (Landscape::failed(&req, e), ViewLayer::empty(rect)),
    };
    let (land, view) = (Arc::new(land), Arc::new(view));
    OverlayOutcome {
        difference: exact.difference(&view.field),
        plane: Plane {
            landscape: land,
            view,
        },
    }
}

/// A continuation request: the parameter, its range, and the state of the other parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct BifurcationKey {
    pub parameter: ParamSpec,
    pub range: [f64; 2],
    pub v: Vec<f64>,
    pub time_model: TimeModel,
    /// Whether the branches of limit cycles are wanted too (ODE only).
    pub cycles: bool,
}

impl BifurcationKey {
    /// Whether this diagram has branches of limit cycles to compute: the ODE's (the map's
    /// invariant curves are not continued).
    pub fn wants_cycles(&self) -> bool {
        self.cycles && self.time_model == TimeModel::Ode
    }
}

/// A bifurcation diagram with the parameter's current value.
#[derive(Debug, Clone)]
pub struct BifurcationOutcome {
    pub key: BifurcationKey,
    pub diagram: Result<BifurcationDiagram, String>,
    /// The branches of limit cycles: `None` until computed (or when not wanted).
    pub cycles: Option<Result<Vec<CycleBranch>, String>>,
    /// The current value of the parameter (the line drawn across the diagram).
    pub current: Option<f64>,
    /// Time of the fixed-point diagram, and of the cycle branches once computed.
    pub millis: f64,
    pub cycle_millis: f64,
}

/// The bifurcation diagram of `key` ([`Model::bifurcation`]: the search boxes, never the view),
/// without its cycle branches ([`with_cycles`] adds them).
pub fn bifurcation(model: &Model, key: &BifurcationKey) -> BifurcationOutcome {
    let t0 = Instant::now();
    let diagram = model.bifurcation(&key.parameter, key.range, &key.v, key.time_model, None);
    BifurcationOutcome {
        key: key.clone(),
        current: model
            .parameter_value(&key.parameter, &key.v, key.time_model)
            .ok(),
        diagram,
        cycles: None,
        millis: t0.elapsed().as_secs_f64() * 1e3,
        cycle_millis: 0.0,
    }
}

/// `out` with the branches of limit cycles born at its Hopf points or found at the current value
/// ([`Model::cycle_branches`]); `None` if `cancel` withdrew the computation, and `out` as it is
/// when its key wants none or its diagram failed.
pub fn with_cycles(
    model: &Model,
    out: &BifurcationOutcome,
    cancel: Option<Cancel>,
) -> Option<BifurcationOutcome> {
    let (Ok(diagram), true) = (&out.diagram, out.key.wants_cycles()) else {
        return Some(out.clone());
    };
    let t0 = Instant::now();
    let key = &out.key;
    let cycles = model.cycle_branches(&key.parameter, key.range, &key.v, diagram, cancel);
    let cancelled = cycles.as_ref().is_ok_and(|branches| {
        branches
            .iter()
            .any(|b| b.ends.contains(&CycleBranchEnd::Cancelled))
    });
    (!cancelled).then(|| BifurcationOutcome {
        cycles: Some(cycles),
        cycle_millis: t0.elapsed().as_secs_f64() * 1e3,
        ..out.clone()
    })
}

/// Cells per side of the sampled regions of the app's two-parameter diagram.
pub const REGION_CELLS: usize = 20;

/// A two-parameter diagram request: both parameters, their ranges, and the state of the others.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaneDiagramKey {
    pub params: [ParamSpec; 2],
    pub ranges: [[f64; 2]; 2],
    pub v: Vec<f64>,
    pub time_model: TimeModel,
    /// Whether the regions are named too.
    pub regions: bool,
}

/// A two-parameter diagram with the parameters' current values.
#[derive(Debug, Clone)]
pub struct PlaneDiagramOutcome {
    pub key: PlaneDiagramKey,
    pub diagram: Result<TwoParameterDiagram, String>,
    /// The named regions: `None` until computed (or when not wanted).
    pub regions: Option<Result<Regions, String>>,
    /// The current point (the marker the user drags).
    pub current: Option<[f64; 2]>,
    pub millis: f64,
    pub region_millis: f64,
}

/// The two-parameter diagram of `key` ([`Model::two_parameter`]), without its regions
/// ([`with_regions`] adds them); `None` if `cancel` withdrew it.
pub fn plane_diagram(
    model: &Model,
    key: &PlaneDiagramKey,
    cancel: Option<Cancel>,
) -> Option<PlaneDiagramOutcome> {
    let t0 = Instant::now();
    let [p, q] = &key.params;
    let diagram = model.two_parameter([p, q], key.ranges, &key.v, key.time_model, cancel);
    if diagram.as_ref().is_ok_and(|d| d.cancelled) {
        return None;
    }
    let current = model
        .parameter_value(p, &key.v, key.time_model)
        .and_then(|a| Ok([a, model.parameter_value(q, &key.v, key.time_model)?]))
        .ok();
    Some(PlaneDiagramOutcome {
        key: key.clone(),
        diagram,
        regions: None,
        current,
        millis: t0.elapsed().as_secs_f64() * 1e3,
        region_millis: 0.0,
    })
}

/// `out` with its regions ([`Model::regions`] on [`REGION_CELLS`] a side); `None` if `cancel`
/// withdrew them, `out` as it is when its key wants none.
pub fn with_regions(
    model: &Model,
    out: &PlaneDiagramOutcome,
    cancel: Option<Cancel>,
) -> Option<PlaneDiagramOutcome> {
    if !out.key.regions {
        return Some(out.clone());
    }
    let t0 = Instant::now();
    let key = &out.key;
    let [p, q] = &key.params;
    let cells = [REGION_CELLS; 2];
    let regions = model
        .regions(
            [p, q],
            key.ranges,
            &key.v,
            key.time_model,
            cells,
            cancel.as_ref(),
        )
        .transpose()?;
    Some(PlaneDiagramOutcome {
        regions: Some(regions),
        region_millis: t0.elapsed().as_secs_f64() * 1e3,
        ..out.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::landscape::analyze;

    #[test]
    fn a_fixed_point_selection_snaps_and_the_readout_has_the_poster_breakdown() {
        let model = Model::preset("dms_mixture_2pop").unwrap();
        let key = PlaneKey {
            axes: model.default_plane().unwrap(),
            v: vec![0.0, 0.0],
            time_model: TimeModel::Ode,
            cycles: false,
            separatrices: false,
        };
        let land = analyze(&model.plane(&key.axes).unwrap(), &key.request(&model));
        let memory = land.fixed_points.iter().find(|f| f.stable).unwrap();
        let near = [memory.kappa[0] + 1e-3, memory.kappa[1]];
        let rect = land.rect;
        let r = readout(
            &model,
            &key.axes,
            &land,
            &Selection {
                point: near,
                fixed_point: true,
            },
            &rect,
        )
        .unwrap();
        assert_eq!(r.point, [memory.kappa[0], memory.kappa[1]]);
        assert!(r.flow.iter().all(|f| f.abs() < 1e-9));
        assert!(r.connectivity.is_some());
        let far = readout(
            &model,
            &key.axes,
            &land,
            &Selection {
                point: [9.0, 9.0],
                fixed_point: true,
            },
            &rect,
        )
        .unwrap();
        assert!(far.lost_fixed_point && far.fixed_point.is_none());
    }

    #[test]
    fn the_bifurcation_outcome_is_the_models_diagram_with_the_current_value() {
        let model = Model::preset("dms_mixture_2pop").unwrap();
        let key = BifurcationKey {
            parameter: ParamSpec::Input("A".into()),
            range: [0.0, 1.5],
            v: vec![0.2, 0.0],
            time_model: TimeModel::Ode,
            cycles: false,
        };
        let out = bifurcation(&model, &key);
        assert_eq!(out.current, Some(0.2));
        let d = out.diagram.unwrap();
        assert_eq!(d.branches.len(), 3);
        let empty = bifurcation(
            &model,
            &BifurcationKey {
                range: [1.0, 1.0],
                ..key
            },
        );
        assert!(empty.diagram.unwrap_err().contains("empty"));
    }

    #[test]
    fn cycle_branches_are_added_for_the_ode_only_and_a_withdrawn_computation_gives_none() {
        let model = Model::preset("dms_mixture_2pop").unwrap();
        let key = BifurcationKey {
            parameter: ParamSpec::Input("A".into()),
            range: [0.0, 1.5],
            v: vec![0.0, 0.0],
            time_model: TimeModel::TRAINED_MAP,
            cycles: true,
        };
        let map = bifurcation(&model, &key);
        assert!(with_cycles(&model, &map, None).unwrap().cycles.is_none());
        let ode = bifurcation(
            &model,
            &BifurcationKey {
                time_model: TimeModel::Ode,
                ..key
            },
        );
        assert!(ode.cycles.is_none() && ode.key.wants_cycles());
        assert!(with_cycles(&model, &ode, Some(Cancel::new(|| true))).is_none());
    }
}
