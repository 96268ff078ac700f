//! The four canonical DMS trials (MODEL.md 6, longest delay, no noise) as overlays: the full
//! network's states projected on `kappa` (MODEL.md 2) and the reduced system driven by the same
//! inputs ([`reduced_trial`]). Drawn together they show that the phase plane explains the network.

use thiserror::Error;

use super::figure::Overlay;
use crate::analysis::trial::reduced_trial;
use crate::network::{ALPHA, Network, Projector, Recording, SimOptions};
use crate::reduced::{ReducedSystem, TimeModel};
use crate::style;
use crate::task::dms;

/// Why the trials cannot be drawn.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TrialsError {
    #[error(
        "the DMS trials need a rank-2 model with {} input channels (A, B); this one has rank {rank} and {inputs} inputs",
        dms::INPUTS
    )]
    Shape { rank: usize, inputs: usize },
}

fn check(rank: usize, inputs: usize) -> Result<(), TrialsError> {
    if rank == 2 && inputs == dms::INPUTS {
        Ok(())
    } else {
        Err(TrialsError::Shape { rank, inputs })
    }
}

/// The network's own trajectories (its Euler map, the trained dynamics) projected on the latent
/// axes of `net` (solid, labelled `"AA network"` ...), then `sys` driven through the same trials
/// from the projection of `h0` (dashed, `"AA reduced"` ...). `sys` should be the exact reduction
/// of `net`; with the map time model the two then coincide (MODEL.md 3).
pub fn network_trials(
    net: &Network,
    sys: &dyn ReducedSystem,
    time_model: TimeModel,
) -> Result<Vec<Overlay>, TrialsError> {
    let d = net.dims();
    check(d.rank, d.inputs)?;
    check(sys.rank(), sys.inputs())?;
    let trials = dms::canonical(dms::DELAY_MAX_MS);
    let inputs: Vec<&[f64]> = trials.iter().map(|t| t.inputs.as_slice()).collect();
    let opts = SimOptions {
        recording: Recording::States,
        ..SimOptions::default()
    };
    let runs = net.simulate_batch(&inputs, &opts);
    let projector = Projector::new(net);
    let start = projector.project(net.h0().as_slice());
    let mut overlays: Vec<Overlay> = trials
        .iter()
        .zip(&runs)
        .enumerate()
        .map(|(i, (trial, run))| {
            let states = run.states.as_deref().unwrap_or_default();
            Overlay {
                label: format!("{} network", trial.name),
                colour: style::TRIALS[i % style::TRIALS.len()],
                points: projector
                    .project_all(states)
                    .iter()
                    .map(|p| [p.kappa[0], p.kappa[1]])
                    .collect(),
                dashed: false,
            }
        })
        .collect();
    overlays.extend(reduced(
        sys,
        time_model,
        &start.kappa,
        &start.v,
        " reduced",
        true,
    ));
    Ok(overlays)
}

/// `sys` driven through the four trials from `kappa = 0, v = 0` (solid, `"AA"` ...): the trials
/// of a mean-field model, which has no network to compare with.
pub fn reduced_trials(
    sys: &dyn ReducedSystem,
    time_model: TimeModel,
) -> Result<Vec<Overlay>, TrialsError> {
    check(sys.rank(), sys.inputs())?;
    Ok(reduced(
        sys,
        time_model,
        &[0.0, 0.0],
        &[0.0; dms::INPUTS],
        "",
        false,
    ))
}

/// The reduced trajectories, labelled `"<trial><suffix>"`.
fn reduced(
    sys: &dyn ReducedSystem,
    time_model: TimeModel,
    kappa0: &[f64],
    v0: &[f64],
    suffix: &str,
    dashed: bool,
) -> Vec<Overlay> {
    dms::canonical(dms::DELAY_MAX_MS)
        .iter()
        .enumerate()
        .map(|(i, trial)| Overlay {
            label: format!("{}{suffix}", trial.name),
            colour: style::TRIALS[i % style::TRIALS.len()],
            points: reduced_trial(sys, time_model, ALPHA, &trial.inputs, kappa0, v0)
                .kappa
                .iter()
                .map(|k| [k[0], k[1]])
                .collect(),
            dashed,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduced::{ExactReduction, MeanField, presets};

    #[test]
    fn network_and_exact_map_trajectories_coincide() {
        let net = crate::reduced::testing::random_network(200, 2, 2, true, 5)
            .svd_reparametrised()
            .unwrap();
        let sys = ExactReduction::new(&net);
        let o = network_trials(&net, &sys, TimeModel::TRAINED_MAP).unwrap();
        assert_eq!(o.len(), 8);
        let labels: Vec<&str> = o.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(labels[0], "AA network");
        assert_eq!(labels[7], "BB reduced");
        assert!(!o[0].dashed && o[4].dashed);
        assert_eq!(o[0].colour, o[4].colour);
        let steps = dms::trial_steps(crate::task::steps_of(dms::DELAY_MAX_MS));
        for i in 0..4 {
            assert_eq!(o[i].points.len(), steps + 1);
            assert_eq!(o[i + 4].points.len(), steps + 1);
            for (a, b) in o[i].points.iter().zip(&o[i + 4].points) {
                assert!((a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn mean_field_trials_are_solid_and_models_of_other_shapes_are_refused() {
        let model = presets::get("dms_mixture_2pop").unwrap().model;
        let o = reduced_trials(&MeanField::new(&model), TimeModel::Ode).unwrap();
        let labels: Vec<&str> = o.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(labels, ["AA", "AB", "BA", "BB"]);
        assert!(o.iter().all(|o| !o.dashed && o.points[0] == [0.0, 0.0]));
        let one_input = crate::reduced::testing::random_network(50, 2, 1, false, 1);
        let sys = ExactReduction::new(&one_input);
        let err = network_trials(&one_input, &sys, TimeModel::Ode).unwrap_err();
        assert!(err.to_string().contains("1 inputs"), "{err}");
    }
}
