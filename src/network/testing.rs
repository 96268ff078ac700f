//! Test helpers shared by the network and training tests (compiled for tests only).

/// A tiny deterministic generator of values in `[-1, 1)` (a 64-bit LCG), so test networks do not
/// depend on `rand`'s streams.
pub fn lcg(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}
