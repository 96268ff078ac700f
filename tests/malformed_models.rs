//! The malformed-input suite of the formats that are not tensor files (the tensor formats' suite is
//! in `io_formats.rs`): population models (the project's JSON and the published fixture's shape)
//! and, with the `gui` feature, explorer sessions. Each hostile or broken file must be refused
//! with an error that names the file and the cause, quickly, never with a panic.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use lowrank_explorer::io;

fn valid_model() -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/models/dms_mixture_2pop.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn edited(edit: impl Fn(&mut Value)) -> Vec<u8> {
    let mut v = valid_model();
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lre-malformed-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes each case, loads it with `load`, and checks the error names the file and every word.
fn refuse_all<E: std::fmt::Display>(
    dir: &Path,
    cases: Vec<(&str, Vec<u8>, &[&str])>,
    load: impl Fn(&Path) -> Result<(), E>,
) {
    for (name, bytes, words) in cases {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let start = Instant::now();
        let message = match load(&path) {
            Ok(()) => panic!("{name}: loaded without error"),
            Err(e) => e.to_string(),
        };
        assert!(
            message.contains(name),
            "{name}: the file is not named: {message}"
        );
        for word in words {
            assert!(message.contains(word), "{name}: `{word}` not in: {message}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{name} took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn malformed_population_models_are_refused_by_file_and_cause() {
    let dir = scratch("models");
    let nested = format!(
        "{{\"format\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("empty.json", Vec::new(), &["EOF"]),
        ("not_utf8.json", vec![b'{', 0xff, 0xfe, b'}'], &["UTF-8"]),
        ("nested.json", nested.into_bytes(), &["recursion limit"]),
        (
            "newer.json",
            edited(|v| v["version"] = json!(2)),
            &["version", "reads version 1"],
        ),
        (
            "other_format.json",
            edited(|v| v["format"] = json!("lowrank-explorer/network")),
            &["format"],
        ),
        (
            "unknown_field.json",
            edited(|v| v["colour"] = json!("red")),
            &["colour"],
        ),
        (
            "unknown_population_field.json",
            edited(|v| v["populations"][0]["weight"] = json!(0.5)),
            &["weight"],
        ),
        (
            "negative_fraction.json",
            edited(|v| v["populations"][0]["fraction"] = json!(-0.2)),
            &["fraction"],
        ),
        (
            "fractions_not_one.json",
            edited(|v| v["populations"][0]["fraction"] = json!(0.1)),
            &["fraction"],
        ),
        (
            "short_cov.json",
            edited(|v| {
                v["populations"][1]["cov"].as_array_mut().unwrap().pop();
            }),
            &["cov"],
        ),
        (
            "asymmetric_cov.json",
            edited(|v| v["populations"][0]["cov"][0][1] = json!(3.5)),
            &["symmetric"],
        ),
        (
            "huge_value.json",
            edited(|v| v["populations"][0]["cov"][0][0] = json!(1e308)),
            &[],
        ),
        (
            "string_in_cov.json",
            edited(|v| v["populations"][0]["cov"][2][2] = json!("1.0")),
            &["string"],
        ),
        (
            "rank_mismatch.json",
            edited(|v| v["rank"] = json!(3)),
            &["order"],
        ),
        (
            "huge_rank.json",
            edited(|v| v["rank"] = json!(1u64 << 60)),
            &["rank"],
        ),
        (
            "no_populations.json",
            edited(|v| v["populations"] = json!([])),
            &["population"],
        ),
        (
            "duplicate_input.json",
            edited(|v| v["input_names"] = json!(["A", "A"])),
            &["A"],
        ),
        (
            "fixture_unknown.json",
            serde_json::to_vec(&json!({
                "order": ["m1", "n1"],
                "populations": [{"weight": 1.0, "cov": [[1.0, 0.0], [0.0, 1.0]], "mean": [0, 0]}]
            }))
            .unwrap(),
            &["mean"],
        ),
    ];
    refuse_all(&dir, cases, |p| io::load_population_model(p).map(|_| ()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "gui")]
#[test]
fn malformed_sessions_are_refused_by_file_and_cause() {
    use lowrank_explorer::app::document::Document;
    use lowrank_explorer::app::session::{self, Session};

    let dir = scratch("sessions");
    let good: Value =
        serde_json::from_str(&session::to_json(&Session::of(&Document::default()))).unwrap();
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("empty.json", Vec::new(), &["not JSON"]),
        ("array.json", b"[1, 2]".to_vec(), &["format"]),
        (
            "network.json",
            edit(&|v| v["format"] = json!("lowrank-explorer/network")),
            &["not a session"],
        ),
        (
            "newer.json",
            edit(&|v| v["version"] = json!(99)),
            &["reads 2"],
        ),
        (
            "no_source.json",
            edit(&|v| {
                v.as_object_mut().unwrap().remove("source");
            }),
            &["source"],
        ),
        (
            "bad_source.json",
            edit(&|v| v["source"] = json!({"kind": "teleport"})),
            &["invalid session"],
        ),
        (
            "nested.json",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            &["recursion limit"],
        ),
    ];
    refuse_all(&dir, cases, |p| session::load(p).map(|_| ()));
    std::fs::remove_dir_all(&dir).unwrap();
}
