//! Validates `[[rule]]` tables (issue 16.5) into [`Rule`]s: a name, a query
//! in the search syntax, and actions.
//!
//! ```toml
//! [[rule]]
//! name = "energy"                       # audit entries say `rule:energy`
//! query = 'oil -sport section:World'
//! tag = ["energy"]                      # or one string
//! shortlist = true                      # or reject = true, not both
//! section = "Economy"                   # a [publish] section or a source's
//! notify = "desk"                       # a [[webhook]] with name = "desk"
//! ```
//!
//! Every problem is an error at the key's `file:line:col`: an unknown action
//! (with the nearest known one), a query the search parser could not use
//! whole (its own message), a section nobody configured, a webhook name no
//! `[[webhook]]` carries, and contradictory actions. Pure: no I/O.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::doc::{Diag, Section, nearest};
use super::{Settings, WebhookTarget};
use crate::editorial::rules::{Action, MAX_RULE_NAME_CHARS, Rule, clean_tag};
use crate::model::Source;
use crate::search::query::{SearchQuery, parse};

const RULE_KEYS: &[&str] = &["name", "query"];
const ACTION_KEYS: &[&str] = &["tag", "shortlist", "reject", "section", "notify"];

/// Every `[[rule]]` of the settings file, in order; `sources` (both files')
/// and the settings give the known sections and webhook names.
pub(super) fn rules(diag: &mut Diag<'_>, doc: &DeTable<'_>, settings: &Settings, sources: &[Source]) -> Vec<Rule> {
    let Some(value) = doc.get("rule") else { return Vec::new() };
    let DeValue::Array(items) = value.get_ref() else {
        diag.error(&value.span(), "`rule` must be an array of tables: write [[rule]], not [rule]");
        return Vec::new();
    };
    let known = Known {
        sections: settings
            .publish
            .sections
            .iter()
            .chain(sources.iter().filter_map(|s| s.section.as_ref()))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        webhooks: &settings.webhooks,
    };
    let mut names = HashSet::new();
    items
        .iter()
        .filter_map(|item| {
            let DeValue::Table(table) = item.get_ref() else {
                diag.error(&item.span(), format!("each rule must be a table, found {}", item.get_ref().type_str()));
                return None;
            };
            // Checked before the rest, so a twin of a broken rule is named too.
            if let Some(DeValue::String(name)) = table.get("name").map(toml::Spanned::get_ref)
                && !names.insert(name.trim().to_owned())
            {
                diag.error(&item.span(), format!("a second rule named {:?}: rule names must be unique", name.trim()));
            }
            rule(diag, table, &item.span(), &known)
        })
        .collect()
}

struct Known<'a> {
    sections: Vec<String>,
    webhooks: &'a [WebhookTarget],
}

fn rule(diag: &mut Diag<'_>, table: &DeTable<'_>, header: &Range<usize>, known: &Known<'_>) -> Option<Rule> {
    let errors_before = diag.errors.len();
    let section = Section::new(table, "rule");
    unknown_actions(diag, table);
    let name = rule_name(diag, &section, header);
    let label = name.as_deref().unwrap_or("?").to_owned();
    let query = rule_query(diag, &section, header, &label);
    let mut tags = Vec::new();
    for (raw, span) in section.strings(diag, "tag") {
        match clean_tag(raw) {
            Ok(tag) if !tags.contains(&tag) => tags.push(tag),
            Ok(_) => {}
            Err(error) => diag.error(&span, format!("rule {label:?}: {error}")),
        }
    }
    let shortlist = section.boolean(diag, "shortlist").unwrap_or(false);
    let reject = section.boolean(diag, "reject").unwrap_or(false);
    if shortlist && reject {
        let span = section.get("reject").map_or_else(|| header.clone(), toml::Spanned::span);
        diag.error(&span, format!("rule {label:?}: `shortlist` and `reject` contradict each other; keep one"));
    }
    let state = match (shortlist, reject) {
        (true, false) => Some(Action::Shortlist),
        (false, true) => Some(Action::Reject),
        _ => None,
    };
    let target_section = rule_section(diag, &section, known, &label);
    let notify = rule_notify(diag, &section, known, &label);
    if !ACTION_KEYS.iter().any(|key| table.contains_key(*key)) {
        diag.missing(header, format!("rule {label:?} has no action: give it one of {}", ACTION_KEYS.join(", ")));
    }
    if diag.errors.len() > errors_before {
        return None;
    }
    let (query_text, query) = query?;
    Some(Rule { name: name?, query_text, query, tags, state, section: target_section, notify })
}

/// Keys that are neither `name`, `query` nor an action.
fn unknown_actions(diag: &mut Diag<'_>, table: &DeTable<'_>) {
    let all_keys: Vec<&str> = RULE_KEYS.iter().chain(ACTION_KEYS).copied().collect();
    for key in table.keys() {
        let name = key.get_ref().as_ref();
        if !all_keys.contains(&name) {
            let mut message = format!("unknown rule action `{name}`");
            if let Some(near) = nearest(name, &all_keys) {
                let _ = write!(message, " (did you mean `{near}`?)");
            } else {
                let _ = write!(message, " (actions: {})", ACTION_KEYS.join(", "));
            }
            diag.error(&key.span(), message);
        }
    }
}

fn rule_name(diag: &mut Diag<'_>, section: &Section<'_, '_>, header: &Range<usize>) -> Option<String> {
    let Some((text, span)) = section.string(diag, "name") else {
        diag.missing(header, "rule is missing required key `name`");
        return None;
    };
    let text = text.trim();
    if text.is_empty()
        || text.chars().count() > MAX_RULE_NAME_CHARS
        || !text.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        diag.error(
            &span,
            format!(
                "bad rule name {text:?}: 1 to {MAX_RULE_NAME_CHARS} letters, digits, '-' or '_' (audit entries name \
                 it as rule:NAME)"
            ),
        );
    }
    Some(text.to_owned())
}

/// The query as written and parsed; each part the parser had to leave out
/// is an error (a rule must not silently match more than it says).
fn rule_query(
    diag: &mut Diag<'_>,
    section: &Section<'_, '_>,
    header: &Range<usize>,
    label: &str,
) -> Option<(String, SearchQuery)> {
    let Some((text, span)) = section.string(diag, "query") else {
        diag.missing(header, format!("rule {label:?} is missing required key `query` (search syntax)"));
        return None;
    };
    let query = parse(text);
    for warning in &query.warnings {
        diag.error(&span, format!("rule {label:?}: bad query {text:?}: {warning}"));
    }
    if query.warnings.is_empty() && query.is_empty() {
        diag.error(&span, format!("rule {label:?}: the query asks for nothing, so it would match nothing"));
    }
    Some((text.to_owned(), query))
}

/// The section as configured (a rule's `"economy"` finds `Economy`).
fn rule_section(diag: &mut Diag<'_>, section: &Section<'_, '_>, known: &Known<'_>, label: &str) -> Option<String> {
    let (text, span) = section.string(diag, "section")?;
    let text = text.trim();
    if let Some(found) = known.sections.iter().find(|s| s.eq_ignore_ascii_case(text)) {
        return Some(found.clone());
    }
    let listed = if known.sections.is_empty() { "none".to_owned() } else { known.sections.join(", ") };
    diag.error(
        &span,
        format!(
            "rule {label:?}: unknown section {text:?} (known: {listed}); name it in [publish] sections or a source's \
             `section`"
        ),
    );
    None
}

fn rule_notify(diag: &mut Diag<'_>, section: &Section<'_, '_>, known: &Known<'_>, label: &str) -> Vec<String> {
    let mut notify: Vec<String> = Vec::new();
    for (target, span) in section.strings(diag, "notify") {
        if known.webhooks.iter().any(|w| w.name.as_deref() == Some(target)) {
            if !notify.iter().any(|n| n == target) {
                notify.push(target.to_owned());
            }
        } else {
            let names: Vec<&str> = known.webhooks.iter().filter_map(|w| w.name.as_deref()).collect();
            let listed = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
            diag.error(
                &span,
                format!(
                    "rule {label:?}: no [[webhook]] is named {target:?} (named webhooks: {listed}); give one `name = \
                     \"{target}\"`"
                ),
            );
        }
    }
    notify
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::{ConfigText, build};
    use crate::editorial::rules::Action;

    const BASE: &str = "[publish]\nsections = [\"Economy\", \"World\"]\n\n[[webhook]]\nname = \"desk\"\nurl = \
                        \"https://hooks.example.org/desk\"\nsecret = \"a-secret-of-some-length\"\n\n";

    fn build_main(text: &str) -> Result<super::super::Config, Vec<String>> {
        let main = ConfigText { path: PathBuf::from("/srv/gleaner.toml"), text: format!("{BASE}{text}") };
        let list = ConfigText {
            path: PathBuf::from("/srv/sources.toml"),
            text: "[[source]]\nid = \"a\"\nurl = \"https://example.org/feed\"\nsection = \"Iran\"\n".to_owned(),
        };
        build(&main, Some(&list))
            .map_err(|errors| errors.iter().map(|e| format!("{}:{}: {}", e.line, e.col, e.message)).collect::<Vec<_>>())
    }

    #[test]
    fn a_rule_with_every_action_is_read() {
        let config = build_main(
            "[[rule]]\nname = \"energy\"\nquery = 'oil speaker:\"Ana Ferreira\" -sport'\ntag = [\"Energy\", \
             \"oil\"]\nshortlist = true\nsection = \"iran\"\nnotify = \"desk\"\n\n[[rule]]\nname = \"sport\"\nquery \
             = \"football\"\nreject = true\n",
        )
        .expect("valid");
        let rules = &config.settings.rules;
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].tags, ["energy", "oil"]);
        assert_eq!(rules[0].state, Some(Action::Shortlist));
        assert_eq!(rules[0].section.as_deref(), Some("Iran"), "a source's section, spelled as configured");
        assert_eq!(rules[0].notify, ["desk"]);
        assert_eq!(rules[0].query.clauses.len(), 3);
        assert_eq!(rules[1].state, Some(Action::Reject));
    }

    #[test]
    fn every_mistake_in_a_rule_is_named_at_its_line() {
        let errors = build_main(
            "[[rule]]\nname = \"bad\"\nquery = \"since:yesterday oil\"\napprove = true\nshortlist = true\nreject = \
             true\nsection = \"Sport\"\nnotify = \"pager\"\ntag = \"a,b\"\n\n[[rule]]\nname = \"empty\"\nquery = \
             \"  \"\ntag = \"x\"\n\n[[rule]]\nname = \"idle\"\nquery = \"oil\"\n\n[[rule]]\nname = \"idle\"\nquery = \
             \"gas\"\ntag = \"gas\"\n",
        )
        .expect_err("refused");
        let expect = [
            "11:9: rule \"bad\": bad query \"since:yesterday oil\": since:yesterday is not a date",
            "12:1: unknown rule action `approve`",
            "14:10: rule \"bad\": `shortlist` and `reject` contradict each other",
            "15:11: rule \"bad\": unknown section \"Sport\" (known: Economy, World, Iran)",
            "16:10: rule \"bad\": no [[webhook]] is named \"pager\" (named webhooks: desk)",
            "17:7: rule \"bad\": tag \"a,b\" may hold only",
            "21:9: rule \"empty\": the query asks for nothing",
            "24:1: rule \"idle\" has no action",
            "28:1: a second rule named \"idle\"",
        ];
        for needle in expect {
            assert!(errors.iter().any(|e| e.starts_with(needle)), "no {needle:?} in:\n{}", errors.join("\n"));
        }
    }

    #[test]
    fn rule_matched_is_not_an_event_to_subscribe_to_and_webhook_names_are_unique() {
        let errors = build_main(
            "[[webhook]]\nname = \"desk\"\nurl = \"https://x.example.org/\"\nsecret = \"a-secret-of-some-length\"\n\
             events = [\"item.new\"]\n\n[[webhook]]\nname = \"pager\"\nurl = \"https://y.example.org/\"\nsecret = \
             \"a-secret-of-some-length\"\nevents = [\"rule.matched\"]\n",
        )
        .expect_err("refused");
        assert!(errors.iter().any(|e| e.contains("`rule.matched` is not subscribed to")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("a second webhook named \"desk\"")), "{errors:?}");
    }
}
