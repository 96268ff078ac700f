//! The side panel: model, input, time model, each population's parameters, display toggles.

use eframe::egui::{self, CollapsingHeader, RichText, Ui};

use crate::app::Results;
use crate::app::fitting::{FinetuneRequest, FitRequest};
use crate::app::params::{InputMode, Params, Source};
use crate::app::views::widgets::{Edit, value_slider};
use crate::app::views::{Action, time_model_label};
use crate::fit::PopulationCount;
use crate::fit::gmm::GmmOptions;
use crate::fit::populations::DEFAULT_MAX_POPULATIONS;
use crate::reduced::{Loading, ModelDims, ModelParam, PopulationModel, TimeModel};

/// Range of the custom input sliders.
const INPUT_RANGE: f64 = 2.0;
/// Range of the map's step slider.
const ALPHA_RANGE: (f64, f64) = (0.01, 1.0);
/// Decimals of the typed-value boxes.
const DECIMALS: usize = 3;
/// Largest network the "Draw network" button makes (the core allows more; the app stays responsive).
const MAX_DRAWN_NEURONS: usize = 65_536;
/// Warning colour.
pub const WARN: egui::Color32 = egui::Color32::from_rgb(200, 80, 0);

/// The controls panel. Slider ranges come from the model as it was loaded (`reference`), so they
/// stay put while the values move.
pub struct Controls {
    reference: Option<PopulationModel>,
    /// The fit's population count: 0 for "auto (BIC)", else fixed.
    fit_populations: usize,
    fit_restarts: usize,
    /// Size and seed of a network drawn from the model.
    draw_neurons: usize,
    draw_seed: u64,
    finetune: FinetuneRequest,
}

impl Default for Controls {
    fn default() -> Self {
        Controls {
            reference: None,
            fit_populations: 0,
            fit_restarts: GmmOptions::default().restarts,
            // The published mixture solves DMS at this size, not at 512 (docs/FIT.md).
            draw_neurons: 4096,
            draw_seed: 1,
            finetune: FinetuneRequest::default(),
        }
    }
}

/// A group of covariance entries shown together.
struct Group {
    title: &'static str,
    entries: Vec<(Loading, Loading)>,
    open: bool,
}

impl Controls {
    /// Forgets the slider ranges (a new model was loaded).
    pub fn reset_ranges(&mut self) {
        self.reference = None;
    }

    pub fn ui(
        &mut self,
        ui: &mut Ui,
        params: &mut Params,
        results: &Results,
        actions: &mut Vec<Action>,
    ) {
        tour(ui);
        self.model_section(ui, params, results, actions);
        let edits_population = matches!(
            params.source,
            Source::Population
                | Source::Network {
                    overlay_mean_field: true,
                    ..
                }
        );
        if edits_population {
            self.model_networks_section(ui, results, actions);
        }
        ui.separator();
        input_section(ui, params, results, actions);
        ui.separator();
        time_model_section(ui, params, actions);
        ui.separator();
        if edits_population {
            self.populations_section(ui, params, results, actions);
            ui.separator();
        }
        display_section(ui, params);
    }

    fn model_section(
        &mut self,
        ui: &mut Ui,
        params: &mut Params,
        results: &Results,
        actions: &mut Vec<Action>,
    ) {
        ui.heading("Model");
        job_row(ui, results, actions);
        match (&mut params.source, &results.network) {
            (
                Source::Network {
                    overlay_mean_field, ..
                },
                Some(net),
            ) => {
                ui.label(RichText::new(net.describe()).strong());
                if net.svd_axes {
                    ui.label("Exact reduction, on the network's SVD axes (MODEL.md 2): κ are the coordinates along the orthogonal m₁, m₂.")
                        .on_hover_text("m n^T = U S V^T, m = U sqrt(S), n = V sqrt(S); full-network states are projected on these axes by least squares.");
                } else {
                    ui.label("Exact reduction, on the axes of the population model it was drawn from: κ are the coordinates along its m₁, m₂, as in the model's mean field.");
                }
                self.fit_row(ui, results, actions);
                let label = format!("overlay mean field of “{}”", params.population_label);
                ui.checkbox(overlay_mean_field, label);
                if *overlay_mean_field {
                    overlay_readout(ui, params, results);
                }
                ui.checkbox(&mut params.display.loadings, "loadings scatter (window)");
            }
            (Source::Network { path, .. }, None) => {
                ui.label(format!("loading {} …", path.display()));
            }
            (Source::Population, _) => {
                ui.label(RichText::new(&params.population_label).strong());
                ui.label("Population mean field (MODEL.md 4)");
            }
        }
    }

    /// Networks from the population model (MODEL.md 5): draw one and open it, or fine-tune the
    /// covariances until drawn networks solve DMS.
    fn model_networks_section(
        &mut self,
        ui: &mut Ui,
        results: &Results,
        actions: &mut Vec<Action>,
    ) {
        CollapsingHeader::new(RichText::new("Networks from this model").strong())
            .id_salt("model_networks")
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if ui
                        .button("Draw network")
                        .on_hover_text("Draw a network from the population model (MODEL.md 5: each population's loadings are Gaussian with its covariance) and open it: its exact landscape and full-network trials.")
                        .clicked()
                    {
                        actions.push(Action::Resample {
                            neurons: self.draw_neurons,
                            seed: self.draw_seed,
                        });
                    }
                    ui.add(
                        egui::DragValue::new(&mut self.draw_neurons)
                            .range(16..=MAX_DRAWN_NEURONS)
                            .prefix("N "),
                    )
                    .accessible_name("drawn network N");
                    ui.add(egui::DragValue::new(&mut self.draw_seed).prefix("seed "))
                        .accessible_name("drawn network seed");
                });
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(results.job.is_none(), egui::Button::new("Fine-tune on DMS"))
                        .on_hover_text("Train the populations' covariance factors by backpropagation through time, a fresh network drawn at every step (MODEL.md 5), until drawn networks solve delayed match-to-sample. Minutes; runs in the background and can be cancelled.")
                        .clicked()
                    {
                        actions.push(Action::Finetune(self.finetune));
                    }
                    let f = &mut self.finetune;
                    ui.add(
                        egui::DragValue::new(&mut f.neurons)
                            .range(64..=MAX_DRAWN_NEURONS)
                            .prefix("N "),
                    )
                    .accessible_name("fine-tuning N");
                    ui.add(
                        egui::DragValue::new(&mut f.steps)
                            .range(1..=100_000)
                            .prefix("steps "),
                    )
                    .accessible_name("fine-tuning steps");
                });
                ui.horizontal(|ui| {
                    let f = &mut self.finetune;
                    ui.add(
                        egui::DragValue::new(&mut f.lr)
                            .range(1e-5..=0.1)
                            .speed(1e-4)
                            .prefix("learning rate "),
                    )
                    .accessible_name("fine-tuning learning rate");
                    ui.add(egui::DragValue::new(&mut f.seed).prefix("seed "))
                        .accessible_name("fine-tuning seed");
                });
            });
    }

    /// "Fit populations": a zero-mean Gaussian mixture of the neurons' loadings (MODEL.md 5).
    fn fit_row(&mut self, ui: &mut Ui, results: &Results, actions: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            if ui
                .add_enabled(results.job.is_none(), egui::Button::new("Fit populations"))
                .on_hover_text("Zero-mean Gaussian mixture of the neurons' loadings (m, n, I, w on the SVD axes) by EM with restarts, the papers' reverse engineering (MODEL.md 5). The fitted model becomes the sliders' population model and its mean field is drawn over the exact landscape.")
                .clicked()
            {
                let populations = match self.fit_populations {
                    0 => PopulationCount::Auto {
                        max: DEFAULT_MAX_POPULATIONS,
                    },
                    p => PopulationCount::Fixed(p),
                };
                actions.push(Action::Fit(FitRequest {
                    populations,
                    restarts: self.fit_restarts,
                    seed: 0,
                }));
            }
            let shown = match self.fit_populations {
                0 => "auto (BIC)".to_string(),
                p => p.to_string(),
            };
            egui::ComboBox::from_label("populations")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.fit_populations, 0, "auto (BIC)");
                    for p in 1..=DEFAULT_MAX_POPULATIONS {
                        ui.selectable_value(&mut self.fit_populations, p, p.to_string());
                    }
                });
            ui.add(
                egui::DragValue::new(&mut self.fit_restarts)
                    .range(1..=100)
                    .prefix("restarts "),
            )
            .accessible_name("fit restarts");
        });
        if let Some(fit) = results
            .fit
            .as_ref()
            .filter(|f| results.network.as_ref().is_some_and(|n| f.describes(n)))
        {
            ui.label(RichText::new(format!("fit: {}", fit.summary())).small());
        }
    }

    fn populations_section(
        &mut self,
        ui: &mut Ui,
        params: &mut Params,
        results: &Results,
        actions: &mut Vec<Action>,
    ) {
        let model = &mut params.population.0;
        let reference = self.reference.get_or_insert_with(|| model.clone()).clone();
        if reference.dims() != model.dims() {
            self.reference = Some(model.clone());
        }
        let dims = model.dims();
        let groups = groups(dims);
        let psd = model.psd_status();
        let count = model.populations().len();
        for (pop, status) in psd.into_iter().enumerate() {
            let p = &model.populations()[pop];
            let title = format!("{} (α = {:.3})", p.name, p.fraction);
            CollapsingHeader::new(RichText::new(title).strong())
                .id_salt(("population", pop))
                .default_open(pop == 0)
                .show(ui, |ui| {
                    if count > 1 {
                        let param = ModelParam::Fraction { pop };
                        apply_param(ui, model, param, 0.0..=1.0, actions);
                    }
                    gain_row(ui, model, pop, results, actions);
                    psd_row(ui, model, pop, status, actions);
                    for g in &groups {
                        CollapsingHeader::new(g.title)
                            .id_salt(("group", pop, g.title))
                            .default_open(g.open)
                            .show(ui, |ui| {
                                for &(a, b) in &g.entries {
                                    let param = ModelParam::Cov { pop, a, b };
                                    let range = cov_range(&reference, param, a == b);
                                    apply_param(ui, model, param, range, actions);
                                }
                            });
                    }
                    if model.populations()[pop].has_mean() {
                        CollapsingHeader::new("means")
                            .id_salt(("means", pop))
                            .show(ui, |ui| {
                                for i in 0..2 * dims.rank + dims.inputs {
                                    let a = Loading::from_index(i, &dims);
                                    let param = ModelParam::Mean { pop, a };
                                    let range = cov_range(&reference, param, false);
                                    apply_param(ui, model, param, range, actions);
                                }
                            });
                    }
                });
        }
    }
}

/// The poster's story, step by step, for a first-time user.
fn tour(ui: &mut Ui) {
    CollapsingHeader::new(RichText::new("The poster's story in 4 steps").strong())
        .id_salt("tour")
        .show(ui, |ui| {
            for step in [
                "1. Input none: two stable fixed points (filled dots) are the two memories; saddles (crosses) and their separatrices split the plane.",
                "2. Input A: the memories vanish and a stable limit cycle (thick green) appears. Input B: a single stable focus.",
                "3. Trials panel: pick AB, tick 'landscape follows the trial' and press play: the landscape morphs with the trial's input and the state dot flips memory.",
                "4. File > Open a trained network (e.g. tests/fixtures/lowrank_n64_r2.pt): its full-N trajectories (dotted) follow the exact reduced ones (solid).",
            ] {
                ui.label(step);
            }
            ui.label(RichText::new("Click a point or a fixed point for S~ and the Jacobian; Ctrl+Z undoes any edit.").weak());
        });
}

/// The covariance entries the controls show, group by group (also the bifurcation parameters).
pub fn parameter_groups(dims: ModelDims) -> Vec<Vec<(Loading, Loading)>> {
    groups(dims).into_iter().map(|g| g.entries).collect()
}

/// The covariance entries that enter the flow (MODEL.md 4: `Sigma[n, x]` and `Sigma[x, x]` with
/// `x = (m, I)`) and the readout (`Sigma[w, x]`), grouped.
fn groups(dims: ModelDims) -> Vec<Group> {
    let (r, s, o) = (dims.rank, dims.inputs, dims.outputs);
    let pairs =
        |a: &dyn Fn(usize) -> Loading, na: usize, b: &dyn Fn(usize) -> Loading, nb: usize| {
            (0..na)
                .flat_map(|i| (0..nb).map(move |j| (i, j)))
                .map(|(i, j)| (a(i), b(j)))
                .collect::<Vec<_>>()
        };
    let upper = |f: &dyn Fn(usize) -> Loading, n: usize| {
        (0..n)
            .flat_map(|i| (i..n).map(move |j| (i, j)))
            .map(|(i, j)| (f(i), f(j)))
            .collect::<Vec<_>>()
    };
    let mut out = vec![
        Group {
            title: "n–m overlaps (couplings)",
            entries: pairs(&Loading::N, r, &Loading::M, r),
            open: true,
        },
        Group {
            title: "n–input overlaps (drive)",
            entries: pairs(&Loading::N, r, &Loading::I, s),
            open: false,
        },
        Group {
            title: "m variances, covariances",
            entries: upper(&Loading::M, r),
            open: false,
        },
        Group {
            title: "input variances, covariances",
            entries: upper(&Loading::I, s),
            open: false,
        },
        Group {
            title: "m–input covariances",
            entries: pairs(&Loading::M, r, &Loading::I, s),
            open: false,
        },
    ];
    if o > 0 {
        let mut readout = pairs(&Loading::W, o, &Loading::M, r);
        readout.extend(pairs(&Loading::W, o, &Loading::I, s));
        out.push(Group {
            title: "readout w–m, w–input",
            entries: readout,
            open: false,
        });
    }
    out.retain(|g| !g.entries.is_empty());
    out
}

/// Slider range of a covariance or mean entry: twice the loaded value, at least 1 (variances
/// from 0), rounded up to a round number.
fn cov_range(
    reference: &PopulationModel,
    param: ModelParam,
    variance: bool,
) -> std::ops::RangeInclusive<f64> {
    let x = param.get(reference).unwrap_or(0.0).abs();
    let top = round_up((2.0 * x).max(1.0));
    if variance { 0.0..=top } else { -top..=top }
}

/// The smallest of 1, 2, 5 times a power of ten that is `>= x`.
fn round_up(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|v| *v >= x)
        .unwrap_or(10.0 * p)
}

/// A slider + typed box for one model parameter; refused values become warnings.
fn apply_param(
    ui: &mut Ui,
    model: &mut PopulationModel,
    param: ModelParam,
    range: std::ops::RangeInclusive<f64>,
    actions: &mut Vec<Action>,
) {
    let Ok(value) = param.get(model) else { return };
    let label = param.to_string();
    match value_slider(ui, &label, value, range, DECIMALS) {
        Edit::None => {}
        Edit::Set(x) => {
            if let Err(e) = param.set(model, x) {
                actions.push(Action::Warn(format!("{label} = {x}: {e}")));
            }
        }
        Edit::Invalid(text) => actions.push(Action::Warn(format!(
            "{label}: “{text}” is not a finite number; the value stays {value}"
        ))),
    }
}

/// Gain mode of a population: self-consistent `<phi'>` or clamped to a slider (teaching mode).
fn gain_row(
    ui: &mut Ui,
    model: &mut PopulationModel,
    pop: usize,
    results: &Results,
    actions: &mut Vec<Action>,
) {
    let clamp = model.populations()[pop].gain_clamp;
    let mut clamped = clamp.is_some();
    ui.horizontal(|ui| {
        ui.label("gain <φ'>:");
        let a = ui.radio_value(&mut clamped, false, "self-consistent");
        let b = ui.radio_value(&mut clamped, true, "clamped");
        if a.changed() || b.changed() {
            let gain = clamped.then(|| current_gain(results, pop).unwrap_or(1.0));
            if let Err(e) = model.set_gain_clamp(pop, gain) {
                actions.push(Action::Warn(e.to_string()));
            }
        }
    });
    if model.populations()[pop].gain_clamp.is_some() {
        apply_param(ui, model, ModelParam::Gain { pop }, 0.0..=1.0, actions);
    }
}

/// `<phi'>_pop` at the selected point, if the readouts have it.
fn current_gain(results: &Results, pop: usize) -> Option<f64> {
    let c = results.readout.as_ref()?.connectivity.as_ref()?;
    c.populations.get(pop).map(|p| p.gain.clamp(0.0, 1.0))
}

/// The PSD indicator and the "nearest PSD" action.
fn psd_row(
    ui: &mut Ui,
    model: &mut PopulationModel,
    pop: usize,
    status: crate::reduced::PsdStatus,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        if status.is_psd {
            ui.label(RichText::new("covariance PSD").color(egui::Color32::from_rgb(0, 130, 90)))
                .on_hover_text(format!(
                    "smallest eigenvalue {:.3e}",
                    status.smallest_eigenvalue
                ));
        } else {
            ui.label(
                RichText::new(format!(
                    "not PSD (λmin = {:.3})",
                    status.smallest_eigenvalue
                ))
                .color(WARN),
            )
            .on_hover_text("No Gaussian population has this covariance; the mean field clamps negative variances at 0.");
            let repair = ui
                .button("nearest PSD")
                .on_hover_text("Clip the negative eigenvalues to 0 (nearest PSD matrix in Frobenius norm)")
                .clicked();
            if let Some(Err(e)) = repair.then(|| model.make_psd(pop)) {
                actions.push(Action::Warn(e.to_string()));
            }
        }
    });
}

fn input_section(ui: &mut Ui, params: &mut Params, results: &Results, actions: &mut Vec<Action>) {
    ui.heading("Input v");
    let names = params.input_names(results.network.as_ref().map(|n| n.dims().inputs));
    if params.scrub.follow {
        ui.label(
            RichText::new("The input follows the trial at the scrubber's time (see Trials).")
                .italics(),
        );
        if ui.button("stop following the trial").clicked() {
            params.scrub.follow = false;
        }
        return;
    }
    params.input.custom.resize(names.len(), 0.0);
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(&mut params.input.mode, InputMode::None, "none");
        for (k, name) in names.iter().enumerate().take(4) {
            ui.radio_value(&mut params.input.mode, InputMode::Channel(k), name.as_str());
        }
        ui.radio_value(&mut params.input.mode, InputMode::Custom, "custom");
    });
    if params.input.mode == InputMode::Custom {
        for (k, name) in names.iter().enumerate() {
            let label = format!("input {name}");
            let value = params.input.custom[k];
            match value_slider(ui, &label, value, -INPUT_RANGE..=INPUT_RANGE, DECIMALS) {
                Edit::None => {}
                Edit::Set(x) => params.input.custom[k] = x,
                Edit::Invalid(text) => actions.push(Action::Warn(format!(
                    "{label}: “{text}” is not a finite number; the value stays {value}"
                ))),
            }
        }
    }
}

fn time_model_section(ui: &mut Ui, params: &mut Params, actions: &mut Vec<Action>) {
    ui.heading("Time model");
    let alpha = match params.time_model {
        TimeModel::Map { alpha } => alpha,
        TimeModel::Ode => crate::network::ALPHA,
    };
    ui.horizontal(|ui| {
        ui.radio_value(&mut params.time_model, TimeModel::Ode, "ODE")
            .on_hover_text("dκ/dt = F(κ; v), time in units of τ");
        let is_map = matches!(params.time_model, TimeModel::Map { .. });
        if ui
            .radio(is_map, "Euler map")
            .on_hover_text("κ(t+1) = κ(t) + α F(κ(t); v): the trained networks' update")
            .clicked()
        {
            params.time_model = TimeModel::Map { alpha };
        }
    });
    if let TimeModel::Map { alpha } = params.time_model {
        match value_slider(ui, "map α", alpha, ALPHA_RANGE.0..=ALPHA_RANGE.1, DECIMALS) {
            Edit::None => {}
            Edit::Set(x) if x > 0.0 => params.time_model = TimeModel::Map { alpha: x },
            Edit::Set(x) => actions.push(Action::Warn(format!(
                "map α = {x}: the step must be positive"
            ))),
            Edit::Invalid(text) => actions.push(Action::Warn(format!(
                "map α: “{text}” is not a finite number"
            ))),
        }
    }
    ui.label(format!("showing: {}", time_model_label(params.time_model)));
}

fn display_section(ui: &mut Ui, params: &mut Params) {
    ui.heading("Show");
    let d = &mut params.display;
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut d.field, "flow field");
        ui.checkbox(&mut d.nullclines, "nullclines");
        ui.checkbox(&mut d.fixed_points, "fixed points");
        ui.checkbox(&mut d.separatrices, "separatrices");
        ui.checkbox(&mut d.cycles, "limit cycles");
        ui.checkbox(&mut d.trials, "trial trajectories");
    });
}

/// The running fit or fine-tuning: what it does now, and a way to stop it.
fn job_row(ui: &mut Ui, results: &Results, actions: &mut Vec<Action>) {
    let Some(job) = &results.job else { return };
    ui.horizontal_wrapped(|ui| {
        ui.spinner();
        ui.label(format!(
            "{}: {} ({:.0} s)",
            job.what, job.progress, job.seconds
        ));
        if ui.button(format!("cancel {}", job.what)).clicked() {
            actions.push(Action::CancelJob);
        }
    });
}

/// How far the overlaid mean field is from the exact flow over the view.
fn overlay_readout(ui: &mut Ui, params: &Params, results: &Results) {
    let dims_match = results.network.as_ref().is_some_and(|n| {
        let d = n.dims();
        let m = params.population.0.dims();
        (d.rank, d.inputs) == (m.rank, m.inputs)
    });
    if !dims_match {
        ui.label(
            RichText::new(
                "the population model's rank or inputs differ from the network's: no overlay",
            )
            .color(WARN),
        );
        return;
    }
    match results.overlay.as_ref().and_then(|o| o.difference) {
        Some(d) => {
            ui.label(format!(
                "RMS |F_exact − F_mean field| over the view: {:.2e} ({:.2} % of RMS |F_exact| = {:.3})",
                d.rms_difference,
                100.0 * d.relative(),
                d.rms_reference
            ))
            .on_hover_text(format!(
                "Root mean square over the {} flow-field samples of the view; the mean field is MODEL.md 4's large-N limit of the exact reduction (MODEL.md 3).",
                d.samples
            ));
        }
        None => {
            ui.label(RichText::new("mean field: computing…").weak());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_round_and_contain_twice_the_value() {
        assert_eq!(round_up(1.0), 1.0);
        assert_eq!(round_up(1.3), 2.0);
        assert_eq!(round_up(3.0), 5.0);
        assert_eq!(round_up(16.8), 20.0);
        assert_eq!(round_up(0.07), 0.1);
    }

    #[test]
    fn groups_hold_the_entries_that_enter_the_flow() {
        let dims = ModelDims {
            rank: 2,
            inputs: 2,
            outputs: 1,
        };
        let g = groups(dims);
        let total: usize = g.iter().map(|g| g.entries.len()).sum();
        // n-m 4, n-I 4, m-m 3, I-I 3, m-I 4, readout 2 + 2.
        assert_eq!(total, 22);
        assert!(g.iter().all(|g| !g.entries.is_empty()));
    }
}
