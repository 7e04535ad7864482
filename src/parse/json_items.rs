//! A JSON Feed's items past the cap, dropped before feed-rs reads them
//! (issue 11.14): feed-rs builds every item of a JSON Feed as serde values
//! and then as entries, so a 10 MiB feed of 68,000 small items peaked at
//! 205 MiB. [`keep_newest_items`] finds each item's bytes, reads only its
//! dates, and hands back the document with the newest `max` items, which
//! feed-rs then reads as before.
//!
//! The scanner is hand-written because it only finds where values begin
//! and end (strings with their escapes, brackets by depth, with a counter
//! rather than recursion); `serde_json` could hand out item slices through
//! `RawValue`, but only with a feature that rebuilds half the dependency
//! tree. A document the scanner does not understand is left whole: feed-rs
//! then reports what is wrong with it. Pure: no I/O, no clock.

use chrono::{DateTime, Utc};

use super::date;

/// The dates of one item, as feed-rs reads them (JSON Feed 1.1 §"Items").
#[derive(serde::Deserialize)]
struct ItemDates {
    date_published: Option<String>,
    date_modified: Option<String>,
}

/// The document with only the `max` newest items of its top-level `items`
/// array (dated as `parse::feed` dates entries: published, else modified,
/// else `fetched_at`; feed order among equals), and how many were dropped.
/// `None` when nothing is dropped or the document is not a JSON object
/// this scanner can read.
pub(super) fn keep_newest_items(text: &str, max: usize, fetched_at: DateTime<Utc>) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let (start, end) = items_array(bytes)?;
    let items = elements(bytes, start, end)?;
    if items.len() <= max {
        return None;
    }
    let dates: Vec<DateTime<Utc>> = items
        .iter()
        .map(|&(from, to)| {
            let dates: Option<ItemDates> = serde_json::from_str(&text[from..to]).ok();
            let parse = |raw: Option<&String>| raw.and_then(|raw| date::parse_date(raw));
            dates
                .and_then(|d| parse(d.date_published.as_ref()).or_else(|| parse(d.date_modified.as_ref())))
                .unwrap_or(fetched_at)
        })
        .collect();
    let keep = super::newest(&dates, max);
    let mut out = String::with_capacity(text.len() / items.len() * max + (text.len() - (end - start)));
    out.push_str(&text[..start]);
    out.push('[');
    let mut first = true;
    for (&(from, to), kept) in items.iter().zip(keep) {
        if kept {
            if !first {
                out.push(',');
            }
            out.push_str(&text[from..to]);
            first = false;
        }
    }
    out.push(']');
    out.push_str(&text[end..]);
    Some((out, items.len() - max))
}

/// The byte span (brackets included) of the top-level object's `items` array.
fn items_array(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut at = skip_space(bytes, 0);
    if bytes[at..].starts_with("\u{feff}".as_bytes()) {
        at = skip_space(bytes, at + 3);
    }
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at = skip_space(bytes, at);
        // A key, else the end of the object (no `items` in it) or damage.
        if bytes.get(at)? != &b'"' {
            return None;
        }
        let key_end = skip_value(bytes, at)?;
        let key = &bytes[at..key_end];
        at = skip_space(bytes, key_end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_space(bytes, at + 1);
        let value_end = skip_value(bytes, at)?;
        if key == b"\"items\"" && bytes[at] == b'[' {
            return Some((at, value_end));
        }
        at = skip_space(bytes, value_end);
        match bytes.get(at)? {
            b',' => at += 1,
            _ => return None,
        }
    }
}

/// The byte spans of the elements of the array at `start..end`.
fn elements(bytes: &[u8], start: usize, end: usize) -> Option<Vec<(usize, usize)>> {
    let mut spans = Vec::new();
    let mut at = skip_space(bytes, start + 1);
    if at == end - 1 {
        return Some(spans);
    }
    loop {
        let value_end = skip_value(bytes, at)?;
        spans.push((at, value_end));
        at = skip_space(bytes, value_end);
        match bytes.get(at)? {
            b',' => at = skip_space(bytes, at + 1),
            b']' if at == end - 1 => return Some(spans),
            _ => return None,
        }
    }
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// Where the JSON value that starts at `at` ends (exclusive); `None` if it
/// does not end within the document.
fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    loop {
        match *bytes.get(i)? {
            b'"' => i = skip_string(bytes, i)?,
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            // A number or literal ends at a separator or its container's closing bracket.
            b'}' | b']' | b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return Some(i),
            b'}' | b']' => {
                depth -= 1;
                i += 1;
            }
            _ => i += 1,
        }
        if depth == 0 && (bytes.get(at) == Some(&b'"') || matches!(bytes[i - 1], b'}' | b']')) {
            return Some(i);
        }
    }
}

/// Where the string that starts at `at` (its opening quote) ends, past its closing quote.
fn skip_string(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        match *bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32) -> String {
        format!("2024-01-01T{hour:02}:00:00Z")
    }

    #[test]
    fn the_newest_items_stay_in_feed_order_with_everything_else() {
        let doc = format!(
            r#" {{"version": "https://jsonfeed.org/version/1.1", "title": "a \"quoted\" [title]",
            "items": [ {{"id": "1", "date_published": "{}"}}, {{"id": "2", "date_modified": "{}", "tags": ["x]"]}},
            {{"id": "3", "date_published": "{}"}} ], "home_page_url": "https://example.org/"}}"#,
            at(5),
            at(9),
            at(1)
        );
        let fetched = "2024-01-01T00:00:00Z".parse().expect("date");
        let (trimmed, dropped) = keep_newest_items(&doc, 2, fetched).expect("trimmed");
        assert_eq!(dropped, 1);
        let value: serde_json::Value = serde_json::from_str(&trimmed).expect("still JSON");
        let ids: Vec<&str> =
            value["items"].as_array().expect("items").iter().map(|i| i["id"].as_str().expect("id")).collect();
        assert_eq!(ids, ["1", "2"]);
        assert_eq!(value["title"], "a \"quoted\" [title]");
        assert_eq!(value["home_page_url"], "https://example.org/");
        assert!(keep_newest_items(&doc, 3, fetched).is_none(), "nothing to drop");
    }

    #[test]
    fn what_the_scanner_cannot_read_is_left_whole() {
        let fetched = "2024-01-01T00:00:00Z".parse().expect("date");
        for doc in [
            "",
            "[1, 2]",
            r#"{"items": [1, 2"#,
            r#"{"items": [1 2]}"#,
            r#"{"title": "x" "items": []}"#,
            "{\"items\": \"[\"}",
        ] {
            assert!(keep_newest_items(doc, 1, fetched).is_none(), "{doc}");
        }
        let deep = format!(r#"{{"items": [{}0{}, 1]}}"#, "[".repeat(100_000), "]".repeat(100_000));
        let (trimmed, dropped) = keep_newest_items(&deep, 1, fetched).expect("deep but whole");
        assert_eq!((trimmed.len(), dropped), (deep.len() - 3, 1));
    }
}
