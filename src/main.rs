//! The `gleaner` binary: everything happens in `gleaner::cli`.

/// mimalloc instead of glibc malloc: parsing, sanitizing and JSON encoding
/// allocate many small strings, and glibc's allocator took 15-20% of the CPU
/// of an ingest poll (see `benches/ingest.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gleaner::cli::main()
}
