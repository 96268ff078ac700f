//! The poster's story as the explorer and the README tell it: in the DMS mixture preset, a trial
//! stores its first stimulus as one of the two memories, and the second stimulus A flips that
//! memory (BA, AA) while B keeps it (AB, BB). Each trial is run as the explorer runs it and the
//! memory is read before the second stimulus and at the end of the trial, as the attractor its
//! state falls into once the input is off.

use lowrank_explorer::analysis::fixed_points::FixedPoint;
use lowrank_explorer::analysis::landscape::{LandscapeRequest, analyze, trajectory};
use lowrank_explorer::model::{Model, TrialSettings};
use lowrank_explorer::reduced::TimeModel;

/// The stable fixed point (memory) a state falls into without input: the trajectory is run for
/// a long time and ends next to one of them.
fn memory(model: &Model, memories: &[FixedPoint], kappa: &[f64]) -> usize {
    let path = trajectory(
        model.system(),
        &[0.0, 0.0],
        TimeModel::Ode,
        kappa,
        200.0,
        false,
    );
    let end = path.state(path.len() - 1).to_vec();
    let d = |f: &FixedPoint| (f.kappa[0] - end[0]).hypot(f.kappa[1] - end[1]);
    let (k, nearest) = memories
        .iter()
        .enumerate()
        .min_by(|a, b| d(a.1).total_cmp(&d(b.1)))
        .expect("memories");
    assert!(d(nearest) < 1e-4, "the state settled nowhere: {end:?}");
    k
}

/// `(memory before stimulus 2, memory at the end)` of each of AA, AB, BA, BB.
fn memories_of_the_trials(time_model: TimeModel) -> Vec<(String, usize, usize)> {
    let model = Model::preset("dms_mixture_2pop").unwrap();
    let land = analyze(
        model.system(),
        &LandscapeRequest::new(
            model.search_box(&model.default_plane().unwrap()),
            vec![0.0, 0.0],
            time_model,
        ),
    );
    let memories: Vec<FixedPoint> = land.fixed_points.into_iter().filter(|f| f.stable).collect();
    assert_eq!(memories.len(), 2, "two memories without input");
    let set = model
        .canonical_trials(time_model, &TrialSettings::default())
        .unwrap();
    set.runs
        .iter()
        .map(|run| {
            let second = run
                .trial
                .epochs
                .iter()
                .find(|e| e.name == "stimulus 2")
                .expect("a second stimulus")
                .start;
            let before = memory(&model, &memories, &run.reduced.kappa[second]);
            let after = memory(&model, &memories, run.reduced.kappa.last().unwrap());
            (run.trial.name.clone(), before, after)
        })
        .collect()
}

#[test]
fn the_second_stimulus_a_flips_the_memory_and_b_keeps_it() {
    for tm in [TimeModel::Ode, TimeModel::TRAINED_MAP] {
        let trials = memories_of_the_trials(tm);
        let by_name = |n: &str| trials.iter().find(|t| t.0 == n).unwrap();
        for (name, flips) in [("AA", true), ("AB", false), ("BA", true), ("BB", false)] {
            let (_, before, after) = by_name(name);
            assert_eq!(
                before != after,
                flips,
                "{name} ({}): memory {before} before stimulus 2, {after} at the end",
                tm.label()
            );
        }
        // The first stimulus decides the memory stored: A and B store different ones.
        assert_ne!(by_name("AA").1, by_name("BA").1);
        assert_eq!(by_name("AA").1, by_name("AB").1);
    }
}

#[cfg(feature = "gui")]
#[test]
fn the_tour_and_the_readme_tell_the_trial_that_flips() {
    use lowrank_explorer::app::views::controls::TOUR;
    let step = TOUR[2];
    assert!(step.contains("pick BA"), "{step}");
    assert!(
        step.contains("BA (and AA) flip the memory, AB and BB keep it"),
        "{step}"
    );
    let readme = include_str!("../README.md");
    assert!(
        readme.contains("pick *BA*") && readme.contains("AB and BB keep it"),
        "README step 3 tells another story"
    );
}
