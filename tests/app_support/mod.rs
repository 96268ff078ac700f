//! Shared helpers of the app's kittest tests: a harness around [`Explorer::ui`] and a bounded
//! wait for the analysis worker.

// Each test file compiles this module and uses a part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use lowrank_explorer::app::Explorer;

/// Longest wait for the worker (the debug build analyses a landscape in well under a second).
const WORKER_TIMEOUT: Duration = Duration::from_secs(60);

/// The explorer in a window of the screenshots' size.
pub fn harness(app: Explorer) -> Harness<'static, Explorer> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(40)
        .build_ui_state(|ui, app: &mut Explorer| app.ui(ui), app)
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
