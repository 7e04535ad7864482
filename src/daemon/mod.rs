//! What `gleaner serve` runs besides the web server: the scheduler loop that
//! polls sources when due, the live config reloader, the scheduled publish,
//! signal handling and an orderly shutdown.
//!
//! A driver: it owns loops and timers, and builds nothing itself (every
//! long-lived part comes from [`crate::app`]).

pub mod reload;
pub mod scheduler;
