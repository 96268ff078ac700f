//! Signals: SIGINT (Ctrl-C), SIGTERM and SIGHUP, through one handler for the process.
//!
//! While a long job has asked for a graceful stop ([`graceful_stop`]: training, fine-tuning), the
//! first signal only sets [`INTERRUPTED`]: the job stops at its next check and its result so far
//! is written as usual. Otherwise, and at a second signal, the temporary files of writes in
//! progress are removed ([`crate::io::atomic::remove_live_temps`]) and the process exits with
//! status 130, leaving every target as it was.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use super::CliError;
use crate::io::atomic::remove_live_temps;

/// Set by the first signal while a graceful stop is armed; polled by the trainer before every
/// batch and by `finetune` before every step.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether a job that stops gracefully is running.
static GRACEFUL: AtomicBool = AtomicBool::new(false);

/// The exit status after a signal (128 + SIGINT, what shells report for Ctrl-C).
const SIGNAL_EXIT: i32 = 130;

/// Installs the handler once per process (the binary's `main` does; the in-process test runner
/// does not).
pub fn install() -> Result<(), CliError> {
    static INSTALL: Once = Once::new();
    let mut result = Ok(());
    INSTALL.call_once(|| {
        result = ctrlc::set_handler(|| {
            if GRACEFUL.load(Ordering::SeqCst) && !INTERRUPTED.swap(true, Ordering::SeqCst) {
                return;
            }
            remove_live_temps();
            std::process::exit(SIGNAL_EXIT);
        })
        .map_err(|e| CliError(format!("cannot install the signal handler: {e}")));
    });
    result
}

/// Arms a graceful stop for as long as the returned guard lives (and clears [`INTERRUPTED`]).
pub fn graceful_stop() -> GracefulStop {
    INTERRUPTED.store(false, Ordering::SeqCst);
    GRACEFUL.store(true, Ordering::SeqCst);
    GracefulStop
}

/// Disarms the graceful stop when dropped: a signal then ends the process at once.
pub struct GracefulStop;

impl Drop for GracefulStop {
    fn drop(&mut self) {
        GRACEFUL.store(false, Ordering::SeqCst);
    }
}
