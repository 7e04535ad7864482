//! Integration tests: the published digest in every script (issue 14 part 7).
//! A Persian and a French entry beside an English one: `lang` and `dir` on
//! each entry and quote, `<bdi>` around names, the Persian comma and «» in
//! Persian attributions, and every feed still valid with them.

use std::path::Path;

use gleaner::publish::compose::{self, Candidate};
use gleaner::publish::render::{self, Renderer};

use crate::publish::{editor, fixed_time, item, parse_feed, quote, settings};

fn mixed_issue() -> (gleaner::model::Issue, gleaner::config::PublishSettings, Renderer) {
    let settings = settings(Path::new("/srv/gleaner/feeds"));
    let renderer = Renderer::builtin();
    let mut persian = item("fa-1", "خبر", 50, editor("تقویم تغییر می‌کند", "نخست\n\nدوم", &["q-fa"], None, 1));
    persian.language = Some("fa".to_owned());
    let mut french = item("fr-1", "Nouvelles", 20, editor("Le calendrier change", "", &["q-fr"], None, 2));
    french.language = Some("fr".to_owned());
    let english = item("en-1", "News", 10, editor("The calendar changes", "", &["q-en"], None, 3));
    let quotes = [
        vec![quote("q-fa", "تقویم را تغییر می‌دهند", Some("سارا کریمی"), Some("خبرنامه شهر"), None)],
        vec![quote("q-fr", "Ils changent le calendrier", Some("Marie Dupont"), Some("Le Monde"), None)],
        vec![quote("q-en", "They are changing the calendar", Some("Sara Karimi"), Some("City News"), None)],
    ];
    let items = [persian, french, english];
    let candidates: Vec<Candidate<'_>> = items
        .iter()
        .zip(&quotes)
        .map(|(item, quotes)| Candidate { item, quotes, source_section: None, source_name: None, cited: &[] })
        .collect();
    let composition = compose::compose(&settings, 7, &candidates, fixed_time());
    let body = renderer.body(&composition, &settings).expect("body renders");
    (composition.into_draft(body), settings, renderer)
}

#[test]
fn persian_entries_are_rtl_with_persian_punctuation_and_isolated_names() {
    let (issue, _, _) = mixed_issue();
    let html = &issue.html;
    assert!(html.contains("<article class=\"digest-item\" lang=\"fa\" dir=\"rtl\">"), "{html}");
    assert!(
        html.contains(
            "<blockquote class=\"quote\" lang=\"fa\" dir=\"rtl\"><p><bdi>سارا کریمی</bdi>، در <bdi>خبرنامه شهر</bdi>: «تقویم را تغییر می‌دهند»</p>"
        ),
        "{html}"
    );
    // Paragraphs of Persian commentary, inside the rtl article.
    assert!(html.contains("<div class=\"commentary\"><p>نخست</p><p>دوم</p></div>"), "{html}");
}

#[test]
fn every_entry_and_quote_carries_its_language() {
    let (issue, _, _) = mixed_issue();
    let html = &issue.html;
    assert!(html.contains("<article class=\"digest-item\" lang=\"fr\" dir=\"auto\">"), "{html}");
    assert!(html.contains("<blockquote class=\"quote\" lang=\"fr\" dir=\"auto\"><p><bdi>Marie Dupont</bdi>, in <bdi>Le Monde</bdi>: “Ils changent"), "{html}");
    assert!(html.contains("<article class=\"digest-item\" lang=\"en\" dir=\"auto\">"), "{html}");
    assert_eq!(html.matches("<article ").count(), html.matches("<article class=\"digest-item\" lang=").count());
    assert_eq!(html.matches("<blockquote ").count(), html.matches("<blockquote class=\"quote\" lang=").count());
}

#[test]
fn the_period_runs_from_the_oldest_to_the_newest_item() {
    let (issue, settings, renderer) = mixed_issue();
    let page = renderer.issue_page(&issue, &settings).expect("renders");
    // Items 50, 20 and 10 hours before the fixed time (2026-11-24 09:00).
    assert!(
        page.contains(
            "<p class=\"period\"><time datetime=\"2026-11-22T07:00:00Z\">2026-11-22</time> – <time datetime=\"2026-11-23T23:00:00Z\">2026-11-23</time></p>"
        ),
        "{page}"
    );
    assert_eq!(issue.period.start, fixed_time() - chrono::TimeDelta::hours(50));
    assert_eq!(issue.period.end, fixed_time() - chrono::TimeDelta::hours(10));
}

#[test]
fn feeds_stay_valid_with_persian_entries() {
    let (issue, settings, renderer) = mixed_issue();
    let rss = render::rss(&[&issue], &settings);
    let atom = renderer.atom(&[&issue], &settings).expect("renders");
    let json = render::json_feed(&[&issue], &settings);
    for (name, text) in [("rss", &rss), ("atom", &atom), ("json", &json)] {
        let feed = parse_feed(text);
        assert_eq!(feed.entries.len(), 1, "{name}");
        let content = feed.entries[0].content.as_ref().and_then(|c| c.body.as_deref()).unwrap_or_default();
        assert_eq!(content, issue.html, "{name}: the body round-trips");
    }
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["items"][0]["content_html"], issue.html.as_str());
}

#[test]
fn the_archive_pages_carry_a_real_stylesheet() {
    let (issue, settings, renderer) = mixed_issue();
    let page = renderer.issue_page(&issue, &settings).expect("renders");
    let index = renderer.index(&[&issue], &settings).expect("renders");
    for (name, html) in [("issue", &page), ("index", &index)] {
        for needle in ["max-width: 42rem", "prefers-color-scheme: dark", "@media print", ":lang(fa)"] {
            assert!(html.contains(needle), "{name} page lacks {needle}");
        }
    }
}
