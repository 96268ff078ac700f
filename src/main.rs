use std::process::ExitCode;

fn main() -> ExitCode {
    lowrank_explorer::cli::main()
}
