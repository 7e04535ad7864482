//! HTML sanitizing for everything that came from outside.
