//! `kill -9` while the explorer saves its session and settings (issue 11): the files are always
//! the previous state or the new one, never torn. The writer is this test binary itself, run again
//! as a child process on the ignored `session_writer_child`, saving through the same
//! `StateDir::save` the app calls.
#![cfg(all(feature = "gui", unix))]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lowrank_explorer::app::document::Document;
use lowrank_explorer::app::session::{self, Session};
use lowrank_explorer::app::settings::Settings;
use lowrank_explorer::app::state::StateDir;

/// Where the child writes (set by the parent).
const CHILD_DIR: &str = "LRE_KILL_TEST_STATE_DIR";

/// Two settings that differ in every recent file, large enough (tens of kB) that a write takes a
/// while.
fn settings(which: usize) -> Settings {
    let mut s = Settings::default();
    for k in 0..8 {
        s.remember(PathBuf::from(format!("/{which}/{k}/{}", "x".repeat(4000))));
    }
    s
}

#[test]
#[ignore = "the child process of kill_9_while_saving_keeps_the_previous_session"]
fn session_writer_child() {
    let dir = StateDir(PathBuf::from(
        std::env::var_os(CHILD_DIR).expect("run by the parent test"),
    ));
    let session = Session::of(&Document::default());
    let all = [settings(0), settings(1)];
    for k in 0.. {
        dir.save(&session, &all[k % 2]).unwrap();
    }
}

#[test]
fn kill_9_while_saving_keeps_the_previous_session() {
    let root = std::env::temp_dir().join(format!("lre-state-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = StateDir(root.clone());
    let session = Session::of(&Document::default());
    let known = [settings(0), settings(1)];
    dir.save(&session, &known[0]).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut temps_left = 0;
    for k in 0..20u64 {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "session_writer_child",
                "--nocapture",
            ])
            .env(CHILD_DIR, &root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Let it save many times, then kill it at a different moment each round.
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(30 + 7 * k) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-KILL", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = child.wait().unwrap();
        assert!(!status.success(), "the writer was not killed");
        let text = dir.session_text().expect("the session file is gone");
        assert_eq!(session::from_json(&text).unwrap(), session, "round {k}");
        let text = dir.settings_text().expect("the settings file is gone");
        let back: Settings = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("round {k}: torn settings ({e})"));
        assert!(
            known.contains(&back),
            "round {k}: settings of neither state"
        );
        temps_left += std::fs::read_dir(&root)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        // The next save sweeps the killed writer's temporary files.
        dir.save(&session, &known[0]).unwrap();
        let names: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.ends_with(".tmp")),
            "round {k}: not swept: {names:?}"
        );
    }
    // Some kills landed in the middle of a write (else the test proved nothing).
    assert!(temps_left > 0, "no kill caught a write in progress");
    std::fs::remove_dir_all(&root).unwrap();
}
