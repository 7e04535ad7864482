//! Evaluation over public corpora (by path, never bundled): feed conformance.
