//! The `render` command through the real argument parsing: files written for a preset and for
//! the fixture network with its trials, and clear errors for bad flags.

use std::path::PathBuf;

use lowrank_explorer::cli::run_args;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/lowrank_n64_r2.pt"
);

/// A fresh directory for one test's outputs, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("lowrank-render-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, file: &str) -> String {
        self.0.join(file).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn render(args: &[&str]) -> Result<String, String> {
    let mut all = vec!["lowrank-explorer", "render"];
    all.extend_from_slice(args);
    run_args(all).map_err(|e| e.0)
}

#[test]
fn a_preset_renders_to_svg_and_png() {
    let dir = Scratch::new("preset");
    let svg = dir.path("a.svg");
    let report = render(&[
        "--preset",
        "dms_mixture_2pop",
        "--input",
        "A",
        "--out",
        &svg,
    ])
    .unwrap();
    assert!(
        report.contains("ODE, input A") && report.contains("stable limit cycle, T = "),
        "{report}"
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("input A"));
    let png = dir.path("b.PNG");
    let report = render(&[
        "--preset",
        "dms_mixture_2pop",
        "--dynamics",
        "map",
        "--alpha",
        "0.1",
        "--range=-1,1,-1,1",
        "--size",
        "400x300",
        "--out",
        &png,
    ])
    .unwrap();
    assert!(report.contains("map (alpha = 0.1), no input"), "{report}");
    // The fixed points are the search box's, whatever the view: 5, of which 5 in [-1, 1]^2.
    assert!(report.contains("5 fixed points (2 stable)"), "{report}");
    assert!(report.contains("view [-1, 1] x [-1, 1]"), "{report}");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    // IHDR: width and height, big-endian, right after the signature and chunk header.
    assert_eq!(&bytes[16..24], &[0, 0, 1, 144, 0, 0, 1, 44]);
    // Only the files asked for: no temporary file is left behind.
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 2);
}

#[test]
fn eigenvectors_are_drawn_at_saddles_and_nodes_when_asked() {
    // No input: two stable nodes (two stable directions each), two saddles (one of each) and the
    // unstable node at the origin (two unstable directions); the legend has one key of each.
    let dir = Scratch::new("eigenvectors");
    let (with, without) = (dir.path("with.svg"), dir.path("without.svg"));
    render(&[
        "--preset",
        "dms_mixture_2pop",
        "--eigenvectors",
        "--out",
        &with,
    ])
    .unwrap();
    render(&["--preset", "dms_mixture_2pop", "--out", &without]).unwrap();
    let strokes = |path: &str, colour: &str| {
        let text = std::fs::read_to_string(path).unwrap();
        text.matches(&format!("stroke=\"{colour}\"")).count()
    };
    // style::eigenvector: stable (40, 80, 200), unstable (200, 40, 40).
    assert_eq!(strokes(&with, "#2850C8"), 4 + 2 + 1);
    assert_eq!(strokes(&with, "#C82828"), 2 + 2 + 1);
    assert_eq!(
        strokes(&without, "#2850C8") + strokes(&without, "#C82828"),
        0
    );
    let text = std::fs::read_to_string(&with).unwrap();
    assert!(text.contains("unstable eigenvector") && text.contains("stable eigenvector"));
}

#[test]
fn the_field_is_drawn_as_directions_arrows_or_speed_shading() {
    let dir = Scratch::new("field_modes");
    let count =
        |path: &str, what: &str| std::fs::read_to_string(path).unwrap().matches(what).count();
    let mut paths = Vec::new();
    for mode in ["directions", "arrows", "speed"] {
        let out = dir.path(&format!("{mode}.svg"));
        let args = ["--preset", "dms_mixture_2pop", "--field", mode];
        render(&[&args[..], &["--field-density", "40", "--out", &out]].concat()).unwrap();
        paths.push(out);
    }
    // Arrows: one head (polygon) per drawn sample, thinned to at least 20 px apart; a 40 x 40
    // shading: 1600 cells more than the figure's other rectangles.
    let heads = count(&paths[0], "<polygon");
    assert!(heads > 300, "{heads} arrowheads");
    assert!(
        count(&paths[1], "<polygon") + 20 >= heads,
        "scaled arrows are kept too"
    );
    assert!(
        count(&paths[2], "<polygon") < 20,
        "no arrows in the shading"
    );
    assert!(count(&paths[2], "<rect") >= count(&paths[0], "<rect") + 1600);
    let text = std::fs::read_to_string(&paths[2]).unwrap();
    assert!(text.contains("flow speed |F|, log, "), "the shading's key");
    // Bad values name the option.
    let out = dir.path("bad.svg");
    let err = render(&[
        "--preset",
        "dms_mixture_2pop",
        "--field-density",
        "1",
        "--out",
        &out,
    ])
    .unwrap_err();
    assert!(
        err.contains("--field-density 1") && err.contains("2..=400"),
        "{err}"
    );
    let err = render(&[
        "--preset",
        "dms_mixture_2pop",
        "--field",
        "quiver",
        "--out",
        &out,
    ])
    .unwrap_err();
    assert!(err.contains("not a field mode"), "{err}");
}

#[test]
fn the_fixture_network_renders_with_its_trials() {
    let dir = Scratch::new("network");
    let out = dir.path("net.svg");
    let report = render(&[FIXTURE, "--trials", "--input", "none", "--out", &out]).unwrap();
    assert!(
        report.contains("lowrank_n64_r2.pt (N = 64, rank 2, exact reduction)"),
        "{report}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    for label in ["AA", "BB", "full network, projected (dots)"] {
        assert!(text.lines().any(|l| l.trim() == label), "no {label}");
    }
    // A negative range right after the flag is a value, not an option.
    render(&[
        FIXTURE,
        "--range",
        "-1,1,-1,1",
        "--input",
        "0.5,0",
        "--out",
        &out,
    ])
    .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("input v = (0.5, 0)"));
}

#[test]
fn bad_flags_give_clear_errors() {
    let dir = Scratch::new("errors");
    let out = dir.path("x.svg");
    let preset = ["--preset", "dms_mixture_2pop"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--size", "10x10", "--out", &out], "each side must be"),
        (vec!["--size", "800", "--out", &out], "WIDTHxHEIGHT"),
        (vec!["--out", "fig.jpg"], "unknown extension `.jpg`"),
        (vec!["--out", "fig"], "use .svg or .png"),
        (vec!["--range", "1,0,0,1", "--out", &out], "empty"),
        (vec!["--range", "0,1,0,NaN", "--out", &out], "finite"),
        (vec!["--range", "0,1,0", "--out", &out], "got 3"),
        (vec!["--input", "nan,0", "--out", &out], "finite"),
        (vec!["--input", "C", "--out", &out], "channels are A, B"),
        (vec!["--input", "1,0,0", "--out", &out], "3 values"),
        (vec!["--alpha", "0.2", "--out", &out], "map only"),
        (
            vec!["--dynamics", "map", "--alpha", "-1", "--out", &out],
            "[0.001, 4]",
        ),
        (
            vec!["--dynamics", "euler", "--out", &out],
            "possible values: ode, map",
        ),
    ];
    for (args, expected) in cases {
        let mut all = preset.to_vec();
        all.extend(args.iter().copied());
        let err = render(&all).unwrap_err();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let err = render(&["--preset", "nope", "--out", &out]).unwrap_err();
    assert!(err.contains("dms_mixture_2pop"), "{err}");
    assert!(render(&["--out", &out]).is_err(), "a model is required");
    assert!(render(&[FIXTURE, "--preset", "dms_mixture_2pop", "--out", &out]).is_err());
    let err = render(&["/nonexistent/model.json", "--out", &out]).unwrap_err();
    assert!(err.contains("/nonexistent/model.json"), "{err}");
    let err = render(&[FIXTURE, "--out", &dir.path("missing/dir/x.svg")]).unwrap_err();
    assert!(err.contains("missing"), "{err}");
    assert!(
        !std::path::Path::new(&out).exists(),
        "nothing written on error"
    );
}
