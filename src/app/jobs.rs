//! Long computations on their own thread (opening a file, a population fit, a fine-tuning run),
//! so the window never waits: the UI polls [`Job::poll`] every frame, shows [`Job::progress`], and
//! can [`Job::cancel`] (the core routines poll the flag and stop cleanly). A job whose thread
//! died without an answer (a panic) is reported as failed, never shown as running forever.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
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

/// What a poll of a [`Job`] found.
#[derive(Debug, PartialEq)]
pub enum Poll<T> {
    Running,
    Done(T),
    /// The thread ended without an answer.
    Failed(String),
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
        let wake = ctx.clone();
        std::thread::spawn(move || {
            // Wake the UI however the work ends, so a panic is seen as a failure at once.
            struct WakeOnExit(egui::Context);
            impl Drop for WakeOnExit {
                fn drop(&mut self) {
                    self.0.request_repaint();
                }
            }
            let _wake = WakeOnExit(wake);
            let out = work(&job_ctx);
            let _ = tx.send(out);
        });
        Job {
            rx,
            cancel,
            progress,
            started: Instant::now(),
        }
    }

    /// The result once the thread has finished, or why there is none.
    pub fn poll(&self) -> Poll<T> {
        match self.rx.try_recv() {
            Ok(out) => Poll::Done(out),
            Err(TryRecvError::Empty) => Poll::Running,
            Err(TryRecvError::Disconnected) => {
                Poll::Failed("its thread stopped unexpectedly (an internal error)".to_string())
            }
        }
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

impl<T> Drop for Job<T> {
    /// A job nobody waits for any more (the window closed, another model opened) is asked to
    /// stop.
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wait<T: Send + 'static>(job: &Job<T>) -> Poll<T> {
        for _ in 0..500 {
            match job.poll() {
                Poll::Running => std::thread::sleep(Duration::from_millis(5)),
                done => return done,
            }
        }
        Poll::Running
    }

    #[test]
    fn a_job_reports_progress_and_its_answer() {
        let ctx = egui::Context::default();
        let job = Job::spawn(&ctx, |j| {
            j.report("half way".into());
            42
        });
        assert_eq!(wait(&job), Poll::Done(42));
        assert_eq!(job.progress(), "half way");
    }

    #[test]
    fn a_job_whose_thread_panicked_is_a_failure_not_running_forever() {
        let ctx = egui::Context::default();
        let job: Job<u32> = Job::spawn(&ctx, |_| panic!("deliberate test panic"));
        assert!(matches!(wait(&job), Poll::Failed(e) if e.contains("stopped unexpectedly")));
    }

    #[test]
    fn dropping_a_job_asks_it_to_stop() {
        let ctx = egui::Context::default();
        let seen = Arc::new(AtomicBool::new(false));
        let flag = seen.clone();
        let job = Job::spawn(&ctx, move |j| {
            while !j.cancel.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
            flag.store(true, Ordering::Relaxed);
        });
        drop(job);
        for _ in 0..1000 {
            if seen.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("the job did not stop");
    }
}
