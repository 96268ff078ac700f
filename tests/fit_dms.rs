//! Reverse engineering our own trained DMS network (`assets/networks/dms_rank2_n512.json`, accuracy
//! 1.0): what the population fit finds and how networks resampled from it do on the task.
//!
//! The fast test checks the claim of MODEL.md 5 that a single population cannot do DMS. The numbers
//! of the note (`docs/FIT.md`) come from the ignored tests, run in release:
//!
//! ```text
//! cargo test --release --no-default-features --test fit_dms -- --ignored --nocapture
//! ```

use std::path::Path;
use std::sync::atomic::AtomicBool;

use lowrank_explorer::fit::finetune::{FinetuneConfig, FinetuneProgress, finetune};
use lowrank_explorer::fit::gmm::GmmOptions;
use lowrank_explorer::fit::resample::{ResampleEvaluation, evaluate_resamples};
use lowrank_explorer::fit::{FitOptions, LoadingBlocks, NetworkFit, PopulationCount, fit_network};
use lowrank_explorer::io;
use lowrank_explorer::network::{Network, PUBLISHED_NOISE_STD};
use lowrank_explorer::reduced::{PopulationModel, presets};
use lowrank_explorer::task::{TaskKind, dms};
use lowrank_explorer::train::evaluate;

fn trained() -> Network {
    io::load_network(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/networks/dms_rank2_n512.json"),
    )
    .unwrap()
}

fn dms_task() -> TaskKind {
    TaskKind::Dms(dms::DmsConfig::default())
}

fn fit(net: &Network, populations: PopulationCount) -> NetworkFit {
    // All seven loadings, as the tables of docs/FIT.md were made (before `n, m, I` became the
    // default for DMS).
    let opts = FitOptions {
        populations,
        svd: true,
        loadings: Some(LoadingBlocks::ALL),
        em: GmmOptions {
            restarts: 10,
            seed: 0,
            ..GmmOptions::default()
        },
    };
    fit_network(net, &opts, &AtomicBool::new(false)).unwrap()
}

fn resamples(
    model: &PopulationModel,
    neurons: usize,
    networks: usize,
    trials: usize,
) -> ResampleEvaluation {
    evaluate_resamples(
        model,
        neurons,
        networks,
        &dms_task(),
        trials,
        PUBLISHED_NOISE_STD,
        0,
    )
    .unwrap()
}

/// A single zero-mean Gaussian population keeps every second moment of the trained loadings, yet
/// the networks drawn from it are at chance: DMS needs population structure (MODEL.md 5).
#[test]
fn one_population_resamples_of_the_trained_network_are_at_chance() {
    let net = trained();
    // The same trials solve the task with the trained network itself: the evaluation works.
    let own = evaluate(&net, &dms_task(), 100, PUBLISHED_NOISE_STD, 0);
    assert!(own.accuracy >= 0.98, "{own:?}");
    let one = fit(&net, PopulationCount::Fixed(1));
    let e = resamples(&one.model, 512, 6, 100);
    let accs: Vec<f64> = e.networks.iter().map(|n| n.accuracy).collect();
    println!(
        "one population, N = 512: accuracies {accs:?}, mean {:.3}",
        e.mean_accuracy()
    );
    assert!((e.mean_accuracy() - 0.5).abs() < 0.15, "{accs:?}");
    assert!(e.accuracy_range().1 <= 0.8, "{accs:?}");
}

fn table_row(label: &str, model: &PopulationModel) {
    for neurons in [512, 4096] {
        let e = resamples(model, neurons, 10, 200);
        let accs: Vec<String> = e
            .networks
            .iter()
            .map(|n| format!("{:.3}", n.accuracy))
            .collect();
        let (lo, hi) = e.accuracy_range();
        println!(
            "| {label} | {neurons} | {:.3} | {lo:.3} - {hi:.3} | {} |",
            e.mean_accuracy(),
            accs.join(" ")
        );
    }
}

fn describe(label: &str, f: &NetworkFit) {
    let r = &f.report;
    println!(
        "{label}: ln L {:.2}, BIC {:.2}, restart {} of {}",
        r.log_likelihood,
        r.bic,
        r.best_restart,
        r.restarts.len()
    );
    let names = f.model.loading_names();
    for (pop, p) in f.model.populations().iter().zip(&r.populations) {
        println!("  {}: weight {:.4}, count {}", pop.name, p.weight, p.count);
        println!(
            "    variances: {}",
            names
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{n} {:.3}", pop.cov[(i, i)]))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let c = |a: usize, b: usize| pop.cov[(a, b)];
        println!(
            "    cov(n1,m1) {:.3} cov(n1,m2) {:.3} cov(n2,m1) {:.3} cov(n2,m2) {:.3}; cov(n,I): {:.3} {:.3} {:.3} {:.3}; cov(w,m): {:.3} {:.3}",
            c(2, 0),
            c(2, 1),
            c(3, 0),
            c(3, 1),
            c(2, 4),
            c(2, 5),
            c(3, 4),
            c(3, 5),
            c(6, 0),
            c(6, 1)
        );
    }
}

/// The note's fit and resampling tables.
#[test]
#[ignore = "a few minutes in release; prints the numbers of docs/FIT.md"]
fn report_fit_and_resampling_of_the_trained_network() {
    let net = trained();
    let auto = fit(&net, PopulationCount::Auto { max: 6 });
    println!("BIC over P = 1..6:");
    for c in &auto.report.candidates {
        println!(
            "| {} | {:.2} | {:.2} |",
            c.components,
            c.log_likelihood.unwrap_or(f64::NAN),
            c.bic.unwrap_or(f64::NAN)
        );
    }
    let one = fit(&net, PopulationCount::Fixed(1));
    let two = fit(&net, PopulationCount::Fixed(2));
    describe("one population", &one);
    describe("two populations", &two);
    describe("BIC choice", &auto);
    println!("| model | N | mean accuracy | range | 10 resamples |");
    table_row("fit, 1 population", &one.model);
    table_row("fit, 2 populations", &two.model);
    table_row(
        &format!("fit, {} populations (BIC)", auto.model.populations().len()),
        &auto.model,
    );
    table_row(
        "published mixture",
        &presets::get("dms_mixture_2pop").unwrap().model,
    );
}

/// The note's fine-tuning experiment: the two-population fit, which solves only some trial types
/// when resampled, trained at N = 2048.
#[test]
#[ignore = "about ten minutes in release; prints the fine-tuning numbers of docs/FIT.md"]
fn report_finetuning_of_the_two_population_fit() {
    let net = trained();
    let two = fit(&net, PopulationCount::Fixed(2));
    let config = FinetuneConfig {
        neurons: 2048,
        steps: 5000,
        lr: 3e-3,
        eval_networks: 10,
        ..FinetuneConfig::default()
    };
    let clock = std::time::Instant::now();
    let out = finetune(
        &two.model,
        &dms_task(),
        &config,
        1,
        &AtomicBool::new(false),
        &mut |p| {
            if let FinetuneProgress::Step(s) = p
                && s.step % 500 == 0
            {
                println!(
                    "step {}: batch loss {:.4}, accuracy {:.3}",
                    s.step, s.loss, s.accuracy
                );
            }
        },
    )
    .unwrap();
    println!("{:.0} s", clock.elapsed().as_secs_f64());
    println!(
        "before (N = 2048): {:.3}, after: {:.3}",
        out.before.mean_accuracy(),
        out.after.mean_accuracy()
    );
    println!("| model | N | mean accuracy | range | 10 resamples |");
    table_row("2 populations, fine-tuned", &out.model);
    describe(
        "fine-tuned",
        &NetworkFit {
            model: out.model.clone(),
            report: two.report.clone(),
        },
    );
}
