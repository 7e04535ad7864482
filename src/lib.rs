//! Gleaner: collect news sources, extract articles with their quotations and
//! links, let editors review them, and publish a numbered digest.
//!
//! Where each part lives, and what it may import: `ARCHITECTURE.md` at the
//! root (its table is what the architecture test enforces).

/// jemalloc instead of the system allocator, set here so the binary, the
/// benchmarks and the tests all run on the allocator that ships. sled clones
/// a tree node on every write, and under glibc's malloc a quarter of a cold
/// poll's CPU went to `malloc`/`free` and arena consolidation; jemalloc cut
/// the 2,000-feed poll by about a fifth at the same peak RSS (mimalloc was
/// as fast but peaked 40–90 MiB higher). Figures: `cargo bench --bench ingest`.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub mod app;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod editorial;
pub mod eval;
pub mod extract;
pub mod fetch;
pub mod ingest;
pub mod mail;
pub mod model;
pub mod notify;
pub mod parse;
pub mod publish;
pub mod sanitize;
pub mod schedule;
pub mod search;
pub mod speakers;
pub mod store;
pub mod story;
pub mod verify;
pub mod web;
