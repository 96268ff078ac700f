//! The regions of a parameter plane named by what the phase plane holds there (MODEL.md 9):
//! "2 memories", "limit cycle", "1 memory + cycle" — a *memory* is a stable fixed point, a
//! *cycle* a stable limit cycle (ODE) or attracting invariant closed curve (map).
//!
//! The plane is sampled at the centres of a grid of cells; at each, the fixed points are found
//! in the system's own search box ([`Rect::default_for`]: the absorbing box, which holds every
//! attractor) and the attracting cycles are searched around them ([`super::cycles`],
//! [`super::invariant_curves`]). Sampling is the honest answer: the regions are bounded by the
//! fold and Hopf curves and by global bifurcations (homoclinic orbits, SNICs, folds of cycles)
//! that no local test sees, and a cell's class is what an analysis at that point finds. Cells of
//! one class that touch (4-neighbours) form a region, labelled at its cell nearest its centroid.
//! Ranks other than 2 count memories by the exhaustive search ([`super::root_search`]) and no
//! cycles.

use rayon::prelude::*;
use serde::Serialize;

use super::Rect;
use super::cycle_branch::Cancel;
use super::cycles::{CycleOptions, find_limit_cycles};
use super::fixed_points::fixed_points_in;
use super::invariant_curves::find_invariant_curves;
use super::root_search::{SearchOptions, search_fixed_points};
use super::two_parameter::TwoParameterFamily;
use crate::reduced::TimeModel;

/// What the phase plane holds at a point of the parameter plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Attractors {
    /// Stable fixed points.
    pub memories: usize,
    /// Stable limit cycles (map: attracting invariant curves).
    pub cycles: usize,
}

impl Attractors {
    /// "2 memories", "1 memory + cycle", "limit cycle", "2 cycles", "no attractor".
    pub fn name(&self) -> String {
        let memories = match self.memories {
            0 => None,
            1 => Some("1 memory".to_string()),
            k => Some(format!("{k} memories")),
        };
        let cycles = match self.cycles {
            0 => None,
            1 => Some("cycle"),
            _ => Some("cycles"),
        };
        match (memories, cycles) {
            (Some(m), Some(c)) if self.cycles > 1 => format!("{m} + {} {c}", self.cycles),
            (Some(m), Some(c)) => format!("{m} + {c}"),
            (Some(m), None) => m,
            (None, Some(_)) if self.cycles == 1 => "limit cycle".to_string(),
            (None, Some(c)) => format!("{} {c}", self.cycles),
            (None, None) => "no attractor".to_string(),
        }
    }
}

/// A connected region of one class, with where its name goes.
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    pub attractors: Attractors,
    pub name: String,
    /// Cells in the region.
    pub cells: usize,
    /// The centre of the region's cell nearest its centroid.
    pub label_at: [f64; 2],
}

/// The sampled parameter plane.
#[derive(Debug, Clone, Serialize)]
pub struct Regions {
    pub ranges: [[f64; 2]; 2],
    /// Cells along `p` and along `q`.
    pub cells: [usize; 2],
    /// What each cell holds, row-major by `q` (row 0 at `q_min`), `p` along a row.
    pub attractors: Vec<Attractors>,
    pub regions: Vec<Region>,
    pub evaluations: usize,
}

impl Regions {
    /// The centre of cell `(i, j)` (`i` along `p`, `j` along `q`).
    pub fn cell_centre(&self, i: usize, j: usize) -> [f64; 2] {
        let at = |axis: usize, k: usize| {
            let [lo, hi] = self.ranges[axis];
            lo + (hi - lo) * (k as f64 + 0.5) / self.cells[axis] as f64
        };
        [at(0, i), at(1, j)]
    }
}

/// Cheaper cycle searches than the landscape's: only existence and stability count here.
fn search_options() -> CycleOptions {
    CycleOptions {
        rtol: 1e-7,
        max_evaluations: 60_000,
        ..CycleOptions::default()
    }
}

/// What the phase plane of `family` holds at `pq`, with the evaluations spent.
pub fn attractors_at(
    family: &TwoParameterFamily,
    pq: [f64; 2],
    time_model: TimeModel,
) -> (Attractors, usize) {
    let s = family.at(pq);
    let (sys, v) = (s.sys.as_ref(), &s.v[..]);
    if sys.rank() != 2 {
        let memories = search_fixed_points(sys, v, time_model, &SearchOptions::default())
            .map(|r| r.fixed_points.iter().filter(|f| f.stable).count())
            .unwrap_or(0);
        return (
            Attractors {
                memories,
                cycles: 0,
            },
            0,
        );
    }
    let rect = Rect::default_for(sys);
    let fps = fixed_points_in(sys, v, &rect, time_model);
    let opts = search_options();
    let (cycles, evaluations) = match time_model {
        TimeModel::Ode => find_limit_cycles(sys, v, &rect, &fps, &opts),
        TimeModel::Map { alpha } => find_invariant_curves(sys, v, alpha, &rect, &fps, &opts),
    };
    let attractors = Attractors {
        memories: fps.iter().filter(|f| f.stable).count(),
        cycles: cycles.iter().filter(|c| c.stable).count(),
    };
    (attractors, evaluations)
}

/// The regions of `family` over `ranges` on a grid of `cells` (both at least 1), cells in
/// parallel; `None` if `cancel` withdrew the computation (it is asked before every cell).
pub fn regions(
    family: &TwoParameterFamily,
    ranges: [[f64; 2]; 2],
    cells: [usize; 2],
    time_model: TimeModel,
    cancel: Option<&Cancel>,
) -> Option<Regions> {
    let cells = cells.map(|c| c.max(1));
    let mut out = Regions {
        ranges,
        cells,
        attractors: Vec::new(),
        regions: Vec::new(),
        evaluations: 0,
    };
    let sampled: Option<Vec<(Attractors, usize)>> = (0..cells[0] * cells[1])
        .into_par_iter()
        .map(|k| {
            (!cancel.is_some_and(Cancel::requested)).then(|| {
                let pq = out.cell_centre(k % cells[0], k / cells[0]);
                attractors_at(family, pq, family.time_model_at(pq, time_model))
            })
        })
        .collect();
    let sampled = sampled?;
    out.evaluations = sampled.iter().map(|(_, e)| e).sum();
    out.attractors = sampled.into_iter().map(|(a, _)| a).collect();
    out.regions = components(&out);
    Some(out)
}

/// The 4-connected components of equal class, largest first.
fn components(r: &Regions) -> Vec<Region> {
    let [nx, ny] = r.cells;
    let mut seen = vec![false; nx * ny];
    let mut out = Vec::new();
    for start in 0..nx * ny {
        if seen[start] {
            continue;
        }
        let class = r.attractors[start];
        let mut members = Vec::new();
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(k) = stack.pop() {
            members.push(k);
            let (i, j) = (k % nx, k / nx);
            let neighbours = [
                (i > 0).then(|| k - 1),
                (i + 1 < nx).then(|| k + 1),
                (j > 0).then(|| k - nx),
                (j + 1 < ny).then(|| k + nx),
            ];
            for m in neighbours.into_iter().flatten() {
                if !seen[m] && r.attractors[m] == class {
                    seen[m] = true;
                    stack.push(m);
                }
            }
        }
        let centroid = members.iter().fold([0.0; 2], |[a, b], &k| {
            [a + (k % nx) as f64, b + (k / nx) as f64]
        });
        let centroid = centroid.map(|c| c / members.len() as f64);
        let label = members
            .iter()
            .min_by(|&&a, &&b| {
                let d = |k: usize| {
                    ((k % nx) as f64 - centroid[0]).powi(2)
                        + ((k / nx) as f64 - centroid[1]).powi(2)
                };
                d(a).total_cmp(&d(b))
            })
            .copied()
            .unwrap_or(start);
        out.push(Region {
            attractors: class,
            name: class.name(),
            cells: members.len(),
            label_at: r.cell_centre(label % nx, label / nx),
        });
    }
    out.sort_by_key(|g| std::cmp::Reverse(g.cells));
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::analysis::test_systems::GeneralisedHopf;
    use crate::reduced::ReducedSystem;

    #[test]
    fn names_say_what_the_plane_holds() {
        let a = |memories, cycles| Attractors { memories, cycles }.name();
        assert_eq!(a(2, 0), "2 memories");
        assert_eq!(a(1, 1), "1 memory + cycle");
        assert_eq!(a(0, 1), "limit cycle");
        assert_eq!(a(0, 0), "no attractor");
        assert_eq!(a(2, 2), "2 memories + 2 cycles");
    }

    #[test]
    fn bautin_regions_follow_the_hopf_line_and_the_fold_of_cycles() {
        // r' = r (b1 + b2 r^2 - r^4): for b1 > 0 a stable cycle around an unstable focus; for
        // b1 < 0 a stable focus, and also a stable cycle (r^2 = (b2 + sqrt(b2^2 + 4 b1)) / 2)
        // between the fold of cycles b2^2 + 4 b1 = 0 and the line b1 = 0, b2 > 0.
        let sys: Arc<dyn ReducedSystem> = Arc::new(GeneralisedHopf { omega: 1.0 });
        let family = TwoParameterFamily::new(2, Box::new(move |pq| (sys.clone(), pq.to_vec())));
        let r = regions(
            &family,
            [[-0.4, 0.4], [-1.0, 1.0]],
            [8, 8],
            TimeModel::Ode,
            None,
        )
        .unwrap();
        let withdrawn = Cancel::new(|| true);
        assert!(
            regions(
                &family,
                [[-0.4, 0.4], [-1.0, 1.0]],
                [8, 8],
                TimeModel::Ode,
                Some(&withdrawn)
            )
            .is_none()
        );
        for j in 0..8 {
            for i in 0..8 {
                let [b1, b2] = r.cell_centre(i, j);
                let expect = if b1 > 0.0 {
                    Attractors {
                        memories: 0,
                        cycles: 1,
                    }
                } else if b2 > 0.0 && b2 * b2 + 4.0 * b1 > 0.0 {
                    Attractors {
                        memories: 1,
                        cycles: 1,
                    }
                } else {
                    Attractors {
                        memories: 1,
                        cycles: 0,
                    }
                };
                assert_eq!(r.attractors[j * 8 + i], expect, "at b1 = {b1}, b2 = {b2}");
            }
        }
        let names: Vec<&str> = r.regions.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        for name in ["limit cycle", "1 memory", "1 memory + cycle"] {
            assert!(names.contains(&name), "{names:?}");
        }
    }
}
