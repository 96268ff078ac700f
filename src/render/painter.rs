//! The few drawing primitives a figure uses, behind one object-safe trait, so the drawing code
//! is written once for the SVG and the bitmap backend (and can be checked with a recorder).

use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::element::{Circle, PathElement, Polygon, Rectangle, Text};
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{
    Color, FontDesc, FontFamily, FontStyle, RGBAColor, RGBColor, ShapeStyle, TextStyle,
};

use super::geometry::Px;
use super::{FONT_FAMILY, RenderError, text as glyphs};
use crate::scene::style::Rgb;

/// A point in whole pixels.
pub type Pt = (i32, i32);

/// Rounds a pixel point (every coordinate a figure emits goes through here).
pub fn pt(p: Px) -> Pt {
    (p.0.round() as i32, p.1.round() as i32)
}

/// How a text is set: size in pixels, colour, and which point of its box `at` is.
#[derive(Clone, Copy)]
pub struct Font {
    pub size: f64,
    pub colour: Rgb,
    pub h: HPos,
    pub v: VPos,
}

/// Drawing primitives in pixel coordinates (origin top left).
pub trait Painter {
    fn polyline(&mut self, points: &[Pt], colour: Rgb, width: u32) -> Result<(), RenderError>;
    fn polygon(&mut self, points: &[Pt], colour: Rgb) -> Result<(), RenderError>;
    /// A disc (`fill`) or a ring of `width` pixels.
    fn circle(
        &mut self,
        centre: Pt,
        radius: u32,
        colour: Rgb,
        fill: bool,
        width: u32,
    ) -> Result<(), RenderError>;
    /// A filled rectangle (`width == 0`) or its outline.
    fn rect(&mut self, a: Pt, b: Pt, colour: Rgb, width: u32) -> Result<(), RenderError>;
    fn text(&mut self, text: &str, at: Pt, font: &Font) -> Result<(), RenderError>;
}

/// How text reaches the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextMode {
    /// As text elements (SVG `<text>`): the viewer sets them.
    Element,
    /// As pixels, rasterised with the embedded font (bitmaps).
    Raster,
}

/// The plotters implementation, on a root drawing area.
pub struct AreaPainter<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    text: TextMode,
}

impl<'a, DB: DrawingBackend> AreaPainter<'a, DB> {
    pub fn new(area: &'a DrawingArea<DB, Shift>, text: TextMode) -> Self {
        AreaPainter { area, text }
    }
}

pub fn backend_error<E: std::error::Error + Send + Sync>(
    e: DrawingAreaErrorKind<E>,
) -> RenderError {
    RenderError::Backend(e.to_string())
}

fn shape(colour: Rgb, filled: bool, width: u32) -> ShapeStyle {
    ShapeStyle {
        color: RGBColor(colour[0], colour[1], colour[2]).into(),
        filled,
        stroke_width: width,
    }
}

impl<DB: DrawingBackend> Painter for AreaPainter<'_, DB> {
    fn polyline(&mut self, points: &[Pt], colour: Rgb, width: u32) -> Result<(), RenderError> {
        self.area
            .draw(&PathElement::new(
                points.to_vec(),
                shape(colour, false, width),
            ))
            .map_err(backend_error)
    }

    fn polygon(&mut self, points: &[Pt], colour: Rgb) -> Result<(), RenderError> {
        self.area
            .draw(&Polygon::new(points.to_vec(), shape(colour, true, 1)))
            .map_err(backend_error)
    }

    fn circle(
        &mut self,
        centre: Pt,
        radius: u32,
        colour: Rgb,
        fill: bool,
        width: u32,
    ) -> Result<(), RenderError> {
        self.area
            .draw(&Circle::new(centre, radius, shape(colour, fill, width)))
            .map_err(backend_error)
    }

    fn rect(&mut self, a: Pt, b: Pt, colour: Rgb, width: u32) -> Result<(), RenderError> {
        let style = shape(colour, width == 0, width.max(1));
        self.area
            .draw(&Rectangle::new([a, b], style))
            .map_err(backend_error)
    }

    fn text(&mut self, text: &str, at: Pt, font: &Font) -> Result<(), RenderError> {
        if self.text == TextMode::Raster {
            let [r, g, b] = font.colour;
            let mut result = Ok(());
            glyphs::rasterise(text, at, font.size, font.h, font.v, |x, y, coverage| {
                if result.is_ok() {
                    let ink = RGBAColor(r, g, b, f64::from(coverage));
                    result = self.area.draw_pixel((x, y), &ink).map_err(backend_error);
                }
            });
            return result;
        }
        let style = TextStyle {
            font: FontDesc::new(FontFamily::Name(FONT_FAMILY), font.size, FontStyle::Normal),
            color: RGBColor(font.colour[0], font.colour[1], font.colour[2]).to_backend_color(),
            pos: Pos::new(font.h, font.v),
        };
        self.area
            .draw(&Text::new(text.to_string(), at, style))
            .map_err(backend_error)
    }
}
