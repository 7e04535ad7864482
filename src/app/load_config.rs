//! Reads `gleaner.toml` and the source list from disk and validates them.
