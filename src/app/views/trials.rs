//! The canonical trials section (DMS or context-dependent, by the model's inputs): which trials,
//! noise and seed, the DMS delay, and the epoch scrubber (a
//! time slider with play) that sets the phase plane's input to the trial's input at that time.

use eframe::egui::{self, RichText, Ui};

use crate::app::actions::Action;
use crate::app::document::Document;
use crate::app::toasts::WARN;
use crate::app::views::widgets::{Edit, SliderSpec, param_slider};
use crate::app::views::{color, format_point};
use crate::model::TrialSet;
use crate::network::{ALPHA, DT_MS};
use crate::scene::style;
use crate::task::{ctx, dms};

/// Playback speeds offered (1 = real time: one 20 ms step per 20 ms).
const SPEEDS: [(f64, &str); 3] = [(0.25, "¼×"), (0.5, "½×"), (1.0, "1×")];

/// The trials section, with the playback clock.
pub struct TrialsPanel {
    speed: f64,
    /// Fractional steps accumulated while playing.
    clock: f64,
}

impl Default for TrialsPanel {
    fn default() -> Self {
        TrialsPanel {
            speed: 0.5,
            clock: 0.0,
        }
    }
}

impl TrialsPanel {
    pub fn ui(&mut self, ui: &mut Ui, doc: &mut Document, actions: &mut Vec<Action>) {
        settings(ui, doc, actions);
        let Some(set) = doc.results.trials.clone() else {
            ui.label("simulating…");
            return;
        };
        ui.separator();
        self.scrubber(ui, doc, &set);
        describe_runs(ui, doc, &set);
    }

    fn scrubber(&mut self, ui: &mut Ui, doc: &mut Document, set: &TrialSet) {
        let scrub = &mut doc.view.scrub;
        scrub.trial = scrub.trial.min(set.runs.len().saturating_sub(1));
        let last = set.states(scrub.trial).saturating_sub(1);
        ui.horizontal_wrapped(|ui| {
            let label = if scrub.playing { "pause" } else { "play" };
            if ui.button(label).clicked() {
                scrub.playing = !scrub.playing;
                if scrub.playing {
                    scrub.follow = true;
                    if scrub.step >= last {
                        scrub.step = 0;
                    }
                    self.clock = scrub.step as f64;
                }
            }
            for (speed, text) in SPEEDS {
                ui.radio_value(&mut self.speed, speed, text);
            }
        });
        ui.checkbox(&mut scrub.follow, "landscape follows the trial")
            .on_hover_text("The phase plane shows F(κ; v(t)) with the trial's filtered input v(t) at the scrubber's time");
        ui.horizontal_wrapped(|ui| {
            ui.label("trial");
            for (k, run) in set.runs.iter().enumerate() {
                let text = RichText::new(&run.trial.name).color(color(trial_colour(k)));
                ui.radio_value(&mut scrub.trial, k, text);
            }
        });
        let mut step = scrub.step.min(last);
        // The whole width and nothing beside it (the step is written below), so the panel
        // never grows.
        ui.spacing_mut().slider_width = (ui.available_width() - 8.0).max(60.0);
        let changed = ui
            .add(egui::Slider::new(&mut step, 0..=last).show_value(false))
            .accessible_name("trial time")
            .changed();
        if changed {
            scrub.playing = false;
        }
        if scrub.playing {
            let dt = f64::from(ui.input(|i| i.stable_dt)).min(0.1);
            self.clock += dt * self.speed * 1000.0 / DT_MS;
            step = (self.clock.floor() as usize).min(last);
            if step >= last {
                scrub.playing = false;
            }
            ui.ctx().request_repaint();
        }
        scrub.step = step;
        let run = &set.runs[scrub.trial];
        let epoch = run
            .trial
            .epochs
            .iter()
            .find(|e| e.start <= step && step < e.end)
            .map_or("after the trial", |e| e.name);
        let v = set.input_at(scrub.trial, step).unwrap_or_default();
        ui.label(format!(
            "step {step} of {last}: t = {:.0} ms · {epoch}",
            step as f64 * DT_MS,
        ));
        ui.label(format!("filtered input v(t) = {}", format_point(&v, 2)));
    }
}

/// The colour of trial `k`.
fn trial_colour(k: usize) -> crate::scene::style::Rgb {
    style::TRIALS[k % style::TRIALS.len()]
}

fn settings(ui: &mut Ui, doc: &mut Document, actions: &mut Vec<Action>) {
    let is_dms = doc.model().dims().inputs == dms::INPUTS;
    let names: Vec<String> = if is_dms {
        dms::TRIAL_TYPES.iter().map(|n| n.to_string()).collect()
    } else {
        ctx::canonical().into_iter().map(|t| t.name).collect()
    };
    ui.horizontal_wrapped(|ui| {
        for (k, name) in names.iter().enumerate() {
            let text = RichText::new(name).color(color(trial_colour(k))).strong();
            if let Some(shown) = doc.view.shown_trials.get_mut(k) {
                ui.checkbox(shown, text);
            }
        }
    });
    let t = &mut doc.edits.trials;
    let noise = if is_dms {
        "Network noise σ = 0.05 and input noise 0.03, as in training"
    } else {
        "Network noise σ = 0.05 and noise 0.1 on the sensory inputs, as in training"
    };
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut t.noise, "noise").on_hover_text(noise);
        ui.label("seed");
        ui.add(egui::DragValue::new(&mut t.seed).range(0..=u64::MAX))
            .accessible_name("seed");
    });
    if !is_dms {
        ui.label(
            RichText::new("fixed delay of 100 ms (MODEL.md 6)")
                .small()
                .weak(),
        );
        return;
    }
    let delay = t.delay_ms;
    let spec = SliderSpec {
        label: "delay (ms)",
        value: delay,
        default_range: [0.0, dms::DELAY_MAX_MS],
        domain: (0.0, dms::DELAY_MAX_MS),
        role: "The delay between the two stimuli of the canonical trials (MODEL.md 6).",
    };
    match param_slider(ui, &spec, &mut doc.view.ranges) {
        Edit::None => {}
        Edit::Set(x) => doc.edits.trials.delay_ms = x.clamp(0.0, dms::DELAY_MAX_MS),
        Edit::Invalid(text) => actions.push(Action::Warn(format!(
            "delay: “{text}” is not a finite number; the delay stays {delay} ms"
        ))),
    }
}

/// What is drawn, from where, and how far the network leaves the latent plane.
fn describe_runs(ui: &mut Ui, doc: &Document, set: &TrialSet) {
    let k = doc.view.scrub.trial;
    let run = &set.runs[k];
    ui.label(
        RichText::new(format!(
            "reduced system: {} (lines)",
            set.time_model.label()
        ))
        .small(),
    );
    let Some(net) = &run.network else {
        ui.label(
            RichText::new("mean field: reduced trajectories only (open a network for full-N ones)")
                .small()
                .weak(),
        );
        return;
    };
    let alpha = set.network_alpha.unwrap_or(ALPHA);
    ui.label(
        RichText::new(format!(
            "full network: its Euler map at alpha = {alpha} (dots), projected on the latent axes"
        ))
        .small(),
    );
    if set.network_off_trained_step() {
        ui.label(
            RichText::new(format!(
                "The network runs at the map's alpha = {alpha}, not the trained {ALPHA}: this is not the trained network's own dynamics."
            ))
            .small()
            .color(WARN),
        );
    } else if set.time_model == crate::reduced::TimeModel::Ode {
        ui.label(
            RichText::new(
                "The reduced trajectories are the ODE, the network its Euler map: they differ by the discretisation. Pick the Euler map to compare them exactly.",
            )
            .small()
            .color(WARN),
        );
    }
    let step = doc
        .view
        .scrub
        .step
        .min(net.relative_residual.len().saturating_sub(1));
    let now = net.relative_residual.get(step).copied().unwrap_or(f64::NAN);
    let worst = net.relative_residual.iter().copied().fold(0.0, f64::max);
    ui.label(format!(
        "projection residual ||h − Bc|| / ||h||: {now:.1e} now, {worst:.1e} max ({})",
        run.trial.name
    ))
    .on_hover_text("How far the full network state is from span{m₁, m₂, I_A, I_B} (MODEL.md 2): 0 without noise. It says the network stays in the latent plane, not that it follows the reduced trajectory.");
}
