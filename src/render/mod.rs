//! Phase-plane figures without a window: a [`Scene`] (what the [`scene`](crate::scene) module
//! says a picture holds, the same value the explorer draws live) drawn to SVG or PNG with
//! plotters, for papers, the `render` command, the explorer's exports and golden tests.
//!
//! Output is deterministic (same scene and size, same bytes): every coordinate is rounded to
//! whole pixels by the layout, the text is measured with a font embedded in the binary (never a
//! system font), and nothing depends on time, threads or hash order.
//!
//! - `layout`: where (plot rectangle with equal axes, legend column, data-to-pixel map);
//! - `draw`, `glyphs`, `legend`, `ticks`, `geometry`, `text`, `painter`: how.

mod draw;
mod geometry;
mod glyphs;
mod layout;
mod legend;
mod painter;
mod text;
mod ticks;

use plotters::backend::{BitMapBackend, SVGBackend};
use plotters::drawing::IntoDrawingArea;
use thiserror::Error;

use painter::{AreaPainter, TextMode};

use crate::scene::Scene;
use layout::Layout;
pub use layout::plot_aspect;

/// Flow-field samples per side that give one arrow per sample at any figure size (arrows are
/// spaced in proportion to the figure; a finer field is thinned when drawn).
pub const FIELD_GRID: usize = 20;

/// Smallest figure side in pixels: below it the axes, legend and title no longer fit.
pub const MIN_SIDE: u32 = 240;
/// Largest figure side in pixels.
pub const MAX_SIDE: u32 = 8192;
/// Largest figure area in pixels (the PNG is drawn in a 3-byte-per-pixel buffer: 96 MB at most).
pub const MAX_PIXELS: u64 = 32_000_000;

/// The font family the SVG names, so viewers substitute their own sans-serif face (the layout
/// was measured with the embedded font, whose metrics are close to common sans-serif faces).
const FONT_FAMILY: &str = "sans-serif";

/// Why a figure could not be drawn.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RenderError {
    #[error(
        "figure size {width} x {height}: each side must be {MIN_SIDE}..={MAX_SIDE} pixels and \
         the area at most {MAX_PIXELS} pixels"
    )]
    Size { width: u32, height: u32 },
    /// The landscape's own error (nothing was computed), or a view rectangle that is not one.
    #[error("nothing to draw: {0}")]
    Landscape(String),
    #[error("drawing failed: {0}")]
    Backend(String),
    #[error("PNG encoding failed: {0}")]
    Encode(String),
    #[error("{0}")]
    Budget(#[from] crate::budget::OverBudget),
}

/// The scene as an SVG document of `size = (width, height)` pixels.
///
/// Text is stored as `<text font-family="sans-serif">`, so its look depends on the viewer's
/// fonts; its layout was measured with the embedded font.
pub fn svg(fig: &Scene, size: (u32, u32)) -> Result<String, RenderError> {
    let layout = Layout::new(fig, size)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw::figure(
            &mut AreaPainter::new(&root, TextMode::Element),
            fig,
            &layout,
        )?;
        root.present().map_err(painter::backend_error)?;
    }
    Ok(out)
}

/// The scene as PNG bytes (8-bit RGB) of `size = (width, height)` pixels. Lines are not
/// antialiased (plotters' bitmap backend); prefer [`svg`] for print.
pub fn png(fig: &Scene, size: (u32, u32)) -> Result<Vec<u8>, RenderError> {
    let layout = Layout::new(fig, size)?;
    let pixels = size.0 as usize * size.1 as usize;
    // The RGB buffer and, at most as large, its encoding.
    crate::budget::check(
        format!("drawing a {} x {} PNG", size.0, size.1),
        crate::budget::bytes(pixels, 6),
        "draw a smaller figure (--size) or an SVG",
    )?;
    let mut rgb = vec![0u8; 3 * pixels];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw::figure(&mut AreaPainter::new(&root, TextMode::Raster), fig, &layout)?;
        root.present().map_err(painter::backend_error)?;
    }
    encode_png(&rgb, size)
}

/// Checks a requested figure size against [`MIN_SIDE`], [`MAX_SIDE`] and [`MAX_PIXELS`].
pub fn check_size((width, height): (u32, u32)) -> Result<(), RenderError> {
    let side_ok = |s: u32| (MIN_SIDE..=MAX_SIDE).contains(&s);
    if side_ok(width) && side_ok(height) && u64::from(width) * u64::from(height) <= MAX_PIXELS {
        Ok(())
    } else {
        Err(RenderError::Size { width, height })
    }
}

/// PNG bytes of a row-major RGB buffer. The encoder's output is a pure function of its input.
fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, RenderError> {
    let fail = |e: png::EncodingError| RenderError::Encode(e.to_string());
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(bytes)
}
