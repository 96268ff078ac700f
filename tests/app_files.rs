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
    open_dialog(&mut h);
    h.get_by_label_contains("Open a network, population model or session");
    // A relative name is in the folder the dialog shows (the working directory: the crate's
    // root in tests).
    type_file_name(&mut h, "tests/fixtures/lowrank_n64_r2.pt");
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

/// Named float64 tensors, row-major.
fn tensors(entries: &[(&str, Vec<usize>, Vec<f64>)]) -> lowrank_explorer::io::TensorMap {
    let mut map = lowrank_explorer::io::TensorMap::new();
    for (key, shape, data) in entries {
        map.insert(
            (*key).to_owned(),
            lowrank_explorer::io::Tensor {
                shape: shape.clone(),
                data: data.clone(),
                dtype: lowrank_explorer::io::Dtype::F64,
            },
        );
    }
    map
}

/// Deterministic values in [-1, 1).
fn values(count: usize, seed: u64) -> Vec<f64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

#[test]
fn the_open_dialog_reads_an_optimized_network_with_the_chosen_scaling() {
    let dir = Scratch::new("scaling");
    // The example network as an OptimizedLowRankRNN: m / sqrt(N), n / sqrt(N), wo / N.
    let net = lowrank_explorer::io::load_network(std::path::Path::new(
        "assets/networks/dms_rank2_n512.json",
    ))
    .unwrap();
    let mut map = lowrank_explorer::io::network_to_tensors(&net, lowrank_explorer::io::Dtype::F64);
    let mut scaled = lowrank_explorer::io::TensorMap::new();
    for (key, t) in map.iter() {
        let factor = match key {
            "m" | "n" => 1.0 / 512f64.sqrt(),
            "wo" => 1.0 / 512.0,
            _ => 1.0,
        };
        let mut t = t.clone();
        t.data.iter_mut().for_each(|v| *v *= factor);
        scaled.insert(key.to_owned(), t);
    }
    map = scaled;
    let path = dir.path("optimized.pt");
    lowrank_explorer::io::save_tensors(&map, &path).unwrap();

    let mut h = harness_for_dialogs();
    settle(&mut h);
    open_with_choice(&mut h, "none (OptimizedLowRankRNN)", &path);
    let notices: Vec<String> = h.state().notices().iter().map(|n| n.text.clone()).collect();
    assert!(
        matches!(h.state().doc.source, Source::Network { .. }),
        "{notices:?}"
    );
    assert!(
        !notices.iter().any(|n| n.contains("scaling")),
        "{notices:?}"
    );
    // The choice stays for every way of opening; read with 1/N instead (chosen, the dialog
    // cancelled, the file opened again), the statistics give it away in a warning.
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open… (Ctrl+O)").click();
    h.run();
    h.get_by_label("1/N (LowRankRNN, or as the file says)")
        .click();
    h.run();
    h.get_by_label("Cancel").click();
    h.run();
    h.state_mut().open_now(&path);
    settle(&mut h);
    let notices: Vec<String> = h.state().notices().iter().map(|n| n.text.clone()).collect();
    assert!(
        notices.iter().any(|n| n.contains("--scaling none")),
        "{notices:?}"
    );
}

/// File > Open….
fn open_dialog(h: &mut Harness<'static, Explorer>) {
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open… (Ctrl+O)").click();
    h.run();
}

/// Types `name` in the open dialog's file name field (its last text field), presses Enter and
/// lets the file open.
fn type_file_name(h: &mut Harness<'static, Explorer>, name: &str) {
    let field = h
        .query_all_by_role(Role::TextInput)
        .last()
        .unwrap()
        .accesskit_node()
        .id();
    h.get_by(|n| n.id() == field).focus();
    h.step();
    h.get_by(|n| n.id() == field).type_text(name);
    h.step();
    h.key_press(egui::Key::Enter);
    settle(h);
}

/// Opens `path` by the file picker with the reading choice `choice` clicked beside it.
fn open_with_choice(h: &mut Harness<'static, Explorer>, choice: &str, path: &std::path::Path) {
    open_dialog(h);
    h.get_by_label(choice).click();
    h.run();
    type_file_name(h, path.to_str().unwrap());
}

#[test]
fn full_rank_and_support_files_open_as_their_truncation_and_with_their_populations() {
    let dir = Scratch::new("layouts");
    let nn = 64;
    let full = tensors(&[
        ("wi", vec![2, nn], values(2 * nn, 1)),
        ("si", vec![2], vec![1.0, 1.0]),
        (
            "wrec",
            vec![nn, nn],
            values(nn * nn, 2).iter().map(|v| v * 0.3).collect(),
        ),
        ("wo", vec![nn, 1], values(nn, 3)),
        ("so", vec![1], vec![1.0]),
    ]);
    let path = dir.path("full.npz");
    lowrank_explorer::io::save_tensors(&full, &path).unwrap();
    let mut h = opened(&path);
    let notices: Vec<String> = h.state().notices().iter().map(|n| n.text.clone()).collect();
    assert!(
        notices.iter().any(|n| n.contains("rank-2 truncation")),
        "{notices:?}"
    );
    assert_eq!(h.state().doc.model().dims().rank, 2);

    // Two supports of a rank-2 support network: the document's population model is theirs.
    let b = 6;
    let support = tensors(&[
        ("gaussian_basis", vec![b, nn], values(b * nn, 4)),
        (
            "supports",
            vec![2, nn],
            (0..2 * nn)
                .map(|k| f64::from(u8::from((k / nn == 0) == (k % nn < 48))))
                .collect(),
        ),
        ("weights", vec![2], vec![0.75, 0.25]),
        ("m_weights", vec![2, 2, b], values(4 * b, 5)),
        ("n_weights", vec![2, 2, b], values(4 * b, 6)),
        ("wi_weights", vec![2, 2, b], values(4 * b, 7)),
        ("wo_weights", vec![1, 2, b], values(2 * b, 8)),
    ]);
    let path = dir.path("support.safetensors");
    lowrank_explorer::io::save_tensors(&support, &path).unwrap();
    h.state_mut().open_now(&path);
    settle(&mut h);
    let doc = &h.state().doc;
    assert!(
        doc.edits
            .population_label
            .contains("the supports of support.safetensors"),
        "{}",
        doc.edits.population_label
    );
    assert_eq!(doc.edits.population.populations().len(), 2);
}
