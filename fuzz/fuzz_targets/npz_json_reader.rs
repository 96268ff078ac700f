//! Bytes -> the `.npz` reader and the network JSON parser. Any input must give `Ok` or `Err`
//! without panicking; a JSON network that parses must survive a save/parse round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lowrank_explorer::io;

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = io::npz::read_npz_bytes(data) {
        let _ = io::network_from_tensors(&map);
    }
    if let Ok(file) = io::network_json::parse_network_json(data) {
        let text = io::network_json::to_json(&file.network, file.meta.as_ref()).expect("a parsed network serialises");
        let back = io::network_json::parse_network_json(&text).expect("a saved network parses");
        assert_eq!(back, file, "JSON round trip changed the network");
    }
});
