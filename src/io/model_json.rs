//! The project's versioned JSON for population models (MODEL.md 4 and 7).
//!
//! ```json
//! {"format": "lowrank-explorer/population-model", "version": 1,
//!  "rank": 2, "inputs": 2, "outputs": 1,
//!  "order": ["m1", "m2", "n1", "n2", "I1", "I2", "w1"], "input_names": ["A", "B"],
//!  "populations": [{"name": "pop 1", "fraction": 0.5, "mean": [..], "cov": [[..], ..],
//!                   "gain_clamp": 0.3}],
//!  "meta": {"name": "..", "description": ".."}}
//! ```
//!
//! `mean` (default zero), `gain_clamp` (default none), `input_names` (default `I1, I2, ..`) and
//! `meta` are optional. `order` may list the loadings in any order (inputs also by name, `IA`, and a
//! single readout as `w`); `cov` and `mean` follow it and are reordered to the canonical
//! `(m.., n.., I.., w..)`. Files without `format` are read in the shape of the published fixture
//! `dms_mixture_2pop.json` (`{"order": [..], "populations": [{"weight": .., "cov": ..}]}`, zero
//! means, input names from `order`). Every error names the file and the field.

use std::path::Path;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{IoError, IoErrorKind};
use crate::reduced::{Loading, ModelDims, ModelError, Population, PopulationModel};

/// The `format` tag of a population-model file.
pub const FORMAT: &str = "lowrank-explorer/population-model";
/// The version this build reads and writes.
pub const VERSION: u64 = 1;

/// Version 1, as read and written (field order is the written order).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileV1 {
    format: String,
    version: u64,
    rank: usize,
    inputs: usize,
    outputs: usize,
    order: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_names: Option<Vec<String>>,
    populations: Vec<PopulationV1>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    meta: Option<Map<String, Value>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PopulationV1 {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    fraction: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mean: Option<Vec<f64>>,
    cov: Vec<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gain_clamp: Option<f64>,
}

/// The shape of the published fixture. Anything else in such a file is refused by name, never
/// dropped: means, clamps and input names need the versioned format.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    order: Vec<String>,
    populations: Vec<FixturePopulation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixturePopulation {
    weight: f64,
    cov: Vec<Vec<f64>>,
}

/// Reads a population model from JSON text; `file` is only used in error messages.
pub fn from_json_str(text: &str, file: &Path) -> Result<PopulationModel, IoError> {
    parse(text).map_err(|kind| IoError {
        file: file.to_path_buf(),
        kind,
    })
}

fn parse(text: &str) -> Result<PopulationModel, IoErrorKind> {
    crate::budget::check_json(text.len()).map_err(|e| IoErrorKind::Format(e.to_string()))?;
    let header: Map<String, Value> = serde_json::from_str(text)
        .map_err(|e| IoErrorKind::Format(format!("not a population model (a JSON object): {e}")))?;
    match header.get("format") {
        None => return parse_fixture(text),
        Some(Value::String(f)) if f == FORMAT => {}
        Some(other) => {
            return Err(key_error(
                "format",
                format!("expected \"{FORMAT}\", found {other}"),
            ));
        }
    }
    match header.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(VERSION) => {}
        other => {
            let found = other.map_or("nothing".to_string(), |v| v.to_string());
            return Err(key_error(
                "version",
                format!("this build reads version {VERSION}, found {found}"),
            ));
        }
    }
    let file: FileV1 =
        serde_json::from_str(text).map_err(|e| IoErrorKind::Format(e.to_string()))?;
    let dims = ModelDims {
        rank: file.rank,
        inputs: file.inputs,
        outputs: file.outputs,
    };
    let input_names = file
        .input_names
        .unwrap_or_else(|| (1..=dims.inputs).map(|s| format!("I{s}")).collect());
    let populations = file
        .populations
        .into_iter()
        .enumerate()
        .map(|(p, pop)| RawPopulation {
            name: pop.name.unwrap_or_else(|| default_name(p)),
            fraction: pop.fraction,
            mean: pop.mean,
            cov: pop.cov,
            gain_clamp: pop.gain_clamp,
        })
        .collect();
    let model = build(dims, &file.order, input_names, populations)?;
    Ok(model.with_meta(file.meta.unwrap_or_default()))
}

/// The fixture's shape: dimensions and input names from `order` (`m*`, `n*`, `I<name>`, `w*`).
fn parse_fixture(text: &str) -> Result<PopulationModel, IoErrorKind> {
    let file: FixtureFile = serde_json::from_str(text).map_err(|e| {
        IoErrorKind::Format(format!(
            "neither a \"{FORMAT}\" file nor a fixture-shaped model ({{\"order\", \"populations\": [{{\"weight\", \"cov\"}}]}}: means, gain clamps and input names need \"format\": \"{FORMAT}\"): {e}"
        ))
    })?;
    let count = |c: char| file.order.iter().filter(|n| n.starts_with(c)).count();
    let dims = ModelDims {
        rank: count('m'),
        inputs: count('I'),
        outputs: count('w'),
    };
    let input_names = file
        .order
        .iter()
        .filter_map(|n| n.strip_prefix('I'))
        .map(|suffix| {
            if suffix.parse::<usize>().is_ok() {
                format!("I{suffix}")
            } else {
                suffix.to_string()
            }
        })
        .collect();
    let populations = file
        .populations
        .into_iter()
        .enumerate()
        .map(|(p, pop)| RawPopulation {
            name: default_name(p),
            fraction: pop.weight,
            mean: None,
            cov: pop.cov,
            gain_clamp: None,
        })
        .collect();
    build(dims, &file.order, input_names, populations)
}

fn default_name(p: usize) -> String {
    format!("pop {}", p + 1)
}

/// A population as read, in the file's loading order.
struct RawPopulation {
    name: String,
    fraction: f64,
    mean: Option<Vec<f64>>,
    cov: Vec<Vec<f64>>,
    gain_clamp: Option<f64>,
}

/// Reorders every population to the canonical loading order and validates the model.
fn build(
    dims: ModelDims,
    order: &[String],
    input_names: Vec<String>,
    raw: Vec<RawPopulation>,
) -> Result<PopulationModel, IoErrorKind> {
    dims.validate().map_err(model_error)?;
    let perm = canonical_positions(order, &dims, &input_names)?;
    let d = perm.len();
    let mut populations = Vec::with_capacity(raw.len());
    for (p, pop) in raw.into_iter().enumerate() {
        let field = |name: &str| format!("populations[{p}].{name}");
        if pop.cov.len() != d || pop.cov.iter().any(|row| row.len() != d) {
            let rows: Vec<usize> = pop.cov.iter().map(Vec::len).collect();
            return Err(key_error(
                &field("cov"),
                format!(
                    "expected {d} rows of {d} numbers (one per entry of `order`), found rows of lengths {rows:?}"
                ),
            ));
        }
        let mut cov = DMatrix::zeros(d, d);
        for (i, row) in pop.cov.iter().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                cov[(perm[i], perm[j])] = x;
            }
        }
        let mut mean = DVector::zeros(d);
        if let Some(values) = &pop.mean {
            if values.len() != d {
                return Err(key_error(
                    &field("mean"),
                    format!(
                        "expected {d} numbers (one per entry of `order`), found {}",
                        values.len()
                    ),
                ));
            }
            for (i, &x) in values.iter().enumerate() {
                mean[perm[i]] = x;
            }
        }
        populations.push(Population {
            name: pop.name,
            fraction: pop.fraction,
            mean,
            cov,
            gain_clamp: pop.gain_clamp,
        });
    }
    PopulationModel::new(dims, input_names, populations).map_err(model_error)
}

/// For each entry of `order`, its canonical index; `order` must name every loading once.
fn canonical_positions(
    order: &[String],
    dims: &ModelDims,
    input_names: &[String],
) -> Result<Vec<usize>, IoErrorKind> {
    let d = dims.loadings();
    let mut seen = vec![false; d];
    let mut perm = Vec::with_capacity(order.len());
    for name in order {
        let index = resolve_loading(name, dims, input_names).ok_or_else(|| {
            key_error(
                "order",
                format!(
                    "`{name}` is not a loading of a model of rank {}, {} inputs ({}), {} outputs",
                    dims.rank,
                    dims.inputs,
                    input_names.join(", "),
                    dims.outputs
                ),
            )
        })?;
        if std::mem::replace(&mut seen[index], true) {
            return Err(key_error("order", format!("`{name}` is listed twice")));
        }
        perm.push(index);
    }
    if perm.len() != d {
        return Err(key_error(
            "order",
            format!(
                "lists {} loadings, expected {d} (2 rank + inputs + outputs)",
                perm.len()
            ),
        ));
    }
    Ok(perm)
}

/// `m1`, `n2`, `I1`, `w1` by number; `I<name>` by input name; `w` for the only readout.
fn resolve_loading(name: &str, dims: &ModelDims, input_names: &[String]) -> Option<usize> {
    if let Ok(loading) = name.parse::<Loading>() {
        return loading.index(dims);
    }
    if name == "w" && dims.outputs == 1 {
        return Loading::W(0).index(dims);
    }
    let input = name.strip_prefix('I')?;
    let s = input_names.iter().position(|n| n == input)?;
    Loading::I(s).index(dims)
}

fn key_error(key: &str, message: String) -> IoErrorKind {
    IoErrorKind::Key {
        key: key.to_string(),
        message,
    }
}

/// A model validation error, keyed by the field it concerns.
fn model_error(e: ModelError) -> IoErrorKind {
    let key = match (&e, e.location()) {
        (_, Some((pop, field))) => format!("populations[{pop}].{field}"),
        (ModelError::Dim { what, .. }, None) => (*what).to_string(),
        (ModelError::InputNames { .. } | ModelError::DuplicateInputName { .. }, None) => {
            "input_names".to_string()
        }
        _ => "populations".to_string(),
    };
    key_error(&key, e.to_string())
}

/// Writes `model` as version-1 JSON: canonical loading order, zero means and absent clamps omitted,
/// one line per covariance row and per flat list. Numbers use the shortest representation that reads back exactly.
pub fn to_json_string(model: &PopulationModel) -> String {
    let dims = model.dims();
    let file = FileV1 {
        format: FORMAT.to_string(),
        version: VERSION,
        rank: dims.rank,
        inputs: dims.inputs,
        outputs: dims.outputs,
        order: model.loading_names(),
        input_names: Some(model.input_names().to_vec()),
        populations: model
            .populations()
            .iter()
            .map(|p| PopulationV1 {
                name: Some(p.name.clone()),
                fraction: p.fraction,
                mean: p.has_mean().then(|| p.mean.iter().copied().collect()),
                cov: p
                    .cov
                    .row_iter()
                    .map(|row| row.iter().copied().collect())
                    .collect(),
                gain_clamp: p.gain_clamp,
            })
            .collect(),
        meta: (!model.meta().is_empty()).then(|| model.meta().clone()),
    };
    let pretty = serde_json::to_string_pretty(&file).expect("a model serialises to JSON");
    inline_flat_arrays(&pretty) + "\n"
}

/// Puts every array without nested arrays or objects on one line (the pretty printer gives each
/// element its own line). String contents are left untouched.
fn inline_flat_arrays(pretty: &str) -> String {
    let bytes = pretty.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut state = StringState::default();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if !state.in_string
            && c == b'['
            && let Some(end) = flat_array_end(bytes, i)
        {
            out.push(b'[');
            write_compact(&bytes[i + 1..end], &mut out);
            out.push(b']');
            i = end + 1;
            continue;
        }
        state.step(c);
        out.push(c);
        i += 1;
    }
    String::from_utf8(out).expect("only ASCII outside strings was rearranged")
}

/// Whether a JSON scan is inside a string literal.
#[derive(Debug, Default)]
struct StringState {
    in_string: bool,
    escaped: bool,
}

impl StringState {
    fn step(&mut self, c: u8) {
        if !self.in_string {
            self.in_string = c == b'"';
        } else if self.escaped {
            self.escaped = false;
        } else if c == b'\\' {
            self.escaped = true;
        } else if c == b'"' {
            self.in_string = false;
        }
    }
}

/// The index of the `]` closing the array opened at `start`, if it holds no array or object.
fn flat_array_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut state = StringState::default();
    for (j, &c) in bytes.iter().enumerate().skip(start + 1) {
        if !state.in_string {
            match c {
                b']' => return Some(j),
                b'[' | b'{' => return None,
                _ => {}
            }
        }
        state.step(c);
    }
    None
}

/// The elements of a flat array separated by `, `, whitespace outside strings dropped.
fn write_compact(segment: &[u8], out: &mut Vec<u8>) {
    let mut state = StringState::default();
    for &c in segment {
        if state.in_string || c == b'"' {
            out.push(c);
        } else if c == b',' {
            out.extend_from_slice(b", ");
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
        state.step(c);
    }
}

/// A population model nested in another JSON document (a session, a drawn network's source) in
/// the model file's own format: `#[serde(with = "crate::io::model_json::nested")]`.
pub mod nested {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::reduced::PopulationModel;

    pub fn serialize<S: Serializer>(
        model: &PopulationModel,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value = serde_json::from_str(&super::to_json_string(model))
            .map_err(serde::ser::Error::custom)?;
        value.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<PopulationModel, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        super::from_json_str(&value.to_string(), std::path::Path::new("nested model"))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/fixtures/dms_mixture_2pop.json");

    fn path() -> &'static Path {
        Path::new("model.json")
    }

    fn fixture() -> PopulationModel {
        from_json_str(FIXTURE, Path::new("dms_mixture_2pop.json")).unwrap()
    }

    #[test]
    fn fixture_shape_is_imported_exactly() {
        let model = fixture();
        let raw: Value = serde_json::from_str(FIXTURE).unwrap();
        assert_eq!(
            model.dims(),
            ModelDims {
                rank: 2,
                inputs: 2,
                outputs: 1
            }
        );
        assert_eq!(model.input_names(), ["A", "B"]);
        for (p, pop) in model.populations().iter().enumerate() {
            let src = &raw["populations"][p];
            assert_eq!(pop.fraction, src["weight"].as_f64().unwrap());
            assert!(!pop.has_mean() && pop.gain_clamp.is_none());
            for i in 0..7 {
                for j in 0..7 {
                    assert_eq!(pop.cov[(i, j)], src["cov"][i][j].as_f64().unwrap());
                }
            }
        }
    }

    #[test]
    fn written_models_read_back_identically() {
        let mut model = fixture();
        model.set_gain_clamp(1, Some(0.25)).unwrap();
        model.set_mean(0, Loading::N(1), -0.125).unwrap();
        let mut meta = Map::new();
        meta.insert(
            "description".into(),
            Value::from("a [1, 2] \"quoted\" text"),
        );
        let model = model.with_meta(meta);
        let text = to_json_string(&model);
        let back = from_json_str(&text, path()).unwrap();
        assert_eq!(back, model);
        assert_eq!(to_json_string(&back), text);
        assert!(
            text.contains("\"order\": [\"m1\", \"m2\", \"n1\", \"n2\", \"I1\", \"I2\", \"w1\"]")
        );
        assert!(
            text.contains("a [1, 2] \\\"quoted\\\" text"),
            "strings untouched"
        );
        assert!(text.contains("\"gain_clamp\": 0.25"));
        // One line per covariance row.
        assert_eq!(
            text.lines()
                .filter(|l| l.trim_start().starts_with("[4.6"))
                .count(),
            1
        );
    }

    #[test]
    fn numbers_are_parsed_correctly_rounded() {
        // serde_json's default float parser can be 1 ulp off on 17-digit inputs; the crate enables
        // `float_roundtrip`. These literals are from the fixture.
        for text in [
            "3.3050969306311306",
            "1.4914334784335859",
            "-0.19537969598743898",
        ] {
            let json: f64 = serde_json::from_str(text).unwrap();
            assert_eq!(json, text.parse::<f64>().unwrap(), "{text}");
        }
    }

    #[test]
    fn permuted_order_is_reordered_to_canonical() {
        let text = r#"{"format": "lowrank-explorer/population-model", "version": 1,
            "rank": 1, "inputs": 1, "outputs": 1, "order": ["w", "IA", "n1", "m1"],
            "input_names": ["A"],
            "populations": [{"fraction": 1, "mean": [4, 3, 2, 1],
                             "cov": [[4, 0.3, 0.2, 0.1], [0.3, 3, 0, 0], [0.2, 0, 2, 0], [0.1, 0, 0, 1]]}]}"#;
        let model = from_json_str(text, path()).unwrap();
        let pop = &model.populations()[0];
        assert_eq!(pop.mean.as_slice(), &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(pop.cov[(0, 0)], 1.0);
        assert_eq!(pop.cov[(3, 3)], 4.0);
        assert_eq!(pop.cov[(0, 3)], 0.1, "cov(m1, w1)");
        assert_eq!(pop.cov[(2, 3)], 0.3, "cov(I1, w1)");
        assert_eq!(pop.name, "pop 1");
    }

    fn error_of(text: &str) -> (String, String) {
        let err = from_json_str(text, Path::new("dir/bad.json")).unwrap_err();
        assert_eq!(err.file, Path::new("dir/bad.json"));
        let full = err.to_string();
        match err.kind {
            IoErrorKind::Key { key, .. } => (key, full),
            _ => (String::new(), full),
        }
    }

    fn v1(order: &str, populations: &str) -> String {
        format!(
            r#"{{"format": "{FORMAT}", "version": 1, "rank": 1, "inputs": 0, "outputs": 0,
                "order": {order}, "populations": {populations}}}"#
        )
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let ok_pop = r#"[{"fraction": 1, "cov": [[1, 0], [0, 1]]}]"#;
        assert!(from_json_str(&v1(r#"["m1", "n1"]"#, ok_pop), path()).is_ok());
        let cases = [
            (
                v1(
                    r#"["m1", "n1"]"#,
                    r#"[{"fraction": 1, "cov": [[1, 0], [0]]}]"#,
                ),
                "populations[0].cov",
            ),
            (
                v1(
                    r#"["m1", "n1"]"#,
                    r#"[{"fraction": 1, "cov": [[1, 0], [0.5, 1]]}]"#,
                ),
                "populations[0].cov",
            ),
            (
                v1(
                    r#"["m1", "n1"]"#,
                    r#"[{"fraction": 1, "mean": [1], "cov": [[1, 0], [0, 1]]}]"#,
                ),
                "populations[0].mean",
            ),
            (
                v1(
                    r#"["m1", "n1"]"#,
                    r#"[{"fraction": 0.5, "cov": [[1, 0], [0, 1]]}]"#,
                ),
                "populations",
            ),
            (
                v1(
                    r#"["m1", "n1"]"#,
                    r#"[{"fraction": 1, "gain_clamp": 2, "cov": [[1, 0], [0, 1]]}]"#,
                ),
                "populations[0].gain_clamp",
            ),
            (v1(r#"["m1", "m1"]"#, ok_pop), "order"),
            (v1(r#"["m1", "x1"]"#, ok_pop), "order"),
            (v1(r#"["m1"]"#, ok_pop), "order"),
            (v1(r#"["m1", "n1"]"#, "[]"), "populations"),
            (
                FIXTURE.replacen('{', r#"{"format": "other", "#, 1),
                "format",
            ),
            (
                v1(r#"["m1", "n1"]"#, ok_pop).replace("\"version\": 1", "\"version\": 2"),
                "version",
            ),
            (
                v1(r#"["m1", "n1"]"#, ok_pop).replace("\"rank\": 1", "\"rank\": 0"),
                "rank",
            ),
        ];
        for (text, key) in cases {
            let (got, full) = error_of(&text);
            assert_eq!(got, key, "{full}");
            assert!(full.starts_with("dir/bad.json: "), "{full}");
        }
        // Structural errors from serde name the field too.
        for (text, word) in [
            (v1(r#"["m1", "n1"]"#, r#"[{"fraction": 1}]"#), "cov"),
            (
                v1(
                    r#"["m1", "n1"]"#,
                    r#"[{"fraction": 1, "cov": [[1, 0], [0, 1]], "gain": 1}]"#,
                ),
                "gain",
            ),
            ("[1, 2]".to_string(), "population model"),
            ("{\"order\": 3}".to_string(), "fixture"),
        ] {
            let (_, full) = error_of(&text);
            assert!(full.contains(word), "{full}");
        }
    }
}
