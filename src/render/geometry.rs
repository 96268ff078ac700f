//! Plane geometry the drawing needs and plotters does not do: clipping polylines to the plot
//! (plotters draws paths wherever they go), dash patterns, and flow-field arrows.

use crate::analysis::Rect;

/// A point in pixels (x right, y down), before rounding.
pub type Px = (f64, f64);

/// The visible pieces of a polyline inside `rect` (Liang-Barsky on each segment).
///
/// A non-finite point, or leaving the rectangle, ends a piece; re-entering starts a new one.
/// Pieces have at least two points.
pub fn clip_polyline(points: &[[f64; 2]], rect: &Rect) -> Vec<Vec<[f64; 2]>> {
    let mut pieces = Vec::new();
    let mut current: Vec<[f64; 2]> = Vec::new();
    let mut finish = |current: &mut Vec<[f64; 2]>| {
        if current.len() >= 2 {
            pieces.push(std::mem::take(current));
        }
        current.clear();
    };
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if !(a.iter().chain(&b).all(|x| x.is_finite())) {
            finish(&mut current);
            continue;
        }
        match clip_segment(a, b, rect) {
            Some((t0, t1)) => {
                let at = |t: f64| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
                if t0 > 0.0 || current.is_empty() {
                    finish(&mut current);
                    current.push(at(t0));
                }
                current.push(at(t1));
                if t1 < 1.0 {
                    finish(&mut current);
                }
            }
            None => finish(&mut current),
        }
    }
    finish(&mut current);
    pieces
}

/// The parameter interval `[t0, t1]` of `a + t (b - a)`, `t` in `[0, 1]`, inside `rect`.
fn clip_segment(a: [f64; 2], b: [f64; 2], rect: &Rect) -> Option<(f64, f64)> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    // Each edge as `p t <= q`.
    let edges = [
        (-d[0], a[0] - rect.x_min),
        (d[0], rect.x_max - a[0]),
        (-d[1], a[1] - rect.y_min),
        (d[1], rect.y_max - a[1]),
    ];
    for (p, q) in edges {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else if p < 0.0 {
            t0 = t0.max(q / p);
        } else {
            t1 = t1.min(q / p);
        }
    }
    (t0 <= t1).then_some((t0, t1))
}

/// The "on" pieces of a dash pattern (`on`, `off` pixels) along a pixel polyline. The pattern
/// runs on across vertices, so short segments do not reset it.
pub fn dashes(path: &[Px], on: f64, off: f64) -> Vec<Vec<Px>> {
    let period = on + off;
    if !(on > 0.0 && off >= 0.0 && period.is_finite()) {
        return vec![path.to_vec()];
    }
    let mut out = Vec::new();
    let mut current: Vec<Px> = Vec::new();
    // Arc length within the current period.
    let mut phase = 0.0;
    for pair in path.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let len = (b.0 - a.0).hypot(b.1 - a.1);
        let mut s = 0.0;
        while s < len {
            let at = |s: f64| (a.0 + (b.0 - a.0) * s / len, a.1 + (b.1 - a.1) * s / len);
            let drawing = phase < on;
            let boundary = if drawing { on } else { period };
            let step = (boundary - phase).min(len - s);
            if drawing {
                if current.is_empty() {
                    current.push(at(s));
                }
                current.push(at(s + step));
            }
            s += step;
            phase += step;
            if phase >= boundary - 1e-12 {
                if drawing {
                    out.push(std::mem::take(&mut current));
                }
                if phase >= period - 1e-12 {
                    phase = 0.0;
                }
            }
        }
    }
    if current.len() >= 2 {
        out.push(current);
    }
    out
}

/// A flow-field arrow: a shaft and a triangular head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrow {
    /// From the tail to the base of the head (the shaft stops there, so the tip stays sharp).
    pub shaft: [Px; 2],
    /// The head triangle: tip, then the two barbs.
    pub head: [Px; 3],
}

/// An arrow of `length` pixels centred on `centre`, pointing along `dir` (pixels; any length),
/// or `None` for a zero or non-finite direction.
pub fn arrow(centre: Px, dir: Px, length: f64) -> Option<Arrow> {
    let norm = dir.0.hypot(dir.1);
    if !(norm > 0.0 && norm.is_finite()) {
        return None;
    }
    let (ux, uy) = (dir.0 / norm, dir.1 / norm);
    let half = 0.5 * length;
    let tip = (centre.0 + half * ux, centre.1 + half * uy);
    let tail = (centre.0 - half * ux, centre.1 - half * uy);
    let (head_len, head_half_width) = (0.38 * length, 0.2 * length);
    let base = (tip.0 - head_len * ux, tip.1 - head_len * uy);
    let barb = |side: f64| {
        (
            base.0 - side * head_half_width * uy,
            base.1 + side * head_half_width * ux,
        )
    };
    Some(Arrow {
        shaft: [tail, base],
        head: [tip, barb(1.0), barb(-1.0)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> Rect {
        Rect::new(0.0, 1.0, 0.0, 1.0)
    }

    #[test]
    fn a_line_through_the_box_is_cut_at_both_edges() {
        let pieces = clip_polyline(&[[-1.0, 0.5], [2.0, 0.5]], &unit());
        assert_eq!(pieces, vec![vec![[0.0, 0.5], [1.0, 0.5]]]);
    }

    #[test]
    fn leaving_and_reentering_makes_two_pieces() {
        let path = [[0.5, 0.5], [1.5, 0.5], [1.5, 0.2], [0.5, 0.2]];
        let pieces = clip_polyline(&path, &unit());
        assert_eq!(
            pieces,
            vec![vec![[0.5, 0.5], [1.0, 0.5]], vec![[1.0, 0.2], [0.5, 0.2]]]
        );
    }

    #[test]
    fn inside_points_are_kept_and_non_finite_points_break_the_line() {
        let path = [
            [0.1, 0.1],
            [0.2, 0.2],
            [0.3, 0.1],
            [f64::NAN, 0.0],
            [0.4, 0.4],
            [0.5, 0.5],
        ];
        let pieces = clip_polyline(&path, &unit());
        assert_eq!(
            pieces,
            vec![
                vec![[0.1, 0.1], [0.2, 0.2], [0.3, 0.1]],
                vec![[0.4, 0.4], [0.5, 0.5]]
            ]
        );
        assert!(clip_polyline(&[[2.0, 2.0], [3.0, 3.0]], &unit()).is_empty());
        assert!(clip_polyline(&[[0.5, 0.5]], &unit()).is_empty());
    }

    #[test]
    fn dashes_alternate_on_and_off_across_vertices() {
        // 0..10 then 10..20 along x: on 4, off 2 gives [0,4], [6,10], [12,16], [18,20].
        let path = [(0.0, 0.0), (10.0, 0.0), (20.0, 0.0)];
        let d = dashes(&path, 4.0, 2.0);
        let spans: Vec<(f64, f64)> = d.iter().map(|p| (p[0].0, p.last().unwrap().0)).collect();
        assert_eq!(spans, [(0.0, 4.0), (6.0, 10.0), (12.0, 16.0), (18.0, 20.0)]);
        // The dash over the vertex at 10 keeps it: (6, 10) ends exactly there, and the one through
        // a vertex in the middle of "on" has three points.
        let d = dashes(&[(0.0, 0.0), (5.0, 0.0), (5.0, 5.0)], 8.0, 2.0);
        assert_eq!(d[0], vec![(0.0, 0.0), (5.0, 0.0), (5.0, 3.0)]);
    }

    #[test]
    fn arrows_point_along_the_flow_with_the_requested_length() {
        let a = arrow((10.0, 10.0), (3.0, 0.0), 10.0).unwrap();
        assert_eq!(a.shaft[0], (5.0, 10.0));
        assert_eq!(a.head[0], (15.0, 10.0));
        assert!(a.shaft[1].0 < 15.0 && a.shaft[1].0 > 10.0);
        assert!((a.head[1].1 - 10.0).abs() > 1.0 && (a.head[1].0 - a.head[2].0).abs() < 1e-12);
        assert!(arrow((0.0, 0.0), (0.0, 0.0), 10.0).is_none());
        assert!(arrow((0.0, 0.0), (f64::NAN, 1.0), 10.0).is_none());
    }
}
