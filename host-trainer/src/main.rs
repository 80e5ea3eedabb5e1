//! The `compnet` command: see `compnet --help`.

fn main() -> std::process::ExitCode {
    compnet_trainer::cli::main()
}
