//! One poll of a source: fetch, parse, normalize, store.
