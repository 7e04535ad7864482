//! The one integration-test binary: one module per area, so linking stays cheap.

mod support;

mod architecture;
mod cli;
mod config;
mod extract;
mod fetch;
mod ingest;
mod parse;
mod publish;
mod quotes;
mod store;
mod web;
