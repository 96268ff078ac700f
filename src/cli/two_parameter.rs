//! `continue --param2`: the two-parameter diagram (fold and Hopf curves with their
//! codimension-2 points, and optionally the regions named by what the phase plane holds).

use std::io::Write;
use std::time::Instant;

use serde::Serialize;

use super::CliError;
use super::analyze::{ContinueArgs, check_range, fmt_vec};
use super::args::{PlaneArgs, dynamics_name};
use crate::analysis::regions::Regions;
use crate::analysis::two_parameter::{Curve, TwoParameterDiagram};
use crate::model::{Model, ParamSpec};
use crate::reduced::TimeModel;
use crate::text::count;

/// A two-parameter diagram as `continue --param2` computes it, with what it was computed under.
#[derive(Debug)]
pub struct PlaneContinuation {
    pub params: [ParamSpec; 2],
    pub start: [f64; 2],
    pub input: Vec<f64>,
    pub time_model: TimeModel,
    pub warnings: Vec<String>,
    pub diagram: TwoParameterDiagram,
    pub regions: Option<Regions>,
    pub millis: f64,
}

#[derive(Serialize)]
struct PlaneReport<'a> {
    param: String,
    param2: String,
    dynamics: &'static str,
    input: &'a [f64],
    start: [f64; 2],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
    #[serde(flatten)]
    diagram: &'a TwoParameterDiagram,
    #[serde(skip_serializing_if = "Option::is_none")]
    regions: Option<&'a Regions>,
}

impl PlaneContinuation {
    /// Exactly what `continue --param2 --json` prints.
    pub fn report(&self) -> impl Serialize + '_ {
        PlaneReport {
            param: self.params[0].to_string(),
            param2: self.params[1].to_string(),
            dynamics: dynamics_name(self.time_model),
            input: &self.input,
            start: self.start,
            warnings: &self.warnings,
            diagram: &self.diagram,
            regions: self.regions.as_ref(),
        }
    }
}

/// The two-parameter diagram of `model` in `params` over `ranges` (either order) under `plane`,
/// with the regions on `cells x cells` points when asked.
pub fn plane_continuation(
    model: &Model,
    params: [&ParamSpec; 2],
    ranges: [[f64; 2]; 2],
    plane: &PlaneArgs,
    cells: Option<usize>,
) -> Result<PlaneContinuation, CliError> {
    for r in ranges {
        check_range(r)?;
    }
    if cells == Some(0) {
        return Err(CliError("--regions needs at least 1 cell".into()));
    }
    let ranges = ranges.map(|[a, b]| [a.min(b), a.max(b)]);
    let warnings = model.warnings();
    super::warn_all(&warnings);
    let time_model = plane.time_model()?;
    let v = plane.input(model)?;
    let mut start = [0.0; 2];
    for k in 0..2 {
        let [lo, hi] = ranges[k];
        start[k] = model
            .parameter_value(params[k], &v, time_model)
            .map_err(CliError)?
            .clamp(lo, hi);
    }
    let clock = Instant::now();
    let diagram = model
        .two_parameter(params, ranges, &v, time_model, None)
        .map_err(CliError)?;
    let regions = cells
        .map(|c| model.regions(params, ranges, &v, time_model, [c, c], None))
        .transpose()
        .map_err(CliError)?
        .flatten();
    Ok(PlaneContinuation {
        params: params.map(Clone::clone),
        start,
        input: v,
        time_model,
        warnings,
        diagram,
        regions,
        millis: clock.elapsed().as_secs_f64() * 1e3,
    })
}

/// `continue --param2`.
pub fn continue_plane(args: &ContinueArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let Some(param2) = &args.param2 else {
        return Err(CliError("--param2 names the second parameter".into()));
    };
    if args.cycles {
        return Err(CliError(
            "--cycles continues limit cycles in one parameter; drop it with --param2".into(),
        ));
    }
    let model = args.source.load()?;
    let [lo2, hi2] = model.continuation_range(param2);
    let range2 = [args.from2.unwrap_or(lo2), args.to2.unwrap_or(hi2)];
    let c = plane_continuation(
        &model,
        [&args.param, param2],
        [[args.from, args.to], range2],
        &args.plane,
        args.regions,
    )?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&c.report())?)?;
        return Ok(());
    }
    let [[a0, a1], [b0, b1]] = c.diagram.ranges;
    let (p, q) = (&args.param, param2);
    writeln!(out, "{}", model.describe())?;
    writeln!(
        out,
        "two-parameter continuation in {p} over [{a0}, {a1}] and {q} over [{b0}, {b1}] from \
         ({}, {}), {}, input {}  ({:.1} ms)",
        c.start[0],
        c.start[1],
        c.time_model.label(),
        fmt_vec(&c.input),
        c.millis
    )?;
    let d = &c.diagram;
    writeln!(out, "\n{}:", count(d.curves.len(), "curve", "curves"))?;
    for (k, curve) in d.curves.iter().enumerate() {
        writeln!(out, "  curve {k}: {}", describe_curve(curve, p, q))?;
    }
    writeln!(
        out,
        "\n{}:",
        count(
            d.codim2_points.len(),
            "codimension-2 point",
            "codimension-2 points"
        )
    )?;
    for pt in &d.codim2_points {
        writeln!(
            out,
            "  {:<16} ({}) at {p} = {:.6}, {q} = {:.6}  kappa {}  (curve {})",
            pt.kind.name(),
            pt.kind.label(),
            pt.p,
            pt.q,
            fmt_vec(&pt.kappa),
            pt.curve
        )?;
        if let Some(k) = &pt.coefficients {
            writeln!(out, "    {}", k.describe())?;
        }
        if let Some(m) = pt.kind.multipliers() {
            writeln!(out, "    {m}")?;
        }
    }
    if let Some(r) = &c.regions {
        writeln!(
            out,
            "\nregions ({} x {} points, {}):",
            r.cells[0],
            r.cells[1],
            count(r.regions.len(), "region", "regions")
        )?;
        for g in &r.regions {
            writeln!(
                out,
                "  {:<24} {:>4} cells, around {p} = {:.4}, {q} = {:.4}",
                g.name, g.cells, g.label_at[0], g.label_at[1]
            )?;
        }
    }
    Ok(())
}

/// "fold, 130 points, input.A in [0.29, 0.41], p1.cov(n2,m1) in [1.2, 3]; ends [RangeEnd, ...]".
fn describe_curve(c: &Curve, p: &ParamSpec, q: &ParamSpec) -> String {
    let span = |f: &dyn Fn(usize) -> f64| {
        (0..c.points.len())
            .map(f)
            .fold([f64::INFINITY, f64::NEG_INFINITY], |[lo, hi], x| {
                [lo.min(x), hi.max(x)]
            })
    };
    let ([p0, p1], [q0, q1]) = (span(&|i| c.points[i].p), span(&|i| c.points[i].q));
    let neutral = c.points.iter().filter(|pt| pt.neutral_saddle).count();
    let neutral = if neutral > 0 {
        format!(" ({neutral} of them neutral saddles)")
    } else {
        String::new()
    };
    format!(
        "{}, {} points{neutral}, {p} in [{p0:.4}, {p1:.4}], {q} in [{q0:.4}, {q1:.4}]; ends {:?}",
        c.kind.name(),
        c.points.len(),
        c.ends
    )
}
