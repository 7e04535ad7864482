//! The one integration-test binary: one module per area, so linking stays cheap.

mod support;

mod admin_page;
mod api;
mod architecture;
mod browser;
mod browser_publish;
mod cli;
mod config;
mod content;
mod corrections;
mod digest_script;
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
mod search;
mod source_rules;
mod speakers;
mod store;
mod stories;
mod tags;
mod ui;
mod ui_quotes;
mod verify;
mod web;
mod web_hostile;
mod webhooks;
