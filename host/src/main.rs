//! The `sidecoach` binary: a thin wrapper over [`sidecoach::cli`].

fn main() -> std::process::ExitCode {
    sidecoach::cli::main()
}
