//! The phase-plane landscape: one plain-data value with everything the app draws, the CLI prints
//! as JSON and `render` plots, computed from any rank-2 [`ReducedSystem`].
//!
//! Cheap parts first ([`analyze_fast`]: flow field, nullclines, fixed points), expensive parts
//! after ([`complete`]: separatrices, limit cycles or invariant curves), so a UI can draw the
//! first while the second runs. Each stage records its wall time and its evaluations of `F`
//! (through [`CountingSystem`]): the budgets of the real systems are set in evaluations.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::Rect;
use super::counting::{CountingSystem, EvalCounts};
use super::cycles::{Cycle, CycleOptions, find_limit_cycles};
use super::fixed_points::{FixedPoint, FixedPointOptions, find_fixed_points};
use super::integrate::{Bounds, OdeOptions, Trajectory, dopri5, iterate_map, ode_rhs};
use super::invariant_curves::find_invariant_curves;
use super::manifolds::{ManifoldOptions, Separatrix, separatrices};
use super::nullclines::{NullclineOptions, Nullclines, crossings, project_vertices, trace};
use super::phase_line::{self, PhaseLine};
use super::projection;
use crate::reduced::{ReducedSystem, TimeModel};

/// Flow-field samples per side of a default request.
pub const FIELD_GRID: usize = 32;
/// Effective nullcline grid per side of a default request.
pub const NULLCLINE_RESOLUTION: usize = 256;

/// What to compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandscapeRequest {
    pub rect: Rect,
    /// Constant input, one value per channel.
    pub v: Vec<f64>,
    pub time_model: TimeModel,
    /// Flow-field samples per side.
    pub field_grid: usize,
    /// Effective nullcline grid per side (adaptive; see [`nullclines`]).
    pub nullcline_resolution: usize,
    pub cycles: bool,
    pub separatrices: bool,
}

impl LandscapeRequest {
    /// Defaults: 32 x 32 field, 256 x 256 nullclines, cycles and separatrices on.
    pub fn new(rect: Rect, v: Vec<f64>, time_model: TimeModel) -> Self {
        LandscapeRequest {
            rect,
            v,
            time_model,
            field_grid: FIELD_GRID,
            nullcline_resolution: NULLCLINE_RESOLUTION,
            cycles: true,
            separatrices: true,
        }
    }
}

/// `F` at the centres of an `n x n` grid of cells, row by row from the bottom left.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldSamples {
    pub n: usize,
    pub points: Vec<[f64; 2]>,
    pub flow: Vec<[f64; 2]>,
}

impl FieldSamples {
    /// How far `other`'s flow is from this one on the same grid: the root mean square of
    /// `|F_self - F_other|` and, for scale, of `|F_self|`, over the samples where both are finite.
    /// This is the measure the app shows when a mean field is drawn over a network's exact
    /// landscape (the error of MODEL.md 4's large-N limit over the view). `None` if the grids differ
    /// or no sample is finite.
    pub fn difference(&self, other: &FieldSamples) -> Option<FieldDifference> {
        if self.n != other.n || self.points != other.points {
            return None;
        }
        let (mut diff, mut reference, mut samples) = (0.0, 0.0, 0usize);
        for (a, b) in self.flow.iter().zip(&other.flow) {
            let d = [a[0] - b[0], a[1] - b[1]];
            let d2 = d[0] * d[0] + d[1] * d[1];
            let a2 = a[0] * a[0] + a[1] * a[1];
            if d2.is_finite() && a2.is_finite() {
                diff += d2;
                reference += a2;
                samples += 1;
            }
        }
        (samples > 0).then(|| FieldDifference {
            rms_difference: (diff / samples as f64).sqrt(),
            rms_reference: (reference / samples as f64).sqrt(),
            samples,
        })
    }
}

/// The root-mean-square distance of two flow fields ([`FieldSamples::difference`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FieldDifference {
    /// `sqrt(mean |F_a - F_b|^2)`.
    pub rms_difference: f64,
    /// `sqrt(mean |F_a|^2)`, the scale the difference is read against.
    pub rms_reference: f64,
    /// Samples where both fields are finite.
    pub samples: usize,
}

impl FieldDifference {
    /// `rms_difference / rms_reference` (infinite for a zero reference field).
    pub fn relative(&self) -> f64 {
        self.rms_difference / self.rms_reference
    }
}

/// Cost of one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageStats {
    pub stage: String,
    pub millis: f64,
    pub evaluations: EvalCounts,
}

/// Everything of one phase plane.
#[derive(Debug, Clone, Serialize)]
pub struct Landscape {
    pub rect: Rect,
    pub time_model: TimeModel,
    pub v: Vec<f64>,
    pub field: FieldSamples,
    pub nullclines: Nullclines,
    pub fixed_points: Vec<FixedPoint>,
    pub separatrices: Vec<Separatrix>,
    /// Limit cycles (ODE) or invariant closed curves (map).
    pub cycles: Vec<Cycle>,
    pub timings: Vec<StageStats>,
    /// Why nothing was computed (a request the system cannot answer), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the picture is not (a slice's nullclines are not invariant, what was not searched
    /// in `R` dimensions), for the view's caption and reports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Rank 1's input plane: `kappa'` against `kappa` at the current input, the picture papers
    /// draw for rank 1 (MODEL.md 8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase_line: Option<PhaseLine>,
}

impl Landscape {
    /// A landscape of `req` that says why nothing could be computed (a plane the model does
    /// not have, MODEL.md 8).
    pub fn failed(req: &LandscapeRequest, error: String) -> Landscape {
        Landscape {
            error: Some(error),
            ..empty(req)
        }
    }

    /// Evaluations over all stages.
    pub fn evaluations(&self) -> EvalCounts {
        self.timings
            .iter()
            .fold(EvalCounts::default(), |a, s| EvalCounts {
                flow: a.flow + s.evaluations.flow,
                jacobian: a.jacobian + s.evaluations.jacobian,
            })
    }
}

/// Runs `f` on a fresh counting wrapper of `sys`; returns its result with the stage's wall time
/// and evaluations (a wrapper per stage, so stages that run concurrently count apart).
fn stage<T>(
    name: &str,
    sys: &dyn ReducedSystem,
    f: impl FnOnce(&dyn ReducedSystem) -> T,
) -> (T, StageStats) {
    let counted = CountingSystem::new(sys);
    let t0 = Instant::now();
    let out = f(&counted);
    let stats = StageStats {
        stage: name.to_string(),
        millis: t0.elapsed().as_secs_f64() * 1e3,
        evaluations: counted.counts(),
    };
    (out, stats)
}

/// Appends a stage's statistics to `timings` and passes its result on.
fn record<T>(timings: &mut Vec<StageStats>, (out, stats): (T, StageStats)) -> T {
    timings.push(stats);
    out
}

/// The flow field on an `n x n` grid of cell centres, in one `flow_many` batch.
pub fn flow_field(sys: &dyn ReducedSystem, v: &[f64], rect: &Rect, n: usize) -> FieldSamples {
    if sys.rank() != 2 || !rect.is_valid() || n == 0 {
        return FieldSamples::default();
    }
    let points: Vec<[f64; 2]> = (0..n * n)
        .map(|k| {
            let (i, j) = ((k % n) as f64 + 0.5, (k / n) as f64 + 0.5);
            [
                rect.x_min + i * rect.width() / n as f64,
                rect.y_min + j * rect.height() / n as f64,
            ]
        })
        .collect();
    let flat: Vec<f64> = points.iter().flatten().copied().collect();
    let mut out = vec![0.0; flat.len()];
    sys.flow_many(&flat, v, &mut out);
    FieldSamples {
        n,
        points,
        flow: out.chunks_exact(2).map(|c| [c[0], c[1]]).collect(),
    }
}

/// Grid points of the field where `|F|` is no larger than at any of the 8 neighbours: every
/// fixed point not closer than a grid cell to another one has such a point nearby.
pub fn field_minima(field: &FieldSamples) -> Vec<[f64; 2]> {
    let n = field.n as isize;
    let speed = |i: isize, j: isize| {
        let f = field.flow[(j * n + i) as usize];
        let s = f[0].hypot(f[1]);
        if s.is_nan() { f64::INFINITY } else { s }
    };
    let mut out = Vec::new();
    for j in 0..n {
        for i in 0..n {
            let here = speed(i, j);
            let minimal = here.is_finite()
                && (-1..=1).all(|dj| {
                    (-1..=1).all(|di| {
                        let (a, b) = (i + di, j + dj);
                        a < 0 || b < 0 || a >= n || b >= n || speed(a, b) >= here
                    })
                });
            if minimal {
                out.push(field.points[(j * n + i) as usize]);
            }
        }
    }
    out
}

/// The cheap part: flow field, nullclines and fixed points. The nullclines are traced, the fixed
/// points seeded by their crossings and the field's local minima of `|F|`, and then the nullclines'
/// vertices are projected onto the zero sets (stage `nullcline_projection`).
pub fn analyze_fast(sys: &dyn ReducedSystem, req: &LandscapeRequest) -> Landscape {
    let mut land = traced(sys, req);
    if land.error.is_none() {
        let opts = nullcline_options(req);
        let projected = stage("nullcline_projection", sys, |s| {
            project_vertices(s, &req.v, &req.rect, &opts, &mut land.nullclines)
        });
        record(&mut land.timings, projected);
    }
    land
}

/// Flow field, traced nullclines (not yet projected) and fixed points, seeded by the crossings
/// of those nullclines and the field's local minima of `|F|` (they replace the seed lattice of
/// [`find_fixed_points`]: no extra evaluations, and far fewer hopeless starts: a lattice point in
/// a saturated corner costs Newton a stall window).
fn traced(sys: &dyn ReducedSystem, req: &LandscapeRequest) -> Landscape {
    let (rect, v) = (&req.rect, &req.v[..]);
    if let Some(error) = request_error(sys, req) {
        return Landscape {
            error: Some(error),
            ..empty(req)
        };
    }
    let mut timings = Vec::new();
    let field = record(
        &mut timings,
        stage("field", sys, |s| flow_field(s, v, rect, req.field_grid)),
    );
    let nc_opts = nullcline_options(req);
    let nullclines = record(
        &mut timings,
        stage("nullclines", sys, |s| trace(s, v, rect, &nc_opts)),
    );
    let cut = sys.cut_from();
    if let Some((full, axes)) = cut.filter(|(_, a)| a.is_slice()) {
        let (found, stats) = stage("fixed_points", full, |s| {
            projection::fixed_points(s, v, req.time_model)
        });
        timings.push(stats);
        let (fixed_points, error) = match found {
            Ok(fps) => (
                fps.iter()
                    .map(|f| projection::fixed_point_on(axes, f, v))
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(e)),
        };
        return Landscape {
            field,
            nullclines,
            fixed_points,
            timings,
            error,
            notes: slice_notes(full.rank(), req),
            ..empty(req)
        };
    }
    let mut seeds = crossings(&nullclines.curves[0], &nullclines.curves[1]);
    seeds.extend(field_minima(&field));
    let fp_opts = FixedPointOptions {
        grid: if field.points.is_empty() { 6 } else { 0 },
        ..FixedPointOptions::default()
    };
    let fixed_points = record(
        &mut timings,
        stage("fixed_points", sys, |s| {
            find_fixed_points(s, v, rect, req.time_model, &seeds, &fp_opts)
        }),
    );
    let phase_line = cut.map(|(line, _)| {
        record(
            &mut timings,
            stage("phase_line", line, |s| {
                phase_line::phase_line(s, v, req.time_model)
            }),
        )
    });
    Landscape {
        field,
        nullclines,
        fixed_points,
        timings,
        phase_line,
        ..empty(req)
    }
}

/// What a slice of a rank-`rank` system shows and does not (MODEL.md 8).
fn slice_notes(rank: usize, req: &LandscapeRequest) -> Vec<String> {
    let mut notes = vec![format!(
        "a slice of a rank-{rank} system: its nullclines are not invariant; the fixed points are the full system's, projected"
    )];
    if req.separatrices {
        notes.push("separatrices are drawn for rank 2 only".into());
    }
    if req.cycles && matches!(req.time_model, TimeModel::Map { .. }) {
        notes.push(format!(
            "invariant curves of the map are not searched in {rank} dimensions (the ODE's cycles are)"
        ));
    }
    notes
}

fn nullcline_options(req: &LandscapeRequest) -> NullclineOptions {
    NullclineOptions {
        resolution: req.nullcline_resolution,
        ..NullclineOptions::default()
    }
}

/// A landscape with nothing computed yet.
fn empty(req: &LandscapeRequest) -> Landscape {
    Landscape {
        rect: req.rect,
        time_model: req.time_model,
        v: req.v.clone(),
        field: FieldSamples::default(),
        nullclines: Nullclines::default(),
        fixed_points: Vec::new(),
        separatrices: Vec::new(),
        cycles: Vec::new(),
        timings: Vec::new(),
        error: None,
        notes: Vec::new(),
        phase_line: None,
    }
}

/// Why a request cannot be answered: not a plane, an input of the wrong length, a rectangle
/// that is not one, or a map without a positive finite step.
fn request_error(sys: &dyn ReducedSystem, req: &LandscapeRequest) -> Option<String> {
    if sys.rank() != 2 {
        return Some(format!(
            "the phase plane needs rank 2, the system has rank {}",
            sys.rank()
        ));
    }
    if req.v.len() != sys.inputs() {
        return Some(format!(
            "input has {} values, the system {} channels",
            req.v.len(),
            sys.inputs()
        ));
    }
    if !req.rect.is_valid() {
        return Some("the rectangle must be finite with positive width and height".to_string());
    }
    match req.time_model {
        TimeModel::Map { alpha } if !(alpha.is_finite() && alpha > 0.0) => Some(format!(
            "the map's alpha must be positive and finite, got {alpha}"
        )),
        _ => None,
    }
}

/// The expensive part, added to a landscape from [`analyze_fast`]: separatrices and cycles (each
/// if switched on in the request).
pub fn complete(sys: &dyn ReducedSystem, req: &LandscapeRequest, land: &mut Landscape) {
    if land.error.is_some() {
        return;
    }
    expensive(sys, req, &land.fixed_points).store(land);
}

/// The whole landscape: what [`analyze_fast`] then [`complete`] give, sooner. Separatrices and
/// cycles need the fixed points but not the projected nullclines, so the projection runs
/// beside them.
pub fn analyze(sys: &dyn ReducedSystem, req: &LandscapeRequest) -> Landscape {
    let mut land = traced(sys, req);
    if land.error.is_some() {
        return land;
    }
    let opts = nullcline_options(req);
    let (nullclines, fixed_points) = (&mut land.nullclines, &land.fixed_points);
    let (projected, found) = rayon::join(
        || {
            stage("nullcline_projection", sys, |s| {
                project_vertices(s, &req.v, &req.rect, &opts, nullclines)
            })
        },
        || expensive(sys, req, fixed_points),
    );
    record(&mut land.timings, projected);
    found.store(&mut land);
    land
}

/// Separatrices and cycles with their stage statistics (`None` where the request switched them
/// off).
struct Expensive {
    separatrices: Option<(Vec<Separatrix>, StageStats)>,
    cycles: Option<(Vec<Cycle>, StageStats)>,
}

impl Expensive {
    fn store(self, land: &mut Landscape) {
        if let Some(found) = self.separatrices {
            land.separatrices = record(&mut land.timings, found);
        }
        if let Some(found) = self.cycles {
            land.cycles = record(&mut land.timings, found);
        }
    }
}

/// Separatrices and cycles of `fixed_points`. The two are independent, so they run concurrently
/// (their stage times overlap): the cycle search is mostly serial (one trajectory, then one
/// shooting Newton iteration after another) and the separatrices' branches fill the other cores.
fn expensive(
    sys: &dyn ReducedSystem,
    req: &LandscapeRequest,
    fixed_points: &[FixedPoint],
) -> Expensive {
    let (rect, v) = (&req.rect, &req.v[..]);
    if let Some((full, axes)) = sys.cut_from().filter(|(_, a)| a.is_slice()) {
        let cycles = (req.cycles && req.time_model == TimeModel::Ode).then(|| {
            stage("cycles", full, |s| {
                let found =
                    projection::attracting_cycles(s, v, fixed_points, &CycleOptions::default());
                found
                    .0
                    .iter()
                    .map(|c| projection::cycle_on(axes, c, v))
                    .collect()
            })
        });
        return Expensive {
            separatrices: None,
            cycles,
        };
    }
    let (separatrices, cycles) = rayon::join(
        || {
            req.separatrices.then(|| {
                stage("separatrices", sys, |s| {
                    let opts = ManifoldOptions::default();
                    separatrices(s, v, rect, req.time_model, fixed_points, &opts)
                })
            })
        },
        || {
            req.cycles.then(|| {
                let opts = CycleOptions::default();
                stage("cycles", sys, |s| match req.time_model {
                    TimeModel::Ode => find_limit_cycles(s, v, rect, fixed_points, &opts).0,
                    TimeModel::Map { alpha } => {
                        find_invariant_curves(s, v, alpha, rect, fixed_points, &opts).0
                    }
                })
            })
        },
    );
    Expensive {
        separatrices,
        cycles,
    }
}

/// Below this fraction of the analysed box's width or height, a view traces its own nullclines:
/// the box's curves, at the box's resolution, would look coarse there.
pub const RETRACE_FRACTION: f64 = 0.3;

/// What a view of the plane adds to a [`Landscape`] computed on its search box: the flow field
/// sampled on the view (the arrows' density follows the zoom) and, when the view is much smaller
/// than the box or leaves it, nullclines traced on the view. The fixed points, cycles and
/// separatrices stay the box's: no answer depends on what is on screen.
#[derive(Debug, Clone, Serialize)]
pub struct ViewLayer {
    pub rect: Rect,
    pub field: FieldSamples,
    /// `None`: the landscape's own nullclines serve this view.
    pub nullclines: Option<Nullclines>,
    pub timings: Vec<StageStats>,
}

impl ViewLayer {
    /// A view of `rect` with nothing in it (the landscape could not be computed).
    pub fn empty(rect: Rect) -> ViewLayer {
        ViewLayer {
            rect,
            field: FieldSamples::default(),
            nullclines: None,
            timings: Vec::new(),
        }
    }

    /// The nullclines to draw in this view: its own, or those of `land`.
    pub fn nullclines<'a>(&'a self, land: &'a Landscape) -> &'a Nullclines {
        self.nullclines.as_ref().unwrap_or(&land.nullclines)
    }
}

/// The view layer of `land` on `rect`: `field_grid` x `field_grid` flow samples, and nullclines
/// traced (and projected) on `rect` at the landscape's resolution when `rect` is not inside the
/// landscape's box or is narrower than [`RETRACE_FRACTION`] of it.
pub fn view_layer(
    sys: &dyn ReducedSystem,
    land: &Landscape,
    rect: Rect,
    field_grid: usize,
    nullcline_resolution: usize,
) -> ViewLayer {
    let mut timings = Vec::new();
    let v = &land.v[..];
    let field = record(
        &mut timings,
        stage("view_field", sys, |s| flow_field(s, v, &rect, field_grid)),
    );
    let boxed = &land.rect;
    let inside = rect.x_min >= boxed.x_min
        && rect.x_max <= boxed.x_max
        && rect.y_min >= boxed.y_min
        && rect.y_max <= boxed.y_max;
    let zoomed = rect.width() < RETRACE_FRACTION * boxed.width()
        || rect.height() < RETRACE_FRACTION * boxed.height();
    let nullclines = (rect.is_valid() && land.error.is_none() && (zoomed || !inside)).then(|| {
        let opts = NullclineOptions {
            resolution: nullcline_resolution,
            ..NullclineOptions::default()
        };
        record(
            &mut timings,
            stage("view_nullclines", sys, |s| {
                super::nullclines::nullclines(s, v, &rect, &opts)
            }),
        )
    });
    ViewLayer {
        rect,
        field,
        nullclines,
        timings,
    }
}

/// A click-to-run trajectory of `duration` (units of tau) from `start`, forward or backward:
/// Dormand-Prince with dense output (`rtol 1e-8`) for the ODE, `round(duration / alpha)` steps
/// for the map (backward: inverse steps). Stops if `|kappa|` exceeds `1e6` or after 100 000
/// steps; the trajectory says why it ended.
pub fn trajectory(
    sys: &dyn ReducedSystem,
    v: &[f64],
    time_model: TimeModel,
    start: &[f64],
    duration: f64,
    backward: bool,
) -> Trajectory {
    let n = start.len();
    let bounds = Bounds {
        lo: vec![-1e6; n],
        hi: vec![1e6; n],
    };
    match time_model {
        TimeModel::Ode => {
            let opts = OdeOptions {
                bounds: Some(bounds),
                dense_points: 2,
                ..OdeOptions::default()
            };
            let t_end = if backward {
                -duration.abs()
            } else {
                duration.abs()
            };
            dopri5(ode_rhs(sys, v), 0.0, start, t_end, &opts, None)
        }
        TimeModel::Map { alpha } => {
            let steps = (duration.abs() / alpha).round().clamp(0.0, 100_000.0) as usize;
            iterate_map(sys, v, alpha, start, steps, backward, Some(&bounds))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixed_points::FixedPointKind;
    use crate::analysis::test_systems::{BlowUp, Hopf, NanSystem, SaddleNode, TanhRank2};

    #[test]
    fn field_difference_is_zero_for_the_same_field_and_the_offset_for_a_shifted_one() {
        let sys = TanhRank2 {
            w: [2.0, -1.0, 1.5, 0.5],
            b: [0.1, 0.0],
        };
        let rect = Rect::new(-2.0, 2.0, -1.0, 3.0);
        let a = flow_field(&sys, &[], &rect, 16);
        let same = a.difference(&a).unwrap();
        assert_eq!(same.rms_difference, 0.0);
        assert_eq!(same.samples, 256);
        // The truth by hand: F + c differs by |c| everywhere; the reference is the mean of |F|^2.
        let mut shifted = a.clone();
        for f in &mut shifted.flow {
            f[0] += 0.3;
            f[1] -= 0.4;
        }
        shifted.flow[7] = [f64::NAN, 0.0];
        let d = a.difference(&shifted).unwrap();
        assert_eq!(d.samples, 255, "the NaN sample is skipped");
        assert!((d.rms_difference - 0.5).abs() < 1e-12, "{d:?}");
        let expected: f64 = a
            .flow
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != 7)
            .map(|(_, f)| f[0] * f[0] + f[1] * f[1])
            .sum::<f64>()
            / 255.0;
        assert!((d.rms_reference - expected.sqrt()).abs() < 1e-12);
        let other_grid = flow_field(&sys, &[], &rect, 8);
        assert!(a.difference(&other_grid).is_none());
    }

    #[test]
    fn landscape_of_a_tanh_oscillator_has_everything_and_serialises() {
        let sys = TanhRank2 {
            w: [1.5, -2.0, 2.0, 1.5],
            b: [0.0; 2],
        };
        let req = LandscapeRequest::new(
            Rect::new(-4.0, 4.0, -4.0, 4.0),
            vec![0.0, 0.0],
            TimeModel::Ode,
        );
        let land = analyze(&sys, &req);
        assert_eq!(land.field.points.len(), 1024);
        assert_eq!(land.fixed_points.len(), 1);
        assert_eq!(land.fixed_points[0].kind, FixedPointKind::UnstableFocus);
        assert_eq!(land.cycles.len(), 1);
        assert!(land.nullclines.curves.iter().all(|c| !c.is_empty()));
        let json: serde_json::Value = serde_json::to_value(&land).unwrap();
        let fp = &json["fixed_points"][0];
        assert_eq!(fp["type"], "unstable focus");
        assert_eq!(fp["stable"], false);
        assert_eq!(fp["eigenvalues"][0].as_array().unwrap().len(), 2);
        assert!(fp.get("multipliers").is_none());
        let cyc = &json["cycles"][0];
        assert!(cyc["period_tau"].as_f64().unwrap() > 0.0);
        assert_eq!(cyc["stable"], true);
        assert_eq!(cyc["kappa_min"].as_array().unwrap().len(), 2);
        assert!(cyc["floquet"].as_f64().unwrap() < 1.0);
        let stages: Vec<&str> = land.timings.iter().map(|s| s.stage.as_str()).collect();
        assert_eq!(
            stages,
            [
                "field",
                "nullclines",
                "fixed_points",
                "nullcline_projection",
                "separatrices",
                "cycles"
            ]
        );
        assert_eq!(land.timings[0].evaluations.flow, 1024);
    }

    /// `analyze` overlaps the separatrices and cycles with the nullclines' projection; it must give
    /// what the two halves give one after the other: the tanh oscillator (stable cycle, ODE and
    /// map), the time-reversed Hopf form (an unstable cycle around a stable focus), a saddle-node
    /// pair closer than a field cell, and the DMS mixture preset under input A (its limit cycle).
    #[test]
    fn analyze_gives_what_fast_then_complete_give() {
        let oscillator = TanhRank2 {
            w: [1.5, -2.0, 2.0, 1.5],
            b: [0.0; 2],
        };
        let reversed = Hopf {
            mu: 0.5,
            omega: 1.0,
            sign: -1.0,
        };
        let mixture = crate::reduced::MeanField::new(
            &crate::reduced::presets::get("dms_mixture_2pop")
                .unwrap()
                .model,
        );
        let map = TimeModel::Map { alpha: 0.2 };
        let square = Rect::new(-4.0, 4.0, -4.0, 4.0);
        let cases: [(&dyn ReducedSystem, Vec<f64>, TimeModel, Rect); 5] = [
            (&oscillator, vec![0.0; 2], TimeModel::Ode, square),
            (&oscillator, vec![0.0; 2], map, square),
            (&reversed, vec![0.0], TimeModel::Ode, square),
            (&SaddleNode, vec![1e-4], TimeModel::Ode, square),
            (&mixture, vec![1.0, 0.0], TimeModel::Ode, square),
        ];
        for (k, (sys, v, tm, rect)) in cases.into_iter().enumerate() {
            let req = LandscapeRequest::new(rect, v, tm);
            let together = analyze(sys, &req);
            assert!(together.error.is_none() && !together.fixed_points.is_empty());
            let mut apart = analyze_fast(sys, &req);
            complete(sys, &req, &mut apart);
            let kappas = |l: &Landscape| -> Vec<Vec<f64>> {
                l.fixed_points.iter().map(|f| f.kappa.clone()).collect()
            };
            assert_eq!(kappas(&together), kappas(&apart), "case {k}");
            assert_eq!(
                together.nullclines.curves, apart.nullclines.curves,
                "case {k}"
            );
            assert_eq!(together.separatrices.len(), apart.separatrices.len());
            assert_eq!(together.cycles.len(), apart.cycles.len(), "case {k}");
            for (a, b) in together.cycles.iter().zip(&apart.cycles) {
                assert!((a.period_tau / b.period_tau - 1.0).abs() < 1e-9, "case {k}");
                assert_eq!(a.stable, b.stable);
            }
            let expected_cycles = [1, 1, 1, 0, 1][k];
            assert_eq!(together.cycles.len(), expected_cycles, "case {k}");
        }
    }

    #[test]
    fn map_landscape_reports_multipliers_and_step_periods() {
        // Hopf normal form with mu = 0.05, omega = 1: ODE stable cycle; for the map the focus is
        // also unstable and an invariant curve exists near radius sqrt(mu).
        let sys = Hopf {
            mu: 0.05,
            omega: 1.0,
            sign: 1.0,
        };
        let alpha = 0.2;
        let req = LandscapeRequest::new(
            Rect::new(-1.0, 1.0, -1.0, 1.0),
            vec![0.0],
            TimeModel::Map { alpha },
        );
        let land = analyze(&sys, &req);
        let json: serde_json::Value = serde_json::to_value(&land).unwrap();
        assert_eq!(
            json["fixed_points"][0]["multipliers"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(land.cycles.len(), 1);
        let c = &land.cycles[0];
        assert!((c.period_tau - c.period_steps.unwrap() * alpha).abs() < 1e-12);
        assert!(c.stable);
    }

    #[test]
    fn hostile_systems_give_a_landscape_not_a_panic() {
        let rect = Rect::new(-1.0, 1.0, -1.0, 1.0);
        for tm in [TimeModel::Ode, TimeModel::TRAINED_MAP] {
            let land = analyze(&NanSystem, &LandscapeRequest::new(rect, vec![], tm));
            assert!(land.fixed_points.is_empty() && land.cycles.is_empty());
            let land = analyze(&BlowUp, &LandscapeRequest::new(rect, vec![], tm));
            assert!(land.fixed_points.is_empty());
            let empty = Rect::new(0.0, 0.0, 0.0, 0.0);
            let land = analyze(&BlowUp, &LandscapeRequest::new(empty, vec![], tm));
            assert!(land.field.points.is_empty() && land.error.is_some());
            let land = analyze(
                &Hopf {
                    mu: 0.1,
                    omega: 1.0,
                    sign: 1.0,
                },
                &LandscapeRequest::new(rect, vec![], tm),
            );
            assert!(land.error.unwrap().contains("input"));
        }
        let tr = trajectory(&BlowUp, &[], TimeModel::Ode, &[0.0, 0.5], 100.0, false);
        assert_ne!(tr.stop, crate::analysis::integrate::Stop::Reached);
    }

    #[test]
    fn trajectories_forward_and_backward_retrace() {
        let sys = Hopf {
            mu: 0.5,
            omega: 1.0,
            sign: 1.0,
        };
        let fwd = trajectory(&sys, &[0.0], TimeModel::Ode, &[0.3, 0.1], 2.0, false);
        let back = trajectory(&sys, &[0.0], TimeModel::Ode, fwd.last_state(), 2.0, true);
        let y = back.last_state();
        assert!((y[0] - 0.3).abs() < 1e-6 && (y[1] - 0.1).abs() < 1e-6);
        let fwd = trajectory(
            &sys,
            &[0.0],
            TimeModel::TRAINED_MAP,
            &[0.3, 0.1],
            2.0,
            false,
        );
        assert_eq!(fwd.steps, 10);
        let back = trajectory(
            &sys,
            &[0.0],
            TimeModel::TRAINED_MAP,
            fwd.last_state(),
            2.0,
            true,
        );
        let y = back.last_state();
        assert!((y[0] - 0.3).abs() < 1e-12 && (y[1] - 0.1).abs() < 1e-12);
    }

    #[test]
    fn landscape_seeding_finds_all_nine_fixed_points() {
        let sys = TanhRank2 {
            w: [2.0, 0.0, 0.0, 2.0],
            b: [0.0; 2],
        };
        let req = LandscapeRequest::new(
            Rect::new(-3.0, 3.0, -3.0, 3.0),
            vec![0.0, 0.0],
            TimeModel::Ode,
        );
        let land = analyze_fast(&sys, &req);
        assert_eq!(land.fixed_points.len(), 9);
        assert!(land.fixed_points.iter().all(|f| f.residual < 1e-12));
        // A local minimum of |F| on the field grid next to every root.
        let minima = field_minima(&land.field);
        let cell = 6.0 / 32.0;
        for fp in &land.fixed_points {
            assert!(
                minima
                    .iter()
                    .any(|m| (m[0] - fp.kappa[0]).abs() <= cell
                        && (m[1] - fp.kappa[1]).abs() <= cell)
            );
        }
    }

    /// Roots of `sys` by plain Newton from a 40 x 40 lattice: the independent reference.
    fn brute_force_roots(sys: &dyn ReducedSystem, rect: &Rect) -> Vec<Vec<f64>> {
        let mut roots: Vec<Vec<f64>> = Vec::new();
        for k in 0..1600 {
            let s = [
                rect.x_min + rect.width() * ((k % 40) as f64 + 0.5) / 40.0,
                rect.y_min + rect.height() * ((k / 40) as f64 + 0.5) / 40.0,
            ];
            let r = crate::analysis::fixed_points::newton(sys, &[0.0, 0.0], &s, 10.0, 100);
            if r.residual < 1e-10
                && rect.contains(&r.x)
                && !roots
                    .iter()
                    .any(|q| crate::analysis::linalg::dist(q, &r.x) < 1e-6)
            {
                roots.push(r.x);
            }
        }
        roots
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]
        #[test]
        fn random_tanh_systems_every_root_found_and_nullclines_exact(
            w0 in 0.5f64..3.0, w1 in -1.5f64..1.5, w2 in -1.5f64..1.5, w3 in 0.5f64..3.0,
            b0 in -0.3f64..0.3, b1 in -0.3f64..0.3,
        ) {
            use crate::analysis::linalg::dist;
            let sys = TanhRank2 { w: [w0, w1, w2, w3], b: [b0, b1] };
            let rect = Rect::new(-3.5, 3.5, -3.5, 3.5);
            let reference = brute_force_roots(&sys, &rect);
            // Skip near-degenerate cases: roots nearly merging, or on the border.
            let separated = reference.iter().enumerate().all(|(i, p)| {
                reference[..i].iter().all(|q| dist(p, q) > 0.05) && rect.expanded(-0.02).contains(p)
            });
            proptest::prop_assume!(separated);
            let land = analyze_fast(&sys, &LandscapeRequest::new(rect, vec![0.0, 0.0], TimeModel::Ode));
            for q in &reference {
                proptest::prop_assert!(land.fixed_points.iter().any(|f| dist(&f.kappa, q) < 1e-9), "missed {:?}", q);
            }
            proptest::prop_assert!(land.fixed_points.iter().all(|f| f.residual < 1e-12));
            for (comp, curves) in land.nullclines.curves.iter().enumerate() {
                for p in curves.iter().flat_map(|l| l.points.iter()) {
                    let mut f = [0.0; 2];
                    sys.flow(p, &[0.0, 0.0], &mut f);
                    proptest::prop_assert!(f[comp].abs() < 1e-10, "|F_{}| = {:e} at {:?}", comp + 1, f[comp], p);
                }
            }
        }
    }
}
