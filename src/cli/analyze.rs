//! `analyze` (the phase plane of one system) and `continue` (a bifurcation diagram in one parameter).

use std::io::Write;
use std::time::Instant;

use serde::Serialize;

use super::CliError;
use super::args::{PlaneArgs, SourceArgs, dynamics_name};
use crate::analysis::continuation::{BifurcationDiagram, Branch, SpecialPoint};
use crate::analysis::cycle_branch::{CycleBranch, CyclePoint};
use crate::analysis::cycles::Cycle;
use crate::analysis::cycles::CycleOptions;
use crate::analysis::fixed_points::{FixedPoint, FixedPointKind};
use crate::analysis::landscape::{Landscape, LandscapeRequest, analyze as analyze_landscape};
use crate::analysis::linalg::Complex;
use crate::analysis::projection;
use crate::analysis::root_search::{RootSearch, SearchOptions, search_fixed_points};
use crate::model::{Model, ParamSpec};
use crate::reduced::TimeModel;
use crate::text::count;

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub plane: PlaneArgs,
    /// Print JSON: {"dynamics","input","fixed_points":[..],"limit_cycles":[..]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ContinueArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The parameter: input.A (an input amplitude) or a model parameter such as p1.cov(n2,m1),
    /// p2.gain, p1.fraction, p1.mean(m1).
    #[arg(long)]
    pub param: ParamSpec,
    /// Start of the parameter range.
    #[arg(long, allow_negative_numbers = true)]
    pub from: f64,
    /// End of the parameter range.
    #[arg(long, allow_negative_numbers = true)]
    pub to: f64,
    #[command(flatten)]
    pub plane: PlaneArgs,
    /// Also continue the limit cycles (ODE): from every Hopf point, and from every cycle at the
    /// current value and at both ends of the range (period, amplitude, Floquet multipliers, folds
    /// of cycles, and where the period diverges).
    #[arg(long)]
    pub cycles: bool,
    /// A second parameter: continue the fold and Hopf (map: Neimark-Sacker, flip) curves in the
    /// plane of --param and --param2, with their cusp, Bogdanov-Takens, Bautin and fold-Hopf points.
    #[arg(long)]
    pub param2: Option<ParamSpec>,
    /// Start of the second parameter's range (default: the range a diagram in it starts with).
    #[arg(long, allow_negative_numbers = true, requires = "param2")]
    pub from2: Option<f64>,
    /// End of the second parameter's range.
    #[arg(long, allow_negative_numbers = true, requires = "param2")]
    pub to2: Option<f64>,
    /// With --param2: also name the regions of the plane by what the phase plane holds
    /// ("2 memories", "limit cycle", ...), sampled on CELLS x CELLS points.
    #[arg(long, value_name = "CELLS", requires = "param2")]
    pub regions: Option<usize>,
    /// Print the diagram as JSON (branches with stability, special points).
    #[arg(long)]
    pub json: bool,
}

/// A fixed point as `analyze --json` prints it.
#[derive(Debug, Serialize)]
struct FixedPointOut<'a> {
    kappa: &'a [f64],
    eigenvalues: &'a [Complex],
    #[serde(skip_serializing_if = "Option::is_none")]
    multipliers: Option<&'a [Complex]>,
    #[serde(rename = "type")]
    kind: FixedPointKind,
    stable: bool,
}

/// A limit cycle (map: invariant closed curve) as `analyze --json` prints it.
#[derive(Debug, Serialize)]
struct CycleOut<'a> {
    period_tau: f64,
    stable: bool,
    kappa_min: &'a [f64],
    kappa_max: &'a [f64],
    floquet: Option<f64>,
}

#[derive(Debug, Serialize)]
struct AnalyzeReport<'a> {
    dynamics: &'static str,
    input: &'a [f64],
    fixed_points: Vec<FixedPointOut<'a>>,
    /// Rank 2 only: other ranks have no cycle search yet, and an empty list would say "none".
    #[serde(skip_serializing_if = "Option::is_none")]
    limit_cycles: Option<Vec<CycleOut<'a>>>,
    /// Ranks other than 2: how the fixed points were searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    search: Option<SearchOut<'a>>,
    /// What was adjusted in the model (a non-PSD covariance), also said on stderr.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
}

/// How [`search_fixed_points`] searched a system of rank other than 2, as `analyze --json` says it.
#[derive(Debug, Serialize)]
struct SearchOut<'a> {
    /// Half-widths of the box searched, centred on the origin.
    half_widths: &'a [f64],
    /// Whether every cell that could hold a fixed point lies in a found one's uniqueness ball.
    complete: bool,
    unexplained_cells: usize,
    evaluations: usize,
}

fn fixed_point_out(fp: &FixedPoint) -> FixedPointOut<'_> {
    FixedPointOut {
        kappa: &fp.kappa,
        eigenvalues: &fp.eigenvalues,
        multipliers: fp.multipliers.as_deref(),
        kind: fp.kind,
        stable: fp.stable,
    }
}

fn cycle_out(c: &Cycle) -> CycleOut<'_> {
    CycleOut {
        period_tau: c.period_tau,
        stable: c.stable,
        kappa_min: &c.kappa_min,
        kappa_max: &c.kappa_max,
        floquet: c.floquet,
    }
}

/// The phase plane of one system as `analyze` computes it: the landscape (with its nullclines),
/// the input and time model it was computed under, and the wall time of the analysis.
#[derive(Debug)]
pub struct Analysis {
    pub landscape: Landscape,
    pub input: Vec<f64>,
    pub time_model: TimeModel,
    /// What was adjusted in the model (a non-PSD covariance), also said on stderr.
    pub warnings: Vec<String>,
    pub millis: f64,
}

impl Analysis {
    /// Exactly what `analyze --json` prints: {"dynamics","input","fixed_points","limit_cycles"}.
    pub fn report(&self) -> impl Serialize + '_ {
        AnalyzeReport {
            dynamics: dynamics_name(self.time_model),
            input: &self.input,
            fixed_points: self
                .landscape
                .fixed_points
                .iter()
                .map(fixed_point_out)
                .collect(),
            limit_cycles: Some(self.landscape.cycles.iter().map(cycle_out).collect()),
            search: None,
            warnings: &self.warnings,
        }
    }
}

/// Analyses `model` under the input, time model and rectangle of `plane`.
pub fn analysis(model: &Model, plane: &PlaneArgs) -> Result<Analysis, CliError> {
    let warnings = model.warnings();
    super::warn_all(&warnings);
    let time_model = plane.time_model()?;
    let input = plane.input(model)?;
    let axes = plane.axes(model, &input, time_model)?;
    let rect = plane.rect(model, &axes);
    let sys = model.plane(&axes).map_err(CliError)?;
    let clock = Instant::now();
    let landscape = analyze_landscape(
        &sys,
        &LandscapeRequest::new(rect, input.clone(), time_model),
    );
    let millis = clock.elapsed().as_secs_f64() * 1e3;
    if let Some(error) = &landscape.error {
        return Err(CliError(error.clone()));
    }
    Ok(Analysis {
        landscape,
        input,
        time_model,
        warnings,
        millis,
    })
}

pub fn analyze(args: &AnalyzeArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let model = args.source.load()?;
    if model.system().rank() != 2 {
        return analyze_any_rank(args, &model, out);
    }
    let a = analysis(&model, &args.plane)?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&a.report())?)?;
        return Ok(());
    }
    print_landscape(out, &model, &a.landscape, a.millis)
}

/// The fixed points (and, for the ODE of rank >= 3, the attracting limit cycles) of a system that
/// is not rank 2, searched in its `R` dimensions as `analyze` does, with what they were computed
/// under.
#[derive(Debug)]
pub struct Search {
    pub found: RootSearch,
    /// `None` where none are searched: rank 1 (a flow on a line has none) and the map.
    pub cycles: Option<Vec<Cycle>>,
    pub input: Vec<f64>,
    pub time_model: TimeModel,
    pub warnings: Vec<String>,
    pub millis: f64,
}

impl Search {
    /// Exactly what `analyze --json` prints for a system of rank other than 2.
    pub fn report(&self) -> impl Serialize + '_ {
        AnalyzeReport {
            dynamics: dynamics_name(self.time_model),
            input: &self.input,
            fixed_points: self
                .found
                .fixed_points
                .iter()
                .map(fixed_point_out)
                .collect(),
            limit_cycles: self
                .cycles
                .as_ref()
                .map(|c| c.iter().map(cycle_out).collect()),
            search: Some(SearchOut {
                half_widths: &self.found.half_widths,
                complete: self.found.is_complete(),
                unexplained_cells: self.found.unexplained_cells,
                evaluations: self.found.evaluations,
            }),
            warnings: &self.warnings,
        }
    }
}

/// Every fixed point of `model` in the `R`-dimensional absorbing box ([`search_fixed_points`]),
/// with all `R` eigenvalues, and for the ODE of rank >= 3 the attracting limit cycles found in
/// `R` dimensions ([`projection::attracting_cycles`]). `render` and the app draw the planes
/// (MODEL.md 8).
pub fn search(model: &Model, plane: &PlaneArgs) -> Result<Search, CliError> {
    let warnings = model.warnings();
    super::warn_all(&warnings);
    let time_model = plane.time_model()?;
    let input = plane.input(model)?;
    let clock = Instant::now();
    let found = search_fixed_points(
        model.system(),
        &input,
        time_model,
        &SearchOptions::default(),
    )
    .map_err(|e| CliError(format!("analyze: {e}")))?;
    let cycles = (model.system().rank() >= 3 && time_model == TimeModel::Ode).then(|| {
        let opts = CycleOptions::default();
        projection::attracting_cycles(model.system(), &input, &found.fixed_points, &opts).0
    });
    Ok(Search {
        found,
        cycles,
        input,
        time_model,
        warnings,
        millis: clock.elapsed().as_secs_f64() * 1e3,
    })
}

/// `analyze` of a system that is not rank 2: the [`search`] printed.
fn analyze_any_rank(
    args: &AnalyzeArgs,
    model: &Model,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let s = search(model, &args.plane)?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&s.report())?)?;
        return Ok(());
    }
    let (found, cycles, time_model, millis) = (&s.found, &s.cycles, s.time_model, s.millis);
    let v = s.input.as_slice();
    let rank = model.system().rank();
    let sides: Vec<String> = found
        .half_widths
        .iter()
        .map(|b| format!("[{:.3}, {b:.3}]", -b))
        .collect();
    writeln!(out, "{}", model.describe())?;
    writeln!(
        out,
        "{}, input {}: fixed points searched in the {rank}-dimensional absorbing box {}  ({millis:.1} ms, {} evaluations)",
        time_model.label(),
        fmt_vec(v),
        sides.join(" x "),
        found.evaluations
    )?;
    if found.is_complete() {
        writeln!(
            out,
            "complete: every part of the box that could hold a fixed point is next to one found, where no other can be"
        )?;
    } else {
        writeln!(
            out,
            "incomplete: {} could still hold a fixed point that was not found (near a fold, where two are about to meet or vanish)",
            count(found.unexplained_cells, "small cell", "small cells")
        )?;
    }
    print_fixed_points(out, model, &found.fixed_points, v)?;
    match cycles {
        Some(cycles) => {
            let names = [
                format!("attracting limit cycle in {rank} dimensions"),
                format!("attracting limit cycles in {rank} dimensions"),
            ];
            print_cycles(out, cycles, &names)?
        }
        None if rank == 1 => writeln!(out, "\n(rank 1: a flow on a line has no limit cycle)")?,
        None => writeln!(
            out,
            "\n(limit cycles are searched in {rank} dimensions for the ODE; invariant curves of the map are not)"
        )?,
    }
    Ok(())
}

/// The cycles as `analyze` lists them, under a heading that counts them (`names`: singular,
/// plural).
fn print_cycles(
    out: &mut dyn Write,
    cycles: &[Cycle],
    names: &[String; 2],
) -> Result<(), CliError> {
    writeln!(out, "\n{}:", count(cycles.len(), &names[0], &names[1]))?;
    for c in cycles {
        writeln!(
            out,
            "  {} period {:.4} tau{}  box {} .. {}{}",
            if c.stable { "stable  " } else { "unstable" },
            c.period_tau,
            c.period_steps
                .map(|s| format!(" ({s:.1} steps)"))
                .unwrap_or_default(),
            fmt_vec(&c.kappa_min),
            fmt_vec(&c.kappa_max),
            c.floquet
                .map(|f| format!("  Floquet multiplier {f:.4e}"))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

pub(super) fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
    format!("[{}]", parts.join(", "))
}

fn fmt_complex(l: &Complex) -> String {
    if l[1] == 0.0 {
        format!("{:.4}", l[0])
    } else {
        format!("{:.4}{:+.4}i", l[0], l[1])
    }
}

fn print_landscape(
    out: &mut dyn Write,
    model: &Model,
    land: &Landscape,
    millis: f64,
) -> Result<(), CliError> {
    let r = &land.rect;
    writeln!(out, "{}", model.describe())?;
    writeln!(
        out,
        "{}, input {} on [{:.3}, {:.3}] x [{:.3}, {:.3}]  ({millis:.1} ms)",
        land.time_model.label(),
        fmt_vec(&land.v),
        r.x_min,
        r.x_max,
        r.y_min,
        r.y_max
    )?;
    print_fixed_points(out, model, &land.fixed_points, &land.v)?;
    let names = ["limit cycle".to_string(), "limit cycles".to_string()];
    print_cycles(out, &land.cycles, &names)
}

/// The fixed points with their eigenvalues (and multipliers, and for a population model the
/// effective connectivity at each).
fn print_fixed_points(
    out: &mut dyn Write,
    model: &Model,
    fixed_points: &[FixedPoint],
    v: &[f64],
) -> Result<(), CliError> {
    writeln!(
        out,
        "\n{}:",
        count(fixed_points.len(), "fixed point", "fixed points")
    )?;
    for fp in fixed_points {
        let eig: Vec<String> = fp.eigenvalues.iter().map(fmt_complex).collect();
        writeln!(
            out,
            "  kappa {:<22} {:<15} eigenvalues {}{}",
            fmt_vec(&fp.kappa),
            fp.kind.name(),
            eig.join(", "),
            fp.multipliers
                .as_ref()
                .map(|m| {
                    let mm: Vec<String> = m.iter().map(fmt_complex).collect();
                    format!("   multipliers {}", mm.join(", "))
                })
                .unwrap_or_default()
        )?;
        if let Some(s) = model.effective_connectivity(&fp.kappa, v) {
            // For rank 1 the input couplings S~_1,Is matter most: a context input re-weights
            // which sensory input drives kappa.
            let cols = if s.rank == 1 {
                s.rank + s.inputs
            } else {
                s.rank
            };
            for row in 0..s.rank {
                for col in 0..cols {
                    writeln!(out, "      {}", s.explain(row, col, 2))?;
                }
            }
        }
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct ContinueReport<'a> {
    param: String,
    dynamics: &'static str,
    input: &'a [f64],
    start: f64,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
    #[serde(flatten)]
    diagram: &'a BifurcationDiagram,
    #[serde(skip_serializing_if = "Option::is_none")]
    cycle_branches: Option<&'a [CycleBranch]>,
}

/// A bifurcation diagram as `continue` computes it, with what it was computed under.
#[derive(Debug)]
pub struct Continuation {
    pub diagram: BifurcationDiagram,
    pub param: ParamSpec,
    /// Where the diagram started from (the parameter's current value, held in the range).
    pub start: f64,
    pub input: Vec<f64>,
    pub time_model: TimeModel,
    pub warnings: Vec<String>,
    pub millis: f64,
    /// The branches of limit cycles, when asked for.
    pub cycle_branches: Option<Vec<CycleBranch>>,
}

impl Continuation {
    /// Exactly what `continue --json` prints.
    pub fn report(&self) -> impl Serialize + '_ {
        ContinueReport {
            param: self.param.to_string(),
            dynamics: dynamics_name(self.time_model),
            input: &self.input,
            start: self.start,
            warnings: &self.warnings,
            diagram: &self.diagram,
            cycle_branches: self.cycle_branches.as_deref(),
        }
    }
}

/// `--from` and `--to`: different finite numbers.
pub(super) fn check_range([from, to]: [f64; 2]) -> Result<(), CliError> {
    if from.is_finite() && to.is_finite() && from != to {
        Ok(())
    } else {
        Err(CliError(format!(
            "--from and --to must be different finite numbers, got {from} and {to}"
        )))
    }
}

/// Continues the fixed points of `model` in `param` over `[from, to]` (either order) under `plane`.
pub fn continuation(
    model: &Model,
    param: &ParamSpec,
    [from, to]: [f64; 2],
    plane: &PlaneArgs,
    cycles: bool,
) -> Result<Continuation, CliError> {
    check_range([from, to])?;
    let warnings = model.warnings();
    super::warn_all(&warnings);
    let time_model = plane.time_model()?;
    let v = plane.input(model)?;
    let (lo, hi) = (from.min(to), from.max(to));
    // The diagram starts from every fixed point at the current value (held in the range) and at
    // both ends, found in the system's search box (or --range).
    let start = model
        .parameter_value(param, &v, time_model)
        .map_err(CliError)?
        .clamp(lo, hi);
    let clock = Instant::now();
    let diagram = model
        .bifurcation(param, [lo, hi], &v, time_model, plane.range)
        .map_err(CliError)?;
    let cycle_branches = match (cycles, time_model) {
        (false, _) => None,
        (true, TimeModel::Ode) => Some(
            model
                .cycle_branches(param, [lo, hi], &v, &diagram, None)
                .map_err(CliError)?,
        ),
        (true, TimeModel::Map { .. }) => {
            return Err(CliError(
                "--cycles continues the ODE's limit cycles; the map's invariant curves are not \
                 continued: drop --dynamics map"
                    .into(),
            ));
        }
    };
    let millis = clock.elapsed().as_secs_f64() * 1e3;
    Ok(Continuation {
        cycle_branches,
        diagram,
        param: param.clone(),
        start,
        input: v,
        time_model,
        warnings,
        millis,
    })
}

pub fn continue_param(args: &ContinueArgs, out: &mut dyn Write) -> Result<(), CliError> {
    // Before reading any file, as every command checks its flags first.
    check_range([args.from, args.to])?;
    if args.param2.is_some() {
        return super::two_parameter::continue_plane(args, out);
    }
    let model = args.source.load()?;
    let c = continuation(
        &model,
        &args.param,
        [args.from, args.to],
        &args.plane,
        args.cycles,
    )?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&c.report())?)?;
        return Ok(());
    }
    let (lo, hi) = (args.from.min(args.to), args.from.max(args.to));
    let diagram = &c.diagram;
    writeln!(out, "{}", model.describe())?;
    writeln!(
        out,
        "continuation in {} over [{lo}, {hi}] from {} and both ends, {}, input {}  ({:.1} ms)",
        args.param,
        c.start,
        c.time_model.label(),
        fmt_vec(&c.input),
        c.millis
    )?;
    writeln!(
        out,
        "\n{}:",
        count(diagram.branches.len(), "branch", "branches")
    )?;
    for (k, branch) in diagram.branches.iter().enumerate() {
        writeln!(out, "  branch {k}: {}", describe_branch(branch))?;
    }
    writeln!(
        out,
        "\n{}:",
        count(
            diagram.special_points.len(),
            "special point",
            "special points"
        )
    )?;
    for sp in &diagram.special_points {
        writeln!(
            out,
            "  {:<15} at {} = {:.6}  kappa {}  (branch {}){}",
            sp.kind.name(),
            args.param,
            sp.p,
            fmt_vec(&sp.kappa),
            sp.branch,
            lyapunov_note(sp)
        )?;
    }
    if let Some(cycles) = &c.cycle_branches {
        writeln!(
            out,
            "\n{}:",
            count(
                cycles.len(),
                "branch of limit cycles",
                "branches of limit cycles"
            )
        )?;
        for (k, b) in cycles.iter().enumerate() {
            writeln!(out, "  cycles {k}: {}", describe_cycle_branch(b))?;
            for sp in &b.special_points {
                writeln!(
                    out,
                    "    {} at {} = {:.6}, period {:.4}",
                    sp.kind.name(),
                    args.param,
                    sp.p,
                    sp.period
                )?;
            }
            for p in &b.period_diverges_at {
                writeln!(out, "    period diverges at {} = {p:.6}", args.param)?;
            }
        }
    }
    Ok(())
}

/// `"  l1 = -0.53 (supercritical)"` for a Hopf point with its first Lyapunov coefficient.
fn lyapunov_note(sp: &SpecialPoint) -> String {
    match (sp.first_lyapunov, sp.criticality()) {
        (Some(l1), Some(kind)) => format!("  l1 = {l1:.4} ({kind})"),
        _ => String::new(),
    }
}

/// "12 points, p in [a, b], period 6.28 to 41.2; ends: hopf, period_diverges".
fn describe_cycle_branch(b: &CycleBranch) -> String {
    let range = |f: &dyn Fn(&CyclePoint) -> f64| {
        b.points
            .iter()
            .map(f)
            .fold([f64::INFINITY, f64::NEG_INFINITY], |[lo, hi], x| {
                [lo.min(x), hi.max(x)]
            })
    };
    let ([p0, p1], [t0, t1]) = (range(&|q| q.p), range(&|q| q.period));
    let stable = b.points.iter().filter(|q| q.stable).count();
    format!(
        "{} points ({stable} stable), p in [{p0:.4}, {p1:.4}], period {t0:.4} to {t1:.4}; ends {:?}",
        b.points.len(),
        b.ends
    )
}

/// "stable for p in [a, b], unstable for p in [b, c]": the stability segments along a branch.
fn describe_branch(branch: &Branch) -> String {
    let mut segments: Vec<(bool, f64, f64)> = Vec::new();
    for pt in &branch.points {
        match segments.last_mut() {
            Some((stable, _, end)) if *stable == pt.stable => *end = pt.p,
            _ => segments.push((pt.stable, pt.p, pt.p)),
        }
    }
    let parts: Vec<String> = segments
        .iter()
        .map(|(stable, a, b)| {
            format!(
                "{} from {a:.4} to {b:.4}",
                if *stable { "stable" } else { "unstable" }
            )
        })
        .collect();
    format!("{} points; {}", branch.points.len(), parts.join(", then "))
}
