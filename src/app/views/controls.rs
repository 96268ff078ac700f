//! The side panel: the model, input, time model, the DMS trials, each population's parameters
//! and what is shown. The parameters and what they enter come from the core
//! ([`Model::parameters`](crate::model::Model::parameters), [`ParamSpec::role`]).

use crate::app::views::format_point;
use crate::reduced::plane::{PlaneAxes, kappa_symbol};
use eframe::egui::{self, CollapsingHeader, RichText, Ui};

use crate::app::actions::Action;
use crate::app::document::{Document, FIELD_DENSITY_RANGE, InputMode, Source};
use crate::app::fitting::{FinetuneRequest, FitRequest};
use crate::app::toasts::WARN;
use crate::app::views::trials::TrialsPanel;
use crate::app::views::widgets::{Edit, SliderSpec, param_slider};
use crate::app::worker::Results;
use crate::fit::PopulationCount;
use crate::fit::gmm::GmmOptions;
use crate::fit::populations::DEFAULT_MAX_POPULATIONS;
use crate::model::{ParamGroup, ParamSpec, STEP_DOMAIN, STEP_SLIDER};
use crate::reduced::{PsdStatus, TimeModel};
use crate::scene::FieldMode;
use crate::task::dms;

/// Largest network the "Draw network" button makes (the core allows more; the app stays responsive).
const MAX_DRAWN_NEURONS: usize = 65_536;

/// The story the poster tells, step by step, as the preset really does it (a test runs it).
pub const TOUR: [&str; 4] = [
    "1. Input none: the two stable fixed points (filled dots) are the two memories; the saddles (crosses) and their separatrices split the plane between them.",
    "2. Input A: the memories vanish in folds and a stable limit cycle (thick green) appears around an unstable focus. Input B: a single stable focus.",
    "3. Trials: pick BA, tick 'landscape follows the trial' and press play. Stimulus B stores the B memory; during stimulus A the state rides the limit cycle and comes out in the other memory: BA (and AA) flip the memory, AB and BB keep it.",
    "4. Presets > Networks (or File > Open) a trained network: its full-network trials (dots) follow the exact reduced ones (lines).",
];

/// The controls panel: the parts of the UI state that are not the document's.
pub struct Controls {
    /// The fit's population count: 0 for "auto (BIC)", else fixed.
    fit_populations: usize,
    fit_restarts: usize,
    /// Size and seed of a network drawn from the model.
    draw_neurons: usize,
    draw_seed: u64,
    finetune: FinetuneRequest,
    pub trials: TrialsPanel,
}

impl Default for Controls {
    fn default() -> Self {
        Controls {
            fit_populations: 0,
            fit_restarts: GmmOptions::default().restarts,
            // The published mixture solves DMS at this size, not at 512 (docs/FIT.md).
            draw_neurons: 4096,
            draw_seed: 1,
            finetune: FinetuneRequest::default(),
            trials: TrialsPanel::default(),
        }
    }
}

impl Controls {
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        doc: &mut Document,
        job: Option<&crate::app::JobStatus>,
        actions: &mut Vec<Action>,
    ) {
        tour(ui);
        self.model_section(ui, doc, job, actions);
        let edits_population =
            matches!(doc.source, Source::Population) || doc.view.overlay_mean_field;
        if edits_population {
            self.model_networks_section(ui, job, actions);
        }
        ui.separator();
        input_section(ui, doc, actions);
        ui.separator();
        time_model_section(ui, doc, actions);
        if doc.model().dims().rank != 2 {
            ui.separator();
            plane_section(ui, doc);
        }
        let inputs = doc.model().dims().inputs;
        if crate::model::trials::has_trials(inputs) {
            ui.separator();
            let title = if inputs == dms::INPUTS {
                "DMS trials"
            } else {
                "context-dependent trials"
            };
            CollapsingHeader::new(RichText::new(title).heading())
                .id_salt("trials_section")
                .default_open(true)
                .show(ui, |ui| self.trials.ui(ui, doc, actions));
        }
        ui.separator();
        if edits_population {
            populations_section(ui, doc, actions);
            ui.separator();
        }
        display_section(ui, doc);
    }

    fn model_section(
        &mut self,
        ui: &mut Ui,
        doc: &mut Document,
        job: Option<&crate::app::JobStatus>,
        actions: &mut Vec<Action>,
    ) {
        ui.heading("Model");
        job_row(ui, job, actions);
        ui.label(RichText::new(doc.title()).strong());
        ui.label(doc.model().describe());
        if doc.model().network().is_none() {
            return;
        }
        self.fit_row(ui, doc, job, actions);
        let label = format!("overlay mean field of “{}”", doc.edits.population_label);
        ui.checkbox(&mut doc.view.overlay_mean_field, label);
        if doc.view.overlay_mean_field {
            overlay_readout(ui, doc);
        }
        ui.checkbox(&mut doc.view.loadings, "loadings scatter (window)");
    }

    /// Networks from the population model (MODEL.md 5): draw one and open it, or fine-tune the
    /// covariances until drawn networks solve DMS.
    fn model_networks_section(
        &mut self,
        ui: &mut Ui,
        job: Option<&crate::app::JobStatus>,
        actions: &mut Vec<Action>,
    ) {
        CollapsingHeader::new(RichText::new("Networks from this model").strong())
            .id_salt("model_networks")
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .button("Draw network")
                        .on_hover_text("Draw a network from the population model (MODEL.md 5: each population's loadings are Gaussian with its covariance) and open it: its exact landscape and full-network trials. Sessions reopen it from the model, N and seed.")
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
                ui.horizontal_wrapped(|ui| {
                    if ui
                        .add_enabled(job.is_none(), egui::Button::new("Fine-tune on DMS"))
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
                ui.horizontal_wrapped(|ui| {
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
    fn fit_row(
        &mut self,
        ui: &mut Ui,
        doc: &Document,
        job: Option<&crate::app::JobStatus>,
        actions: &mut Vec<Action>,
    ) {
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(job.is_none(), egui::Button::new("Fit populations"))
                .on_hover_text("Zero-mean Gaussian mixture of the neurons' loadings (m, n, I, w on the network's axes) by EM with restarts, the papers' reverse engineering (MODEL.md 5). The fitted model becomes the sliders' population model and its mean field is drawn over the exact landscape.")
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
        if let Some(fit) = &doc.fit {
            ui.label(RichText::new(format!("fit: {}", fit.summary())).small());
        }
    }
}

/// The poster's story, step by step, for a first-time user.
fn tour(ui: &mut Ui) {
    CollapsingHeader::new(RichText::new("The poster's story in 4 steps").strong())
        .id_salt("tour")
        .show(ui, |ui| {
            for step in TOUR {
                ui.label(step);
            }
            ui.label(
                RichText::new(
                    "Click a point or a fixed point for S~ and the Jacobian; Ctrl+Z undoes any edit of the model.",
                )
                .weak(),
            );
        });
}

/// One slider per parameter of each population, grouped as the core groups them.
fn populations_section(ui: &mut Ui, doc: &mut Document, actions: &mut Vec<Action>) {
    let groups: Vec<ParamGroup> = doc
        .population_model()
        .parameters()
        .into_iter()
        .filter(|g| g.population.is_some())
        .collect();
    let psd = doc.edits.population.psd_status();
    for (pop, status) in psd.into_iter().enumerate() {
        let p = &doc.edits.population.populations()[pop];
        let title = format!("{} (α = {:.3})", p.name, p.fraction);
        CollapsingHeader::new(RichText::new(title).strong())
            .id_salt(("population", pop))
            .default_open(pop == 0)
            .show(ui, |ui| {
                gain_row(ui, doc, pop, actions);
                psd_row(ui, doc, pop, status, actions);
                for g in groups.iter().filter(|g| g.population == Some(pop)) {
                    if g.title.is_empty() {
                        for param in &g.params {
                            slider(ui, doc, param, actions);
                        }
                        continue;
                    }
                    CollapsingHeader::new(g.title.as_str())
                        .id_salt(("group", pop, g.title.as_str()))
                        .default_open(g.open)
                        .show(ui, |ui| {
                            for param in &g.params {
                                slider(ui, doc, param, actions);
                            }
                        });
                }
            });
    }
}

/// A slider for one population-model parameter; refused values become warnings.
fn slider(ui: &mut Ui, doc: &mut Document, param: &ParamSpec, actions: &mut Vec<Action>) {
    let ParamSpec::Model(p) = param else { return };
    let Ok(value) = p.get(&doc.edits.population) else {
        return;
    };
    let label = param.to_string();
    let spec = SliderSpec {
        label: &label,
        value,
        default_range: doc.population_model().slider_range(param),
        domain: p.domain(),
        role: &param.role(),
    };
    match param_slider(ui, &spec, &mut doc.view.ranges) {
        Edit::None => {}
        Edit::Set(x) => {
            if let Err(e) = p.set(&mut doc.edits.population, x) {
                actions.push(Action::Warn(format!("{label} refused: {e}")));
            }
        }
        Edit::Invalid(text) => actions.push(Action::Warn(format!(
            "{label}: “{text}” is not a finite number; the value stays {value}"
        ))),
    }
}

/// Gain mode of a population: self-consistent `<phi'>` or clamped (teaching mode).
fn gain_row(ui: &mut Ui, doc: &mut Document, pop: usize, actions: &mut Vec<Action>) {
    let clamp = doc.edits.population.populations()[pop].gain_clamp;
    let mut clamped = clamp.is_some();
    ui.horizontal_wrapped(|ui| {
        ui.label("gain <φ'>:");
        let a = ui.radio_value(&mut clamped, false, "self-consistent");
        let b = ui.radio_value(&mut clamped, true, "clamped");
        if a.changed() || b.changed() {
            let gain = clamped.then(|| current_gain(&doc.results, pop).unwrap_or(1.0));
            if let Err(e) = doc.edits.population.set_gain_clamp(pop, gain) {
                actions.push(Action::Warn(e.to_string()));
            }
        }
    });
}

/// `<phi'>_pop` at the selected point, if the readouts have it.
fn current_gain(results: &Results, pop: usize) -> Option<f64> {
    let c = results.readout.as_ref()?.connectivity.as_ref()?;
    c.populations.get(pop).map(|p| p.gain.clamp(0.0, 1.0))
}

/// The PSD indicator and the "nearest PSD" action.
fn psd_row(
    ui: &mut Ui,
    doc: &mut Document,
    pop: usize,
    status: PsdStatus,
    actions: &mut Vec<Action>,
) {
    ui.horizontal_wrapped(|ui| {
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
            if let Some(Err(e)) = repair.then(|| doc.edits.population.make_psd(pop)) {
                actions.push(Action::Warn(e.to_string()));
            }
        }
    });
}

fn input_section(ui: &mut Ui, doc: &mut Document, actions: &mut Vec<Action>) {
    ui.heading("Input v");
    let names = doc.model().input_names();
    if doc.view.scrub.follow {
        ui.label(
            RichText::new("The input follows the trial at the scrubber's time (see DMS trials).")
                .italics(),
        );
        if ui.button("stop following the trial").clicked() {
            doc.view.scrub.follow = false;
            doc.view.scrub.playing = false;
        }
        return;
    }
    let input = &mut doc.edits.input;
    input.custom.resize(names.len(), 0.0);
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(&mut input.mode, InputMode::None, "none");
        for (k, name) in names.iter().enumerate().take(4) {
            ui.radio_value(&mut input.mode, InputMode::Channel(k), name.as_str());
        }
        ui.radio_value(&mut input.mode, InputMode::Custom, "custom");
    });
    if input.mode == InputMode::Custom {
        let model = doc.model().clone();
        for (k, name) in names.iter().enumerate() {
            let param = ParamSpec::Input(name.clone());
            let label = format!("input {name}");
            let value = doc.edits.input.custom[k];
            let spec = SliderSpec {
                label: &label,
                value,
                default_range: model.slider_range(&param),
                domain: model.parameter_domain(&param),
                role: &param.role(),
            };
            match param_slider(ui, &spec, &mut doc.view.ranges) {
                Edit::None => {}
                Edit::Set(x) => doc.edits.input.custom[k] = x,
                Edit::Invalid(text) => actions.push(Action::Warn(format!(
                    "{label}: “{text}” is not a finite number; the value stays {value}"
                ))),
            }
        }
    }
}

/// The plane shown for a model that is not rank 2 (MODEL.md 8): rank 1's `(v_s, κ)` by channel;
/// for rank >= 3 the slice's two axes and where the others are held (the origin or a fixed
/// point of the current landscape).
fn plane_section(ui: &mut Ui, doc: &mut Document) {
    let model = doc.model().clone();
    let (rank, names) = (model.dims().rank, model.input_names());
    let current = doc.plane();
    let mut chosen = current.clone();
    match &mut chosen {
        PlaneAxes::Input { channel } => {
            ui.heading("Plane (v, κ)");
            ui.horizontal_wrapped(|ui| {
                for (k, name) in names.iter().enumerate() {
                    ui.radio_value(channel, k, format!("v({name})"))
                        .on_hover_text(format!("The state is x = κ m + Σ_s v_s I_s, and v_{name} relaxes to the input {name}: (v_{name}, κ) is a genuine 2-D system (MODEL.md 8)."));
                }
            });
            ui.label(
                RichText::new(
                    "the phase line κ' against κ at the current input is in the right column",
                )
                .small()
                .weak(),
            );
        }
        PlaneAxes::Latent { axes, held } => {
            ui.heading("Slice");
            for (which, axis) in ["x", "y"].iter().zip(axes.iter_mut()) {
                ui.horizontal_wrapped(|ui| {
                    ui.label(*which);
                    for l in 0..rank {
                        ui.radio_value(axis, l, kappa_symbol(l));
                    }
                });
            }
            ui.horizontal_wrapped(|ui| {
                ui.label("held at");
                if ui.button("origin").clicked() {
                    held.iter_mut().for_each(|h| *h = 0.0);
                }
                let fps = doc
                    .results
                    .landscape
                    .as_ref()
                    .map(|l| l.fixed_points.clone());
                for (k, fp) in fps.unwrap_or_default().iter().enumerate() {
                    if let Some(latent) = &fp.latent
                        && ui
                            .button(format!("fp {}", k + 1))
                            .on_hover_text(format!(
                                "{} at κ = {}",
                                fp.kind.name(),
                                format_point(latent, 3)
                            ))
                            .clicked()
                    {
                        held.clone_from(latent);
                    }
                }
            });
            ui.label(
                RichText::new(format!(
                    "κ = {} (the shown axes vary)",
                    format_point(held, 3)
                ))
                .small()
                .monospace(),
            );
            ui.label(RichText::new("A slice: its nullclines are not invariant. Fixed points and cycles are the full system's, found in all dimensions and projected; clicked trajectories run in all dimensions.").small().weak());
        }
    }
    let d = model.dims();
    if chosen != current && chosen.check(d.rank, d.inputs).is_ok() {
        doc.edits.plane = Some(chosen);
        doc.view.rect = None;
        doc.view.frame_pending = true;
        doc.view.selection = None;
        doc.view.clear_starts();
    }
}

fn time_model_section(ui: &mut Ui, doc: &mut Document, actions: &mut Vec<Action>) {
    ui.heading("Time model");
    let tm = &mut doc.edits.time_model;
    let alpha = match *tm {
        TimeModel::Map { alpha } => alpha,
        TimeModel::Ode => crate::network::ALPHA,
    };
    ui.horizontal_wrapped(|ui| {
        ui.radio_value(tm, TimeModel::Ode, "ODE")
            .on_hover_text("dκ/dt = F(κ; v), time in units of τ");
        let is_map = matches!(*tm, TimeModel::Map { .. });
        if ui
            .radio(is_map, "Euler map")
            .on_hover_text("κ(t+1) = κ(t) + α F(κ(t); v): the trained networks' update")
            .clicked()
        {
            *tm = TimeModel::Map { alpha };
        }
    });
    if let TimeModel::Map { alpha } = doc.edits.time_model {
        let spec = SliderSpec {
            label: "map α",
            value: alpha,
            default_range: STEP_SLIDER,
            domain: STEP_DOMAIN,
            role: "The Euler step dt/τ of the map κ(t+1) = κ(t) + α F(κ(t)); the networks were trained with 0.2 (MODEL.md 1).",
        };
        match param_slider(ui, &spec, &mut doc.view.ranges) {
            Edit::None => {}
            Edit::Set(x) if x > 0.0 => doc.edits.time_model = TimeModel::Map { alpha: x },
            Edit::Set(x) => actions.push(Action::Warn(format!(
                "map α = {x}: the step must be positive"
            ))),
            Edit::Invalid(text) => actions.push(Action::Warn(format!(
                "map α: “{text}” is not a finite number"
            ))),
        }
    }
    ui.label(format!("showing: {}", doc.edits.time_model.label()));
}

fn display_section(ui: &mut Ui, doc: &mut Document) {
    ui.heading("Show");
    let view = &mut doc.view;
    let d = &mut view.layers;
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut d.field, "flow field");
        ui.checkbox(&mut d.nullclines, "nullclines");
        ui.checkbox(&mut d.fixed_points, "fixed points");
        ui.checkbox(&mut d.eigenvectors, "eigenvectors")
            .on_hover_text("the eigenvectors of saddles and nodes: red unstable, blue stable");
        ui.checkbox(&mut d.separatrices, "separatrices");
        ui.checkbox(&mut d.cycles, "limit cycles");
        ui.checkbox(&mut d.trials, "trial trajectories");
    });
    ui.horizontal_wrapped(|ui| {
        ui.add_enabled_ui(d.field, |ui| {
            ui.label("field as");
            egui::ComboBox::from_id_salt("field_mode")
                .selected_text(d.field_mode.name())
                .show_ui(ui, |ui| {
                    for m in FieldMode::ALL {
                        ui.selectable_value(&mut d.field_mode, m, m.name())
                            .on_hover_text(field_mode_tip(m));
                    }
                })
                .response
                .on_hover_text(field_mode_tip(d.field_mode));
            let [lo, hi] = FIELD_DENSITY_RANGE;
            ui.add(
                egui::DragValue::new(&mut view.field_density)
                    .range(lo..=hi)
                    .speed(0.2)
                    .suffix(" per side"),
            )
            .on_hover_text("Flow-field samples along each side of the view (drag or type)");
        });
    });
}

/// What each way of drawing the field shows.
fn field_mode_tip(m: FieldMode) -> &'static str {
    match m {
        FieldMode::Directions => {
            "arrows of one length: the direction everywhere, the speed by colour"
        }
        FieldMode::Arrows => "arrows as long as the flow is fast: the fastest fills its cell",
        FieldMode::Speed => {
            "the plane shaded by log |F| over 3 decades, darkest where the flow is slowest (fixed points, ghosts of lost ones)"
        }
    }
}

/// The running fit or fine-tuning: what it does now, and a way to stop it.
fn job_row(ui: &mut Ui, job: Option<&crate::app::JobStatus>, actions: &mut Vec<Action>) {
    let Some(job) = job else { return };
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
fn overlay_readout(ui: &mut Ui, doc: &Document) {
    let fits = doc.model().network().is_some() && doc.overlay_fits(doc.model());
    if !fits {
        ui.label(
            RichText::new(
                "the population model's rank or inputs differ from the network's: no overlay",
            )
            .color(WARN),
        );
        return;
    }
    match doc.results.overlay.as_ref().and_then(|o| o.difference) {
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
