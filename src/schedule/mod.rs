//! Scheduling: when each source is polled next (`policy`, pure) and the tokio
//! loop that polls them (`runner`).

pub mod policy;
pub mod runner;
