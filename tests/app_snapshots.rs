//! Image snapshots of the explorer (kittest + wgpu, rendered on the CPU by llvmpipe; no GPU or
//! display needed). Behind the `snapshot` feature because wgpu makes the test build much larger:
//!
//! ```bash
//! cargo test --features snapshot --test app_snapshots                    # compare
//! UPDATE_SNAPSHOTS=1 cargo test --features snapshot --test app_snapshots # re-record
//! ```
//!
//! The status bar (compute times) is masked: it changes from run to run.

#![cfg(all(feature = "gui", feature = "snapshot"))]

mod app_support;

use app_support::{fixture, settle};
use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use lowrank_explorer::app::Explorer;

/// Pixels allowed to differ: llvmpipe's antialiasing of a few edges varies from run to run.
const MAX_FAILED_PIXELS: usize = 40;

/// Height of the status bar masked out of every snapshot.
const STATUS_BAR: f32 = 26.0;

/// Window size of the snapshots.
const SIZE: egui::Vec2 = egui::vec2(1280.0, 800.0);

fn snapshot_harness(app: Explorer) -> Harness<'static, Explorer> {
    Harness::builder()
        .with_size(SIZE)
        .with_max_steps(40)
        .wgpu()
        .build_ui_state(|ui, app: &mut Explorer| app.ui(ui), app)
}

/// A snapshot with the status bar masked (a mask lasts one frame, so it is set right before).
fn snapshot(h: &mut Harness<'static, Explorer>, name: &str) {
    h.mask(egui::Rect::from_min_max(
        egui::pos2(0.0, SIZE.y - STATUS_BAR),
        egui::pos2(SIZE.x, SIZE.y),
    ));
    h.snapshot_options(
        name,
        &egui_kittest::SnapshotOptions::new().max_failed_pixels(MAX_FAILED_PIXELS),
    );
}

#[test]
fn snapshot_preset_no_input_and_input_a() {
    let mut h = snapshot_harness(Explorer::new());
    settle(&mut h);
    snapshot(&mut h, "explorer_no_input");
    h.get_by_role_and_label(Role::RadioButton, "A").click();
    settle(&mut h);
    snapshot(&mut h, "explorer_input_a");
}

#[test]
fn snapshot_network_with_trials() {
    let mut app = Explorer::new();
    app.open_now(&fixture("lowrank_n64_r2.pt"));
    let mut h = snapshot_harness(app);
    settle(&mut h);
    snapshot(&mut h, "explorer_network");
}
