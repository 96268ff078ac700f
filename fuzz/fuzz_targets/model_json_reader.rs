//! Bytes -> the population-model reader (the project's JSON and the published fixture's shape).
//! Any input must give `Ok` or `Err` without panicking; a model that parses must survive a
//! save/parse round trip with the same populations.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lowrank_explorer::io::model_json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(model) = model_json::from_json_str(text, Path::new("fuzz.json")) {
        let _ = model.warnings();
        let saved = model_json::to_json_string(&model);
        let back = model_json::from_json_str(&saved, Path::new("saved.json"))
            .expect("a saved model parses");
        assert_eq!(back.populations().len(), model.populations().len());
        assert_eq!(back.dims(), model.dims());
    }
});
