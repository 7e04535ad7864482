//! Key codecs: pure functions with round-trip tests.
