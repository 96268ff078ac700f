//! lowrank-explorer: train, reverse-engineer and explore low-rank recurrent neural networks.
//!
//! The numerical core (no GUI types) follows `MODEL.md`:
//! - [`network`]: the rate network, its Euler map and ODE, latent projections (MODEL.md 1-2);
//! - [`task`]: trial generators, loss and accuracy (MODEL.md 6);
//! - [`io`]: `.pt`, `.npz` and JSON files (MODEL.md 7);
//! - [`reduced`]: exact reduction and population mean field (MODEL.md 3-4);
//! - [`analysis`]: fixed points, nullclines, limit cycles, continuation;
//! - [`train`]: backpropagation through time, Adam and the papers' training recipes (MODEL.md 6).
//! - [`model`]: what a user opens (a network or a population model), its inputs, parameters and
//!   trials;
//! - [`scene`]: what a phase-plane picture shows, shared by the figures and the explorer;
//! - [`render`]: phase-plane figures to SVG and PNG without a window;
//! - [`budget`]: the memory budget every large allocation is checked against first.
//!
//! The shells ([`cli`], and the egui app [`app`] behind the `gui` feature) only wire the core.

pub mod analysis;
#[cfg(feature = "gui")]
pub mod app;
pub mod budget;
pub mod cli;
pub mod examples;
pub mod fit;
pub mod io;
pub mod kernels;
pub mod model;
pub mod network;
pub mod reduced;
pub mod render;
pub mod scene;
pub mod task;
pub mod text;
pub mod train;
