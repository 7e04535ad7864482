//! The sled implementation of [`super::Store`]: the only file that imports sled.
