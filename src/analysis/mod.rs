//! Phase-plane analysis that works on any [`ReducedSystem`](crate::reduced::ReducedSystem): flow
//! fields, nullclines, fixed points, separatrices, trajectories, limit cycles and continuation.
