//! The records every stage shares: sources, items, fetch state.
//!
//! Nothing here does I/O or reads the clock; types only uphold their own
//! invariants (a `Schedule` always parses, an `ItemId` is always 32 hex digits).

mod article;
mod item;
mod schedule;
mod source;

pub use article::{Article, Link, Quote, QuoteKind};
pub use item::{EditorFields, FetchState, Item, ItemId, NewItem, ReviewState};
pub use schedule::{Schedule, ScheduleError};
pub use source::{PageSelectors, Source, SourceKind, TextFilter};
