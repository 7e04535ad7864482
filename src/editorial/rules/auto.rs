//! Rules that act on items as they arrive (issue 16.5): each `[[rule]]` of
//! the config is a search query (the syntax of `gleaner search`) and actions:
//! add tags, shortlist or reject, put in a section, notify a webhook. Miniflux's
//! and `FreshRSS`'s filter rules and Tiny Tiny RSS's filters are the models:
//! a match condition plus actions, applied once to each new entry, in order.
//!
//! Given an item (as search sees it) and the rules, [`decide`] says what each
//! matching rule would do, and why a step is skipped:
//! - an item an editor already touched keeps the editor's state and section
//!   (a rule never overrides a person; tags and notifications still apply);
//! - the first rule (in config order) that sets the state, or the section,
//!   wins; later ones are skipped and say which rule won;
//! - a state change the workflow refuses ([`super::transition`]) is skipped
//!   with the reason; so is anything that would change nothing.
//!
//! Pure: no store, no I/O, no clock. Ingest applies the steps (and writes an
//! audit entry per step by [`actor`]); `gleaner preview` prints them.

use std::collections::HashMap;

use crate::model::{Item, ReviewState};
use crate::search::eval::{Prepared, matches_prepared};
use crate::search::query::SearchQuery;

use super::{Action, MAX_TAGS, transition};

/// The audit trail's actor prefix for what a rule did: `rule:NAME`.
pub const ACTOR_PREFIX: &str = "rule:";

/// Longest rule name, in characters (it is part of every audit entry).
pub const MAX_RULE_NAME_CHARS: usize = 40;

/// One validated `[[rule]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Letters, digits, `-` and `_`; unique in the config.
    pub name: String,
    /// The query as written, for messages and `gleaner preview`.
    pub query_text: String,
    pub query: SearchQuery,
    /// Tags to add, cleaned ([`super::clean_tag`]).
    pub tags: Vec<String>,
    /// [`Action::Shortlist`] or [`Action::Reject`].
    pub state: Option<Action>,
    pub section: Option<String>,
    /// Names of `[[webhook]]` targets to notify.
    pub notify: Vec<String>,
}

impl Rule {
    /// The actor of the audit entries this rule writes.
    pub fn actor(&self) -> String {
        actor(&self.name)
    }
}

/// `rule:NAME`.
pub fn actor(name: &str) -> String {
    format!("{ACTOR_PREFIX}{name}")
}

/// Whether an audit entry's actor is a rule (not a person).
pub fn is_rule_actor(actor: &str) -> bool {
    actor.starts_with(ACTOR_PREFIX)
}

/// What one step of one rule changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Tags to add (only those the item does not carry yet, once applied).
    Tag(Vec<String>),
    State {
        action: Action,
        from: ReviewState,
        to: ReviewState,
    },
    Section(String),
    /// A notification to this webhook target.
    Notify(String),
}

impl Change {
    /// The audit trail's action for it (the verbs editors' changes use).
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Tag(_) => "tag",
            Self::State { action, .. } => action.as_str(),
            Self::Section(_) => "edit",
            Self::Notify(_) => "notify",
        }
    }

    /// The audit entry's detail, in the form editors' changes use.
    pub fn detail(&self) -> String {
        match self {
            Self::Tag(tags) => tags.iter().map(|t| format!("+{t}")).collect::<Vec<_>>().join(", "),
            Self::State { from, to, .. } => format!("{from} → {to}"),
            Self::Section(name) => format!("section: {name}"),
            Self::Notify(target) => format!("webhook {target}"),
        }
    }
}

/// Why a step is not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// An editor already acted on the item: their state and section stand.
    EditorDecided,
    /// An earlier rule (named) already set this.
    EarlierRule(String),
    /// The workflow refuses the change from the item's state.
    Refused(String),
    /// The item is already so.
    NoChange,
    /// The item would carry more than [`MAX_TAGS`] tags.
    TooManyTags,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EditorDecided => f.write_str("an editor already decided"),
            Self::EarlierRule(name) => write!(f, "rule {name} came first"),
            Self::Refused(reason) => f.write_str(reason),
            Self::NoChange => f.write_str("already so"),
            Self::TooManyTags => write!(f, "more than {MAX_TAGS} tags"),
        }
    }
}

/// One step a matching rule takes (or would take, when `skipped`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub rule: String,
    pub change: Change,
    pub skipped: Option<Skip>,
}

/// The item as the rules see it, besides its searchable text.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub item: &'a Item,
    /// Whether anyone but a rule has an entry in the item's audit trail.
    pub touched_by_editor: bool,
}

/// The rules whose query matches, in config order. `sections` maps a source
/// id to its configured section (for `section:` in queries).
pub fn matching<'r, S: std::hash::BuildHasher>(
    rules: &'r [Rule],
    prepared: &Prepared<'_>,
    sections: &HashMap<String, String, S>,
) -> Vec<&'r Rule> {
    rules.iter().filter(|rule| matches_prepared(&rule.query, prepared, sections)).collect()
}

/// Every step of every matching rule, in order: per rule, its tags, state,
/// section, then notifications. See the module docs for what is skipped.
pub fn decide<S: std::hash::BuildHasher>(
    rules: &[Rule],
    subject: Subject<'_>,
    prepared: &Prepared<'_>,
    sections: &HashMap<String, String, S>,
) -> Vec<Step> {
    let item = subject.item;
    let mut tags = item.editor.tags.clone();
    let mut state = item.state;
    let mut state_by: Option<&str> = None;
    let mut section_by: Option<&str> = None;
    let mut steps = Vec::new();
    for rule in matching(rules, prepared, sections) {
        let step = |change: Change, skipped: Option<Skip>| Step { rule: rule.name.clone(), change, skipped };
        if !rule.tags.is_empty() {
            let new: Vec<String> = rule.tags.iter().filter(|t| !tags.contains(t)).cloned().collect();
            let skipped = if new.is_empty() {
                Some(Skip::NoChange)
            } else if tags.len() + new.len() > MAX_TAGS {
                Some(Skip::TooManyTags)
            } else {
                tags.extend(new.iter().cloned());
                None
            };
            let shown = if new.is_empty() { rule.tags.clone() } else { new };
            steps.push(step(Change::Tag(shown), skipped));
        }
        if let Some(action) = rule.state {
            let target = action.target();
            let (to, skipped) = if subject.touched_by_editor {
                (target, Some(Skip::EditorDecided))
            } else if let Some(first) = state_by {
                (target, Some(Skip::EarlierRule(first.to_owned())))
            } else {
                match transition(state, action) {
                    Ok(to) => (to, None),
                    Err(_) if state == target => (target, Some(Skip::NoChange)),
                    Err(refused) => (target, Some(Skip::Refused(refused.to_string()))),
                }
            };
            steps.push(step(Change::State { action, from: state, to }, skipped.clone()));
            if skipped.is_none() {
                state = to;
                state_by = Some(&rule.name);
            }
        }
        if let Some(section) = &rule.section {
            let current = item.editor.section.as_deref().map(str::trim).filter(|s| !s.is_empty());
            let skipped = if subject.touched_by_editor || current.is_some_and(|c| c != section) {
                Some(Skip::EditorDecided)
            } else if let Some(first) = section_by {
                Some(Skip::EarlierRule(first.to_owned()))
            } else if current == Some(section.as_str()) {
                Some(Skip::NoChange)
            } else {
                section_by = Some(&rule.name);
                None
            };
            steps.push(step(Change::Section(section.clone()), skipped));
        }
        for target in &rule.notify {
            steps.push(step(Change::Notify(target.clone()), None));
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;
    use crate::model::NewItem;
    use crate::search::SearchDoc;
    use crate::search::query::parse;

    fn item(title: &str) -> Item {
        let at = Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).single().expect("valid");
        let new = NewItem {
            source_id: "wire".to_owned(),
            guid: Some(title.to_owned()),
            url: None,
            title: title.to_owned(),
            authors: Vec::new(),
            published: at,
            published_is_fetch_time: false,
            updated: None,
            summary: String::new(),
            content: String::new(),
            language: Some("fr".to_owned()),
            fetched_at: at,
        };
        Item::first_sighting(new.id(), new.content_hash(), &new)
    }

    fn rule(name: &str, query: &str) -> Rule {
        Rule {
            name: name.to_owned(),
            query_text: query.to_owned(),
            query: parse(query),
            tags: Vec::new(),
            state: None,
            section: None,
            notify: Vec::new(),
        }
    }

    fn run(rules: &[Rule], item: &Item, touched: bool) -> Vec<Step> {
        let doc = SearchDoc::new(item, &[]);
        let sections = HashMap::from([("wire".to_owned(), "World".to_owned())]);
        decide(rules, Subject { item, touched_by_editor: touched }, &Prepared::new(&doc), &sections)
    }

    fn applied(steps: &[Step]) -> Vec<(String, Change)> {
        steps.iter().filter(|s| s.skipped.is_none()).map(|s| (s.rule.clone(), s.change.clone())).collect()
    }

    #[test]
    fn a_matching_rule_tags_shortlists_sets_the_section_and_notifies_in_order() {
        let mut oil = rule("oil", "oil -sport section:world");
        oil.tags = vec!["energy".to_owned(), "oil".to_owned()];
        oil.state = Some(Action::Shortlist);
        oil.section = Some("Economy".to_owned());
        oil.notify = vec!["desk".to_owned()];
        let item = item("Oil prices rise at the Élysée");
        assert_eq!(
            applied(&run(&[oil.clone(), rule("none", "football")], &item, false)),
            vec![
                ("oil".to_owned(), Change::Tag(vec!["energy".to_owned(), "oil".to_owned()])),
                (
                    "oil".to_owned(),
                    Change::State { action: Action::Shortlist, from: ReviewState::New, to: ReviewState::Shortlisted }
                ),
                ("oil".to_owned(), Change::Section("Economy".to_owned())),
                ("oil".to_owned(), Change::Notify("desk".to_owned())),
            ]
        );
        assert!(run(&[oil], &self::item("Football results"), false).is_empty(), "no match, no steps");
    }

    #[test]
    fn accents_fold_in_rule_queries() {
        let mut elysee = rule("elysee", "elysee");
        elysee.tags = vec!["paris".to_owned()];
        assert_eq!(applied(&run(&[elysee], &item("Réunion à l'Élysée"), false)).len(), 1);
    }

    #[test]
    fn an_editors_decision_stands_but_tags_and_notifications_apply() {
        let mut reject = rule("reject", "oil");
        reject.state = Some(Action::Reject);
        reject.section = Some("Economy".to_owned());
        reject.tags = vec!["oil".to_owned()];
        reject.notify = vec!["desk".to_owned()];
        let mut item = item("Oil");
        item.state = ReviewState::Approved;
        let steps = run(&[reject], &item, true);
        let skipped: Vec<_> = steps.iter().filter_map(|s| s.skipped.clone()).collect();
        assert_eq!(skipped, vec![Skip::EditorDecided, Skip::EditorDecided]);
        assert_eq!(applied(&steps).len(), 2, "tag and notify: {steps:?}");
    }

    #[test]
    fn the_first_rule_to_set_state_or_section_wins() {
        let mut first = rule("first", "oil");
        first.state = Some(Action::Reject);
        first.section = Some("A".to_owned());
        let mut second = rule("second", "oil");
        second.state = Some(Action::Shortlist);
        second.section = Some("B".to_owned());
        second.tags = vec!["oil".to_owned()];
        let steps = run(&[first, second], &item("Oil"), false);
        let second: Vec<_> = steps.iter().filter(|s| s.rule == "second").collect();
        assert_eq!(second[0].skipped, None, "its tag still applies");
        assert_eq!(second[1].skipped, Some(Skip::EarlierRule("first".to_owned())));
        assert_eq!(second[2].skipped, Some(Skip::EarlierRule("first".to_owned())));
    }

    #[test]
    fn refused_and_idle_changes_are_skipped_with_the_reason() {
        let mut shortlist = rule("s", "oil");
        shortlist.state = Some(Action::Shortlist);
        shortlist.tags = vec!["oil".to_owned()];
        let mut item = item("Oil");
        item.state = ReviewState::Rejected;
        item.editor.tags = vec!["oil".to_owned()];
        let steps = run(&[shortlist.clone()], &item, false);
        assert_eq!(steps[0].skipped, Some(Skip::NoChange));
        assert!(matches!(&steps[1].skipped, Some(Skip::Refused(why)) if why.contains("reset it to new first")));
        item.state = ReviewState::Shortlisted;
        assert_eq!(run(&[shortlist], &item, false)[1].skipped, Some(Skip::NoChange));
    }

    #[test]
    fn tags_past_the_cap_are_skipped() {
        let mut many = rule("many", "oil");
        many.tags = (0..=MAX_TAGS).map(|n| format!("t{n}")).collect();
        assert_eq!(run(&[many], &item("Oil"), false)[0].skipped, Some(Skip::TooManyTags));
    }

    #[test]
    fn actors_name_the_rule() {
        assert_eq!(rule("oil-desk", "oil").actor(), "rule:oil-desk");
        assert!(is_rule_actor("rule:oil-desk"));
        assert!(!is_rule_actor("alice"));
    }

    proptest! {
        #[test]
        fn any_query_on_any_title_decides_without_panicking(query in "\\PC{0,120}", title in "\\PC{0,80}") {
            let mut any = rule("any", &query);
            any.tags = vec!["x".to_owned()];
            any.state = Some(Action::Reject);
            any.section = Some("S".to_owned());
            let steps = run(&[any], &item(&title), false);
            prop_assert!(steps.len() <= 3);
        }
    }
}
