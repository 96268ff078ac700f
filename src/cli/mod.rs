//! The command-line shell: parses arguments (clap) and wires the core. No numerics live here.

mod analyze;
mod args;
mod finetune;
mod fit;
mod info;
mod render;
mod signals;
mod simulate;
mod train;

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
    /// Convert a network (.pt, .npz or .json) to the project's JSON format.
    Convert(info::ConvertArgs),
    /// Run the four canonical noise-free trials of a task and print outputs and latent trajectories.
    Simulate(simulate::SimulateArgs),
    /// Accuracy and loss on fresh noisy trials.
    Eval(simulate::EvalArgs),
    /// Train a low-rank network on a task by backpropagation through time (the papers' recipe).
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
    /// A network (.pt, .npz, .json), a population model (.json) or a saved session (.json).
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

/// Entry point of the binary: parse, run, report errors on stderr with a non-zero exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(CliError(e)) = signals::install() {
        eprintln!("warning: {e}; a signal may leave temporary files behind");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(cli, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError(message)) => {
            let _ = out.flush();
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
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
    /// A network: PyTorch state dict (.pt, zip or legacy layout), NumPy .npz, or the project's .json.
    pub file: PathBuf,
}
