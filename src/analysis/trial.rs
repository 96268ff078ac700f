//! Latent trajectories of a reduced system driven by a trial's time-varying input (MODEL.md 2).
//!
//! The input does not enter the latent state directly: it is low-pass filtered into the input
//! coordinates `v`, and `F` sees `v`, not `u`. Exactly, for a network whose state starts in
//! `span{m_r, I_s}`:
//!
//! ```text
//! map:  kappa_{t+1} = kappa_t + alpha F(kappa_t; v_t),     v_{t+1} = v_t + alpha (u_t - v_t)
//! ODE:  dkappa/dt   = F(kappa; v),                         dv/dt   = u(t) - v
//! ```
//! (time in units of `tau`; in the ODE each trial step lasts `alpha tau` with `u` held constant). The
//! map is exact for the full network's Euler update, whose first step reads `r_0 = tanh(h_0)`
//! without a network's bias ([`ReducedSystem::first_step_flow`], MODEL.md 1); the ODE is its
//! continuous-time counterpart, which has no first step.

use super::integrate::{OdeOptions, dopri5};
use crate::reduced::{ReducedSystem, TimeModel};

/// `kappa_t` and `v_t` for `t = 0..=T`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LatentTrajectory {
    /// Row `t` is `kappa_t` (length R).
    pub kappa: Vec<Vec<f64>>,
    /// Row `t` is `v_t` (length S).
    pub v: Vec<Vec<f64>>,
}

/// Runs `sys` through a trial. `inputs` is row-major `(T, S)` (as in [`crate::task::Trial`]);
/// `step_alpha` is the trial's step in units of `tau` (the trained networks' `alpha = 0.2`).
///
/// With [`TimeModel::Map`] the map's own `alpha` is used for both the latent and the input filter
/// (it should equal `step_alpha`); with [`TimeModel::Ode`] each step integrates the ODE over
/// `step_alpha` by Dormand-Prince at tight tolerance. Stops early (shorter output) if the state stops
/// being finite.
pub fn reduced_trial(
    sys: &dyn ReducedSystem,
    time_model: TimeModel,
    step_alpha: f64,
    inputs: &[f64],
    kappa0: &[f64],
    v0: &[f64],
) -> LatentTrajectory {
    let (r, s) = (sys.rank(), sys.inputs());
    let mut kappa = kappa0.to_vec();
    let mut v = v0.to_vec();
    let mut out = LatentTrajectory {
        kappa: vec![kappa.clone()],
        v: vec![v.clone()],
    };
    let mut f = vec![0.0; r];
    for (t, u) in inputs
        .chunks_exact(s.max(1))
        .take(inputs.len() / s.max(1))
        .enumerate()
    {
        match time_model {
            TimeModel::Map { alpha } => {
                if t == 0 {
                    sys.first_step_flow(&kappa, &v, &mut f);
                } else {
                    sys.flow(&kappa, &v, &mut f);
                }
                for (k, fk) in kappa.iter_mut().zip(&f) {
                    *k += alpha * fk;
                }
                for (vs, us) in v.iter_mut().zip(u) {
                    *vs += alpha * (us - *vs);
                }
            }
            TimeModel::Ode => {
                let mut y: Vec<f64> = kappa.iter().chain(&v).copied().collect();
                let rhs = |_t: f64, y: &[f64], dy: &mut [f64]| {
                    let (k, vv) = y.split_at(r);
                    sys.flow(k, vv, &mut dy[..r]);
                    for ((d, vs), us) in dy[r..].iter_mut().zip(vv).zip(u) {
                        *d = us - vs;
                    }
                };
                let opts = OdeOptions {
                    rtol: 1e-10,
                    atol: 1e-12,
                    record: false,
                    ..OdeOptions::default()
                };
                let traj = dopri5(rhs, 0.0, &y, step_alpha, &opts, None);
                y.copy_from_slice(traj.last_state());
                kappa.copy_from_slice(&y[..r]);
                v.copy_from_slice(&y[r..]);
            }
        }
        if !kappa.iter().chain(&v).all(|x| x.is_finite()) {
            break;
        }
        out.kappa.push(kappa.clone());
        out.v.push(v.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use nalgebra::DVector;

    use super::*;
    use crate::analysis::integrate::dopri5;
    use crate::network::{ALPHA, Projector, Recording, SimOptions};
    use crate::reduced::ExactReduction;
    use crate::reduced::testing::random_network;
    use crate::task::dms;

    /// A network started in its latent subspace: `h0 = m kappa0` (v0 = 0).
    fn network_in_span() -> (crate::network::Network, Vec<f64>) {
        let net = random_network(300, 2, 2, true, 17);
        let kappa0 = vec![0.8, -0.4];
        let h0 = net.m() * DVector::from_column_slice(&kappa0);
        let parts = crate::network::NetworkParts {
            h0,
            ..net.parts().clone()
        };
        (crate::network::Network::new(parts).unwrap(), kappa0)
    }

    #[test]
    fn exact_map_trial_equals_the_projected_full_network() {
        let (net, kappa0) = network_in_span();
        let trial = &dms::canonical(600.0)[1];
        let run = net.simulate(
            &trial.inputs,
            &SimOptions {
                recording: Recording::States,
                ..SimOptions::default()
            },
        );
        let projected = Projector::new(&net).project_all(&run.states.unwrap());
        let sys = ExactReduction::new(&net);
        let reduced = reduced_trial(
            &sys,
            TimeModel::TRAINED_MAP,
            ALPHA,
            &trial.inputs,
            &kappa0,
            &[0.0, 0.0],
        );
        assert_eq!(reduced.kappa.len(), trial.steps + 1);
        for (t, p) in projected.iter().enumerate() {
            for r in 0..2 {
                assert!((p.kappa[r] - reduced.kappa[t][r]).abs() < 1e-11, "t = {t}");
            }
            for s in 0..2 {
                assert!((p.v[s] - reduced.v[t][s]).abs() < 1e-11, "t = {t}");
            }
            assert!(p.relative_residual < 1e-10);
        }
    }

    #[test]
    fn exact_ode_trial_equals_the_projected_full_network_ode() {
        let (net, kappa0) = network_in_span();
        let trial = &dms::canonical(600.0)[2];
        let n = net.dims().neurons;
        // The full N-dimensional ODE, integrated step by step with the input held constant.
        let mut h = net.h0().as_slice().to_vec();
        let mut scratch = vec![0.0; n];
        let mut states = h.clone();
        let opts = OdeOptions {
            rtol: 1e-11,
            atol: 1e-13,
            record: false,
            ..OdeOptions::default()
        };
        for u in trial.inputs.chunks_exact(2) {
            let rhs = |_t: f64, y: &[f64], dy: &mut [f64]| net.ode_rhs(y, u, &mut scratch, dy);
            h = dopri5(rhs, 0.0, &h, ALPHA, &opts, None)
                .last_state()
                .to_vec();
            states.extend_from_slice(&h);
        }
        let projected = Projector::new(&net).project_all(&states);
        let sys = ExactReduction::new(&net);
        let reduced = reduced_trial(
            &sys,
            TimeModel::Ode,
            ALPHA,
            &trial.inputs,
            &kappa0,
            &[0.0, 0.0],
        );
        let worst = projected
            .iter()
            .zip(&reduced.kappa)
            .flat_map(|(p, k)| p.kappa.iter().zip(k).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        assert!(worst < 1e-8, "ODE trial deviates by {worst:e}");
        // And the ODE is not the map: the two readings differ visibly over a trial.
        let map = reduced_trial(
            &sys,
            TimeModel::TRAINED_MAP,
            ALPHA,
            &trial.inputs,
            &kappa0,
            &[0.0, 0.0],
        );
        let gap = map.kappa[60][0] - reduced.kappa[60][0];
        assert!(
            gap.abs() > 1e-4,
            "map and ODE agree suspiciously well ({gap:e})"
        );
    }
}
