//! The `vappoint` command: runs a station, and manages its officers from the shell.

fn main() -> std::process::ExitCode {
    vappoint::cli::main()
}
