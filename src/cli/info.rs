//! `info` and `convert`.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::output::{self, PrecisionArg};
use super::{CliError, FileArg};
use crate::io;
use crate::network::{Dims, FullRankNetwork, Network};

#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// Where to write the network, in the format its extension names: .json (the project's,
    /// every f64 and the metadata), .pt (PyTorch state dict, `torch.load(weights_only=True)`),
    /// .npz (NumPy arrays) or .safetensors (tensors and the metadata); atomically.
    #[arg(long)]
    pub out: PathBuf,
    /// How .pt, .npz and .safetensors store values (JSON keeps every f64): float32 as the
    /// papers' code, exact for a network read from a float32 file (a note on stderr says what
    /// else it rounds), or float64.
    #[arg(long, value_enum, default_value = "f32")]
    pub precision: PrecisionArg,
}

/// What `info` reports.
#[derive(Debug, Serialize)]
struct Summary {
    #[serde(flatten)]
    dims: Dims,
    input_gains: Vec<f64>,
    output_gains: Vec<f64>,
    has_bias: bool,
    /// `overlaps[r][l] = n_r^T m_l / N`.
    overlaps: Vec<Vec<f64>>,
    /// Root-mean-square entries `||x|| / sqrt(N)` of each vector.
    rms: Rms,
}

#[derive(Debug, Serialize)]
struct Rms {
    m: Vec<f64>,
    n: Vec<f64>,
    inputs: Vec<f64>,
    readouts: Vec<f64>,
}

fn rms_of_columns(mat: &nalgebra::DMatrix<f64>) -> Vec<f64> {
    let scale = (mat.nrows() as f64).sqrt();
    mat.column_iter().map(|c| c.norm() / scale).collect()
}

fn summarise(net: &Network) -> Summary {
    let d = net.dims();
    let ov = net.overlaps();
    Summary {
        dims: d,
        input_gains: net.parts().si.iter().copied().collect(),
        output_gains: net.parts().so.iter().copied().collect(),
        has_bias: net.bias().is_some(),
        overlaps: ov.row_iter().map(|r| r.iter().copied().collect()).collect(),
        rms: Rms {
            m: rms_of_columns(net.m()),
            n: rms_of_columns(net.n()),
            inputs: rms_of_columns(net.input_vectors()),
            readouts: rms_of_columns(net.readout_vectors()),
        },
    }
}

/// What `info` reports of a full-rank network (MODEL.md 7).
#[derive(Debug, Serialize)]
struct FullRankSummary {
    layout: &'static str,
    neurons: usize,
    inputs: usize,
    outputs: usize,
    /// The largest singular values of `wrec`.
    singular_values: Vec<f64>,
    /// `kept[R-1]`: the share of `|wrec|_F^2` the rank-R truncation keeps.
    kept: Vec<f64>,
}

/// Singular values and truncation shares listed by `info` of a full-rank network.
const SPECTRUM_SHOWN: usize = 8;

fn full_rank_summary(full: &FullRankNetwork) -> FullRankSummary {
    let (neurons, inputs, outputs) = full.dims();
    let (singular_values, kept) = full.spectrum(SPECTRUM_SHOWN);
    FullRankSummary {
        layout: "FullRankRNN",
        neurons,
        inputs,
        outputs,
        singular_values,
        kept,
    }
}

fn info_full_rank(full: &FullRankNetwork, json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let s = full_rank_summary(full);
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&s)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "full-rank network (FullRankRNN, wrec of {0} x {0}, no 1/N)  inputs = {1}  outputs = {2}",
        s.neurons, s.inputs, s.outputs
    )?;
    writeln!(out, "{:>4} {:>14} {:>10}", "R", "s_R of wrec", "kept")?;
    for (r, (sv, kept)) in s.singular_values.iter().zip(&s.kept).enumerate() {
        writeln!(out, "{:>4} {sv:>14.6} {:>9.2} %", r + 1, 100.0 * kept)?;
    }
    writeln!(
        out,
        "(kept: the share of |wrec|^2 the rank-R truncation keeps; read it with --truncate R)"
    )?;
    Ok(())
}

pub fn info(args: &InfoArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let opened = args.file.open()?;
    if let io::ModelFile::FullRank(full) = &opened.model {
        return info_full_rank(full, args.json, out);
    }
    let net = opened.into_network(&args.file.file)?.file.network;
    let s = summarise(&net);
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&s)?)?;
        return Ok(());
    }
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(out, "file      {}", args.file.file.display())?;
    writeln!(
        out,
        "N = {}  rank = {}  inputs = {}  outputs = {}{}",
        s.dims.neurons,
        s.dims.rank,
        s.dims.inputs,
        s.dims.outputs,
        if s.has_bias { "  (with bias b)" } else { "" }
    )?;
    writeln!(out, "input gains si   [{}]", list(&s.input_gains))?;
    writeln!(out, "output gains so  [{}]", list(&s.output_gains))?;
    writeln!(out, "overlaps n_r^T m_l / N (row r = n, column l = m):")?;
    for row in &s.overlaps {
        writeln!(out, "  [{}]", list(row))?;
    }
    writeln!(out, "rms ||x||/sqrt(N):")?;
    writeln!(out, "  m    [{}]", list(&s.rms.m))?;
    writeln!(out, "  n    [{}]", list(&s.rms.n))?;
    writeln!(
        out,
        "  I_s  [{}]  (gain-scaled wi[s] * si[s])",
        list(&s.rms.inputs)
    )?;
    writeln!(
        out,
        "  w_o  [{}]  (gain-scaled wo[:, o] * so[o])",
        list(&s.rms.readouts)
    )?;
    Ok(())
}

/// Converts keeping the file's `meta` (provenance) when it has one and the output format can.
pub fn convert(args: &ConvertArgs, out: &mut dyn Write) -> Result<(), CliError> {
    io::NetworkFormat::of_path(&args.out).map_err(|e| CliError(format!("--out {e}")))?;
    let file = args.file.network_file()?;
    output::save_network(&file, &args.out, args.precision)?;
    let net = &file.network;
    writeln!(
        out,
        "wrote {} (N = {}, rank {})",
        args.out.display(),
        net.dims().neurons,
        net.dims().rank
    )?;
    Ok(())
}
