//! Shared helpers of the app's kittest tests: a harness around [`Explorer::ui`] and a bounded
//! wait for the analysis worker.

// Each test file compiles this module and uses a part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use lowrank_explorer::analysis::landscape::Landscape;
use lowrank_explorer::app::Explorer;

/// The landscape of the current document, which the tests wait for with [`settle`].
pub fn landscape(h: &Harness<'_, Explorer>) -> std::sync::Arc<Landscape> {
    h.state()
        .doc
        .results
        .landscape
        .clone()
        .expect("a landscape")
}

/// Longest wait for the worker (the debug build analyses a landscape in well under a second).
const WORKER_TIMEOUT: Duration = Duration::from_secs(60);

/// Simulated time per frame: a display's 60 Hz (kittest's default is a quarter second, which
/// would age the toasts fifteen times too fast).
pub const STEP: f32 = 1.0 / 60.0;

/// The explorer in a window of the screenshots' size.
pub fn harness(app: Explorer) -> Harness<'static, Explorer> {
    sized(app, egui::vec2(1280.0, 800.0))
}

/// The explorer in a window of `size` points.
pub fn sized(app: Explorer, size: egui::Vec2) -> Harness<'static, Explorer> {
    Harness::builder()
        .with_size(size)
        .with_max_steps(40)
        .with_step_dt(STEP)
        .build_ui_state(|ui, app: &mut Explorer| app.ui(ui), app)
}

/// A press and release at `pos`, as a click of the pointer.
pub fn click_at(h: &mut Harness<'_, Explorer>, pos: egui::Pos2) {
    h.hover_at(pos);
    h.run();
    h.drag_at(pos);
    h.step();
    h.drop_at(pos);
    h.step();
}

/// Steps frames until the worker has finished the newest request and the UI shows it.
///
/// # Panics
/// If that takes longer than [`WORKER_TIMEOUT`].
pub fn settle(h: &mut Harness<'_, Explorer>) {
    let t0 = Instant::now();
    loop {
        h.step();
        if h.state().settled() {
            break;
        }
        assert!(
            t0.elapsed() < WORKER_TIMEOUT,
            "the worker did not finish in time"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Two more frames: one to draw the last results, one for a request they imply.
    h.step();
    h.step();
    if !h.state().settled() {
        settle(h);
    }
}

/// The path of a test fixture.
pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The explorer opened on `path`, with its analysis done.
pub fn opened(path: &std::path::Path) -> Harness<'static, Explorer> {
    let mut app = Explorer::new();
    app.open_now(path);
    let mut h = harness(app);
    settle(&mut h);
    h
}

/// Types `text` into the text box named `name` and commits it with Enter.
pub fn type_into(h: &mut Harness<'_, Explorer>, name: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, name).focus();
    h.step();
    h.get_by_role_and_label(Role::TextInput, name)
        .type_text(text);
    h.step();
    h.key_press(egui::Key::Enter);
    h.run();
}

/// A scratch folder, removed at the end.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("lre-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
