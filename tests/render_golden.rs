//! Golden tests of the rendered phase plane of the DMS mixture preset (MODEL.md 4; the plane the
//! fixtures' README describes): the SVG is read back as XML-ish elements and checked for what a
//! reader must see, with positions mapped back through the plot frame drawn in the file (not
//! through the renderer's own layout code), so a misplaced glyph or nullcline fails.

use std::collections::HashMap;

use std::sync::Arc;

use lowrank_explorer::analysis::Rect;
use lowrank_explorer::analysis::fixed_points::FixedPointKind;
use lowrank_explorer::analysis::landscape::{
    Landscape, LandscapeRequest, NULLCLINE_RESOLUTION, analyze, view_layer,
};
use lowrank_explorer::reduced::{MeanField, ReducedSystem, TimeModel, presets};
use lowrank_explorer::render::{self, RenderError};
use lowrank_explorer::scene::style::{self, Rgb};
use lowrank_explorer::scene::{Plane, Scene, frame};

const SIZE: (u32, u32) = (800, 600);
/// The plot frame's colour (`render::draw::AXIS`) and the fixed points' colour, as SVG writes them.
const FRAME: &str = "#5A5A5A";

fn hex(c: Rgb) -> String {
    format!("#{:02X}{:02X}{:02X}", c[0], c[1], c[2])
}

/// One SVG element: its tag, attributes and (for `<text>`) its text.
#[derive(Debug)]
struct Element {
    tag: String,
    attrs: HashMap<String, String>,
    text: String,
}

impl Element {
    fn attr(&self, key: &str) -> &str {
        self.attrs.get(key).map_or("", String::as_str)
    }
    fn num(&self, key: &str) -> f64 {
        self.attr(key).parse().unwrap_or(f64::NAN)
    }
    fn points(&self) -> Vec<(f64, f64)> {
        self.attr("points")
            .split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// A small reader for the flat SVG plotters writes: `<tag k="v" .../>`, `<text ...>t</text>`.
fn parse(svg: &str) -> Vec<Element> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("unclosed tag");
        let (head, after) = (&rest[..end], &rest[end + 1..]);
        rest = after;
        if head.starts_with('/') || head.starts_with('?') {
            continue;
        }
        let head = head.trim_end_matches('/');
        let (tag, mut body) = head.split_once(char::is_whitespace).unwrap_or((head, ""));
        let mut attrs = HashMap::new();
        while let Some(eq) = body.find("=\"") {
            let key = body[..eq].trim().to_string();
            let value_end = body[eq + 2..].find('"').expect("unclosed attribute");
            attrs.insert(key, unescape(&body[eq + 2..eq + 2 + value_end]));
            body = &body[eq + 2 + value_end + 1..];
        }
        let text = if tag == "text" {
            let close = rest.find("</text>").expect("unclosed text");
            let t = unescape(rest[..close].trim());
            rest = &rest[close..];
            t
        } else {
            String::new()
        };
        out.push(Element {
            tag: tag.to_string(),
            attrs,
            text,
        });
    }
    out
}

fn preset() -> MeanField {
    MeanField::new(&presets::get("dms_mixture_2pop").unwrap().model)
}

/// The scene the CLI would draw: the search box analysed, the view framed around what it found.
fn landscape(sys: &MeanField, v: [f64; 2]) -> Scene {
    let land = analyze(
        sys,
        &LandscapeRequest::new(Rect::default_for(sys), v.to_vec(), TimeModel::Ode),
    );
    let aspect = render::plot_aspect(SIZE, &[], false).unwrap();
    let rect = frame::view_of(&land, &[], aspect);
    figure(sys, land, rect)
}

/// `land` seen in `rect`, titled as the CLI titles the preset.
fn figure(sys: &dyn ReducedSystem, land: Landscape, rect: Rect) -> Scene {
    let view = view_layer(sys, &land, rect, render::FIELD_GRID, NULLCLINE_RESOLUTION);
    Scene {
        title: "DMS mixture".into(),
        input_names: vec!["A".into(), "B".into()],
        ..Scene::new(Plane {
            landscape: Arc::new(land),
            view: Arc::new(view),
        })
    }
}

/// The plot frame in the file, and the map from `kappa` to its pixels.
struct Frame {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
    rect: Rect,
}

impl Frame {
    fn find(elements: &[Element], rect: Rect) -> Frame {
        let frames: Vec<&Element> = elements
            .iter()
            .filter(|e| e.tag == "rect" && e.attr("stroke") == FRAME && e.attr("fill") == "none")
            .collect();
        assert_eq!(frames.len(), 1, "one plot frame");
        let f = frames[0];
        let (left, top) = (f.num("x"), f.num("y"));
        Frame {
            left,
            top,
            right: left + f.num("width"),
            bottom: top + f.num("height"),
            rect,
        }
    }
    fn to_px(&self, k: &[f64]) -> (f64, f64) {
        (
            self.left + (k[0] - self.rect.x_min) / self.rect.width() * (self.right - self.left),
            self.bottom - (k[1] - self.rect.y_min) / self.rect.height() * (self.bottom - self.top),
        )
    }
    fn to_kappa(&self, p: (f64, f64)) -> [f64; 2] {
        [
            self.rect.x_min + (p.0 - self.left) / (self.right - self.left) * self.rect.width(),
            self.rect.y_min + (self.bottom - p.1) / (self.bottom - self.top) * self.rect.height(),
        ]
    }
    fn inside(&self, p: (f64, f64)) -> bool {
        (self.left - 1.0..=self.right + 1.0).contains(&p.0)
            && (self.top - 1.0..=self.bottom + 1.0).contains(&p.1)
    }
    fn unit_per_px(&self) -> f64 {
        (self.rect.width() / (self.right - self.left))
            .max(self.rect.height() / (self.bottom - self.top))
    }
}

/// Fixed-point glyphs inside the plot, by class, as pixel centres.
struct Glyphs {
    stable: Vec<(f64, f64)>,
    unstable: Vec<(f64, f64)>,
    saddles: Vec<(f64, f64)>,
}

fn glyphs(elements: &[Element], frame: &Frame) -> Glyphs {
    let ink = hex(style::FIXED_POINT);
    let circles = |fill: &str, stroke: &str| -> Vec<(f64, f64)> {
        elements
            .iter()
            .filter(|e| e.tag == "circle" && e.attr("fill") == fill && e.attr("stroke") == stroke)
            .map(|e| (e.num("cx"), e.num("cy")))
            .filter(|&p| frame.inside(p))
            .collect()
    };
    // A saddle is two crossing two-point strokes with the same midpoint.
    let bars: Vec<(f64, f64)> = elements
        .iter()
        .filter(|e| e.tag == "polyline" && e.attr("stroke") == ink)
        .map(|e| e.points())
        .filter(|p| p.len() == 2)
        .map(|p| (0.5 * (p[0].0 + p[1].0), 0.5 * (p[0].1 + p[1].1)))
        .filter(|&p| frame.inside(p))
        .collect();
    let mut saddles: Vec<(f64, f64)> = Vec::new();
    for (i, a) in bars.iter().enumerate() {
        if bars[..i].iter().any(|b| b == a) {
            saddles.push(*a);
        }
    }
    assert_eq!(bars.len(), 2 * saddles.len(), "unpaired strokes: {bars:?}");
    Glyphs {
        stable: circles(&ink, "none"),
        unstable: circles("none", &ink),
        saddles,
    }
}

/// Every glyph sits within a pixel of a fixed point of its class, and every such fixed point has
/// its glyph.
fn assert_glyphs_on(
    glyphs: &[(f64, f64)],
    land: &Landscape,
    frame: &Frame,
    class: impl Fn(FixedPointKind, bool) -> bool,
) {
    let expected: Vec<(f64, f64)> = land
        .fixed_points
        .iter()
        .filter(|f| class(f.kind, f.stable))
        .map(|f| frame.to_px(&f.kappa))
        .collect();
    assert_eq!(
        glyphs.len(),
        expected.len(),
        "glyphs {glyphs:?} vs fixed points {expected:?}"
    );
    for e in &expected {
        assert!(
            glyphs
                .iter()
                .any(|g| (g.0 - e.0).abs() <= 1.0 && (g.1 - e.1).abs() <= 1.0),
            "no glyph within a pixel of {e:?}: {glyphs:?}"
        );
    }
}

fn texts(elements: &[Element]) -> Vec<&Element> {
    elements.iter().filter(|e| e.tag == "text").collect()
}

/// The nullclines: series in both colours inside the plot, every vertex within a pixel of
/// `F_r = 0` (to first order: `|F_r| <= |grad F_r|` times one pixel).
fn assert_nullclines(elements: &[Element], frame: &Frame, sys: &MeanField, v: [f64; 2]) {
    for (r, colour) in [style::NULLCLINE_1, style::NULLCLINE_2]
        .into_iter()
        .enumerate()
    {
        let series: Vec<Vec<(f64, f64)>> = elements
            .iter()
            .filter(|e| e.tag == "polyline" && e.attr("stroke") == hex(colour))
            .map(|e| e.points())
            .filter(|p| p.iter().all(|&q| frame.inside(q)))
            .collect();
        assert!(!series.is_empty(), "no kappa_{} nullcline", r + 1);
        let vertices: usize = series.iter().map(Vec::len).sum();
        assert!(
            vertices > 50,
            "kappa_{} nullcline has {vertices} vertices",
            r + 1
        );
        let h = frame.unit_per_px();
        for p in series.iter().flatten() {
            let k = frame.to_kappa(*p);
            let (mut f, mut jac) = ([0.0; 2], [0.0; 4]);
            sys.flow_jacobian(&k, &v, &mut f, &mut jac);
            let grad = jac[2 * r].hypot(jac[2 * r + 1]);
            assert!(
                f[r].abs() <= grad * h + 1e-9,
                "kappa_{} nullcline vertex {p:?} = {k:?} has F = {:e} (one pixel allows {:e})",
                r + 1,
                f[r],
                grad * h
            );
        }
    }
}

fn assert_legend(elements: &[Element], frame: &Frame, labels: &[&str]) {
    for label in labels {
        let e = texts(elements)
            .into_iter()
            .find(|e| e.text == *label)
            .unwrap_or_else(|| panic!("no legend entry {label:?}"));
        assert!(
            e.num("x") > frame.right,
            "legend entry {label:?} over the plot"
        );
    }
}

#[test]
fn no_input_two_memory_states_two_saddles_and_an_unstable_origin() {
    let sys = preset();
    let fig = landscape(&sys, [0.0, 0.0]);
    let (land, rect) = (fig.landscape(), fig.plane.rect());
    let svg = render::svg(&fig, SIZE).unwrap();
    assert_eq!(svg, render::svg(&fig, SIZE).unwrap(), "deterministic");
    let elements = parse(&svg);
    assert_eq!(elements[0].tag, "svg");
    assert_eq!(
        (elements[0].num("width"), elements[0].num("height")),
        (800.0, 600.0)
    );
    let title = texts(&elements)
        .into_iter()
        .find(|e| e.text.starts_with("DMS mixture"))
        .expect("title");
    assert_eq!(title.text, "DMS mixture — ODE, no input");
    let frame = Frame::find(&elements, rect);
    // Equal axes: one unit is as many pixels across as up.
    let ppu = (
        (frame.right - frame.left) / rect.width(),
        (frame.bottom - frame.top) / rect.height(),
    );
    assert!((ppu.0 - ppu.1).abs() < 0.01 * ppu.0, "{ppu:?}");
    let g = glyphs(&elements, &frame);
    assert_eq!(
        (g.stable.len(), g.saddles.len(), g.unstable.len()),
        (2, 2, 1)
    );
    assert_glyphs_on(&g.stable, land, &frame, |_, stable| stable);
    assert_glyphs_on(&g.saddles, land, &frame, |k, _| k == FixedPointKind::Saddle);
    assert_glyphs_on(&g.unstable, land, &frame, |k, stable| {
        !stable && k != FixedPointKind::Saddle
    });
    assert_nullclines(&elements, &frame, &sys, [0.0, 0.0]);
    assert_legend(
        &elements,
        &frame,
        &[
            "κ₁ nullcline",
            "κ₂ nullcline",
            "stable fixed point",
            "unstable fixed point",
            "saddle",
            "separatrix (stable manifold)",
        ],
    );
    assert!(
        !elements
            .iter()
            .any(|e| e.attr("stroke") == hex(style::CYCLE)),
        "no cycle without input"
    );
}

#[test]
fn input_a_unstable_focus_inside_a_thick_stable_cycle_labelled_with_its_period() {
    let sys = preset();
    let fig = landscape(&sys, [1.0, 0.0]);
    let land = fig.landscape();
    assert_eq!(land.fixed_points.len(), 1);
    assert_eq!(land.fixed_points[0].kind, FixedPointKind::UnstableFocus);
    assert_eq!(land.cycles.len(), 1);
    let svg = render::svg(&fig, SIZE).unwrap();
    let elements = parse(&svg);
    assert!(
        texts(&elements)
            .iter()
            .any(|e| e.text == "DMS mixture — ODE, input A")
    );
    let frame = Frame::find(&elements, fig.plane.rect());
    let g = glyphs(&elements, &frame);
    assert_eq!(
        (g.stable.len(), g.saddles.len(), g.unstable.len()),
        (0, 0, 1)
    );
    assert_glyphs_on(&g.unstable, land, &frame, |k, _| {
        k == FixedPointKind::UnstableFocus
    });
    assert_nullclines(&elements, &frame, &sys, [1.0, 0.0]);
    // The cycle: thick (wider than the nullclines), solid, inside the plot, on the cycle's points.
    let cycle = &land.cycles[0];
    let strokes: Vec<&Element> = elements
        .iter()
        .filter(|e| e.tag == "polyline" && e.attr("stroke") == hex(style::CYCLE))
        .filter(|e| e.points().iter().all(|&p| frame.inside(p)))
        .collect();
    assert_eq!(strokes.len(), 1, "one solid stroke for a stable cycle");
    let nullcline_width = elements
        .iter()
        .find(|e| e.attr("stroke") == hex(style::NULLCLINE_1))
        .unwrap()
        .num("stroke-width");
    assert!(
        strokes[0].num("stroke-width") >= 3.0 && strokes[0].num("stroke-width") > nullcline_width
    );
    let drawn = strokes[0].points();
    assert!(drawn.len() > 20);
    for q in &cycle.points {
        let p = frame.to_px(q);
        let nearest = drawn
            .iter()
            .map(|d| (d.0 - p.0).hypot(d.1 - p.1))
            .fold(f64::INFINITY, f64::min);
        assert!(nearest <= 1.0, "cycle point {q:?} drawn {nearest} px away");
    }
    // The period label, just above the cycle's top.
    let label = format!("T = {:.2} τ", cycle.period_tau);
    let text = texts(&elements)
        .into_iter()
        .find(|e| e.text == label)
        .expect("period label");
    let top = cycle
        .points
        .iter()
        .map(|q| frame.to_px(q).1)
        .fold(f64::INFINITY, f64::min);
    assert!(frame.inside((text.num("x"), text.num("y"))));
    assert!(
        (text.num("y") - top).abs() < 20.0,
        "label at y = {}, cycle top at {top}",
        text.num("y")
    );
    assert_legend(
        &elements,
        &frame,
        &[
            "κ₁ nullcline",
            "κ₂ nullcline",
            "unstable fixed point",
            "stable limit cycle",
        ],
    );
}

#[test]
fn an_unstable_cycle_is_dashed() {
    // The same plane read backwards in time (F -> -F) turns the stable cycle unstable.
    struct Reversed(MeanField);
    impl ReducedSystem for Reversed {
        fn rank(&self) -> usize {
            2
        }
        fn inputs(&self) -> usize {
            2
        }
        fn flow(&self, k: &[f64], v: &[f64], out: &mut [f64]) {
            self.0.flow(k, v, out);
            out.iter_mut().for_each(|x| *x = -*x);
        }
        fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], jac: &mut [f64]) {
            self.0.flow_jacobian(k, v, f, jac);
            f.iter_mut().chain(jac.iter_mut()).for_each(|x| *x = -*x);
        }
    }
    let rect = landscape(&preset(), [1.0, 0.0]).plane.rect();
    let reversed = Reversed(preset());
    let land = analyze(
        &reversed,
        &LandscapeRequest::new(Rect::default_for(&preset()), vec![1.0, 0.0], TimeModel::Ode),
    );
    assert!(land.cycles.len() == 1 && !land.cycles[0].stable);
    let elements = parse(&render::svg(&figure(&reversed, land, rect), SIZE).unwrap());
    let dashes = elements
        .iter()
        .filter(|e| e.tag == "polyline" && e.attr("stroke") == hex(style::CYCLE))
        .count();
    assert!(dashes > 10, "{dashes} dashes");
    assert!(
        texts(&elements)
            .iter()
            .any(|e| e.text == "unstable limit cycle")
    );
}

/// Decodes a PNG with the `png` crate (the encoder's own dependency).
fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info, buf)
}

#[test]
fn png_has_the_size_the_colours_and_is_deterministic() {
    let fig = landscape(&preset(), [1.0, 0.0]);
    let bytes = render::png(&fig, (640, 480)).unwrap();
    assert_eq!(
        bytes,
        render::png(&fig, (640, 480)).unwrap(),
        "deterministic"
    );
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let (info, rgb) = decode(&bytes);
    assert_eq!((info.width, info.height), (640, 480));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels: Vec<[u8; 3]> = rgb.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    let mut distinct = pixels.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() > 50, "only {} colours", distinct.len());
    for colour in [
        style::NULLCLINE_1,
        style::NULLCLINE_2,
        style::CYCLE,
        style::FIXED_POINT,
    ] {
        let n = pixels.iter().filter(|p| **p == colour).count();
        assert!(n > 20, "{n} pixels of {colour:?}");
    }
    let white = pixels.iter().filter(|p| **p == [255, 255, 255]).count();
    assert!(
        white > pixels.len() / 3 && white < pixels.len(),
        "{white} white pixels"
    );
}

#[test]
fn bad_sizes_and_failed_landscapes_are_errors_not_panics() {
    let sys = preset();
    let fig = landscape(&sys, [0.0, 0.0]);
    for size in [(0, 600), (100, 600), (800, 9000), (8000, 8000)] {
        assert!(
            matches!(render::svg(&fig, size), Err(RenderError::Size { .. })),
            "{size:?}"
        );
        assert!(
            matches!(render::png(&fig, size), Err(RenderError::Size { .. })),
            "{size:?}"
        );
    }
    let empty = Rect::new(0.0, 0.0, 0.0, 1.0);
    let broken = analyze(
        &sys,
        &LandscapeRequest::new(empty, vec![0.0, 0.0], TimeModel::Ode),
    );
    let err = render::svg(&figure(&sys, broken, empty), SIZE).unwrap_err();
    assert!(err.to_string().contains("rectangle"), "{err}");
}
