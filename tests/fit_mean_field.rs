//! The fitted mean field against the exact reduction (MODEL.md 3-5): the measure the explorer shows
//! when it overlays a fitted model on a network (RMS of `F_exact - F_mean field` over the view).
//! The independent truth is the large-N limit: for a network drawn from a known mixture, the
//! distance to the mixture's mean field shrinks like `1/sqrt(N)`, and the mean field of a
//! mixture fitted to the network is as close as the true one.

use std::sync::atomic::AtomicBool;

use lowrank_explorer::analysis::Rect;
use lowrank_explorer::analysis::landscape::{FieldDifference, flow_field};
use lowrank_explorer::fit::gmm::GmmOptions;
use lowrank_explorer::fit::{FitOptions, PopulationCount, fit_network, resample_network};
use lowrank_explorer::network::Network;
use lowrank_explorer::reduced::{
    ExactReduction, MeanField, PopulationModel, ReducedSystem, presets,
};

const VIEW: Rect = Rect {
    x_min: -1.2,
    x_max: 1.2,
    y_min: -1.2,
    y_max: 1.2,
};

fn distance(a: &dyn ReducedSystem, b: &dyn ReducedSystem, v: &[f64]) -> FieldDifference {
    flow_field(a, v, &VIEW, 32)
        .difference(&flow_field(b, v, &VIEW, 32))
        .expect("same grid")
}

fn fit_two(net: &Network) -> PopulationModel {
    let opts = FitOptions {
        populations: PopulationCount::Fixed(2),
        // On the network's own axes: those of the mixture it was drawn from.
        svd: false,
        // The default: `n, m, I` for DMS; the mean field does not involve the readout.
        loadings: None,
        em: GmmOptions {
            restarts: 3,
            ..GmmOptions::default()
        },
    };
    fit_network(net, &opts, &AtomicBool::new(false))
        .unwrap()
        .model
}

#[test]
fn fitted_and_true_mean_fields_approach_the_exact_flow_as_n_grows() {
    // Without the SVD re-parametrisation: the network's latent axes are the mixture's own (the SVD
    // axes of a draw are a rotation and sign choice of them that changes from draw to draw).
    let truth = presets::get("dms_mixture_2pop").unwrap().model;
    let true_mf = MeanField::new(&truth);
    for v in [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]] {
        let mut to_truth = Vec::new();
        for n in [512usize, 8192] {
            let net = resample_network(&truth, n, 3).unwrap();
            let exact = ExactReduction::new(&net);
            let t = distance(&exact, &true_mf, &v);
            let fitted = MeanField::new(&fit_two(&net));
            let f = distance(&exact, &fitted, &v);
            println!(
                "v = {v:?}, N = {n}: RMS to the true mean field {:.4}, to the fitted one {:.4} (RMS |F| {:.3})",
                t.rms_difference, f.rms_difference, t.rms_reference
            );
            // The fit sees this draw's finite-N loadings: it is at least as close as the truth.
            assert!(f.rms_difference < 1.5 * t.rms_difference, "{f:?} vs {t:?}");
            to_truth.push(t);
        }
        // Finite-size fluctuations of the overlaps shrink like 1/sqrt(N): 16 x N, 1/4 the distance
        // (a factor 2 of slack for one draw).
        assert!(
            to_truth[1].rms_difference < 0.5 * to_truth[0].rms_difference,
            "{to_truth:?}"
        );
        assert!(to_truth[1].relative() < 0.05, "{:?}", to_truth[1]);
    }
}
