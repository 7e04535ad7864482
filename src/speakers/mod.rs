//! Who was quoted (issue 16.2): speaker identities and counts, pure. The
//! use-case that reads the store and the index is `editorial/speakers.rs`.

pub mod tally;

pub use self::tally::{Sighting, SpeakerSummary, speaker_id, tally};
