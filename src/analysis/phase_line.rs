//! The phase line of a rank-1 system (MODEL.md 8): `kappa' = F(kappa; u)` against `kappa` at a
//! constant input, with every fixed point and its stability — the 1-D picture papers draw for
//! rank-1 networks, beside the plane of `(v_s, kappa)`.

use serde::Serialize;

use super::fixed_points::FixedPoint;
use super::root_search::{SearchOptions, search_fixed_points};
use crate::reduced::{ReducedSystem, TimeModel};

/// Samples of the phase line, evenly spaced over the absorbing box grown by 10 %.
pub const SAMPLES: usize = 401;

/// `kappa'` against `kappa` with the fixed points.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseLine {
    pub kappa: Vec<f64>,
    /// `F(kappa; u)` at each sample.
    pub flow: Vec<f64>,
    /// Every fixed point in the absorbing box (the exhaustive search of
    /// [`super::root_search`]), classified under the time model.
    pub fixed_points: Vec<FixedPoint>,
    /// Why the fixed points could not be searched, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The phase line of the rank-1 system `sys` at input `u`; empty for another rank or a system
/// without an absorbing box.
pub fn phase_line(sys: &dyn ReducedSystem, u: &[f64], time_model: TimeModel) -> PhaseLine {
    let half = sys
        .absorbing_box()
        .filter(|b| sys.rank() == 1 && b.len() == 1 && b[0].is_finite())
        .map_or(0.0, |b| 1.1 * b[0].max(1e-6));
    let kappa: Vec<f64> = if half > 0.0 {
        (0..SAMPLES)
            .map(|i| -half + 2.0 * half * i as f64 / (SAMPLES - 1) as f64)
            .collect()
    } else {
        Vec::new()
    };
    let mut flow = vec![0.0; kappa.len()];
    sys.flow_many(&kappa, u, &mut flow);
    let (fixed_points, error) =
        match search_fixed_points(sys, u, time_model, &SearchOptions::default()) {
            Ok(s) => (s.fixed_points, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
    PhaseLine {
        kappa,
        flow,
        fixed_points,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduced::ExactReduction;
    use crate::reduced::testing::random_network;

    /// Every sign change of the sampled `F` brackets a fixed point found, and each fixed point
    /// is stable exactly where `F` falls through zero.
    #[test]
    fn the_fixed_points_sit_at_the_sign_changes_with_the_slope_giving_stability() {
        // n = 2 m + noise: F = -kappa + 2 <m^2 phi'> kappa + ..., bistable without input.
        let mut parts = random_network(800, 1, 2, false, 31).parts().clone();
        parts.n = &parts.m * 0.5 + &parts.n * 0.1;
        let sys = ExactReduction::new(&crate::network::Network::new(parts).unwrap());
        let mut counts = Vec::new();
        for u in [[0.0, 0.0], [0.8, -0.4], [3.0, 3.0]] {
            let line = phase_line(&sys, &u, TimeModel::Ode);
            assert_eq!(line.kappa.len(), SAMPLES);
            let changes: Vec<(f64, f64)> = line
                .kappa
                .windows(2)
                .zip(line.flow.windows(2))
                .filter(|(_, f)| f[0].signum() != f[1].signum())
                .map(|(k, _)| (k[0], k[1]))
                .collect();
            assert_eq!(changes.len(), line.fixed_points.len(), "u = {u:?}");
            counts.push(changes.len());
            for ((lo, hi), fp) in changes.iter().zip(&line.fixed_points) {
                let k = fp.kappa[0];
                assert!(
                    k >= lo - 1e-12 && k <= hi + 1e-12,
                    "{u:?}: {k} not in [{lo}, {hi}]"
                );
                assert_eq!(fp.stable, fp.jacobian[0] < 0.0);
            }
        }
        assert!(counts.contains(&3) && counts.contains(&1), "{counts:?}");
    }
}
