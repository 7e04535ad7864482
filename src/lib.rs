//! Gleaner: collect news sources, extract articles with their quotations and
//! links, let editors review them, and publish a numbered digest.
//!
//! Layers, lowest first (a module imports only from lower layers; the
//! architecture test in `tests/it/architecture.rs` enforces it):
//! `model` → pure core (`config`, `parse`, `sanitize`, `schedule::policy`, `opml`) →
//! adapters (`fetch`, `store`) → use-cases (`ingest`, `app`, `backup`) → drivers
//! (`schedule::runner`) → entry (`cli`, `main`).

pub mod app;
pub mod backup;
pub mod cli;
pub mod config;
pub mod editorial;
pub mod eval;
pub mod eval_extract;
pub mod eval_quotes;
pub mod extract;
pub mod fetch;
pub mod ingest;
pub mod model;
pub mod opml;
pub mod parse;
pub mod publish;
pub mod reload;
pub mod review;
pub mod sanitize;
pub mod schedule;
pub mod store;
pub mod web;
