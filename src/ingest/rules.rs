//! `[[rule]]` tables applied at ingest (issue 16.5), and `gleaner preview`'s
//! dry run of them over stored items.
//!
//! Each item a poll stores for the first time goes through the rules once,
//! at the end of that poll (after its extraction, so quotes and speakers
//! count; before the search index and queue hear of it, so they see the
//! result). What to do is decided by the pure `editorial::rules::decide`;
//! here each step is written like an editor's change (one audit entry per
//! step, actor `rule:NAME`, the state change checked by the workflow), and
//! notifications are queued through `notify::Webhooks::notify`.
//!
//! Once only: a refetch is not a first sighting, and an item whose trail
//! already holds a rule's entry is left alone. Editors first: an item
//! anyone else already touched keeps its state and section, and a write
//! that finds the item changed since it was read (an editor acting during
//! the poll) stops the rules for that item. Rules do not run on items an
//! editor adds by hand (`add URL`): that is already a person's decision.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::Ingest;
use crate::editorial::rules::{self as workflow, Change, Rule, Subject, is_rule_actor};
use crate::model::{AuditEntry, Item, ItemId, WebhookEvent};
use crate::notify::{Notification, Recipients, Webhooks, item_data};
use crate::search::SearchDoc;
use crate::search::eval::Prepared;
use crate::store::{ItemQuery, Store, StoreError};

/// The rules in force and what they need to run.
#[derive(Clone, Default)]
pub(super) struct RuleSet {
    rules: Arc<Vec<Rule>>,
    /// Source id → configured section, for `section:` in rule queries.
    sections: Arc<HashMap<String, String>>,
    notifier: Option<Arc<Webhooks>>,
}

impl RuleSet {
    fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// What the rules would do to one stored item (`gleaner preview`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RulePreview {
    pub id: String,
    pub source: String,
    pub title: String,
    pub state: String,
    pub steps: Vec<PreviewStep>,
}

/// One step of one rule, as `gleaner preview --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewStep {
    pub rule: String,
    /// The audit verb: `tag`, `shortlist`, `reject`, `edit` (section), `notify`.
    pub action: String,
    pub detail: String,
    /// Why it would not be applied, if it would not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// What applying the rules to a poll's new items did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesApplied {
    /// Audit entries written (tags, states, sections, notifications).
    pub steps: usize,
    /// Webhook deliveries queued.
    pub notifications: usize,
}

impl Ingest {
    /// Applies `rules` to every item a poll stores for the first time;
    /// `sections` maps source ids to their configured sections.
    #[must_use]
    pub fn with_rules(mut self, rules: Vec<Rule>, sections: HashMap<String, String>) -> Self {
        self.rules.rules = Arc::new(rules);
        self.rules.sections = Arc::new(sections);
        self
    }

    /// Where rules' `notify` actions are queued.
    #[must_use]
    pub fn with_notifier(mut self, webhooks: Arc<Webhooks>) -> Self {
        self.rules.notifier = Some(webhooks);
        self
    }

    /// The rules over `ids` (a poll's new items), on the blocking pool: a
    /// handful of store reads and writes per item. A failure is logged and
    /// never fails the poll: the items are stored, and an editor can still
    /// do by hand what a rule would have done.
    pub(super) async fn apply_rules(&self, ids: Vec<ItemId>, now: DateTime<Utc>) {
        if (self.rules.is_empty() && self.rules.notifier.is_none()) || ids.is_empty() {
            return;
        }
        let (store, rules) = (Arc::clone(&self.store), self.rules.clone());
        let applied = tokio::task::spawn_blocking(move || {
            let mut total = RulesApplied::default();
            if let Some(notifier) = &rules.notifier {
                // Watches that ask to be told; one store read when none does.
                match super::watches::notify_watches(store.as_ref(), notifier, &ids, &rules.sections, now) {
                    Ok(queued) => total.notifications += queued,
                    Err(error) => tracing::warn!(%error, "notifying watches failed"),
                }
            }
            if rules.is_empty() {
                return total;
            }
            for id in &ids {
                match apply_to(store.as_ref(), &rules, id, now) {
                    Ok(done) => {
                        total.steps += done.steps;
                        total.notifications += done.notifications;
                    }
                    Err(error) => tracing::warn!(item = %id, %error, "applying rules failed"),
                }
            }
            total
        })
        .await;
        match applied {
            Ok(total) if total.steps > 0 || total.notifications > 0 => {
                tracing::info!(steps = total.steps, notifications = total.notifications, "rules applied");
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "applying rules did not finish"),
        }
    }

    /// What the rules would do now to the stored items of `source` (all
    /// when `None`), newest first; items no rule matches are left out.
    /// Writes nothing.
    pub fn preview_rules(&self, source: Option<&str>) -> Result<Vec<RulePreview>, StoreError> {
        let query = ItemQuery { source: source.map(str::to_owned), ..ItemQuery::default() };
        let mut previews = Vec::new();
        for item in self.store.items(&query)? {
            let touched = self.store.audit_for(&item.id)?.iter().any(|e| !is_rule_actor(&e.actor));
            let steps = plan(self.store.as_ref(), &self.rules, &item, touched)?;
            if steps.is_empty() {
                continue;
            }
            previews.push(RulePreview {
                id: item.id.to_string(),
                source: item.source().to_owned(),
                title: item.title.clone(),
                state: item.state.as_str().to_owned(),
                steps: steps
                    .into_iter()
                    .map(|step| PreviewStep {
                        action: step.change.verb().to_owned(),
                        detail: step.change.detail(),
                        skipped: step.skipped.map(|s| s.to_string()),
                        rule: step.rule,
                    })
                    .collect(),
            });
        }
        Ok(previews)
    }
}

/// The rules' steps for `item` as stored now, with its quotes.
fn plan(store: &dyn Store, rules: &RuleSet, item: &Item, touched: bool) -> Result<Vec<workflow::Step>, StoreError> {
    let quotes = item.editor.with_added(store.quotes(&item.id)?);
    let doc = SearchDoc::new(item, &quotes);
    let subject = Subject { item, touched_by_editor: touched };
    Ok(workflow::decide(&rules.rules, subject, &Prepared::new(&doc), &rules.sections))
}

/// Applies the rules to one new item; see the module docs.
fn apply_to(store: &dyn Store, rules: &RuleSet, id: &ItemId, now: DateTime<Utc>) -> Result<RulesApplied, StoreError> {
    let mut done = RulesApplied::default();
    let Some(mut item) = store.item(id)? else { return Ok(done) };
    let trail = store.audit_for(id)?;
    if trail.iter().any(|e| is_rule_actor(&e.actor)) {
        return Ok(done);
    }
    let touched = trail.iter().any(|e| !is_rule_actor(&e.actor));
    for step in plan(store, rules, &item, touched)?.into_iter().filter(|s| s.skipped.is_none()) {
        let mut editor = item.editor.clone();
        let mut state = item.state;
        match &step.change {
            Change::Tag(tags) => match workflow::change_tags(&editor.tags, tags, &[]) {
                Ok(all) => editor.tags = all,
                Err(error) => {
                    tracing::warn!(item = %id, rule = %step.rule, %error, "a rule's tags were refused");
                    continue;
                }
            },
            Change::State { to, .. } => state = *to,
            Change::Section(name) => editor.section = Some(name.clone()),
            Change::Notify(target) => {
                if let Some(notifier) = &rules.notifier {
                    let mut data = item_data(&item);
                    data["rule"] = json!(step.rule);
                    let notification = Notification {
                        event: WebhookEvent::RuleMatched,
                        key: format!("{id}@rule:{}", step.rule),
                        data,
                        to: Recipients::Named(vec![target.clone()]),
                    };
                    done.notifications += notifier.notify(store, &notification, now)?;
                }
            }
        }
        let entry = AuditEntry {
            at: now,
            actor: workflow::rule_actor(&step.rule),
            item_id: id.clone(),
            action: step.change.verb().to_owned(),
            detail: step.change.detail(),
            revision: 0,
        };
        match store.apply_edit(id, item.revision, state, &editor, &entry) {
            Ok(written) => {
                item = written;
                done.steps += 1;
            }
            // Someone acted on the item since it was read: they decide.
            Err(StoreError::StaleRevision { .. }) => break,
            Err(error) => return Err(error),
        }
    }
    Ok(done)
}
