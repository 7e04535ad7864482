//! The records every stage shares: sources, items, fetch state, digest issues.
//!
//! Nothing here does I/O or reads the clock; types only uphold their own
//! invariants (a `Schedule` always parses, an `ItemId` is always 32 hex digits).

mod access;
mod article;
mod canonical;
mod check;
mod issue;
mod item;
mod notify;
mod review;
mod schedule;
mod source;
mod watch;

pub use access::{ApiToken, Role, Scope};
pub use article::{Article, Extraction, Link, Quote, QuoteKind};
pub use canonical::{canonical_url, canonicalize};
pub use check::{CheckState, QuoteCheck};
pub use issue::{Correction, Issue, IssueSection, IssueState, Period};
pub use item::{
    AddedQuote, ArticleRetry, EditorFields, FetchState, Item, ItemId, MANUAL_SOURCE, NOTE_SOURCE, NewItem,
    QuoteOverride, ReviewState,
};
pub use notify::{Delivery, DeliveryState, SendState, Subscriber, SubscriberStatus, WebhookEvent};
pub use review::{AuditEntry, User};
pub use schedule::{Schedule, ScheduleError};
pub use source::{ExtractRules, FetchOverrides, PageSelectors, Source, SourceKind, TextFilter};
pub use watch::{MAX_WATCHES, Watch, WatchError, WatchList, WatchTarget, watch_id};
