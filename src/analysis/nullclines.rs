//! Nullclines `F_1 = 0` and `F_2 = 0` of a rank-2 system on a rectangle, as joined polylines.
//!
//! Method: marching squares on an `n x n` grid (saddle cells decided by the value of the bilinear
//! interpolant at its saddle point, which depends on the cell alone, so neighbours always agree),
//! evaluated adaptively: a coarse grid is evaluated everywhere, and only cells that may contain a
//! zero are subdivided, level by level, down to the full resolution. A cell is subdivided when
//! - a sign change occurs among the known values on its boundary (including midpoints evaluated
//!   for refined neighbours, so no curve ever ends at the edge of a coarse cell), or
//! - (the guard against small features: closed loops or curves that enter and leave through one
//!   edge) at a corner `|F_i| / |grad F_i| < guard * cell size`, the gradient estimated by
//!   differences on the current level (coarse levels only, see
//!   [`NullclineOptions::guard_min_cell`]).
//!
//! Each level's new points go to [`ReducedSystem::flow_many`] in one batch. Segment end points
//! sit on grid edges and are keyed by edge, which stitches them into polylines (open at the
//! border or closed). Finally every vertex is projected onto the zero set by Newton steps along
//! `grad F_i` (border vertices along the border), which brings `|F_i|` from `O(h^2)` to round-off.

use rayon::prelude::*;
use serde::Serialize;

use super::Rect;
use crate::reduced::ReducedSystem;

/// Options of [`nullclines`].
#[derive(Debug, Clone)]
pub struct NullclineOptions {
    /// Cells per side of the finest grid (the effective resolution).
    pub resolution: usize,
    /// Cells per side of the coarse grid evaluated everywhere.
    pub coarse: usize,
    /// Subdivide cells whose corners predict a zero within `guard` cells (0 disables the guard).
    pub guard: f64,
    /// The guard applies to cells of at least this many finest cells per side: below that the
    /// sign changes on the (already fine) vertices see any feature worth drawing, and a guard
    /// there would refine a band around every curve.
    pub guard_min_cell: usize,
    /// Most Newton projection steps per vertex (0: raw marching-squares vertices). The stopping
    /// rule of `project` usually takes two; a vertex where the curve turns sharply can need five
    /// (a random tanh system left `|F| = 7e-10` after four: see proptest-regressions/).
    pub refine_iterations: usize,
}

impl Default for NullclineOptions {
    fn default() -> Self {
        NullclineOptions {
            resolution: 256,
            coarse: 16,
            guard: 0.5,
            guard_min_cell: 8,
            refine_iterations: 8,
        }
    }
}

/// A polyline in the plane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Polyline {
    pub points: Vec<[f64; 2]>,
    /// The last point connects back to the first.
    pub closed: bool,
}

/// Both nullclines: `curves[i]` is the zero set of `F_{i+1}`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Nullclines {
    pub curves: [Vec<Polyline>; 2],
    /// Evaluations of `F` on the grid (a uniform grid would need `(resolution + 1)^2`).
    pub grid_evaluations: usize,
    /// Jacobian evaluations of the projection.
    pub refine_evaluations: usize,
}

/// Lazily evaluated values on the `(m + 1) x (m + 1)` vertices of the finest grid.
struct Grid {
    m: usize,
    rect: Rect,
    f: Vec<[f64; 2]>,
    known: Vec<bool>,
    evaluations: usize,
}

/// A square cell of the finest grid's index space: corner `(i, j)`, nominal side `s` (clipped
/// at the grid's end).
#[derive(Debug, Clone, Copy)]
struct Cell {
    i: usize,
    j: usize,
    s: usize,
}

impl Grid {
    fn new(m: usize, rect: Rect) -> Self {
        Grid {
            m,
            rect,
            f: vec![[0.0; 2]; (m + 1) * (m + 1)],
            known: vec![false; (m + 1) * (m + 1)],
            evaluations: 0,
        }
    }

    fn idx(&self, i: usize, j: usize) -> usize {
        j * (self.m + 1) + i
    }

    /// Grid coordinates to the plane; the last index maps exactly onto the far border.
    fn point(&self, i: usize, j: usize) -> [f64; 2] {
        let at = |k: usize, lo: f64, hi: f64| {
            if k == self.m {
                hi
            } else {
                lo + (hi - lo) * k as f64 / self.m as f64
            }
        };
        [
            at(i, self.rect.x_min, self.rect.x_max),
            at(j, self.rect.y_min, self.rect.y_max),
        ]
    }

    fn value(&self, i: usize, j: usize) -> Option<[f64; 2]> {
        let k = self.idx(i, j);
        self.known[k].then_some(self.f[k])
    }

    /// Evaluates the not yet known vertices of `list` in one `flow_many` batch.
    fn evaluate(&mut self, sys: &dyn ReducedSystem, v: &[f64], list: &[(usize, usize)]) {
        let mut todo = Vec::new();
        for &(i, j) in list {
            let k = self.idx(i, j);
            if !self.known[k] {
                self.known[k] = true;
                todo.push((k, self.point(i, j)));
            }
        }
        if todo.is_empty() {
            return;
        }
        let pts: Vec<f64> = todo.iter().flat_map(|(_, p)| *p).collect();
        let mut out = vec![0.0; pts.len()];
        sys.flow_many(&pts, v, &mut out);
        for ((k, _), o) in todo.iter().zip(out.chunks_exact(2)) {
            self.f[*k] = [o[0], o[1]];
        }
        self.evaluations += todo.len();
    }

    fn end(&self, c: &Cell) -> (usize, usize) {
        ((c.i + c.s).min(self.m), (c.j + c.s).min(self.m))
    }

    /// Whether the known values along the boundary of `c` change sign, per component (one pass
    /// over the boundary for both).
    fn boundary_sign_change(&self, c: &Cell) -> [bool; 2] {
        let (i1, j1) = self.end(c);
        let mut seen = [[false; 2]; 2];
        let mut visit = |i: usize, j: usize| {
            let k = self.idx(i, j);
            if self.known[k] {
                for (comp, x) in self.f[k].iter().enumerate() {
                    seen[comp][(*x > 0.0) as usize] |= !x.is_nan();
                }
            }
        };
        for i in c.i..=i1 {
            visit(i, c.j);
            visit(i, j1);
        }
        for j in c.j + 1..j1 {
            visit(c.i, j);
            visit(i1, j);
        }
        [seen[0][0] && seen[0][1], seen[1][0] && seen[1][1]]
    }

    /// Predicted distance, in cells of side `s`, from vertex `(i, j)` to the zero of `comp`
    /// (linear extrapolation with differences over `s`); `inf` if no gradient is available.
    fn predicted_distance(&self, i: usize, j: usize, s: usize, comp: usize) -> f64 {
        let Some(f0) = self.value(i, j).map(|f| f[comp]) else {
            return f64::INFINITY;
        };
        let get = |a: usize, b: usize| self.value(a, b).map(|f| f[comp]);
        let slope = |minus: Option<f64>, plus: Option<f64>| match (minus, plus) {
            (Some(m), Some(p)) => 0.5 * (p - m),
            (None, Some(p)) => p - f0,
            (Some(m), None) => f0 - m,
            (None, None) => 0.0,
        };
        let gx = slope(
            i.checked_sub(s).and_then(|k| get(k, j)),
            (i + s <= self.m).then(|| get(i + s, j)).flatten(),
        );
        let gy = slope(
            j.checked_sub(s).and_then(|k| get(i, k)),
            (j + s <= self.m).then(|| get(i, j + s)).flatten(),
        );
        let g = gx.hypot(gy);
        if g > 0.0 && g.is_finite() {
            f0.abs() / g
        } else {
            f64::INFINITY
        }
    }

    fn needs_refinement(&self, c: &Cell, guard: f64, guard_min: usize) -> bool {
        let (i1, j1) = self.end(c);
        let changes = self.boundary_sign_change(c);
        let corners = [(c.i, c.j), (i1, c.j), (c.i, j1), (i1, j1)];
        let near_zero = |comp: usize| {
            corners
                .iter()
                .any(|&(i, j)| self.predicted_distance(i, j, c.s, comp) < guard)
        };
        changes[0]
            || changes[1]
            || (guard > 0.0 && c.s >= guard_min && (near_zero(0) || near_zero(1)))
    }

    /// The vertices a subdivision of `c` adds, and its children.
    fn split(&self, c: &Cell) -> (Vec<(usize, usize)>, Vec<Cell>) {
        let (i1, j1) = self.end(c);
        let h = c.s / 2;
        let (im, jm) = (c.i + h, c.j + h);
        let (sx, sy) = (im < i1, jm < j1);
        let mut verts = Vec::with_capacity(5);
        let mut kids = vec![Cell {
            i: c.i,
            j: c.j,
            s: h,
        }];
        if sx {
            verts.extend([(im, c.j), (im, j1)]);
            kids.push(Cell {
                i: im,
                j: c.j,
                s: h,
            });
        }
        if sy {
            verts.extend([(c.i, jm), (i1, jm)]);
            kids.push(Cell {
                i: c.i,
                j: jm,
                s: h,
            });
        }
        if sx && sy {
            verts.push((im, jm));
            kids.push(Cell { i: im, j: jm, s: h });
        }
        (verts, kids)
    }
}

/// Adaptive sampling: returns the grid and the finest-level cells that may hold a zero.
fn sample(
    sys: &dyn ReducedSystem,
    v: &[f64],
    rect: Rect,
    opts: &NullclineOptions,
) -> (Grid, Vec<Cell>) {
    let m = opts.resolution.max(1);
    let mut s = 1usize;
    while 2 * s * opts.coarse.max(1) <= m {
        s *= 2;
    }
    let mut grid = Grid::new(m, rect);
    let mut cells: Vec<Cell> = (0..m.div_ceil(s))
        .flat_map(|j| {
            (0..m.div_ceil(s)).map(move |i| Cell {
                i: i * s,
                j: j * s,
                s,
            })
        })
        .collect();
    let corners: Vec<(usize, usize)> = (0..=m.div_ceil(s))
        .flat_map(|j| (0..=m.div_ceil(s)).map(move |i| ((i * s).min(m), (j * s).min(m))))
        .collect();
    grid.evaluate(sys, v, &corners);
    while s > 1 {
        cells = refine_level(sys, v, &mut grid, &cells, s, opts);
        s /= 2;
    }
    (grid, cells)
}

/// A marching-squares segment: its end points, each keyed by the grid edge it lies on.
struct Segment {
    keys: [u64; 2],
    points: [[f64; 2]; 2],
}

/// One level of the quadtree: the cells of side `s` that need it are split (their new vertices
/// evaluated in one batch per round); after each round only the neighbours of the cells just
/// split are checked again (their boundaries gained vertices). Returns the children.
fn refine_level(
    sys: &dyn ReducedSystem,
    v: &[f64],
    grid: &mut Grid,
    cells: &[Cell],
    s: usize,
    opts: &NullclineOptions,
) -> Vec<Cell> {
    let side = grid.m.div_ceil(s);
    let mut slot = vec![usize::MAX; side * side];
    for (k, c) in cells.iter().enumerate() {
        slot[(c.j / s) * side + c.i / s] = k;
    }
    let mut refined = vec![false; cells.len()];
    let mut queued = vec![true; cells.len()];
    let mut queue: Vec<usize> = (0..cells.len()).collect();
    let mut children = Vec::new();
    while !queue.is_empty() {
        let mut verts = Vec::new();
        let mut split_now = Vec::new();
        for k in queue.drain(..) {
            queued[k] = false;
            if !refined[k] && grid.needs_refinement(&cells[k], opts.guard, opts.guard_min_cell) {
                refined[k] = true;
                let (new_verts, kids) = grid.split(&cells[k]);
                verts.extend(new_verts);
                children.extend(kids);
                split_now.push(k);
            }
        }
        grid.evaluate(sys, v, &verts);
        for k in split_now {
            let (ci, cj) = ((cells[k].i / s) as isize, (cells[k].j / s) as isize);
            for (di, dj) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                let (ni, nj) = (ci + di, cj + dj);
                if ni < 0 || nj < 0 || ni >= side as isize || nj >= side as isize {
                    continue;
                }
                let n = slot[nj as usize * side + ni as usize];
                if n != usize::MAX && !refined[n] && !queued[n] {
                    queued[n] = true;
                    queue.push(n);
                }
            }
        }
    }
    children
}

/// Key of a grid edge: horizontal from `(i, j)` to `(i + 1, j)` or vertical to `(i, j + 1)`.
fn edge_key(grid: &Grid, i: usize, j: usize, vertical: bool) -> u64 {
    2 * grid.idx(i, j) as u64 + vertical as u64
}

/// Marching-squares segments of component `comp` on unit cells; end points by linear
/// interpolation on the cell edges (computed identically by both cells sharing an edge).
fn march(grid: &Grid, cells: &[Cell], comp: usize) -> Vec<Segment> {
    let mut segments = Vec::new();
    for c in cells {
        let (i, j) = (c.i, c.j);
        if i >= grid.m || j >= grid.m {
            continue;
        }
        let corner = |a: usize, b: usize| grid.value(a, b).map_or(f64::NAN, |f| f[comp]);
        let f = [
            corner(i, j),
            corner(i + 1, j),
            corner(i + 1, j + 1),
            corner(i, j + 1),
        ];
        if f.iter().any(|x| !x.is_finite()) {
            continue;
        }
        // Edges bottom, right, top, left, each from its lower-left to its upper-right vertex.
        let edges = [
            (edge_key(grid, i, j, false), (i, j), (i + 1, j), f[0], f[1]),
            (
                edge_key(grid, i + 1, j, true),
                (i + 1, j),
                (i + 1, j + 1),
                f[1],
                f[2],
            ),
            (
                edge_key(grid, i, j + 1, false),
                (i, j + 1),
                (i + 1, j + 1),
                f[3],
                f[2],
            ),
            (edge_key(grid, i, j, true), (i, j), (i, j + 1), f[0], f[3]),
        ];
        let crossing = |e: usize| {
            let (key, a, b, fa, fb) = edges[e];
            let (pa, pb) = (grid.point(a.0, a.1), grid.point(b.0, b.1));
            let t = fa / (fa - fb);
            (
                key,
                [pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])],
            )
        };
        let segment = |e0: usize, e1: usize| {
            let ((k0, p0), (k1, p1)) = (crossing(e0), crossing(e1));
            Segment {
                keys: [k0, k1],
                points: [p0, p1],
            }
        };
        let crossed: Vec<usize> = (0..4)
            .filter(|&e| (edges[e].3 > 0.0) != (edges[e].4 > 0.0))
            .collect();
        match crossed.len() {
            2 => segments.push(segment(crossed[0], crossed[1])),
            4 => {
                // Saddle cell: value of the bilinear interpolant at its saddle point.
                let centre = (f[0] * f[2] - f[1] * f[3]) / (f[0] + f[2] - f[1] - f[3]);
                if (centre > 0.0) == (f[0] > 0.0) {
                    // Corners 0 and 2 connect through the centre: cut off corners 1 and 3.
                    segments.push(segment(0, 1));
                    segments.push(segment(2, 3));
                } else {
                    segments.push(segment(0, 3));
                    segments.push(segment(1, 2));
                }
            }
            _ => {}
        }
    }
    segments
}

/// Joins segments sharing an edge key into maximal polylines. Segment ends are numbered
/// `2 k + side`; sorting them by key pairs each end with the (at most one) other end on the same
/// edge.
fn stitch(segments: &[Segment]) -> Vec<Polyline> {
    let mut ends: Vec<(u64, usize)> = segments
        .iter()
        .enumerate()
        .flat_map(|(k, s)| [(s.keys[0], 2 * k), (s.keys[1], 2 * k + 1)])
        .collect();
    ends.sort_unstable();
    let mut link = vec![usize::MAX; ends.len()];
    for w in ends.windows(2) {
        if w[0].0 == w[1].0 {
            link[w[0].1] = w[1].1;
            link[w[1].1] = w[0].1;
        }
    }
    let point = |end: usize| segments[end / 2].points[end % 2];
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    for start in 0..segments.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut forward = vec![point(2 * start), point(2 * start + 1)];
        let closed = walk(2 * start + 1, start, &link, &mut used, |e| {
            forward.push(point(e))
        });
        if closed {
            forward.pop();
        } else {
            let mut backward = Vec::new();
            walk(2 * start, start, &link, &mut used, |e| {
                backward.push(point(e))
            });
            backward.reverse();
            backward.extend(forward);
            forward = backward;
        }
        lines.push(Polyline {
            points: forward,
            closed,
        });
    }
    lines
}

/// Follows linked segments out of segment end `end`, reporting each exit end; returns `true` if
/// the chain comes back to segment `origin`.
fn walk(
    mut end: usize,
    origin: usize,
    link: &[usize],
    used: &mut [bool],
    mut visit: impl FnMut(usize),
) -> bool {
    loop {
        let next = link[end];
        if next == usize::MAX {
            return false;
        }
        if next / 2 == origin {
            return true;
        }
        if used[next / 2] {
            return false;
        }
        used[next / 2] = true;
        end = next ^ 1;
        visit(end);
    }
}

/// Caps of the vertex projection.
#[derive(Clone, Copy)]
struct ProjectionLimits {
    max_iterations: usize,
    /// Longer steps are refused (the vertex stays where it is).
    max_step: f64,
    /// Position accuracy to reach.
    tol: f64,
}

/// Newton projection of `p` onto `F_comp = 0`: `p -= F_comp grad / |grad|^2`, along the border
/// for border points; a step longer than `max_step` or non-finite leaves the point as it is.
///
/// Stops after `max_iterations`, or as soon as quadratic convergence predicts the next step
/// below `tol`: with steps `d_1, d_2, ...`, the next is about `d_k^3 / d_{k-1}^2`. A regular
/// vertex (`d_1 ~ h^2`) thus costs two evaluations, one where the curve turns sharply three.
/// Returns the evaluations spent.
fn project(
    sys: &dyn ReducedSystem,
    v: &[f64],
    comp: usize,
    p: &mut [f64; 2],
    rect: &Rect,
    limits: &ProjectionLimits,
) -> usize {
    let ProjectionLimits {
        max_iterations,
        max_step,
        tol,
    } = *limits;
    let (mut f, mut jac) = ([0.0; 2], [0.0; 4]);
    let on_x_border = p[0] == rect.x_min || p[0] == rect.x_max;
    let on_y_border = p[1] == rect.y_min || p[1] == rect.y_max;
    let mut previous = f64::NAN;
    for k in 0..max_iterations {
        sys.flow_jacobian(p, v, &mut f, &mut jac);
        let (fc, mut g) = (f[comp], [jac[2 * comp], jac[2 * comp + 1]]);
        if on_x_border {
            g[0] = 0.0;
        }
        if on_y_border {
            g[1] = 0.0;
        }
        let g2 = g[0] * g[0] + g[1] * g[1];
        let step = [-fc * g[0] / g2, -fc * g[1] / g2];
        let length = step[0].hypot(step[1]);
        if fc == 0.0 || !length.is_finite() || length > max_step {
            return k + 1;
        }
        p[0] += step[0];
        p[1] += step[1];
        if length <= tol || length.powi(3) <= tol * previous * previous {
            return k + 1;
        }
        previous = length;
    }
    max_iterations
}

/// Both nullclines of a rank-2 system on `rect` (empty for another rank or an invalid rectangle):
/// [`trace`], then [`project_vertices`].
pub fn nullclines(
    sys: &dyn ReducedSystem,
    v: &[f64],
    rect: &Rect,
    opts: &NullclineOptions,
) -> Nullclines {
    let mut found = trace(sys, v, rect, opts);
    project_vertices(sys, v, rect, opts, &mut found);
    found
}

/// The nullclines as marching squares joins them on the adaptive grid: vertices on grid edges,
/// `|F_i| = O(h^2)` there. Their crossings already seed every fixed point (Newton does the rest),
/// so a landscape can go on while [`project_vertices`] polishes the curves.
pub fn trace(
    sys: &dyn ReducedSystem,
    v: &[f64],
    rect: &Rect,
    opts: &NullclineOptions,
) -> Nullclines {
    if sys.rank() != 2 || !rect.is_valid() {
        return Nullclines::default();
    }
    let (grid, cells) = sample(sys, v, *rect, opts);
    Nullclines {
        curves: [0, 1].map(|comp| stitch(&march(&grid, &cells, comp))),
        grid_evaluations: grid.evaluations,
        refine_evaluations: 0,
    }
}

/// Moves every vertex of traced nullclines onto its zero set by at most `opts.refine_iterations`
/// Newton steps ([`project`]; `|F_i|` from `O(h^2)` to round-off), counting the evaluations in
/// `refine_evaluations`.
pub fn project_vertices(
    sys: &dyn ReducedSystem,
    v: &[f64],
    rect: &Rect,
    opts: &NullclineOptions,
    nullclines: &mut Nullclines,
) {
    if opts.refine_iterations == 0 || !rect.is_valid() {
        return;
    }
    let limits = ProjectionLimits {
        max_iterations: opts.refine_iterations,
        max_step: 2.0 * rect.diagonal() / opts.resolution.max(1) as f64,
        tol: 1e-13 * rect.diagonal(),
    };
    for (comp, lines) in nullclines.curves.iter_mut().enumerate() {
        for line in lines.iter_mut() {
            nullclines.refine_evaluations += line
                .points
                .par_iter_mut()
                .with_min_len(64)
                .map(|p| project(sys, v, comp, p, rect, &limits))
                .sum::<usize>();
        }
    }
}

/// Intersections of two sets of polylines (e.g. the two nullclines: seeds for the fixed points).
/// Segments of `b` are bucketed on a 64 x 64 grid over their bounding box, so the cost is about
/// linear in the number of segments.
pub fn crossings(a: &[Polyline], b: &[Polyline]) -> Vec<[f64; 2]> {
    let segs = |ls: &[Polyline]| -> Vec<([f64; 2], [f64; 2])> {
        ls.iter()
            .flat_map(|l| {
                let n = l.points.len();
                let count = if l.closed { n } else { n.saturating_sub(1) };
                (0..count).map(move |k| (l.points[k], l.points[(k + 1) % n]))
            })
            .collect()
    };
    let (sa, sb) = (segs(a), segs(b));
    if sa.is_empty() || sb.is_empty() {
        return Vec::new();
    }
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for (p, q) in &sb {
        for d in 0..2 {
            lo[d] = lo[d].min(p[d]).min(q[d]);
            hi[d] = hi[d].max(p[d]).max(q[d]);
        }
    }
    const B: usize = 64;
    let cell = |x: f64, d: usize| -> usize {
        let w = (hi[d] - lo[d]).max(1e-300);
        (((x - lo[d]) / w * B as f64).floor().max(0.0) as usize).min(B - 1)
    };
    let range =
        |p: &[f64; 2], q: &[f64; 2], d: usize| cell(p[d].min(q[d]), d)..=cell(p[d].max(q[d]), d);
    let mut buckets = vec![Vec::new(); B * B];
    for (k, (p, q)) in sb.iter().enumerate() {
        for j in range(p, q, 1) {
            for i in range(p, q, 0) {
                buckets[j * B + i].push(k);
            }
        }
    }
    let mut out: Vec<[f64; 2]> = Vec::new();
    let mut seen = Vec::new();
    for (p, q) in &sa {
        if p[0].max(q[0]) < lo[0]
            || p[0].min(q[0]) > hi[0]
            || p[1].max(q[1]) < lo[1]
            || p[1].min(q[1]) > hi[1]
        {
            continue;
        }
        seen.clear();
        for j in range(p, q, 1) {
            for i in range(p, q, 0) {
                for &k in &buckets[j * B + i] {
                    if seen.contains(&k) {
                        continue;
                    }
                    seen.push(k);
                    if let Some(x) = segment_intersection(p, q, &sb[k].0, &sb[k].1)
                        && !out
                            .iter()
                            .any(|o| (o[0] - x[0]).abs() + (o[1] - x[1]).abs() < 1e-12)
                    {
                        out.push(x);
                    }
                }
            }
        }
    }
    out
}

/// Intersection of segments `pq` and `rs` (closed), or `None` if parallel or disjoint.
fn segment_intersection(
    p: &[f64; 2],
    q: &[f64; 2],
    r: &[f64; 2],
    s: &[f64; 2],
) -> Option<[f64; 2]> {
    let d1 = [q[0] - p[0], q[1] - p[1]];
    let d2 = [s[0] - r[0], s[1] - r[1]];
    let cross = |a: [f64; 2], b: [f64; 2]| a[0] * b[1] - a[1] * b[0];
    let denom = cross(d1, d2);
    if denom == 0.0 || !denom.is_finite() {
        return None;
    }
    let w = [r[0] - p[0], r[1] - p[1]];
    let t = cross(w, d2) / denom;
    let u = cross(w, d1) / denom;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u))
        .then(|| [p[0] + t * d1[0], p[1] + t * d1[1]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::counting::CountingSystem;
    use crate::analysis::test_systems::{CircleCubic, Linear, NanSystem};

    fn rect2() -> Rect {
        Rect::new(-2.0, 2.0, -2.0, 2.0)
    }

    #[test]
    fn circle_and_cubic_match_closed_form_after_refinement() {
        let sys = CircleCubic;
        let counted = CountingSystem::new(&sys);
        let nc = nullclines(&counted, &[], &rect2(), &NullclineOptions::default());
        // F1: one closed unit circle.
        assert_eq!(nc.curves[0].len(), 1);
        let circle = &nc.curves[0][0];
        assert!(circle.closed && circle.points.len() > 200);
        let worst = circle
            .points
            .iter()
            .map(|p| (p[0].hypot(p[1]) - 1.0).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-10, "circle error {worst}");
        // F2: y = x^3 - x, one open curve from the bottom border to the top border.
        assert_eq!(nc.curves[1].len(), 1);
        let cubic = &nc.curves[1][0];
        assert!(!cubic.closed);
        let worst = cubic
            .points
            .iter()
            .map(|p| (p[1] - p[0].powi(3) + p[0]).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-10, "cubic error {worst}");
        for end in [cubic.points[0], *cubic.points.last().unwrap()] {
            assert!(
                (end[1].abs() - 2.0).abs() < 1e-15,
                "end on the border: {end:?}"
            );
        }
        // Adaptive: a fraction of the 257^2 uniform evaluations.
        assert!(
            nc.grid_evaluations < 257 * 257 / 4,
            "{}",
            nc.grid_evaluations
        );
        assert_eq!(counted.counts().flow, nc.grid_evaluations);
        assert_eq!(counted.counts().jacobian, nc.refine_evaluations);
    }

    #[test]
    fn unrefined_vertices_are_within_grid_accuracy_and_lines_are_exact() {
        let opts = NullclineOptions {
            refine_iterations: 0,
            ..NullclineOptions::default()
        };
        let nc = nullclines(&CircleCubic, &[], &rect2(), &opts);
        let worst = nc.curves[0][0]
            .points
            .iter()
            .map(|p| (p[0].hypot(p[1]) - 1.0).abs())
            .fold(0.0, f64::max);
        assert!(worst > 1e-8 && worst < 1e-3, "{worst}");
        // Linear F: x - 0.5 y + 0.3 = 0 and 2x + y - 0.1 = 0 are straight open lines.
        let sys = Linear {
            a: [1.0, -0.5, 2.0, 1.0],
            b: [0.3, -0.1],
        };
        let nc = nullclines(&sys, &[0.0, 0.0], &rect2(), &NullclineOptions::default());
        for (comp, curves) in nc.curves.iter().enumerate() {
            assert_eq!(curves.len(), 1);
            assert!(!curves[0].closed);
            for p in &curves[0].points {
                let f = if comp == 0 {
                    p[0] - 0.5 * p[1] + 0.3
                } else {
                    2.0 * p[0] + p[1] - 0.1
                };
                assert!(f.abs() < 1e-13);
            }
        }
        let seeds = crossings(&nc.curves[0], &nc.curves[1]);
        assert_eq!(seeds.len(), 1);
        // Exact root: x = -0.125, y = 0.35.
        assert!(
            (seeds[0][0] + 0.125).abs() < 1e-12 && (seeds[0][1] - 0.35).abs() < 1e-12,
            "{:?}",
            seeds[0]
        );
    }

    #[test]
    fn guard_finds_a_loop_smaller_than_a_coarse_cell() {
        // F1 = (x - 0.31)^2 + (y + 0.17)^2 - 0.05^2: radius 0.05, coarse cell 0.25 wide.
        struct SmallLoop;
        impl ReducedSystem for SmallLoop {
            fn rank(&self) -> usize {
                2
            }
            fn inputs(&self) -> usize {
                0
            }
            fn flow(&self, k: &[f64], _v: &[f64], o: &mut [f64]) {
                o[0] = (k[0] - 0.31).powi(2) + (k[1] + 0.17).powi(2) - 0.0025;
                o[1] = 1.0;
            }
            fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], j: &mut [f64]) {
                self.flow(k, v, f);
                j.copy_from_slice(&[2.0 * (k[0] - 0.31), 2.0 * (k[1] + 0.17), 0.0, 0.0]);
            }
        }
        let nc = nullclines(&SmallLoop, &[], &rect2(), &NullclineOptions::default());
        assert_eq!(nc.curves[0].len(), 1);
        assert!(nc.curves[0][0].closed);
        assert!(nc.curves[1].is_empty());
        let no_guard = NullclineOptions {
            guard: 0.0,
            ..NullclineOptions::default()
        };
        assert!(
            nullclines(&SmallLoop, &[], &rect2(), &no_guard).curves[0].is_empty(),
            "the guard is what finds it"
        );
    }

    #[test]
    fn saddle_cells_follow_the_hyperbola_branches() {
        // F1 = (x - a)(y - b) - c is bilinear, so inside the cell holding (a, b) the interpolant is
        // exact and the saddle decision must follow the true branches: for c > 0 one branch in
        // the quadrant (+, +) around (a, b) and one in (-, -); for c < 0 in (+, -) and (-, +). A
        // wrong decision joins two branches into one polyline.
        struct Hyperbola(f64);
        const A: f64 = 0.013;
        const B: f64 = 0.007;
        impl ReducedSystem for Hyperbola {
            fn rank(&self) -> usize {
                2
            }
            fn inputs(&self) -> usize {
                0
            }
            fn flow(&self, k: &[f64], _v: &[f64], o: &mut [f64]) {
                o[0] = (k[0] - A) * (k[1] - B) - self.0;
                o[1] = 1.0;
            }
            fn flow_jacobian(&self, k: &[f64], v: &[f64], f: &mut [f64], j: &mut [f64]) {
                self.flow(k, v, f);
                j.copy_from_slice(&[k[1] - B, k[0] - A, 0.0, 0.0]);
            }
        }
        for c in [1e-5, -1e-5] {
            let nc = nullclines(&Hyperbola(c), &[], &rect2(), &NullclineOptions::default());
            assert_eq!(nc.curves[0].len(), 2, "c = {c}");
            for line in &nc.curves[0] {
                assert!(!line.closed);
                let quadrant = |p: &[f64; 2]| ((p[0] > A) as u8, (p[1] > B) as u8);
                let q0 = quadrant(&line.points[0]);
                assert_eq!(
                    q0.0 == q0.1,
                    c > 0.0,
                    "c = {c}: branch in the wrong quadrants"
                );
                assert!(
                    line.points.iter().all(|p| quadrant(p) == q0),
                    "c = {c}: joined branches"
                );
                assert!(line.points.len() > 200, "{}", line.points.len());
            }
        }
    }

    #[test]
    fn hostile_inputs_give_empty_results() {
        assert!(
            nullclines(&NanSystem, &[], &rect2(), &NullclineOptions::default())
                .curves
                .iter()
                .all(|c| c.is_empty())
        );
        let bad = Rect::new(0.0, f64::NAN, 0.0, 1.0);
        assert!(
            nullclines(&CircleCubic, &[], &bad, &NullclineOptions::default())
                .curves
                .iter()
                .all(|c| c.is_empty())
        );
        let tiny = NullclineOptions {
            resolution: 1,
            coarse: 16,
            ..NullclineOptions::default()
        };
        let _ = nullclines(&CircleCubic, &[], &rect2(), &tiny);
    }
}
