//! Evaluation over public corpora and our own gold sets, used by path and
//! never bundled: feed conformance (`feeds`), main-text extraction
//! (`articles` on news pages, `wcxb` on pages of
//! seven types) quotations (`quotes`) and near-duplicate
//! stories (`stories`, our own test set). `gleaner eval …` runs them.
//!
//! Use-cases: they read corpus files and call the pure parsers and extractors;
//! they must not touch the store or the network.

pub mod articles;
pub mod feeds;
pub mod quotes;
pub mod stories;
pub mod wcxb;
