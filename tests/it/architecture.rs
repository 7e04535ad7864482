//! Integration tests: architecture.
