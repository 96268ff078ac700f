//! Phase-plane analysis that works on any reduced system: flow fields, nullclines, fixed points,
//! separatrices, trajectories, limit cycles and continuation.
