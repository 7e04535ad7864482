//! Editors' watchlists (issue 16.5): what one editor follows (a speaker or a
//! search query) and when they last opened the queue's "Followed" tab.
//!
//! One record per editor, so adding, removing and marking seen are one
//! compare-and-swap of that record, and a watch's id is unique across
//! editors (it hashes the editor with what is followed). The rules that
//! keep a list sane (how many, how long, no duplicates) are here; what a
//! watch matches is `editorial::watchlist`'s business.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Watches one editor may keep: a short list to glance at, not a feed reader.
pub const MAX_WATCHES: usize = 100;
/// Longest followed query (the search syntax's own bound).
pub const MAX_WATCH_QUERY_CHARS: usize = 1_000;

/// What a watch follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WatchTarget {
    /// A speaker by id (`speakers::speaker_id`); editors' merges are followed
    /// when matching, so a watch on a name merged away still finds the person.
    Speaker { id: String },
    /// A query in the search syntax (`search::query`).
    Query { query: String },
}

impl WatchTarget {
    /// How it reads in a list: `speaker bob-banker`, `query "…"`.
    pub fn describe(&self) -> String {
        match self {
            Self::Speaker { id } => format!("speaker {id}"),
            Self::Query { query } => format!("query {query:?}"),
        }
    }
}

/// One followed speaker or query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    /// 12 hex digits of a hash of the editor and the target.
    pub id: String,
    pub target: WatchTarget,
    pub created_at: DateTime<Utc>,
    /// The `name` of the `[[webhook]]` told of each new matching item
    /// (event `quote.followed`, queued by the poll that stores the item),
    /// besides the Followed tab. An unknown name reaches nobody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<String>,
}

/// An editor's watches and the time they last looked at the matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchList {
    pub editor: String,
    /// In the order they were added.
    #[serde(default)]
    pub watches: Vec<Watch>,
    /// When the editor last opened the Followed tab; matches first seen
    /// after it are unseen. `None`: never opened (everything is unseen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<DateTime<Utc>>,
}

/// Why a watch could not be added or removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    /// The speaker id or query is empty or too long; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The list is full.
    #[error("at most {MAX_WATCHES} watches per editor; unfollow one first")]
    Full,
    /// No watch with this id in the list.
    #[error("no watch {0}")]
    Unknown(String),
}

/// The id of `target` followed by `editor`.
pub fn watch_id(editor: &str, target: &WatchTarget) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(editor.as_bytes());
    hasher.update(&[0]);
    match target {
        WatchTarget::Speaker { id } => hasher.update(b"speaker\0").update(id.as_bytes()),
        WatchTarget::Query { query } => hasher.update(b"query\0").update(query.as_bytes()),
    };
    hasher.finalize().to_hex()[..12].to_owned()
}

impl WatchList {
    pub fn new(editor: &str) -> Self {
        Self { editor: editor.to_owned(), watches: Vec::new(), seen_at: None }
    }

    /// Adds a watch on `target` (trimmed); following the same thing twice
    /// returns the existing watch and changes nothing.
    pub fn follow(
        &mut self,
        target: WatchTarget,
        notify: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Watch, WatchError> {
        let target = match target {
            WatchTarget::Speaker { id } => {
                let id = id.trim().to_owned();
                if id.is_empty() || id.chars().count() > 200 || id.contains('/') {
                    return Err(WatchError::Invalid("a speaker id is 1 to 200 characters, without `/`".to_owned()));
                }
                WatchTarget::Speaker { id }
            }
            WatchTarget::Query { query } => {
                let query = query.trim().to_owned();
                if query.is_empty() || query.chars().count() > MAX_WATCH_QUERY_CHARS {
                    return Err(WatchError::Invalid(format!(
                        "a followed query is 1 to {MAX_WATCH_QUERY_CHARS} characters"
                    )));
                }
                WatchTarget::Query { query }
            }
        };
        let id = watch_id(&self.editor, &target);
        if let Some(existing) = self.watches.iter().find(|w| w.id == id) {
            return Ok(existing.clone());
        }
        if self.watches.len() >= MAX_WATCHES {
            return Err(WatchError::Full);
        }
        let notify = notify.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let watch = Watch { id, target, created_at: now, notify };
        self.watches.push(watch.clone());
        Ok(watch)
    }

    /// Removes the watch `id` and returns it.
    pub fn unfollow(&mut self, id: &str) -> Result<Watch, WatchError> {
        let at =
            self.watches.iter().position(|w| w.id == id.trim()).ok_or_else(|| WatchError::Unknown(id.to_owned()))?;
        Ok(self.watches.remove(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::UNIX_EPOCH
    }

    #[test]
    fn following_twice_is_one_watch_and_ids_differ_by_editor_and_target() {
        let mut ann = WatchList::new("ann");
        let first = ann.follow(WatchTarget::Speaker { id: "bob-banker".into() }, None, now()).expect("follow");
        let again = ann.follow(WatchTarget::Speaker { id: " bob-banker ".into() }, None, now()).expect("again");
        assert_eq!(first, again);
        assert_eq!(ann.watches.len(), 1);
        let query = ann.follow(WatchTarget::Query { query: "bob-banker".into() }, None, now()).expect("query");
        assert_ne!(query.id, first.id, "a query and a speaker with the same text are two watches");
        let mut cy = WatchList::new("cy");
        let theirs = cy.follow(WatchTarget::Speaker { id: "bob-banker".into() }, None, now()).expect("cy");
        assert_ne!(theirs.id, first.id, "ids are unique across editors");
        assert_eq!(first.id.len(), 12);
    }

    #[test]
    fn unfollow_removes_only_the_named_watch() {
        let mut list = WatchList::new("ann");
        let a = list.follow(WatchTarget::Query { query: "asylum".into() }, Some("hook".into()), now()).expect("a");
        let b = list.follow(WatchTarget::Query { query: "rajavi".into() }, None, now()).expect("b");
        assert_eq!(a.notify.as_deref(), Some("hook"));
        assert_eq!(list.unfollow(&a.id).expect("removed"), a);
        assert_eq!(list.unfollow(&a.id), Err(WatchError::Unknown(a.id.clone())));
        assert_eq!(list.watches, vec![b]);
    }

    #[test]
    fn empty_long_and_too_many_watches_are_refused() {
        let mut list = WatchList::new("ann");
        assert!(matches!(
            list.follow(WatchTarget::Query { query: "  ".into() }, None, now()),
            Err(WatchError::Invalid(_))
        ));
        let long = "x".repeat(MAX_WATCH_QUERY_CHARS + 1);
        assert!(matches!(list.follow(WatchTarget::Query { query: long }, None, now()), Err(WatchError::Invalid(_))));
        assert!(matches!(
            list.follow(WatchTarget::Speaker { id: "a/b".into() }, None, now()),
            Err(WatchError::Invalid(_))
        ));
        for n in 0..MAX_WATCHES {
            list.follow(WatchTarget::Query { query: format!("q{n}") }, None, now()).expect("room");
        }
        assert_eq!(list.follow(WatchTarget::Query { query: "one more".into() }, None, now()), Err(WatchError::Full));
    }

    #[test]
    fn a_list_round_trips_through_json_with_its_target_kind() {
        let mut list = WatchList::new("ann");
        list.follow(WatchTarget::Speaker { id: "bob".into() }, None, now()).expect("follow");
        list.seen_at = Some(now());
        let json = serde_json::to_string(&list).expect("encode");
        assert!(json.contains(r#""kind":"speaker""#), "{json}");
        assert_eq!(serde_json::from_str::<WatchList>(&json).expect("decode"), list);
    }
}
