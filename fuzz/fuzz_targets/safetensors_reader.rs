//! Bytes -> the safetensors reader, then `io::network_from_tensors`. Any input must give `Ok` or
//! `Err` without panicking; a network that loads must survive a float64 write and read back
//! unchanged, metadata included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lowrank_explorer::io::{self, Dtype, safetensors_file};

fuzz_target!(|data: &[u8]| {
    let Ok((map, meta)) = safetensors_file::read_safetensors_bytes(data) else {
        return;
    };
    let Ok(network) = io::network_from_tensors(&map) else {
        return;
    };
    let tensors = io::network_to_tensors(&network, Dtype::F64);
    let bytes = safetensors_file::safetensors_bytes(&tensors, meta.as_ref())
        .expect("a loaded network is written");
    let (back, back_meta) =
        safetensors_file::read_safetensors_bytes(&bytes).expect("a written network reads");
    let again = io::network_from_tensors(&back).expect("a written network loads");
    assert_eq!(again, network, "safetensors round trip changed the network");
    assert_eq!(back_meta, meta, "safetensors round trip changed the metadata");
});
