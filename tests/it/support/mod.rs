//! Shared test helpers: loopback servers, temp stores, the binary.
