//! The DMS trials panel: which trials, noise and seed, the delay, and the epoch scrubber (a time
//! slider with play) that sets the phase plane's input to the trial's input at that time.

use eframe::egui::{self, RichText, Ui};

use crate::app::Results;
use crate::app::compute::TrialSet;
use crate::app::params::Params;
use crate::app::views::widgets::{Edit, value_slider};
use crate::app::views::{Action, color, format_point, time_model_label};
use crate::network::{ALPHA, DT_MS};
use crate::style;
use crate::task::dms;

/// Playback speeds offered (1 = real time: one 20 ms step per 20 ms).
const SPEEDS: [(f64, &str); 3] = [(0.25, "¼×"), (0.5, "½×"), (1.0, "1×")];

/// The trials panel, with the playback clock.
pub struct TrialsPanel {
    playing: bool,
    speed: f64,
    /// Fractional steps accumulated while playing.
    clock: f64,
}

impl Default for TrialsPanel {
    fn default() -> Self {
        TrialsPanel {
            playing: false,
            speed: 0.5,
            clock: 0.0,
        }
    }
}

impl TrialsPanel {
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        params: &mut Params,
        results: &Results,
        actions: &mut Vec<Action>,
    ) {
        ui.heading("DMS trials");
        let Some(set) = results.trials.as_deref() else {
            ui.label(match &results.network {
                Some(n) if n.dims().inputs != dms::INPUTS => {
                    "The network does not have the two DMS inputs."
                }
                _ => "simulating…",
            });
            return;
        };
        self.settings(ui, params, actions);
        ui.separator();
        self.scrubber(ui, params, set);
        describe_runs(ui, params, set, results.network.is_some());
    }

    fn settings(&mut self, ui: &mut Ui, params: &mut Params, actions: &mut Vec<Action>) {
        let t = &mut params.trials;
        ui.horizontal(|ui| {
            for (k, name) in dms::TRIAL_TYPES.iter().enumerate() {
                let text = RichText::new(*name).color(color(style::TRIALS[k])).strong();
                ui.checkbox(&mut t.shown[k], text);
            }
            ui.separator();
            ui.checkbox(&mut t.noise, "noise")
                .on_hover_text("Network noise σ = 0.05 and input noise 0.03, as in training");
            ui.label("seed");
            ui.add(egui::DragValue::new(&mut t.seed).range(0..=u64::MAX))
                .accessible_name("seed");
        });
        let delay = t.delay_ms;
        match value_slider(ui, "delay (ms)", delay, 0.0..=dms::DELAY_MAX_MS, 0) {
            Edit::None => {}
            Edit::Set(x) => t.delay_ms = x.clamp(0.0, dms::DELAY_MAX_MS),
            Edit::Invalid(text) => actions.push(Action::Warn(format!(
                "delay: “{text}” is not a finite number; the delay stays {delay} ms"
            ))),
        }
    }

    fn scrubber(&mut self, ui: &mut Ui, params: &mut Params, set: &TrialSet) {
        let scrub = &mut params.scrub;
        scrub.trial = scrub.trial.min(set.runs.len().saturating_sub(1));
        let last = set.states(scrub.trial).saturating_sub(1);
        ui.horizontal(|ui| {
            let label = if self.playing { "pause" } else { "play" };
            if ui.button(label).clicked() {
                self.playing = !self.playing;
                if self.playing {
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
            ui.checkbox(&mut scrub.follow, "landscape follows the trial")
                .on_hover_text("The phase plane shows F(κ; v(t)) with the trial's filtered input v(t) at the scrubber's time");
        });
        ui.horizontal(|ui| {
            ui.label("scrub");
            for (k, name) in dms::TRIAL_TYPES.iter().enumerate() {
                ui.radio_value(&mut scrub.trial, k, *name);
            }
        });
        let mut step = scrub.step.min(last);
        ui.spacing_mut().slider_width = (ui.available_width() - 90.0).max(60.0);
        let changed = ui
            .add(
                egui::Slider::new(&mut step, 0..=last)
                    .text("step")
                    .custom_formatter(|s, _| format!("{:.0}", s)),
            )
            .accessible_name("trial time")
            .changed();
        if changed {
            self.playing = false;
        }
        if self.playing {
            let dt = f64::from(ui.input(|i| i.stable_dt)).min(0.1);
            self.clock += dt * self.speed * 1000.0 / DT_MS;
            step = (self.clock.floor() as usize).min(last);
            if step >= last {
                self.playing = false;
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
            "t = {:.0} ms · {epoch} · filtered input v(t) = {}",
            step as f64 * DT_MS,
            format_point(&v, 2)
        ));
    }
}

/// What is drawn, from where, and how far the network leaves the latent plane.
fn describe_runs(ui: &mut Ui, params: &Params, set: &TrialSet, network: bool) {
    let k = params.scrub.trial;
    let run = &set.runs[k];
    if let Some(net) = &run.network {
        let step = params
            .scrub
            .step
            .min(net.relative_residual.len().saturating_sub(1));
        let now = net.relative_residual.get(step).copied().unwrap_or(f64::NAN);
        let worst = net.relative_residual.iter().copied().fold(0.0, f64::max);
        ui.label(format!(
            "projection residual ||h − Bc|| / ||h||: {now:.1e} now, {worst:.1e} max ({})",
            run.trial.name
        ))
        .on_hover_text("How far the full network state is from span{m₁, m₂, I_A, I_B} (MODEL.md 2): 0 without noise.");
        ui.label(
            RichText::new(format!(
                "network: Euler map α = {ALPHA} (dotted), projected on the SVD axes"
            ))
            .small(),
        );
    } else if !network {
        ui.label(
            RichText::new("mean field: reduced trajectories only (load a network for full-N ones)")
                .small()
                .weak(),
        );
    }
    ui.label(
        RichText::new(format!(
            "reduced: {} (solid)",
            time_model_label(set.time_model)
        ))
        .small(),
    );
}
