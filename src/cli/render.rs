//! `render`: the phase plane of a network or population model drawn to SVG or PNG, without a
//! window (for papers and CI).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::CliError;
use super::args::{DynamicsArg, InputArg, RangeArg};
use crate::analysis::landscape::{Landscape, LandscapeRequest, analyze};
use crate::io::{self, ModelFile};
use crate::network::Network;
use crate::reduced::{ExactReduction, MeanField, PopulationModel, ReducedSystem, presets};
use crate::render::figure::{self, Figure};
use crate::render::{self, frame, trials};

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// A network (.pt, .npz or .json: its exact reduction on the SVD axes, MODEL.md 2-3) or a
    /// population model (.json: its mean field, MODEL.md 4).
    #[arg(required_unless_present = "preset", conflicts_with = "preset")]
    pub file: Option<PathBuf>,
    /// A built-in population model instead of FILE (e.g. dms_mixture_2pop).
    #[arg(long)]
    pub preset: Option<String>,
    /// Constant input: `none`, a channel name (A, B) or one value per channel (`1,0`).
    #[arg(long, default_value = "none", allow_hyphen_values = true)]
    pub input: InputArg,
    /// Time model: `ode` or `map` (the trained networks' Euler map).
    #[arg(long, default_value = "ode")]
    pub dynamics: DynamicsArg,
    /// Step of the map, dt / tau (default 0.2, as trained); only with `--dynamics map`.
    #[arg(long, allow_negative_numbers = true)]
    pub alpha: Option<f64>,
    /// View k1min,k1max,k2min,k2max; default: every fixed point, cycle and trial trajectory with
    /// a margin, shaped to fill the plot with equal axes.
    #[arg(long, allow_hyphen_values = true)]
    pub range: Option<RangeArg>,
    /// Overlay the four DMS trials (network: projected full network and reduced trajectories;
    /// population model: reduced trajectories).
    #[arg(long)]
    pub trials: bool,
    /// Output file; `.svg` or `.png` (written atomically).
    #[arg(long, default_value = "phase_plane.svg")]
    pub out: PathBuf,
    /// Figure size in pixels, WxH.
    #[arg(long, default_value = "800x600")]
    pub size: SizeArg,
}

/// `--size WxH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeArg(pub u32, pub u32);

impl FromStr for SizeArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parsed = s
            .split_once(['x', 'X'])
            .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
        match parsed {
            Some((w, h)) => Ok(SizeArg(w, h)),
            None => Err(format!(
                "`{s}` is not a size: expected WIDTHxHEIGHT in pixels, e.g. 800x600"
            )),
        }
    }
}

/// The output format, from the extension of `--out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Svg,
    Png,
}

impl Format {
    fn of(path: &Path) -> Result<Format, CliError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => Ok(Format::Svg),
            Some("png") => Ok(Format::Png),
            other => Err(CliError(format!(
                "--out {}: unknown extension {}; use .svg or .png",
                path.display(),
                other.map_or("(none)".to_string(), |e| format!("`.{e}`"))
            ))),
        }
    }
}

/// A loaded model with what the figure needs to know about it.
struct Subject {
    title: String,
    input_names: Vec<String>,
    system: Box<dyn ReducedSystem>,
    /// Where every fixed point and cycle lies (see [`frame`]); `None` if unbounded.
    bound: Option<Vec<f64>>,
    /// The network on its SVD axes, for a network file.
    network: Option<Network>,
}

fn load(args: &RenderArgs) -> Result<Subject, CliError> {
    if let Some(id) = &args.preset {
        let preset = presets::get(id).ok_or_else(|| {
            CliError(format!(
                "no preset `{id}`: the presets are {}",
                presets::ids().collect::<Vec<_>>().join(", ")
            ))
        })?;
        return Ok(population(preset.name, preset.model));
    }
    let path = args
        .file
        .as_deref()
        .ok_or_else(|| CliError("give a model FILE or --preset NAME".to_string()))?;
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    match io::load_model(path)? {
        ModelFile::Population(model) => {
            let name = model
                .meta()
                .get("name")
                .and_then(|v| v.as_str())
                .map_or(stem, str::to_string);
            Ok(population(name, model))
        }
        ModelFile::Network(file) => {
            let net = file.network.svd_reparametrised()?;
            let d = net.dims();
            Ok(Subject {
                title: format!("{stem} (N = {}, exact reduction)", d.neurons),
                input_names: (0..d.inputs)
                    .map(|s| figure::channel_name(&[], s))
                    .collect(),
                system: Box::new(ExactReduction::new(&net)),
                bound: Some(frame::network_bound(&net)),
                network: Some(net),
            })
        }
    }
}

fn population(name: String, model: PopulationModel) -> Subject {
    Subject {
        title: format!("{name} (mean field)"),
        input_names: model.input_names().to_vec(),
        bound: frame::population_bound(&model),
        system: Box::new(MeanField::new(&model)),
        network: None,
    }
}

pub fn render(args: &RenderArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let format = Format::of(&args.out)?;
    let size = (args.size.0, args.size.1);
    render::check_size(size)?;
    let time_model = args.dynamics.time_model(args.alpha).map_err(CliError)?;
    let subject = load(args)?;
    let sys = subject.system.as_ref();
    if sys.rank() != 2 {
        return Err(CliError(format!(
            "the phase plane needs a rank-2 model; this one has rank {}",
            sys.rank()
        )));
    }
    let v = args.input.values(&subject.input_names).map_err(CliError)?;
    let overlays = match (args.trials, &subject.network) {
        (false, _) => Vec::new(),
        (true, Some(net)) => trials::network_trials(net, sys, time_model)?,
        (true, None) => trials::reduced_trials(sys, time_model)?,
    };
    let rect = match args.range {
        Some(RangeArg(rect)) => rect,
        None => {
            let aspect = render::plot_aspect(size, &overlays)?;
            let bound = subject.bound.as_deref();
            frame::default_rect(sys, &v, time_model, bound, &overlays, aspect)
        }
    };
    let land = analyze(
        sys,
        &LandscapeRequest {
            field_grid: render::FIELD_GRID,
            ..LandscapeRequest::new(rect, v, time_model)
        },
    );
    let summary = summary(&land);
    let fig = Figure {
        landscape: land,
        title: subject.title,
        input_names: subject.input_names,
        overlays,
    };
    let bytes = match format {
        Format::Svg => render::svg(&fig, size)?.into_bytes(),
        Format::Png => render::png(&fig, size)?,
    };
    io::write_atomic(&args.out, &bytes)?;
    writeln!(
        out,
        "wrote {} ({} x {}): {}; view [{}, {}] x [{}, {}]; {summary}",
        args.out.display(),
        size.0,
        size.1,
        fig.heading(),
        figure::number(rect.x_min),
        figure::number(rect.x_max),
        figure::number(rect.y_min),
        figure::number(rect.y_max),
    )?;
    Ok(())
}

/// `"5 fixed points (2 stable), 0 cycles"`.
fn summary(land: &Landscape) -> String {
    let stable = land.fixed_points.iter().filter(|f| f.stable).count();
    format!(
        "{} fixed points ({stable} stable), {} cycles",
        land.fixed_points.len(),
        land.cycles.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_formats_parse_with_clear_errors() {
        assert_eq!("800x600".parse::<SizeArg>(), Ok(SizeArg(800, 600)));
        assert_eq!("640X480".parse::<SizeArg>(), Ok(SizeArg(640, 480)));
        assert!(
            "800"
                .parse::<SizeArg>()
                .unwrap_err()
                .contains("WIDTHxHEIGHT")
        );
        assert!("-1x5".parse::<SizeArg>().is_err());
        assert_eq!(Format::of(Path::new("a/b.SVG")).unwrap(), Format::Svg);
        assert_eq!(Format::of(Path::new("b.png")).unwrap(), Format::Png);
        let err = Format::of(Path::new("b.jpg")).unwrap_err().0;
        assert!(
            err.contains("`.jpg`") && err.contains(".svg or .png"),
            "{err}"
        );
        assert!(
            Format::of(Path::new("fig"))
                .unwrap_err()
                .0
                .contains("(none)")
        );
    }
}
