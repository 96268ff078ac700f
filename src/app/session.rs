//! Sessions: a document's [`Source`], [`Edits`] and view settings as versioned JSON, written
//! atomically. A network is referenced by its source (a path, a built-in id, or the population
//! model, size and seed it was drawn from); the population model is nested in full.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::app::document::{Document, Edits, Source, ViewState};
use crate::io::write_atomic;

/// The `format` tag of a session file.
pub const FORMAT: &str = "lowrank-explorer/session";
/// The version this build reads and writes (2: sources, edits and view apart; drawn networks).
pub const VERSION: u64 = 2;

/// What a session holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub source: Source,
    pub edits: Edits,
    pub view: ViewState,
}

#[derive(Serialize, Deserialize)]
struct SessionFile {
    format: String,
    version: u64,
    #[serde(flatten)]
    session: Session,
}

impl Session {
    /// The session of an open document.
    pub fn of(doc: &Document) -> Session {
        Session {
            source: doc.source.clone(),
            edits: doc.edits.clone(),
            view: doc.view.clone(),
        }
    }
}

/// The session JSON of `session`.
pub fn to_json(session: &Session) -> String {
    let file = SessionFile {
        format: FORMAT.to_string(),
        version: VERSION,
        session: session.clone(),
    };
    serde_json::to_string_pretty(&file).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Parses session JSON; the error says what is wrong, for the user.
pub fn from_json(text: &str) -> Result<Session, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => return Err(format!("a `{other}` file, not a session")),
        None => return Err("no `format` field: not a session".into()),
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(VERSION) => {}
        v => return Err(format!("session version {v:?}; this build reads {VERSION}")),
    }
    serde_json::from_value::<SessionFile>(value)
        .map(|f| {
            let mut session = f.session;
            session.view.clamp_settings();
            session
        })
        .map_err(|e| format!("invalid session: {e}"))
}

/// Writes `session` to `path` atomically.
pub fn save(session: &Session, path: &Path) -> Result<(), String> {
    write_atomic(path, to_json(session).as_bytes()).map_err(|e| e.to_string())
}

/// Reads a session file.
pub fn load(path: &Path) -> Result<Session, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Whether `path` is a JSON file whose `format` is a session's (cheap probe, errors mean no).
pub fn is_session_file(path: &Path) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        format: Option<String>,
    }
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Probe>(&b).ok())
        .is_some_and(|p| p.format.as_deref() == Some(FORMAT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_round_trip_and_bad_files_are_explained() {
        let mut doc = Document::default();
        doc.view.ranges.insert("p1.cov(n2,m1)".into(), [-0.5, 3.0]);
        doc.edits.trials.delay_ms = 700.0;
        let s = Session::of(&doc);
        let dir = std::env::temp_dir().join(format!("lre-session-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.json");
        save(&s, &path).unwrap();
        assert!(is_session_file(&path));
        assert_eq!(load(&path).unwrap(), s);
        assert!(from_json("{").unwrap_err().contains("not JSON"));
        assert!(
            from_json("{\"format\": \"x\"}")
                .unwrap_err()
                .contains("not a session")
        );
        let wrong = to_json(&s).replace("\"version\": 2", "\"version\": 99");
        assert!(from_json(&wrong).unwrap_err().contains("version"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_sessions_field_density_and_trajectory_time_are_kept_in_range() {
        let mut doc = Document::default();
        doc.view.field_density = 50;
        doc.view.trajectory_tau = 120.0;
        doc.view.layers.field_mode = crate::scene::FieldMode::Speed;
        let s = Session::of(&doc);
        assert_eq!(from_json(&to_json(&s)).unwrap(), s, "in range: as saved");
        let hostile = to_json(&s)
            .replace("\"field_density\": 50", "\"field_density\": 100000000")
            .replace("\"trajectory_tau\": 120.0", "\"trajectory_tau\": -1e300");
        let view = from_json(&hostile).unwrap().view;
        assert_eq!(
            view.field_density,
            crate::app::document::FIELD_DENSITY_RANGE[1]
        );
        assert_eq!(
            view.trajectory_tau,
            crate::app::document::TRAJECTORY_TAU_RANGE[0]
        );
        assert_eq!(view.layers.field_mode, crate::scene::FieldMode::Speed);
    }
}
