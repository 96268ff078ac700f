//! Arguments shared by the commands that analyse or draw a model: what to open, which input, which
//! time model, which part of the plane.

use std::path::PathBuf;

use super::CliError;
use crate::analysis::Rect;
use crate::analysis::projection;
use crate::io::{ReadOptions, Scaling};
use crate::model::{Axes, InputSpec, Model, STEP_DOMAIN, parse_finite_list};
use crate::network::ALPHA;
use crate::reduced::TimeModel;
use crate::reduced::plane::PlaneAxes;

/// How a network file is read (MODEL.md 7): the options the file's keys cannot tell.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReadArgs {
    /// The convention of an m, n state dict: 1/N (the papers' LowRankRNN, default; a JSON
    /// network's own `scaling` field otherwise) or none (their OptimizedLowRankRNN, whose
    /// forward pass has no 1/N; read as m' = sqrt(N) m, n' = sqrt(N) n, wo' = N wo).
    #[arg(long, value_parser = clap::value_parser!(Scaling))]
    pub scaling: Option<Scaling>,
    /// Read a full-rank file (FullRankRNN, wrec of N x N) as its rank-R truncation by SVD; the
    /// share of wrec it keeps is printed.
    #[arg(long, value_name = "R")]
    pub truncate: Option<usize>,
    /// Read a SupportLowRankRNN file (gaussian_basis, supports, ...) as its population model,
    /// each support a population, instead of as its network.
    #[arg(long)]
    pub as_populations: bool,
}

impl ReadArgs {
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            scaling: self.scaling,
            truncate: self.truncate,
            populations: self.as_populations,
        }
    }
}

/// A network or population-model file, or an embedded preset.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// A network (.pt zip or legacy, .npz, .safetensors, our .json) or a population model (.json).
    #[arg(required_unless_present = "preset")]
    pub file: Option<PathBuf>,
    /// An embedded preset instead of a file: the population models dms_mixture_2pop,
    /// poster_didactic, ctx_gating_rank1 and dms_mixture_rank3, or the example networks
    /// dms_rank2_n512, dms_mixture_n4096, ctx_rank1_n512 and dms_mixture_rank3_n4096 (SVD axes).
    #[arg(long, conflicts_with = "file")]
    pub preset: Option<String>,
    /// For a network: keep its own m as the latent axes instead of the SVD axes (MODEL.md 2).
    #[arg(long)]
    pub raw_axes: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

impl SourceArgs {
    pub fn load(&self) -> Result<Model, CliError> {
        let axes = if self.raw_axes { Axes::Raw } else { Axes::Svd };
        match (&self.file, &self.preset) {
            (Some(path), _) => Ok(Model::open(path, axes, &self.read.options())?),
            (None, Some(id)) => Model::preset(id).map_err(CliError),
            (None, None) => Err(CliError("give a FILE or --preset NAME".into())),
        }
    }
}

/// The time model of the reduced dynamics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dynamics {
    /// The continuous-time ODE (time in units of tau).
    Ode,
    /// The trained networks' Euler map kappa <- kappa + alpha F(kappa).
    Map,
}

/// Input, time model and rectangle of a phase-plane question.
#[derive(Debug, Clone, clap::Args)]
pub struct PlaneArgs {
    /// Constant input: none, a channel name (A, B), or values such as 0.5,0.
    #[arg(long, default_value = "none", value_parser = parse_input, allow_hyphen_values = true)]
    pub input: InputSpec,
    #[arg(long, value_enum, default_value = "ode")]
    pub dynamics: Dynamics,
    /// Step of the map, dt / tau (default 0.2, as trained); only with `--dynamics map`.
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: Option<f64>,
    /// The rectangle k1min,k1max,k2min,k2max (default: the system's absorbing box plus 10 %).
    #[arg(long, value_parser = parse_range, allow_hyphen_values = true)]
    pub range: Option<Rect>,
    /// Rank >= 3: the two latent axes of the slice shown, 1-based, e.g. `1,3` (default `1,2`;
    /// MODEL.md 8).
    #[arg(long, value_parser = parse_axes)]
    pub axes: Option<[usize; 2]>,
    /// Rank >= 3: where the slice holds the other latent coordinates: `fp:K` for the K-th fixed
    /// point at the input (1-based, in `analyze`'s order) or R values such as `0,0,0.4`
    /// (default: all 0).
    #[arg(long, allow_hyphen_values = true)]
    pub through: Option<String>,
    /// Rank 1: the input channel `s` of the plane `(v_s, kappa)` (default: the first).
    #[arg(long)]
    pub channel: Option<String>,
}

impl PlaneArgs {
    /// The time model; `--alpha` with the ODE is refused rather than silently ignored.
    pub fn time_model(&self) -> Result<TimeModel, CliError> {
        match (self.dynamics, self.alpha) {
            (Dynamics::Ode, None) => Ok(TimeModel::Ode),
            (Dynamics::Ode, Some(_)) => Err(CliError(
                "--alpha applies to --dynamics map only (the ODE has no step)".into(),
            )),
            (Dynamics::Map, None) => Ok(TimeModel::Map { alpha: ALPHA }),
            (Dynamics::Map, Some(a)) if a >= STEP_DOMAIN.0 && a <= STEP_DOMAIN.1 => {
                Ok(TimeModel::Map { alpha: a })
            }
            (Dynamics::Map, Some(a)) => Err(CliError(format!(
                "--alpha must be in [{}, {}] (dt / tau; the trained networks use {ALPHA}), got {a}",
                STEP_DOMAIN.0, STEP_DOMAIN.1
            ))),
        }
    }

    pub fn input(&self, model: &Model) -> Result<Vec<f64>, CliError> {
        model.input_vector(&self.input).map_err(CliError)
    }

    /// The plane `--axes`, `--through` and `--channel` choose (MODEL.md 8), at input `v`;
    /// options that do not apply to the model's rank are refused, not ignored.
    pub fn axes(
        &self,
        model: &Model,
        v: &[f64],
        time_model: TimeModel,
    ) -> Result<PlaneAxes, CliError> {
        let rank = model.dims().rank;
        let refuse = |flag: &str, what: &str| {
            Err(CliError(format!(
                "{flag} applies to {what}; this model has rank {rank}"
            )))
        };
        let axes = match rank {
            1 => {
                if self.axes.is_some() || self.through.is_some() {
                    return refuse("--axes and --through", "a slice of rank 3 or more");
                }
                let channel = match &self.channel {
                    Some(name) => model.channel(name).map_err(CliError)?,
                    None => 0,
                };
                PlaneAxes::Input { channel }
            }
            _ => {
                if self.channel.is_some() {
                    return refuse("--channel", "rank 1 (the plane of v_s and kappa)");
                }
                if rank == 2 && (self.axes.is_some() || self.through.is_some()) {
                    return refuse("--axes and --through", "a slice of rank 3 or more");
                }
                let [a, b] = self.axes.unwrap_or([1, 2]);
                let held = match &self.through {
                    None => vec![0.0; rank],
                    Some(t) => through(model, t, v, time_model)?,
                };
                PlaneAxes::Latent {
                    axes: [a.wrapping_sub(1), b.wrapping_sub(1)],
                    held,
                }
            }
        };
        let d = model.dims();
        axes.check(d.rank, d.inputs).map_err(CliError)?;
        Ok(axes)
    }

    pub fn rect(&self, model: &Model, axes: &PlaneAxes) -> Rect {
        self.range.unwrap_or_else(|| model.search_box(axes))
    }
}

/// The held coordinates `--through` names: `fp:K` (the K-th fixed point at `v`) or R values.
fn through(
    model: &Model,
    text: &str,
    v: &[f64],
    time_model: TimeModel,
) -> Result<Vec<f64>, CliError> {
    let rank = model.dims().rank;
    if let Some(k) = text.strip_prefix("fp:") {
        let k: usize = k.trim().parse().map_err(|_| {
            CliError(format!(
                "--through {text}: expected fp:K with K = 1, 2, ..."
            ))
        })?;
        let fps = projection::fixed_points(model.system(), v, time_model).map_err(CliError)?;
        return fps
            .get(k.wrapping_sub(1))
            .map(|f| f.kappa.clone())
            .ok_or_else(|| {
                CliError(format!(
                    "--through {text}: the system has {} fixed points at this input",
                    fps.len()
                ))
            });
    }
    let held = parse_finite_list(text).map_err(|e| CliError(format!("--through: {e}")))?;
    if held.len() != rank {
        return Err(CliError(format!(
            "--through {text}: expected {rank} values (one per latent coordinate), got {}",
            held.len()
        )));
    }
    Ok(held)
}

/// `--axes a,b`: two 1-based latent axes.
pub fn parse_axes(s: &str) -> Result<[usize; 2], String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    match parts[..] {
        [a, b] => match (a.parse::<usize>(), b.parse::<usize>()) {
            (Ok(a), Ok(b)) if a >= 1 && b >= 1 && a != b => Ok([a, b]),
            _ => Err(format!(
                "`{s}`: expected two different axes counted from 1, e.g. 1,3"
            )),
        },
        _ => Err(format!("`{s}`: expected two axes, e.g. 1,3")),
    }
}

fn parse_input(s: &str) -> Result<InputSpec, String> {
    s.parse()
}

/// The narrowest side of a `--range`, relative to its values and absolute.
const MIN_RELATIVE_SPAN: f64 = 1e-9;
const MIN_SPAN: f64 = 1e-200;

/// `k1min,k1max,k2min,k2max`, finite, each max above its min by a resolvable span.
pub fn parse_range(s: &str) -> Result<Rect, String> {
    let v = parse_finite_list(s)?;
    let [x0, x1, y0, y1] = v[..] else {
        return Err(format!(
            "expected 4 numbers k1min,k1max,k2min,k2max, got {}",
            v.len()
        ));
    };
    let rect = Rect::new(x0, x1, y0, y1);
    if !rect.is_valid() {
        return Err(format!(
            "empty range: need k1min < k1max and k2min < k2max, got {s}"
        ));
    }
    // A side must span more than rounding can resolve, and more than subnormal numbers.
    let too_narrow =
        |lo: f64, hi: f64| hi - lo < (MIN_RELATIVE_SPAN * lo.abs().max(hi.abs())).max(MIN_SPAN);
    if too_narrow(x0, x1) || too_narrow(y0, y1) {
        return Err(format!(
            "range {s} is too narrow to analyse: each side must span at least {MIN_RELATIVE_SPAN:e} of its magnitude and {MIN_SPAN:e}"
        ));
    }
    Ok(rect)
}

/// The name of a time model as the JSON reports it.
pub fn dynamics_name(tm: TimeModel) -> &'static str {
    match tm {
        TimeModel::Ode => "ode",
        TimeModel::Map { .. } => "map",
    }
}
