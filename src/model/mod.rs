//! The records every stage shares: sources, items, fetch state, digest issues.
//!
//! Nothing here does I/O or reads the clock; types only uphold their own
//! invariants (a `Schedule` always parses, an `ItemId` is always 32 hex digits).

mod article;
mod canonical;
mod issue;
mod item;
mod notify;
mod review;
mod schedule;
mod source;

pub use article::{Article, Extraction, Link, Quote, QuoteKind};
pub use canonical::{canonical_url, canonicalize};
pub use issue::{Issue, IssueSection, IssueState, Period};
pub use item::{ArticleRetry, EditorFields, FetchState, Item, ItemId, NewItem, QuoteOverride, ReviewState};
pub use notify::{Delivery, DeliveryState, SendState, Subscriber, SubscriberStatus, WebhookEvent};
pub use review::{AuditEntry, User};
pub use schedule::{Schedule, ScheduleError};
pub use source::{PageSelectors, Source, SourceKind, TextFilter};
