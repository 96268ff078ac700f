//! Files from the explorer (issue 10, part 4): a real file picker and recent files; the PNG and
//! SVG exports are the same figure, of the scene the view shows (its legend, title and view);
//! the CSV export says which files it wrote.

#![cfg(feature = "gui")]

mod app_support;

use app_support::{STEP, Scratch, fixture, harness, opened, settle};
use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use lowrank_explorer::app::Explorer;
use lowrank_explorer::app::actions::Action;
use lowrank_explorer::app::document::Source;
use lowrank_explorer::app::export::PNG_SIZE;
use lowrank_explorer::app::files::FileAction;

/// The egui_file dialog's own fields have no accessible names: this harness skips kittest's
/// accessibility check (the app's own widgets are checked by every other test).
fn harness_for_dialogs() -> Harness<'static, Explorer> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(40)
        .with_step_dt(STEP)
        .with_accessibility_check(false)
        .build_ui_state(|ui, app: &mut Explorer| app.ui(ui), Explorer::new())
}

#[test]
fn the_file_picker_opens_a_file_and_it_joins_the_recent_files() {
    let mut h = harness_for_dialogs();
    settle(&mut h);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open… (Ctrl+O)").click();
    h.run();
    h.get_by_label_contains("Open a network, population model or session");
    // The file name field is the dialog's last text field; a relative name is in the folder
    // it shows (the working directory: the crate's root in tests).
    let field = h
        .query_all_by_role(Role::TextInput)
        .last()
        .unwrap()
        .accesskit_node()
        .id();
    let node = h.get_by(|n| n.id() == field);
    node.focus();
    h.step();
    h.get_by(|n| n.id() == field)
        .type_text("tests/fixtures/lowrank_n64_r2.pt");
    h.step();
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    assert!(
        matches!(h.state().doc.source, Source::Network { .. }),
        "{:?}",
        h.state().notices()
    );
    assert!(h.state().doc.title().starts_with("lowrank_n64_r2.pt"));
    let recent = h.state().settings.recent.clone();
    assert!(
        recent[0].ends_with("tests/fixtures/lowrank_n64_r2.pt"),
        "{recent:?}"
    );
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open recent").click();
    h.run();
    h.get_by_role_and_label(Role::Button, &recent[0].display().to_string());
}

#[test]
fn the_png_and_svg_exports_are_the_figure_of_the_view() {
    let dir = Scratch::new("export");
    let mut h = opened(&fixture("lowrank_n64_r2.pt"));
    let c = egui::Context::default();
    let (svg, png) = (dir.path("plane.svg"), dir.path("plane.png"));
    h.state_mut().act(Action::ExportFigure(svg.clone()), &c);
    h.state_mut().act(Action::ExportFigure(png.clone()), &c);
    let text = std::fs::read_to_string(&svg).unwrap();
    // The live view's legend, row by row, and the title with the time model.
    for e in h.state().legend() {
        assert!(
            text.lines().any(|l| l.trim() == e.label),
            "the SVG lacks the legend row {:?}",
            e.label
        );
    }
    assert!(text.contains(
        "lowrank_n64_r2.pt (N = 64, rank 2, exact reduction) — map (alpha = 0.2), no input"
    ));
    // The PNG is that figure at print size, not a grab of the window.
    let bytes = std::fs::read(&png).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let info = decoder.read_info().unwrap().info().clone();
    assert_eq!((info.width, info.height), PNG_SIZE);
    // Framing: the figure's view is the view on screen.
    let scene = h.state().doc.scene().unwrap();
    assert_eq!(Some(scene.plane.rect()), h.state().doc.view.shown);
    h.run();
    h.get_by_label_contains(&format!("wrote {}", png.display()));
}

#[test]
fn the_csv_export_names_both_files() {
    let dir = Scratch::new("csv");
    let mut h = harness(Explorer::new());
    settle(&mut h);
    let c = egui::Context::default();
    h.state_mut()
        .act(Action::ExportCsv(dir.path("run.csv")), &c);
    h.run();
    let traj = dir.path("run_trajectories.csv");
    let fixed = dir.path("run_fixed_points.csv");
    h.get_by_label(&format!("wrote {} and {}", traj.display(), fixed.display()));
    assert_eq!(
        std::fs::read_to_string(&fixed).unwrap().lines().count(),
        1 + 5
    );
    // Every dialog kind has its own title.
    for a in [
        FileAction::SaveSession,
        FileAction::ExportPng,
        FileAction::ExportCsv,
    ] {
        assert!(!a.title().is_empty());
    }
}

/// *Save network* writes the network shown (a file's network on its SVD axes) in the format the
/// name's extension names, bit for bit: the narrowest precision that keeps every value, here
/// float64 (the SVD axes are not float32 values); a name without a network format's extension is
/// refused, and the dialog's title lists the formats.
#[test]
fn save_network_writes_the_format_of_its_extension_exactly() {
    use lowrank_explorer::io::{self, Dtype};
    let dir = Scratch::new("save-network");
    let c = egui::Context::default();
    let trained = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/networks/dms_rank2_n512.json");
    for (source, name) in [
        (fixture("lowrank_n64_r2.pt"), "n.npz"),
        (fixture("lowrank_n64_r2.pt"), "n.pt"),
        (trained, "trained.safetensors"),
    ] {
        let mut h = opened(&source);
        let out = dir.path(name);
        h.state_mut().act(Action::SaveNetwork(out.clone()), &c);
        let notice = &h.state().notices().last().unwrap().text;
        assert!(notice.starts_with("network saved (float64"), "{notice}");
        let shown = h.state().doc.model().network().unwrap().network.clone();
        assert_eq!(io::exact_precision(&shown), Dtype::F64);
        let tensors = io::read_tensors(&out).unwrap();
        assert!(tensors.iter().all(|(_, t)| t.dtype == Dtype::F64), "{name}");
        assert_eq!(io::load_network(&out).unwrap(), *shown, "{name}");
    }
    let mut h = opened(&fixture("lowrank_n64_r2.pt"));
    h.state_mut().act(Action::SaveNetwork(dir.path("n.h5")), &c);
    let notice = &h.state().notices().last().unwrap().text;
    assert!(notice.contains("unknown extension `.h5`"), "{notice}");
    assert!(FileAction::SaveNetwork.title().contains(".safetensors"));
}
