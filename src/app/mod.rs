//! Composition root: loads config, opens the store, builds the fetcher.

mod load_config;
