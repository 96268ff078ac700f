//! The analysis worker: one background thread that turns [`Request`]s into [`Update`]s.
//!
//! The UI sends a request whenever what it shows should change, tagged with a generation and its
//! document; the worker always serves the newest (older ones still queued are dropped unseen)
//! and, between stages, drops the request it is serving as soon as a newer one arrives. Stages
//! run cheapest first: the landscape of the model's search box without cycles and separatrices;
//! the view layer (the flow field on the visible rectangle); readouts; click trajectories; cycles
//! and separatrices; trials; the mean-field overlay; the bifurcation diagram and its cycle
//! branches (which also stop mid-way when a newer request is sent). Each stage is
//! skipped when its inputs equal those of the last result it sent, so a pan recomputes only the
//! view layer and a slider drag never the view. Each result wakes the UI; the UI never waits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use eframe::egui;

use crate::analysis::Rect;
use crate::analysis::cycle_branch::Cancel;
use crate::analysis::landscape::{self, Landscape, NULLCLINE_RESOLUTION, ViewLayer, view_layer};
use crate::app::compute::{
    self, BifurcationKey, BifurcationOutcome, OverlayOutcome, PlaneDiagramKey, PlaneDiagramOutcome,
    PlaneKey, Readout, UserTrajectory,
};
use crate::app::document::{Selection, TrajectoryStart};
use crate::model::{Model, TrialSet, TrialSettings};
use crate::reduced::TimeModel;

/// Everything the views need computed for one document, as plain comparable data.
#[derive(Debug, Clone)]
pub struct Request {
    pub doc: u64,
    pub model: Arc<Model>,
    pub plane: PlaneKey,
    /// The visible rectangle.
    pub view: Rect,
    /// Flow-field samples per side of the view.
    pub field_grid: usize,
    pub selection: Option<Selection>,
    pub starts: Vec<TrajectoryStart>,
    /// How long the click-to-run trajectories run, in units of `tau`.
    pub trajectory_tau: f64,
    /// The DMS trials (time model and settings), if the model has the two DMS inputs.
    pub trials: Option<(TimeModel, TrialSettings)>,
    /// A population model whose mean field is drawn over a network's exact landscape.
    pub overlay: Option<Arc<Model>>,
    pub bifurcation: Option<BifurcationKey>,
    pub plane_diagram: Option<PlaneDiagramKey>,
}

/// Models compare by identity: a document rebuilds its model only when the model changes.
fn same_model(a: &Arc<Model>, b: &Arc<Model>) -> bool {
    Arc::ptr_eq(a, b)
}

fn same_overlay(a: &Option<Arc<Model>>, b: &Option<Arc<Model>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_model(a, b),
        (None, None) => true,
        _ => false,
    }
}

impl PartialEq for Request {
    fn eq(&self, o: &Self) -> bool {
        self.doc == o.doc
            && same_model(&self.model, &o.model)
            && self.plane == o.plane
            && self.view == o.view
            && self.field_grid == o.field_grid
            && self.selection == o.selection
            && self.starts == o.starts
            && self.trajectory_tau == o.trajectory_tau
            && self.trials == o.trials
            && same_overlay(&self.overlay, &o.overlay)
            && self.bifurcation == o.bifurcation
            && self.plane_diagram == o.plane_diagram
    }
}

/// A result for the UI, in the order the stages run.
pub enum Update {
    /// `complete` is false for the cheap part (no cycles or separatrices yet).
    Landscape {
        landscape: Arc<Landscape>,
        complete: bool,
    },
    View(Arc<ViewLayer>),
    Readout(Option<Arc<Readout>>),
    Trajectories(Arc<Vec<UserTrajectory>>),
    Trials(Option<Arc<TrialSet>>),
    Overlay(Option<Arc<OverlayOutcome>>),
    /// The fixed-point diagram, and again once its cycle branches are in.
    Bifurcation(Option<Arc<BifurcationOutcome>>),
    /// The two-parameter diagram, and again once its regions are in.
    PlaneDiagram(Option<Arc<PlaneDiagramOutcome>>),
    /// Every stage of the request of this generation is done.
    Idle(u64),
}

/// The newest results of one document, as the views read them.
#[derive(Default, Clone)]
pub struct Results {
    /// The landscape of the model's search box.
    pub landscape: Option<Arc<Landscape>>,
    /// Whether `landscape` has its cycles and separatrices.
    pub complete: bool,
    /// The flow field (and nullclines when zoomed in) of the visible rectangle.
    pub view: Option<Arc<ViewLayer>>,
    pub readout: Option<Arc<Readout>>,
    pub trajectories: Arc<Vec<UserTrajectory>>,
    pub trials: Option<Arc<TrialSet>>,
    pub overlay: Option<Arc<OverlayOutcome>>,
    pub bifurcation: Option<Arc<BifurcationOutcome>>,
    /// The newest diagram whose cycle branches are in: drawn (marked as updating) while those of
    /// `bifurcation` are computed, so a moving slider does not blank them.
    pub cycles: Option<Arc<BifurcationOutcome>>,
    pub plane_diagram: Option<Arc<PlaneDiagramOutcome>>,
    /// The newest two-parameter diagram whose regions are in, drawn while those of
    /// `plane_diagram` are computed.
    pub regions: Option<Arc<PlaneDiagramOutcome>>,
    /// Generation of the newest request sent, and of the newest one the worker finished.
    pub requested: u64,
    pub finished: u64,
}

impl Results {
    /// Takes one update.
    pub fn apply(&mut self, u: Update) {
        match u {
            Update::Landscape {
                landscape,
                complete,
            } => {
                self.landscape = Some(landscape);
                self.complete = complete;
            }
            Update::View(v) => self.view = Some(v),
            Update::Readout(x) => self.readout = x,
            Update::Trajectories(t) => self.trajectories = t,
            Update::Trials(t) => self.trials = t,
            Update::Overlay(o) => self.overlay = o,
            Update::Bifurcation(b) => {
                if let Some(out) = b.as_ref().filter(|o| o.cycles.is_some()) {
                    self.cycles = Some(out.clone());
                }
                self.bifurcation = b;
            }
            Update::PlaneDiagram(d) => {
                if let Some(out) = d.as_ref().filter(|o| o.regions.is_some()) {
                    self.regions = Some(out.clone());
                }
                self.plane_diagram = d;
            }
            Update::Idle(g) => self.finished = g,
        }
    }
}

/// The UI side of the worker.
pub struct Worker {
    tx: Option<Sender<(u64, Request)>>,
    rx: Receiver<(u64, Update)>,
    waker: Arc<Mutex<Option<egui::Context>>>,
    /// The generation of the newest request sent: a long stage asks it whether to go on.
    newest: Arc<AtomicU64>,
    handle: Option<JoinHandle<()>>,
}

/// What the worker thread runs: requests in, updates out, a context to wake, and the newest
/// generation sent.
type Body = dyn FnOnce(
        Receiver<(u64, Request)>,
        Sender<(u64, Update)>,
        Arc<Mutex<Option<egui::Context>>>,
        Arc<AtomicU64>,
    ) + Send;

impl Worker {
    /// Starts the thread.
    pub fn spawn() -> Worker {
        Worker::spawn_with(Box::new(|rx, tx, waker, newest| {
            Stages::default().run(&rx, &tx, &waker, &newest);
        }))
    }

    /// Starts a thread running `body` (the stages; a test's stand-in).
    fn spawn_with(body: Box<Body>) -> Worker {
        let (req_tx, req_rx) = channel();
        let (up_tx, up_rx) = channel();
        let waker: Arc<Mutex<Option<egui::Context>>> = Arc::default();
        let thread_waker = waker.clone();
        let newest: Arc<AtomicU64> = Arc::default();
        let thread_newest = newest.clone();
        let handle = std::thread::Builder::new()
            .name("analysis".into())
            .spawn(move || body(req_rx, up_tx, thread_waker, thread_newest))
            .ok();
        Worker {
            tx: Some(req_tx),
            rx: up_rx,
            waker,
            newest,
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
            self.newest.fetch_max(generation, Ordering::Relaxed);
            let _ = tx.send((generation, request));
        }
    }

    /// The results that arrived since the last call, each with its document.
    pub fn poll(&self) -> Vec<(u64, Update)> {
        self.rx.try_iter().collect()
    }

    /// Whether the thread is alive (it ends only if the UI side is dropped or it panicked).
    pub fn alive(&self) -> bool {
        self.handle.as_ref().is_some_and(|h| !h.is_finished())
    }
}

impl Drop for Worker {
    /// Closing the window never waits for a long stage: the thread sees the closed channel at
    /// its next check and ends by itself (or with the process).
    fn drop(&mut self) {
        self.tx = None;
        self.handle = None;
    }
}

/// The worker's memory: the inputs of the last result of each stage.
#[derive(Default)]
struct Stages {
    fast: Option<(Request, Arc<Landscape>)>,
    view: Option<(Request, Arc<ViewLayer>)>,
    complete: Option<Request>,
    readout: Option<(Arc<Landscape>, Option<Selection>)>,
    trajectories: Option<Request>,
    trials: Option<Request>,
    overlay: Option<Request>,
    bifurcation: Option<(Request, Option<Arc<BifurcationOutcome>>)>,
    cycle_branches: Option<Request>,
    plane_diagram: Option<(Request, Option<Arc<PlaneDiagramOutcome>>)>,
    regions: Option<Request>,
}

/// Why a request's stages stopped early.
enum Next {
    Done,
    Newer(u64, Box<Request>),
    Closed,
}

/// Whether two requests agree on the model and the plane (the search box's landscape).
fn same_plane(a: &Request, b: &Request) -> bool {
    same_model(&a.model, &b.model) && a.plane == b.plane
}

impl Stages {
    fn run(
        &mut self,
        rx: &Receiver<(u64, Request)>,
        tx: &Sender<(u64, Update)>,
        waker: &Mutex<Option<egui::Context>>,
        newest: &Arc<AtomicU64>,
    ) {
        let Ok(mut current) = rx.recv() else { return };
        loop {
            current = latest(rx, current);
            let doc = current.1.doc;
            let send = |u: Update| {
                let _ = tx.send((doc, u));
                if let Some(ctx) = waker.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                    ctx.request_repaint();
                }
            };
            match self.serve(current.0, &current.1, rx, newest, &send) {
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
        newest: &Arc<AtomicU64>,
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
        let model = &req.model;
        let plane = model.plane(&req.plane.axes);
        // A new document starts from nothing.
        if self.fast.as_ref().is_some_and(|(r, _)| r.doc != req.doc) {
            *self = Stages::default();
        }

        // 1. The search box: field, nullclines and fixed points.
        let fresh = !self.fast.as_ref().is_some_and(|(r, _)| same_plane(r, req));
        if fresh {
            let land = Arc::new(req.plane.analyze_fast(model));
            self.fast = Some((req.clone(), land.clone()));
            self.complete = None;
            send(Update::Landscape {
                landscape: land,
                complete: false,
            });
        }
        let Some((_, land)) = self.fast.clone() else {
            return Next::Done;
        };

        // 2. The view: the field on the visible rectangle.
        if !self.view.as_ref().is_some_and(|(r, _)| {
            same_plane(r, req) && r.view == req.view && r.field_grid == req.field_grid
        }) {
            let layer = Arc::new(match &plane {
                Ok(sys) => view_layer(sys, &land, req.view, req.field_grid, NULLCLINE_RESOLUTION),
                Err(_) => ViewLayer::empty(req.view),
            });
            self.view = Some((req.clone(), layer.clone()));
            send(Update::View(layer));
        }

        // 3. Readouts at the selection (snapped to the new fixed points).
        if !matches!(&self.readout, Some((l, s)) if Arc::ptr_eq(l, &land) && *s == req.selection) {
            let r = req
                .selection
                .as_ref()
                .and_then(|s| compute::readout(model, &req.plane.axes, &land, s, &req.view))
                .map(Arc::new);
            self.readout = Some((land.clone(), req.selection));
            send(Update::Readout(r));
        }

        // 4. Click-to-run trajectories.
        if !self.trajectories.as_ref().is_some_and(|r| {
            same_plane(r, req) && r.starts == req.starts && r.trajectory_tau == req.trajectory_tau
        }) {
            let t = compute::user_trajectories(model, &req.plane, &req.starts, req.trajectory_tau);
            self.trajectories = Some(req.clone());
            send(Update::Trajectories(Arc::new(t)));
        }
        yield_if_newer!();

        // 5. Separatrices and cycles.
        if !self.complete.as_ref().is_some_and(|r| same_plane(r, req)) {
            let mut full = (*land).clone();
            if let Ok(sys) = &plane {
                landscape::complete(sys, &req.plane.request(model), &mut full);
            }
            let full = Arc::new(full);
            self.fast = Some((req.clone(), full.clone()));
            self.readout = self.readout.take().map(|(_, s)| (full.clone(), s));
            self.complete = Some(req.clone());
            send(Update::Landscape {
                landscape: full,
                complete: true,
            });
        }
        yield_if_newer!();

        // 6. DMS trials.
        if !self
            .trials
            .as_ref()
            .is_some_and(|r| same_model(&r.model, model) && r.trials == req.trials)
        {
            let set = req
                .trials
                .as_ref()
                .and_then(|(tm, settings)| model.canonical_trials(*tm, settings).ok())
                .map(Arc::new);
            send(Update::Trials(set));
            self.trials = Some(req.clone());
        }
        yield_if_newer!();

        // 7. The mean-field overlay of a network, and its distance to the exact flow.
        if !self.overlay.as_ref().is_some_and(|r| {
            same_plane(r, req) && same_overlay(&r.overlay, &req.overlay) && r.view == req.view
        }) {
            let field = self.view.as_ref().map(|(_, v)| v.field.clone());
            let over = req.overlay.as_ref().zip(field).map(|(m, field)| {
                Arc::new(compute::overlay(
                    m,
                    &req.plane,
                    model.search_box(&req.plane.axes),
                    req.view,
                    &field,
                ))
            });
            self.overlay = Some(req.clone());
            send(Update::Overlay(over));
        }
        yield_if_newer!();

        // 8. The bifurcation diagram.
        let same_diagram =
            |r: &Request| same_model(&r.model, model) && r.bifurcation == req.bifurcation;
        if !self
            .bifurcation
            .as_ref()
            .is_some_and(|(r, _)| same_diagram(r))
        {
            let out = req
                .bifurcation
                .as_ref()
                .map(|key| Arc::new(compute::bifurcation(model, key)));
            self.bifurcation = Some((req.clone(), out.clone()));
            self.cycle_branches = None;
            send(Update::Bifurcation(out));
        }
        yield_if_newer!();

        // 9. Its branches of limit cycles: the longest stage, so it stops as soon as a newer
        // request is sent (not only between stages).
        let diagram = self.bifurcation.as_ref().and_then(|(_, out)| out.clone());
        if let Some(out) = diagram.filter(|o| o.key.wants_cycles())
            && !self.cycle_branches.as_ref().is_some_and(same_diagram)
        {
            let newest = newest.clone();
            let cancel = Cancel::new(move || newest.load(Ordering::Relaxed) > generation);
            let Some(full) = compute::with_cycles(model, &out, Some(cancel)) else {
                // Withdrawn: the newer request is on its way.
                return Next::Done;
            };
            self.cycle_branches = Some(req.clone());
            send(Update::Bifurcation(Some(Arc::new(full))));
        }
        yield_if_newer!();

        // 10. The two-parameter diagram, and 11. its regions: long too, withdrawn like stage 9.
        let withdraw = || {
            let newest = newest.clone();
            Cancel::new(move || newest.load(Ordering::Relaxed) > generation)
        };
        let same_plane_diagram =
            |r: &Request| same_model(&r.model, model) && r.plane_diagram == req.plane_diagram;
        if !self
            .plane_diagram
            .as_ref()
            .is_some_and(|(r, _)| same_plane_diagram(r))
        {
            let out = match &req.plane_diagram {
                Some(key) => match compute::plane_diagram(model, key, Some(withdraw())) {
                    Some(out) => Some(Arc::new(out)),
                    None => return Next::Done,
                },
                None => None,
            };
            self.plane_diagram = Some((req.clone(), out.clone()));
            self.regions = None;
            send(Update::PlaneDiagram(out));
        }
        yield_if_newer!();
        let diagram = self.plane_diagram.as_ref().and_then(|(_, out)| out.clone());
        if let Some(out) = diagram.filter(|o| o.key.regions)
            && !self.regions.as_ref().is_some_and(same_plane_diagram)
        {
            let Some(full) = compute::with_regions(model, &out, Some(withdraw())) else {
                return Next::Done;
            };
            self.regions = Some(req.clone());
            send(Update::PlaneDiagram(Some(Arc::new(full))));
        }
        send(Update::Idle(generation));
        Next::Done
    }
}

#[cfg(test)]
impl Worker {
    /// A worker whose thread panics at once (to test that a dead worker is noticed).
    pub(crate) fn crashing() -> Worker {
        Worker::spawn_with(Box::new(|_, _, _, _| panic!("deliberate test panic")))
    }
}

/// The newest of `current` and everything queued behind it.
fn latest(rx: &Receiver<(u64, Request)>, mut current: (u64, Request)) -> (u64, Request) {
    while let Ok(next) = rx.try_recv() {
        current = next;
    }
    current
}
