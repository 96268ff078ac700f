//! TODO(io-merge): replace this whole file by `io::save_network_json_with_meta` when the io module
//! lands. It writes the project's network JSON (schema below) atomically, with a `meta` object.
//!
//! `{"format":"lowrank-explorer/network","version":1,"neurons":N,"rank":R,"inputs":S,"outputs":O,
//!   "wi":[S rows of N],"si":[S],"m":[N rows of R],"n":[N rows of R],"wo":[N rows of O],"so":[O],
//!   "h0":[N],"meta":{...}}`

use std::io::Write;
use std::path::Path;

use crate::network::Network;

/// Writes `net` and `meta` to `path` through a temporary file in the same folder and a rename, so a
/// reader (or a Ctrl-C) never sees a half-written file.
pub fn save_network_json(
    net: &Network,
    meta: &serde_json::Value,
    path: &Path,
) -> std::io::Result<()> {
    let p = net.parts();
    let d = net.dims();
    let rows = |m: &nalgebra::DMatrix<f64>| -> Vec<Vec<f64>> {
        m.row_iter().map(|r| r.iter().copied().collect()).collect()
    };
    let value = serde_json::json!({
        "format": "lowrank-explorer/network",
        "version": 1,
        "neurons": d.neurons,
        "rank": d.rank,
        "inputs": d.inputs,
        "outputs": d.outputs,
        "wi": rows(&p.wi),
        "si": p.si.as_slice(),
        "m": rows(&p.m),
        "n": rows(&p.n),
        "wo": rows(&p.wo),
        "so": p.so.as_slice(),
        "h0": p.h0.as_slice(),
        "meta": meta,
    });
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the output path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        serde_json::to_writer(&mut file, &value)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
