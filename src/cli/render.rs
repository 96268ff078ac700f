//! `render`: the phase plane of a network or population model drawn to SVG or PNG, without a
//! window (for papers and CI).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::CliError;
use super::args::{PlaneArgs, SourceArgs};
use crate::analysis::landscape::{Landscape, LandscapeRequest, analyze};
use crate::io;
use crate::model::Model;
use crate::reduced::presets;
use crate::render::figure::{self, Figure};
use crate::render::{self, frame, trials};

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub plane: PlaneArgs,
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

/// The figure's title: the file's (or preset's) name and what is drawn.
fn title(args: &RenderArgs, model: &Model) -> String {
    let name = match (&args.source.preset, &args.source.file) {
        (Some(id), _) => presets::get(id).map_or_else(|| id.clone(), |p| p.name.to_string()),
        (None, Some(path)) => path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        (None, None) => String::new(),
    };
    match model {
        Model::Network { network, .. } => {
            format!("{name} (N = {}, exact reduction)", network.dims().neurons)
        }
        Model::Population { .. } => format!("{name} (mean field)"),
    }
}

pub fn render(args: &RenderArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let format = Format::of(&args.out)?;
    let size = (args.size.0, args.size.1);
    render::check_size(size)?;
    let time_model = args.plane.time_model()?;
    let model = args.source.load()?;
    let sys = model.system();
    if sys.rank() != 2 {
        return Err(CliError(format!(
            "the phase plane needs a rank-2 model; this one has rank {}",
            sys.rank()
        )));
    }
    let v = args.plane.input(&model)?;
    let overlays = match (args.trials, &model) {
        (false, _) => Vec::new(),
        (true, Model::Network { network, .. }) => trials::network_trials(network, sys, time_model)?,
        (true, Model::Population { .. }) => trials::reduced_trials(sys, time_model)?,
    };
    let rect = match args.plane.range {
        Some(rect) => rect,
        None => {
            let aspect = render::plot_aspect(size, &overlays)?;
            frame::default_rect(sys, &v, time_model, &overlays, aspect)
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
        title: title(args, &model),
        input_names: model.input_names(),
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
