//! The command-line shell: parses arguments (clap) and wires the core. No numerics live here.
//!
//! The command modules whose checks and `--json` reports the Python module (`python/`) shares are
//! public, so that a notebook gets the same numbers and the same error messages as the command.

pub mod analyze;
pub mod args;
mod finetune;
pub mod fit;
pub mod info;
pub mod output;
mod render;
mod signals;
pub mod simulate;
pub mod train;
pub mod two_parameter;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Explore, simulate and analyse low-rank recurrent neural networks.
///
/// Without a command, opens the phase-plane explorer on the built-in DMS example (or prints this
/// help when built without the `gui` feature).
#[derive(Debug, Parser)]
#[command(name = "lowrank-explorer", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Memory budget, e.g. 2G or 500M (default: half the memory available at start). Work that
    /// would need more (reading a file, simulating, drawing a network, a figure) is refused
    /// before it starts, with what to change.
    #[arg(long, global = true, value_name = "SIZE", value_parser = crate::budget::parse_size)]
    pub max_memory: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a network's dimensions, gains, overlaps n^T m / N and vector norms.
    Info(info::InfoArgs),
    /// Convert a network between formats (read: .pt, .npz, .safetensors, .json; written as --out's
    /// extension names).
    Convert(info::ConvertArgs),
    /// Run a task's canonical noise-free trials (see --task) and print outputs and latent trajectories.
    Simulate(simulate::SimulateArgs),
    /// Accuracy and loss on fresh noisy trials.
    Eval(simulate::EvalArgs),
    /// Train a low-rank network on a task by backpropagation through time (the papers' recipe)
    ///
    /// By default with the papers' recipe (their training scripts, MODEL.md 6); --print-config
    /// prints it in full:
    ///
    /// - dms: rank 2, N = 512, network noise 0.05, batch 32, a stage stops at epoch loss < 0.05;
    ///   delays up to 700 ms at lr 1e-2 with gradient clipping 0.01 (100 epochs), then 1000 ms at
    ///   lr 1e-3 with clipping 1 (50 epochs), then 4000 ms at lr 1e-4, no clipping, batch 128 (40).
    /// - decision: rank 1, N = 512, network noise 0.05, batch 32, lr 5e-3, no clipping, no early
    ///   stop, 20 epochs; initial wo ~ N(0, 4^2) and m, n ~ N(0, 1) independent (the published
    ///   LowRankRNN's own initialisation).
    /// - pwm: rank 2, N = 512, network noise 0.005, batch 32, delays up to 1000 ms, lr 1e-2,
    ///   clipping 1, stop at loss < 0.01, 100 epochs.
    /// - ctx: rank 1, N = 512, network noise 0.05, batch 32, lr 1e-2, clipping 0.1, stop at
    ///   loss < 0.01, 100 epochs; Adam on wi, m, n, so (si frozen); the published LowRankRNN's
    ///   initialisation as for decision.
    ///
    /// Every task: 1000 fresh trials per stage (800 training, 200 validation), Adam on m, n, si, so
    /// (wi, wo, h0 frozen; ctx: above), the epoch of lowest mean loss kept. The papers start DMS and PWM from
    /// the SVD of a briefly trained full-rank network; here instead from wi, wo ~ N(0, 1) (what
    /// that gives them) and m ~ N(0, 1), n = 2 m + N(0, 1), an overlap that gives the network a
    /// memory from the start (assets/networks/README.md).
    ///
    /// --recipe fast: this project's quicker settings (see --recipe).
    #[command(verbatim_doc_comment)]
    Train(train::TrainArgs),
    /// Phase plane of the reduced system: all fixed points (type, eigenvalues) and limit cycles.
    Analyze(analyze::AnalyzeArgs),
    /// Continue fixed points in one parameter: branches, stability, fold and Hopf points.
    Continue(analyze::ContinueArgs),
    /// Draw the phase plane of a network or population model to SVG or PNG (no window needed).
    Render(render::RenderArgs),
    /// Fit a zero-mean Gaussian mixture (cell populations) to a network's loadings (MODEL.md 5).
    Fit(fit::FitArgs),
    /// Draw a network of any size from a population model (MODEL.md 5).
    Resample(fit::ResampleArgs),
    /// Train a population model's covariances so that networks drawn from it solve the task.
    Finetune(finetune::FinetuneArgs),
    /// Open the phase-plane explorer, optionally on a network, a population model or a session.
    #[cfg(feature = "gui")]
    Gui(GuiArgs),
}

/// Arguments of `gui`.
#[cfg(feature = "gui")]
#[derive(Debug, clap::Args)]
pub struct GuiArgs {
    /// A network (.pt, .npz, .safetensors, .json), a population model (.json) or a saved session
    /// (.json).
    pub file: Option<PathBuf>,
    /// Start from the built-in example instead of restoring the last session.
    #[arg(long)]
    pub fresh: bool,
}

/// The task a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TaskName {
    /// Delayed match-to-sample (MODEL.md 6).
    Dms,
    /// Perceptual decision, 1 input (MODEL.md 6).
    Decision,
    /// Parametric working memory, 1 input (MODEL.md 6).
    Pwm,
    /// Context-dependent decision, 2 sensory and 2 context inputs (MODEL.md 6).
    Ctx,
}

/// An error a command reports to the user (already worded for them).
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::error::Error> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

/// Runs a parsed command line, writing its report to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<(), CliError> {
    if let Some(bytes) = cli.max_memory {
        crate::budget::set_limit(bytes);
    }
    match cli.command {
        #[cfg(feature = "gui")]
        None => gui(GuiArgs {
            file: None,
            fresh: false,
        }),
        #[cfg(not(feature = "gui"))]
        None => {
            use clap::CommandFactory;
            writeln!(out, "{}", Cli::command().render_help())?;
            Ok(())
        }
        #[cfg(feature = "gui")]
        Some(Command::Gui(args)) => gui(args),
        Some(Command::Info(args)) => info::info(&args, out),
        Some(Command::Convert(args)) => info::convert(&args, out),
        Some(Command::Simulate(args)) => simulate::simulate(&args, out),
        Some(Command::Eval(args)) => simulate::eval(&args, out),
        Some(Command::Train(args)) => train::train(&args, out),
        Some(Command::Analyze(args)) => analyze::analyze(&args, out),
        Some(Command::Continue(args)) => analyze::continue_param(&args, out),
        Some(Command::Render(args)) => render::render(&args, out),
        Some(Command::Fit(args)) => fit::fit(&args, out),
        Some(Command::Resample(args)) => fit::resample_cmd(&args, out),
        Some(Command::Finetune(args)) => finetune::finetune_cmd(&args, out),
    }
}

/// Says on stderr what a command adjusted in its input (the same lines go into its `--json`).
fn warn_all(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// Opens the explorer window (blocks until it is closed).
#[cfg(feature = "gui")]
fn gui(args: GuiArgs) -> Result<(), CliError> {
    crate::app::run(crate::app::StartOptions {
        file: args.file,
        fresh: args.fresh,
    })
    .map_err(CliError)
}

/// Exit status when the reader of standard output went away: 128 + SIGPIPE, what a shell reports
/// for a program that signal ended (`yes | head -1` in `bash`'s `PIPESTATUS`).
pub const BROKEN_PIPE_STATUS: u8 = 141;

/// Standard output as the commands write to it, remembering whether the reader went away.
///
/// The Rust runtime ignores SIGPIPE, so a write to a closed pipe (`lowrank-explorer info f | head
/// -3`) fails with [`std::io::ErrorKind::BrokenPipe`], and the command returns that error like any
/// other. [`main`] then ends quietly with [`BROKEN_PIPE_STATUS`] instead of reporting it: nobody is
/// reading, and stderr may be the same closed pipe (`2>&1 | head`), where `eprintln!` panics.
struct WatchedStdout<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> WatchedStdout<W> {
    fn watch<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            self.closed = true;
        }
        result
    }
}

impl<W: Write> Write for WatchedStdout<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.watch(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.watch(result)
    }
}

/// Entry point of the binary: parse, run, report errors on stderr with a non-zero exit code; a
/// closed standard output ends it quietly ([`WatchedStdout`]).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(CliError(e)) = signals::install() {
        let _ = writeln!(
            std::io::stderr(),
            "warning: {e}; a signal may leave temporary files behind"
        );
    }
    let mut out = WatchedStdout {
        inner: std::io::stdout().lock(),
        closed: false,
    };
    let result = run(cli, &mut out);
    let flushed = out.flush();
    if out.closed {
        return ExitCode::from(BROKEN_PIPE_STATUS);
    }
    let message = match (result, flushed) {
        (Ok(()), Ok(())) => return ExitCode::SUCCESS,
        (Err(CliError(message)), _) => message,
        (Ok(()), Err(e)) => format!("cannot write the output: {e}"),
    };
    // Never `eprintln!`: it panics when stderr is closed too.
    let _ = writeln!(std::io::stderr(), "error: {message}");
    ExitCode::FAILURE
}

/// Runs the CLI on an argument list (as the shell would split it) and returns what it printed.
/// Used by the integration tests, so they exercise the real argument parsing.
pub fn run_args<I, T>(args: I) -> Result<String, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_from(args).map_err(|e| CliError(e.to_string()))?;
    let mut out = Vec::new();
    run(cli, &mut out)?;
    String::from_utf8(out).map_err(|e| CliError(e.to_string()))
}

/// A file argument, shared by the commands that load a network.
#[derive(Debug, clap::Args)]
pub struct FileArg {
    /// A network: PyTorch state dict (.pt, zip or legacy layout), NumPy .npz, .safetensors, or the
    /// project's .json.
    pub file: PathBuf,
    #[command(flatten)]
    pub read: args::ReadArgs,
}

impl FileArg {
    /// The file as read with the options, its notes printed as warnings on stderr.
    pub fn open(&self) -> Result<crate::io::Opened, CliError> {
        let opened = crate::io::open_model(&self.file, &self.read.options())?;
        warn_all(&opened.notes);
        Ok(opened)
    }

    /// The low-rank network of the file ([`FileArg::open`]).
    pub fn network_file(&self) -> Result<crate::io::NetworkFile, CliError> {
        Ok(self.open()?.into_network(&self.file)?.file)
    }

    /// [`FileArg::network_file`]'s network.
    pub fn network(&self) -> Result<crate::network::Network, CliError> {
        Ok(self.network_file()?.network)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// clap's own consistency check of every command (a flag flattened twice into one command,
    /// such as a shared `--populations`, panics at run time otherwise).
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// `--preset`'s help names every preset and example (its list is written by hand).
    #[test]
    fn the_preset_help_names_every_preset() {
        let analyze = Cli::command();
        let analyze = analyze.find_subcommand("analyze").expect("analyze");
        let preset = analyze
            .get_arguments()
            .find(|a| a.get_id() == "preset")
            .expect("--preset");
        let help = preset.get_help().expect("help").to_string();
        let ids = crate::reduced::presets::ids().chain(crate::examples::ALL.iter().map(|e| e.id));
        for id in ids {
            assert!(
                help.contains(id),
                "--preset's help does not name {id}: {help}"
            );
        }
    }
}
