//! Who was quoted (issue 16.2) and where their words went (16.3): speaker
//! identities, editors' merges and splits, counts and quote provenance,
//! pure. The use-cases that read the store and the index are
//! `editorial/speakers.rs` and `editorial/quotes.rs`.

pub mod aliases;
pub mod provenance;
pub mod tally;

pub use self::aliases::{SpeakerEdit, SpeakerEditError, SpeakerMap, speaker_id};
pub use self::provenance::{Change, Known, Occurrence, QuoteRecord, QuoteSighting, QuoteSummary, Reread, Spot};
pub use self::tally::{Sighting, SpeakerSummary, tally};
