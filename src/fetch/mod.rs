//! HTTP and file fetching: polite, capped, conditional.
