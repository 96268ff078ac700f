//! Bytes -> the `.pt` reader (zip and legacy layouts, and so the pickle interpreter) -> a network.
//! Any input must give `Ok` or `Err`: no panic, no unbounded allocation, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lowrank_explorer::io;

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = io::torch::read_torch_bytes(data) {
        let _ = io::network_from_tensors(&map);
    }
});
