//! Command line: parses arguments, runs a use-case, prints, picks the exit code.
