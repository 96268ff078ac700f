//! Sessions: [`Params`] as versioned JSON, written atomically. A network is referenced by its
//! path (its numbers stay in its own file); the population model is nested in full.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::app::params::Params;
use crate::io::write_atomic;

/// The `format` tag of a session file.
pub const FORMAT: &str = "lowrank-explorer/session";
/// The version this build reads and writes.
pub const VERSION: u64 = 1;

#[derive(Serialize, Deserialize)]
struct SessionFile {
    format: String,
    version: u64,
    params: Params,
}

/// The session JSON of `params`.
pub fn to_json(params: &Params) -> String {
    let file = SessionFile {
        format: FORMAT.to_string(),
        version: VERSION,
        params: params.clone(),
    };
    serde_json::to_string_pretty(&file).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Parses session JSON; the error says what is wrong, for the user.
pub fn from_json(text: &str) -> Result<Params, String> {
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
        .map(|f| f.params)
        .map_err(|e| format!("invalid session: {e}"))
}

/// Writes `params` to `path` atomically.
pub fn save(params: &Params, path: &Path) -> Result<(), String> {
    write_atomic(path, to_json(params).as_bytes()).map_err(|e| e.to_string())
}

/// Reads a session file.
pub fn load(path: &Path) -> Result<Params, String> {
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
        let mut p = Params::default();
        p.view.x_min = -2.0;
        let dir = std::env::temp_dir().join(format!("lre-session-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.json");
        save(&p, &path).unwrap();
        assert!(is_session_file(&path));
        assert_eq!(load(&path).unwrap(), p);
        assert!(from_json("{").unwrap_err().contains("not JSON"));
        assert!(
            from_json("{\"format\": \"x\"}")
                .unwrap_err()
                .contains("not a session")
        );
        let wrong = to_json(&p).replace("\"version\": 1", "\"version\": 99");
        assert!(from_json(&wrong).unwrap_err().contains("version"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
