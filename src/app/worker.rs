//! The analysis worker: one background thread that turns [`Request`]s into [`Update`]s.
//!
//! The UI sends a request whenever what it shows should change, tagged with a generation; the
//! worker always serves the newest (older ones still queued are dropped unseen) and, between
//! stages, drops the request it is serving as soon as a newer one arrives. Stages run cheapest
//! first (flow field, nullclines and fixed points; readouts; click trajectories; cycles and
//! separatrices; trials; the overlay; the bifurcation diagram) and each stage is skipped when its
//! inputs equal those of the last result it sent, so a slider drag recomputes only what it moves.
//! Each result wakes the UI (`request_repaint`); the UI never waits.

use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use eframe::egui;

use crate::analysis::landscape::Landscape;
use crate::app::compute::{
    self, BifurcationKey, BifurcationOutcome, Built, LandscapeKey, OverlayOutcome, Readout,
    SystemSpec, TrialSet, UserTrajectory,
};
use crate::app::params::{Selection, TrajectoryStart, TrialSettings};
use crate::reduced::{PopulationModel, TimeModel};

/// Everything the views need computed, as plain comparable data.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub system: SystemSpec,
    pub landscape: LandscapeKey,
    pub selection: Option<Selection>,
    pub starts: Vec<TrajectoryStart>,
    /// The DMS trials (time model and settings), if the system has the two DMS inputs.
    pub trials: Option<(TimeModel, TrialSettings)>,
    /// A population model whose mean field is drawn over a network's exact landscape.
    pub overlay: Option<PopulationModel>,
    pub bifurcation: Option<BifurcationKey>,
}

/// A result for the UI, in the order the stages run.
pub enum Update {
    /// `complete` is false for the cheap part (no cycles or separatrices yet).
    Landscape {
        landscape: Arc<Landscape>,
        complete: bool,
    },
    Readout(Option<Arc<Readout>>),
    Trajectories(Arc<Vec<UserTrajectory>>),
    Trials(Arc<TrialSet>),
    Overlay(Option<Arc<OverlayOutcome>>),
    Bifurcation(Option<Arc<BifurcationOutcome>>),
    /// Every stage of the request of this generation is done.
    Idle(u64),
}

/// The UI side of the worker.
pub struct Worker {
    tx: Option<Sender<(u64, Request)>>,
    rx: Receiver<Update>,
    waker: Arc<Mutex<Option<egui::Context>>>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the thread.
    pub fn spawn() -> Worker {
        let (req_tx, req_rx) = channel();
        let (up_tx, up_rx) = channel();
        let waker: Arc<Mutex<Option<egui::Context>>> = Arc::default();
        let thread_waker = waker.clone();
        let handle = std::thread::Builder::new()
            .name("analysis".into())
            .spawn(move || {
                Stages::default().run(&req_rx, &up_tx, &thread_waker);
            })
            .ok();
        Worker {
            tx: Some(req_tx),
            rx: up_rx,
            waker,
            handle,
        }
    }

    /// The context to wake when a result arrives (set on the first frame).
    pub fn set_waker(&self, ctx: &egui::Context) {
        let mut w = self.waker.lock().unwrap_or_else(|e| e.into_inner());
        if w.is_none() {
            *w = Some(ctx.clone());
        }
    }

    pub fn send(&self, generation: u64, request: Request) {
        if let Some(tx) = &self.tx {
            let _ = tx.send((generation, request));
        }
    }

    /// The results that arrived since the last call.
    pub fn poll(&self) -> Vec<Update> {
        self.rx.try_iter().collect()
    }

    /// Whether the thread is alive (it ends only if the UI side is dropped or it panicked).
    pub fn alive(&self) -> bool {
        self.handle.as_ref().is_some_and(|h| !h.is_finished())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The worker's memory: the inputs of the last result of each stage.
#[derive(Default)]
struct Stages {
    built: Option<(SystemSpec, Arc<Built>)>,
    fast: Option<(SystemSpec, LandscapeKey, Arc<Landscape>)>,
    complete: Option<(SystemSpec, LandscapeKey)>,
    readout: Option<(Arc<Landscape>, Option<Selection>)>,
    trajectories: Option<(SystemSpec, LandscapeKey, Vec<TrajectoryStart>)>,
    trials: Option<(SystemSpec, Option<(TimeModel, TrialSettings)>)>,
    overlay: Option<(SystemSpec, Option<PopulationModel>, LandscapeKey)>,
    bifurcation: Option<(SystemSpec, Option<BifurcationKey>)>,
}

/// Why a request's stages stopped early.
enum Next {
    Done,
    Newer(u64, Box<Request>),
    Closed,
}

impl Stages {
    fn run(
        &mut self,
        rx: &Receiver<(u64, Request)>,
        tx: &Sender<Update>,
        waker: &Mutex<Option<egui::Context>>,
    ) {
        let Ok(mut current) = rx.recv() else { return };
        loop {
            current = latest(rx, current);
            let send = |u: Update| {
                let _ = tx.send(u);
                if let Some(ctx) = waker.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                    ctx.request_repaint();
                }
            };
            match self.serve(current.0, &current.1, rx, &send) {
                Next::Newer(g, r) => current = (g, *r),
                Next::Closed => return,
                Next::Done => match rx.recv() {
                    Ok(next) => current = next,
                    Err(_) => return,
                },
            }
        }
    }

    /// Runs the stages of one request, cheapest first.
    fn serve(
        &mut self,
        generation: u64,
        req: &Request,
        rx: &Receiver<(u64, Request)>,
        send: &dyn Fn(Update),
    ) -> Next {
        let check = || match rx.try_recv() {
            Ok((g, r)) => Next::Newer(g, Box::new(r)),
            Err(TryRecvError::Disconnected) => Next::Closed,
            Err(TryRecvError::Empty) => Next::Done,
        };
        macro_rules! yield_if_newer {
            () => {
                match check() {
                    Next::Done => {}
                    other => return other,
                }
            };
        }
        let sys = self.build(&req.system);

        // 1. Field, nullclines and fixed points.
        let fast_fresh =
            !matches!(&self.fast, Some((s, k, _)) if *s == req.system && *k == req.landscape);
        if fast_fresh {
            let land = Arc::new(compute::fast_landscape(&sys, &req.landscape));
            self.fast = Some((req.system.clone(), req.landscape.clone(), land.clone()));
            self.complete = None;
            send(Update::Landscape {
                landscape: land,
                complete: false,
            });
        }
        let Some((_, _, fast)) = self.fast.clone() else {
            return Next::Done;
        };

        // 2. Readouts at the selection (snapped to the new fixed points).
        if !matches!(&self.readout, Some((l, s)) if Arc::ptr_eq(l, &fast) && *s == req.selection) {
            let r = req
                .selection
                .as_ref()
                .map(|s| Arc::new(compute::readout(&sys, &fast, s)));
            self.readout = Some((fast.clone(), req.selection));
            send(Update::Readout(r));
        }

        // 3. Click-to-run trajectories.
        if !matches!(&self.trajectories, Some((s, k, st)) if *s == req.system && *k == req.landscape && *st == req.starts)
        {
            let t = compute::user_trajectories(
                &sys,
                &req.landscape.v,
                req.landscape.time_model,
                &req.starts,
            );
            self.trajectories = Some((
                req.system.clone(),
                req.landscape.clone(),
                req.starts.clone(),
            ));
            send(Update::Trajectories(Arc::new(t)));
        }
        yield_if_newer!();

        // 4. Separatrices and cycles.
        if !matches!(&self.complete, Some((s, k)) if *s == req.system && *k == req.landscape) {
            let mut land = (*fast).clone();
            compute::complete_landscape(&sys, &req.landscape, &mut land);
            let land = Arc::new(land);
            self.fast = Some((req.system.clone(), req.landscape.clone(), land.clone()));
            self.readout = self.readout.take().map(|(_, s)| (land.clone(), s));
            self.complete = Some((req.system.clone(), req.landscape.clone()));
            send(Update::Landscape {
                landscape: land,
                complete: true,
            });
        }
        yield_if_newer!();

        // 5. DMS trials.
        if !matches!(&self.trials, Some((s, t)) if *s == req.system && *t == req.trials) {
            if let Some((tm, settings)) = &req.trials {
                let set = compute::trials(&sys, *tm, settings);
                send(Update::Trials(Arc::new(set)));
            }
            self.trials = Some((req.system.clone(), req.trials));
        }
        yield_if_newer!();

        // 6. The mean-field overlay of a network, and its distance to the exact flow.
        if !matches!(&self.overlay, Some((s, m, k)) if *s == req.system && *m == req.overlay && *k == req.landscape)
        {
            let over = req
                .overlay
                .as_ref()
                .map(|m| Arc::new(compute::overlay(m, &req.landscape, &fast)));
            self.overlay = Some((
                req.system.clone(),
                req.overlay.clone(),
                req.landscape.clone(),
            ));
            send(Update::Overlay(over));
        }
        yield_if_newer!();

        // 7. The bifurcation diagram.
        if !matches!(&self.bifurcation, Some((s, b)) if *s == req.system && *b == req.bifurcation) {
            let out = req
                .bifurcation
                .as_ref()
                .map(|key| Arc::new(compute::bifurcation(&req.system, &sys, key)));
            self.bifurcation = Some((req.system.clone(), req.bifurcation.clone()));
            send(Update::Bifurcation(out));
        }
        send(Update::Idle(generation));
        Next::Done
    }

    /// The evaluable system of `spec`, rebuilt only when it changes.
    fn build(&mut self, spec: &SystemSpec) -> Arc<Built> {
        match &self.built {
            Some((s, b)) if s == spec => b.clone(),
            _ => {
                let b = Arc::new(Built::new(spec));
                self.built = Some((spec.clone(), b.clone()));
                b
            }
        }
    }
}

/// The newest of `current` and everything queued behind it.
fn latest(rx: &Receiver<(u64, Request)>, mut current: (u64, Request)) -> (u64, Request) {
    while let Ok(next) = rx.try_recv() {
        current = next;
    }
    current
}
