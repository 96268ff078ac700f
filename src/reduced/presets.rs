//! Built-in population models (MODEL.md 4), embedded in the binary from `assets/models/` (see the
//! README there). Each file's `meta.name` and `meta.description` are its display name and text.

use std::path::Path;

use super::PopulationModel;
use crate::io::model_json;

/// A built-in model with its display name and description.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    /// Stable identifier (the file stem), e.g. `"poster_didactic"`.
    pub id: &'static str,
    pub name: String,
    pub description: String,
    pub model: PopulationModel,
}

/// `(id, JSON text)` of every preset, in menu order.
const SOURCES: [(&str, &str); 4] = [
    (
        "poster_didactic",
        include_str!("../../assets/models/poster_didactic.json"),
    ),
    (
        "dms_mixture_2pop",
        include_str!("../../assets/models/dms_mixture_2pop.json"),
    ),
    (
        "ctx_gating_rank1",
        include_str!("../../assets/models/ctx_gating_rank1.json"),
    ),
    (
        "dms_mixture_rank3",
        include_str!("../../assets/models/dms_mixture_rank3.json"),
    ),
];

/// Identifiers of all presets, in menu order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(id, _)| *id)
}

/// The preset `id`, if there is one.
pub fn get(id: &str) -> Option<Preset> {
    SOURCES
        .iter()
        .find(|(i, _)| *i == id)
        .map(|&(id, text)| parse(id, text))
}

/// All presets, in menu order.
pub fn all() -> Vec<Preset> {
    SOURCES.iter().map(|&(id, text)| parse(id, text)).collect()
}

/// Parses an embedded file. The files are checked by the tests, so a failure is a build defect.
fn parse(id: &'static str, text: &str) -> Preset {
    let file = format!("assets/models/{id}.json");
    let model = model_json::from_json_str(text, Path::new(&file))
        .unwrap_or_else(|e| panic!("embedded preset is invalid: {e}"));
    let meta = |key: &str| {
        model
            .meta()
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Preset {
        id,
        name: meta("name"),
        description: meta("description"),
        model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_loads_with_a_name_a_description_and_psd_covariances() {
        let all = all();
        assert_eq!(all.len(), ids().count());
        for p in &all {
            assert!(!p.name.is_empty() && !p.description.is_empty(), "{}", p.id);
            assert!(p.model.psd_status().iter().all(|s| s.is_psd), "{}", p.id);
            assert_eq!(get(p.id).as_ref(), Some(p));
        }
        assert!(get("nonexistent").is_none());
    }

    #[test]
    fn embedded_files_are_in_the_writer_s_canonical_form() {
        for (id, text) in SOURCES {
            let written = model_json::to_json_string(&get(id).unwrap().model);
            assert_eq!(
                written, text,
                "{id}: rewrite the file with `to_json_string`"
            );
        }
    }

    #[test]
    fn dms_preset_is_the_fixture_converted_exactly() {
        let fixture = model_json::from_json_str(
            include_str!("../../tests/fixtures/dms_mixture_2pop.json"),
            Path::new("fixture"),
        )
        .unwrap();
        let preset = get("dms_mixture_2pop").unwrap().model;
        assert_eq!(preset.dims(), fixture.dims());
        assert_eq!(preset.input_names(), ["A", "B"]);
        assert_eq!(preset.populations(), fixture.populations());
    }
}
