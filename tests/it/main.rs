//! The one integration-test binary: one module per area, so linking stays cheap.

mod support;

mod architecture;
mod browser;
mod cli;
mod config;
mod content;
mod extract;
mod fetch;
mod hostile;
mod ingest;
mod mail;
mod metrics;
mod ops;
mod parse;
mod publish;
mod quotes;
mod reload;
mod review;
mod store;
mod ui;
mod web;
mod web_hostile;
mod webhooks;
