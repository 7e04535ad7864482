//! The `gleaner` binary: everything happens in `gleaner::cli`.

fn main() -> std::process::ExitCode {
    gleaner::cli::main()
}
