//! `render`: the phase plane of a network or population model drawn to SVG or PNG, without a
//! window (for papers and CI).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use super::CliError;
use super::args::{PlaneArgs, SourceArgs};
use crate::analysis::landscape::{LandscapeRequest, NULLCLINE_RESOLUTION, analyze, view_layer};
use crate::io;
use crate::model::TrialSettings;
use crate::render;
use crate::scene::{self, FieldMode, Plane, Scene, frame, trajectories};
use crate::text::number;

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub plane: PlaneArgs,
    /// Overlay the four DMS trials, noise-free with the longest delay (network: the reduced
    /// trajectories and the full network's states as dots; population model: the reduced ones).
    #[arg(long)]
    pub trials: bool,
    /// Draw the eigenvectors of saddles and nodes (red unstable, blue stable).
    #[arg(long)]
    pub eigenvectors: bool,
    /// How the flow field is drawn: `directions` (arrows of one length, coloured by speed),
    /// `arrows` (as long as the flow is fast) or `speed` (the plane shaded by log10 |F| over three
    /// decades, darkest where the flow is slowest).
    #[arg(long, default_value = "directions")]
    pub field: FieldMode,
    /// Flow-field samples per side of the view, 2..=400 (default: 20 for arrows, which are
    /// thinned to stay readable at any density; 80 for the speed shading).
    #[arg(long)]
    pub field_density: Option<usize>,
    /// Output file; `.svg` or `.png` (written atomically).
    #[arg(long, default_value = "phase_plane.svg")]
    pub out: PathBuf,
    /// Figure size in pixels, WxH. The fixed points and cycles are always those of the system's
    /// search box (its absorbing box); --range sets only the view.
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

/// The speed shading's samples per side unless asked: smooth at a figure's size.
const SPEED_GRID: usize = 80;
/// The densities `--field-density` takes.
const FIELD_DENSITIES: std::ops::RangeInclusive<usize> = 2..=400;

/// `--field-density`, or the default of `--field`.
fn field_grid(args: &RenderArgs) -> Result<usize, CliError> {
    match args.field_density {
        Some(n) if FIELD_DENSITIES.contains(&n) => Ok(n),
        Some(n) => Err(CliError(format!(
            "--field-density {n}: expected {}..={} samples per side",
            FIELD_DENSITIES.start(),
            FIELD_DENSITIES.end()
        ))),
        None if args.field == FieldMode::Speed => Ok(SPEED_GRID),
        None => Ok(render::FIELD_GRID),
    }
}

pub fn render(args: &RenderArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let format = Format::of(&args.out)?;
    let grid = field_grid(args)?;
    let size = (args.size.0, args.size.1);
    render::check_size(size)?;
    let time_model = args.plane.time_model()?;
    let model = args.source.load()?;
    super::warn_all(&model.warnings());
    let v = args.plane.input(&model)?;
    let axes = args.plane.axes(&model, &v, time_model)?;
    let sys = model.plane(&axes).map_err(CliError)?;
    let overlays = if args.trials {
        let set = model.canonical_trials(time_model, &TrialSettings::figure())?;
        trajectories::trials(&set, &[true; 4], None, &axes)
    } else {
        Vec::new()
    };
    // Every answer comes from the search box; the view only frames it.
    let land = Arc::new(analyze(
        &sys,
        &LandscapeRequest::new(model.search_box(&axes), v, time_model),
    ));
    if let Some(e) = &land.error {
        return Err(CliError(e.clone()));
    }
    let rect = match args.plane.range {
        Some(rect) => rect,
        None => frame::view_of(
            &land,
            &overlays,
            render::plot_aspect(size, &overlays, false)?,
        ),
    };
    let view = Arc::new(view_layer(&sys, &land, rect, grid, NULLCLINE_RESOLUTION));
    let summary = scene::summary(&land, Some(&rect), true);
    let mut fig = Scene {
        title: match axes.caption() {
            Some(c) => format!("{}, {c}", model.title()),
            None => model.title(),
        },
        axes: axes.symbols(&model.input_names()),
        input_names: model.input_names(),
        overlays,
        ..Scene::new(Plane {
            landscape: land,
            view,
        })
    };
    fig.layers.eigenvectors = args.eigenvectors;
    fig.layers.field_mode = args.field;
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
        number(rect.x_min),
        number(rect.x_max),
        number(rect.y_min),
        number(rect.y_max),
    )?;
    Ok(())
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
