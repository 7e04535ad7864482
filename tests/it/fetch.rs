//! Integration tests: fetch.
