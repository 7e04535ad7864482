//! Shared test helpers: loopback servers, temp stores, the binary.
//!
//! - [`http`]: a scripted HTTP/1.1 server on 127.0.0.1 (`TestServer`, `Reply`).
//! - [`items`]: feed entries and quotes for the editorial tests.

pub mod http;
pub mod items;
