//! Long user-started computations (a population fit, a fine-tuning run) on their own thread, so the
//! window never waits: the UI polls [`Job::poll`] every frame, shows [`Job::progress`], and can
//! [`Job::cancel`] (the core routines poll the flag and stop cleanly).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use eframe::egui;

/// A running computation producing a `T`.
pub struct Job<T> {
    rx: Receiver<T>,
    cancel: Arc<AtomicBool>,
    progress: Arc<Mutex<String>>,
    started: Instant,
}

/// What the job's closure gets: the cancel flag to poll and a way to report progress.
pub struct JobContext {
    pub cancel: Arc<AtomicBool>,
    progress: Arc<Mutex<String>>,
    ctx: egui::Context,
}

impl JobContext {
    /// Replaces the progress line and wakes the UI to show it.
    pub fn report(&self, text: String) {
        *self.progress.lock().unwrap_or_else(|e| e.into_inner()) = text;
        self.ctx.request_repaint();
    }
}

impl<T: Send + 'static> Job<T> {
    /// Runs `work` on a new thread; `ctx` is woken when it reports and when it ends.
    pub fn spawn(
        ctx: &egui::Context,
        work: impl FnOnce(&JobContext) -> T + Send + 'static,
    ) -> Self {
        let (tx, rx) = channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(Mutex::new(String::new()));
        let job_ctx = JobContext {
            cancel: cancel.clone(),
            progress: progress.clone(),
            ctx: ctx.clone(),
        };
        std::thread::spawn(move || {
            let out = work(&job_ctx);
            let _ = tx.send(out);
            job_ctx.ctx.request_repaint();
        });
        Job {
            rx,
            cancel,
            progress,
            started: Instant::now(),
        }
    }

    /// The result, once the thread has finished.
    pub fn poll(&self) -> Option<T> {
        self.rx.try_recv().ok()
    }

    /// Asks the computation to stop at its next check.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The last progress line the computation reported.
    pub fn progress(&self) -> String {
        self.progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
