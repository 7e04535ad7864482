//! Feed and page parsing: bytes in, normalized items out. Pure.
