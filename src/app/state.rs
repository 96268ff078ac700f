//! What the app keeps between runs: the last session and the settings, each in its own JSON file
//! written atomically ([`write_atomic`]) in the app's data folder.
//!
//! eframe's own storage rewrites its file in place (truncate, then write), so a crash or a
//! `kill -9` while it saves leaves a truncated file and loses the session; these files are
//! replaced by a rename instead, so they are always either the previous state or the new one.
//! eframe's storage still keeps the window geometry, whose loss costs nothing; a session or
//! settings saved there by an earlier version is read when no file of ours exists yet.

use std::path::{Path, PathBuf};

use crate::app::session::{self, Session};
use crate::app::settings::Settings;
use crate::io::write_atomic;

/// Overrides the data folder (tests, or running several configurations side by side).
pub const DIR_VARIABLE: &str = "LOWRANK_EXPLORER_STATE_DIR";
/// The app id eframe's storage folder is named after.
pub const APP_ID: &str = "lowrank-explorer";

const SESSION_FILE: &str = "session.json";
const SETTINGS_FILE: &str = "settings.json";

/// The data folder and the files in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir(pub PathBuf);

impl StateDir {
    /// `$LOWRANK_EXPLORER_STATE_DIR`, else eframe's storage folder (`~/.local/share/lowrank-explorer`
    /// on Linux); `None` where there is no home folder (then nothing is kept).
    pub fn locate() -> Option<StateDir> {
        std::env::var_os(DIR_VARIABLE)
            .map(PathBuf::from)
            .or_else(|| eframe::storage_dir(APP_ID))
            .map(StateDir)
    }

    pub fn session_path(&self) -> PathBuf {
        self.0.join(SESSION_FILE)
    }

    pub fn settings_path(&self) -> PathBuf {
        self.0.join(SETTINGS_FILE)
    }

    /// The last session's JSON, if one was saved (validated by [`session::from_json`] later).
    pub fn session_text(&self) -> Option<String> {
        read_text(&self.session_path())
    }

    /// The saved settings' JSON, if any.
    pub fn settings_text(&self) -> Option<String> {
        read_text(&self.settings_path())
    }

    /// Saves the session and the settings, each atomically (the folder is created if needed).
    pub fn save(&self, session: &Session, settings: &Settings) -> Result<(), String> {
        std::fs::create_dir_all(&self.0).map_err(|e| format!("{}: {e}", self.0.display()))?;
        write_atomic(&self.session_path(), session::to_json(session).as_bytes())
            .map_err(|e| e.to_string())?;
        let settings = serde_json::to_string_pretty(settings).map_err(|e| e.to_string())?;
        write_atomic(&self.settings_path(), settings.as_bytes()).map_err(|e| e.to_string())
    }
}

fn read_text(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::document::Document;

    #[test]
    fn session_and_settings_are_saved_beside_each_other_and_read_back() {
        let dir = std::env::temp_dir().join(format!("lre-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let state = StateDir(dir.join("nested"));
        assert_eq!(state.session_text(), None);
        let doc = Document::default();
        let settings = Settings {
            max_memory: Some(1 << 30),
            ..Settings::default()
        };
        state.save(&Session::of(&doc), &settings).unwrap();
        let back = session::from_json(&state.session_text().unwrap()).unwrap();
        assert_eq!(back, Session::of(&doc));
        let back: Settings = serde_json::from_str(&state.settings_text().unwrap()).unwrap();
        assert_eq!(back, settings);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
