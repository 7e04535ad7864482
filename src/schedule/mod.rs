//! Scheduling: pure timing policy and the tokio runner.
