//! `fit` (a network's populations, MODEL.md 5 steps 1-4) and `resample` (a network drawn from a
//! population model, step 5).

use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::AtomicBool;

use serde::Serialize;
use serde_json::json;

use super::output::{self, PrecisionArg};
use super::train::thread_pool;
use super::{CliError, FileArg};
use crate::fit::gmm::{self, GmmOptions};
use crate::fit::populations::DEFAULT_MAX_POPULATIONS;
use crate::fit::{
    FitOptions, LoadingBlocks, NetworkFit, PopulationCount, fit_network, resample, resample_network,
};
use crate::io;
use crate::network::MAX_NEURONS;

/// `--populations`: a number, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopulationsArg {
    Fixed(usize),
    Auto,
}

impl FromStr for PopulationsArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Self::Auto);
        }
        match s.parse::<usize>() {
            Ok(p) if (1..=gmm::MAX_COMPONENTS).contains(&p) => Ok(Self::Fixed(p)),
            _ => Err(format!(
                "expected `auto` or a number of populations in 1..={}, got `{s}`",
                gmm::MAX_COMPONENTS
            )),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// Number of populations, or `auto` to choose by BIC among 1..=--max-populations.
    #[arg(long)]
    pub populations: PopulationsArg,
    /// Largest number of populations `auto` tries.
    #[arg(long, default_value_t = DEFAULT_MAX_POPULATIONS)]
    pub max_populations: usize,
    /// EM restarts per number of populations; the best log-likelihood is kept.
    #[arg(long, default_value_t = gmm::DEFAULT_RESTARTS)]
    pub restarts: usize,
    /// Seed of the restarts' initialisations (the result does not depend on --threads).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Fit the network's own m, n instead of the SVD axes of MODEL.md 2 (the papers use the SVD).
    #[arg(long)]
    pub no_svd: bool,
    /// The loadings the mixture is fitted to: `all`, or a list of m, n, I, w such as `n,m,I`.
    /// Default: `n,m,I` for a DMS-shaped network (rank 2, 2 inputs, 1 output), the space the
    /// papers' DMS analysis clusters; `all` otherwise. The model still covers every loading: the
    /// covariances of those left out are estimated per population from the fit's assignment
    /// (docs/FIT.md).
    #[arg(long)]
    pub loadings: Option<LoadingBlocks>,
    /// EM stops when the log-likelihood grows by less than this per neuron.
    #[arg(long, default_value_t = gmm::DEFAULT_TOL)]
    pub tol: f64,
    /// Cap on EM iterations per restart.
    #[arg(long, default_value_t = gmm::DEFAULT_MAX_ITER)]
    pub max_iter: usize,
    /// Write the population model here (the project's JSON, atomically).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print {"populations":[{"weight","count","cov"}],"log_likelihood","bic"} (largest count first).
    #[arg(long)]
    pub json: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct ResampleArgs {
    /// A population model: the project's JSON (e.g. written by `fit --out`) or the published
    /// fixture's shape.
    pub model: PathBuf,
    /// Number of neurons of the new network.
    #[arg(long)]
    pub n: usize,
    /// Seed of the Gaussian basis.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
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

/// The `--json` report of `fit`, exactly as the issue specifies it.
#[derive(Debug, Serialize)]
struct FitJson {
    populations: Vec<PopulationJson>,
    log_likelihood: f64,
    bic: f64,
}

#[derive(Debug, Serialize)]
struct PopulationJson {
    weight: f64,
    count: usize,
    cov: Vec<Vec<f64>>,
}

/// The fit's options from the command's flags.
pub fn fit_options(args: &FitArgs) -> FitOptions {
    FitOptions {
        populations: match args.populations {
            PopulationsArg::Fixed(p) => PopulationCount::Fixed(p),
            PopulationsArg::Auto => PopulationCount::Auto {
                max: args.max_populations,
            },
        },
        svd: !args.no_svd,
        loadings: args.loadings,
        em: GmmOptions {
            restarts: args.restarts,
            seed: args.seed,
            tol: args.tol,
            max_iter: args.max_iter,
            reg: gmm::DEFAULT_REG,
        },
    }
}

/// The command that reproduces a fit.
fn fit_command(args: &FitArgs) -> String {
    let populations = match args.populations {
        PopulationsArg::Fixed(p) => p.to_string(),
        PopulationsArg::Auto => format!("auto --max-populations {}", args.max_populations),
    };
    let mut cmd = format!(
        "lowrank-explorer fit {} --populations {populations} --restarts {} --seed {} --tol {:e} \
         --max-iter {}",
        args.file.file.display(),
        args.restarts,
        args.seed,
        args.tol,
        args.max_iter
    );
    if args.no_svd {
        cmd += " --no-svd";
    }
    if let Some(blocks) = args.loadings {
        cmd += &format!(" --loadings {blocks}");
    }
    if let Some(out) = &args.out {
        cmd += &format!(" --out {}", out.display());
    }
    cmd
}

pub fn fit(args: &FitArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if let Some(path) = &args.out {
        output::check_model_out(path)?;
    }
    let net = args.file.network()?;
    let opts = fit_options(args);
    let (pool, _) = thread_pool(args.threads)?;
    let result = pool.install(|| fit_network(&net, &opts, &AtomicBool::new(false)))?;
    if let Some(path) = &args.out {
        let mut meta = result.model.meta().clone();
        meta.insert("source".into(), json!(args.file.file.display().to_string()));
        meta.insert("command".into(), json!(fit_command(args)));
        meta.insert(
            "created_by".into(),
            json!(format!(
                "lowrank-explorer {} fit",
                env!("CARGO_PKG_VERSION")
            )),
        );
        io::save_population_model(&result.model.clone().with_meta(meta), path)?;
    }
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&fit_json(&result))?)?;
    } else {
        print_fit(out, args, &result)?;
    }
    Ok(())
}

/// Exactly what `fit --json` prints.
pub fn fit_json(result: &NetworkFit) -> impl Serialize + use<> {
    FitJson {
        populations: result
            .model
            .populations()
            .iter()
            .zip(&result.report.populations)
            .map(|(p, f)| PopulationJson {
                weight: f.weight,
                count: f.count,
                cov: p
                    .cov
                    .row_iter()
                    .map(|r| r.iter().copied().collect())
                    .collect(),
            })
            .collect(),
        log_likelihood: result.report.log_likelihood,
        bic: result.report.bic,
    }
}

fn print_fit(out: &mut dyn Write, args: &FitArgs, result: &NetworkFit) -> Result<(), CliError> {
    let r = &result.report;
    writeln!(
        out,
        "zero-mean Gaussian mixture of the {} loadings of {} ({} neurons, {} axes): {} restarts, seed {}",
        r.loadings,
        args.file.file.display(),
        r.neurons,
        if r.svd { "SVD" } else { "own" },
        args.restarts,
        args.seed
    )?;
    if r.loadings != LoadingBlocks::ALL {
        writeln!(
            out,
            "(the log-likelihood and BIC are those of these loadings; the covariances of the \
             others come from each population's assignment)"
        )?;
    }
    if r.candidates.len() > 1 {
        writeln!(out, "{:>3} {:>16} {:>16}", "P", "log-likelihood", "BIC")?;
        for c in &r.candidates {
            let num = |v: Option<f64>| v.map_or("degenerate".into(), |v| format!("{v:.3}"));
            let mark = if c.components == r.populations.len() {
                "  <- lowest BIC"
            } else {
                ""
            };
            writeln!(
                out,
                "{:>3} {:>16} {:>16}{mark}",
                c.components,
                num(c.log_likelihood),
                num(c.bic)
            )?;
        }
    }
    let best = &r.restarts[r.best_restart];
    writeln!(
        out,
        "{} population(s): log-likelihood {:.3}, BIC {:.3} (restart {}, {} iterations{}{})",
        r.populations.len(),
        r.log_likelihood,
        r.bic,
        r.best_restart,
        best.iterations,
        if best.converged {
            ""
        } else {
            ", not converged"
        },
        if best.reseeds > 0 {
            format!(", {} re-seeds", best.reseeds)
        } else {
            String::new()
        }
    )?;
    let names = result.model.loading_names();
    for (pop, f) in result.model.populations().iter().zip(&r.populations) {
        writeln!(
            out,
            "\n{}: weight {:.4}, {} neurons; covariance:",
            pop.name, f.weight, f.count
        )?;
        write!(out, "{:>4}", "")?;
        for n in &names {
            write!(out, " {n:>9}")?;
        }
        writeln!(out)?;
        for (name, row) in names.iter().zip(pop.cov.row_iter()) {
            write!(out, "{name:>4}")?;
            for v in row.iter() {
                write!(out, " {v:>9.4}")?;
            }
            writeln!(out)?;
        }
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    if let Some(path) = &args.out {
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}

/// `--n` of `resample` within 1..=[`MAX_NEURONS`].
pub fn check_resample_size(n: usize) -> Result<(), CliError> {
    if n == 0 || n > MAX_NEURONS {
        return Err(CliError(format!(
            "--n must be between 1 and {MAX_NEURONS}, got {n}"
        )));
    }
    Ok(())
}

pub fn resample_cmd(args: &ResampleArgs, out: &mut dyn Write) -> Result<(), CliError> {
    check_resample_size(args.n)?;
    output::check_network_out(&args.out)?;
    let model = io::load_population_model(&args.model)?;
    let warnings = model.warnings();
    super::warn_all(&warnings);
    let net = resample_network(&model, args.n, args.seed)?;
    let sizes = resample::block_sizes(&resample::fractions(&model), args.n);
    let mut meta = resample_meta(args, &sizes);
    if !warnings.is_empty() {
        meta.insert("warnings".into(), json!(warnings));
    }
    let file = io::NetworkFile {
        network: net,
        meta: Some(meta),
    };
    output::save_network(&file, &args.out, args.precision)?;
    let blocks: Vec<String> = model
        .populations()
        .iter()
        .zip(&sizes)
        .map(|(p, s)| format!("{} {s}", p.name))
        .collect();
    writeln!(
        out,
        "drew {} neurons from {} (seed {}): {}",
        args.n,
        args.model.display(),
        args.seed,
        blocks.join(", ")
    )?;
    writeln!(out, "wrote {}", args.out.display())?;
    Ok(())
}

fn resample_meta(args: &ResampleArgs, sizes: &[usize]) -> io::Meta {
    let mut command = format!(
        "lowrank-explorer resample {} --n {} --seed {} --out {}",
        args.model.display(),
        args.n,
        args.seed,
        args.out.display()
    );
    if args.precision == PrecisionArg::F64 {
        command += " --precision f64";
    }
    let mut meta = io::Meta::new();
    meta.insert("command".into(), json!(command));
    meta.insert("source".into(), json!(args.model.display().to_string()));
    meta.insert("seed".into(), json!(args.seed));
    meta.insert("population_sizes".into(), json!(sizes));
    meta.insert(
        "created_by".into(),
        json!(format!(
            "lowrank-explorer {} resample",
            env!("CARGO_PKG_VERSION")
        )),
    );
    meta
}
