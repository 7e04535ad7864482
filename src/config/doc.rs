//! Reading values out of a spanned TOML document while collecting errors.
//!
//! `toml::de::DeTable` keeps the byte span of every key and value, so each
//! complaint can point at `file:line:col`. The getters here never stop at the
//! first problem: a wrong type is recorded and the key treated as absent, so
//! validation goes on and reports everything at once. Main type: [`Diag`].

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::ConfigError;
use crate::model::Schedule;

/// Errors found in one file, with what is needed to turn byte offsets into positions.
pub(super) struct Diag<'a> {
    path: &'a Path,
    text: &'a str,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    pub(super) errors: Vec<ConfigError>,
    /// Set when the TOML itself did not parse: the recovered document may
    /// lack keys that are really there, so "missing key" errors are held back.
    pub(super) had_syntax_errors: bool,
    /// Where syntax errors were: the recovered document holds placeholder
    /// values there, and a second complaint about the same spot is noise.
    syntax_positions: Vec<(usize, usize)>,
}

impl<'a> Diag<'a> {
    pub(super) fn new(path: &'a Path, text: &'a str) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Self { path, text, line_starts, errors: Vec::new(), had_syntax_errors: false, syntax_positions: Vec::new() }
    }

    pub(super) fn path(&self) -> &Path {
        self.path
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(super) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        (line, col)
    }

    pub(super) fn error(&mut self, span: &Range<usize>, message: impl Into<String>) {
        let (line, col) = self.position(span.start);
        if self.syntax_positions.contains(&(line, col)) {
            return;
        }
        self.errors.push(ConfigError { file: self.path.to_path_buf(), line, col, message: message.into() });
    }

    /// Like [`Diag::error`] but dropped when the document had syntax errors.
    pub(super) fn missing(&mut self, span: &Range<usize>, message: impl Into<String>) {
        if !self.had_syntax_errors {
            self.error(span, message);
        }
    }

    /// `file:line:col` of a span, for messages that refer to another place.
    pub(super) fn location(&self, span: &Range<usize>) -> String {
        let (line, col) = self.position(span.start);
        format!("{}:{line}:{col}", self.path.display())
    }

    /// Parses TOML, recording every syntax error; returns the best-effort document.
    pub(super) fn parse(&mut self) -> Spanned<DeTable<'a>> {
        let (doc, errors) = DeTable::parse_recoverable(self.text);
        for e in &errors {
            let span = e.span().unwrap_or(0..0);
            self.error(&span, format!("TOML syntax: {}", e.message()));
            self.syntax_positions.push(self.position(span.start));
        }
        self.had_syntax_errors = !errors.is_empty();
        doc
    }

    /// The folder the file lives in: relative paths inside it resolve against this.
    pub(super) fn base_dir(&self) -> PathBuf {
        base_dir(self.path)
    }
}

pub(super) fn base_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A table plus its dotted name, for messages (`fetch`, `source.selectors`; empty for the root).
#[derive(Clone, Copy)]
pub(super) struct Section<'t, 'i> {
    pub(super) table: &'t DeTable<'i>,
    pub(super) name: &'static str,
}

impl<'t, 'i> Section<'t, 'i> {
    pub(super) fn new(table: &'t DeTable<'i>, name: &'static str) -> Self {
        Self { table, name }
    }

    fn qualified(&self, key: &str) -> String {
        if self.name.is_empty() { format!("`{key}`") } else { format!("`{}.{key}`", self.name) }
    }

    pub(super) fn get(&self, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    /// Reports every key not in `known`, with a suggestion when one is close.
    /// `elsewhere` names keys that are valid in another table, to say where they go.
    pub(super) fn check_keys(&self, diag: &mut Diag<'_>, known: &[&str], elsewhere: &[(&str, &str)]) {
        for key in self.table.keys() {
            let name = key.get_ref().as_ref();
            if known.contains(&name) {
                continue;
            }
            let mut message = format!("unknown key {}", self.qualified(name));
            if let Some((_, home)) = elsewhere.iter().find(|(k, _)| *k == name) {
                let _ = write!(message, " here; it belongs in {home}");
            } else if let Some(near) = nearest(name, known) {
                let _ = write!(message, " (did you mean `{near}`?)");
            } else {
                let _ = write!(message, " (known keys: {})", known.join(", "));
            }
            diag.error(&key.span(), message);
        }
    }

    fn wrong_type(&self, diag: &mut Diag<'_>, key: &str, value: &Spanned<DeValue<'_>>, expected: &str) {
        let found = value.get_ref().type_str();
        diag.error(&value.span(), format!("{} must be {expected}, found {found}", self.qualified(key)));
    }

    pub(super) fn string(&self, diag: &mut Diag<'_>, key: &str) -> Option<(&'t str, Range<usize>)> {
        let value = self.get(key)?;
        if let DeValue::String(s) = value.get_ref() {
            Some((s.as_ref(), value.span()))
        } else {
            self.wrong_type(diag, key, value, "a string");
            None
        }
    }

    pub(super) fn boolean(&self, diag: &mut Diag<'_>, key: &str) -> Option<bool> {
        let value = self.get(key)?;
        if let DeValue::Boolean(b) = value.get_ref() {
            Some(*b)
        } else {
            self.wrong_type(diag, key, value, "a boolean (true or false)");
            None
        }
    }

    /// An integer within `min..=max`.
    pub(super) fn integer(&self, diag: &mut Diag<'_>, key: &str, min: i64, max: i64) -> Option<i64> {
        let value = self.get(key)?;
        let DeValue::Integer(int) = value.get_ref() else {
            self.wrong_type(diag, key, value, "an integer");
            return None;
        };
        match i64::from_str_radix(int.as_str(), int.radix()) {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ if max == i64::MAX => {
                diag.error(&value.span(), format!("{} must be at least {min}", self.qualified(key)));
                None
            }
            _ => {
                diag.error(&value.span(), format!("{} must be between {min} and {max}", self.qualified(key)));
                None
            }
        }
    }

    pub(super) fn table(&self, diag: &mut Diag<'_>, key: &str) -> Option<(&'t DeTable<'i>, Range<usize>)> {
        let value = self.get(key)?;
        if let DeValue::Table(t) = value.get_ref() {
            Some((t, value.span()))
        } else {
            self.wrong_type(diag, key, value, "a table");
            None
        }
    }

    /// An array of strings; a single string is taken as a one-element list.
    pub(super) fn strings(&self, diag: &mut Diag<'_>, key: &str) -> Vec<(&'t str, Range<usize>)> {
        let Some(value) = self.get(key) else { return Vec::new() };
        match value.get_ref() {
            DeValue::String(s) => vec![(s.as_ref(), value.span())],
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| {
                    if let DeValue::String(s) = item.get_ref() {
                        Some((s.as_ref(), item.span()))
                    } else {
                        let found = item.get_ref().type_str();
                        diag.error(
                            &item.span(),
                            format!("{} must be an array of strings, found a {found} in it", self.qualified(key)),
                        );
                        None
                    }
                })
                .collect(),
            _ => {
                self.wrong_type(diag, key, value, "an array of strings");
                Vec::new()
            }
        }
    }
}

/// The known key closest to a mistyped one, if it is close enough to be a typo.
pub(super) fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let key = key.to_lowercase();
    let (best, distance) = known.iter().map(|k| (*k, edit_distance(&key, k))).min_by_key(|(_, d)| *d)?;
    let len = key.chars().count();
    let allowed = match len {
        0..=4 => 1,
        5..=9 => 2,
        _ => 3,
    };
    (distance <= allowed).then_some(best)
}

/// Levenshtein distance, with a swap of two neighbours counted as one edit
/// (`user_agnet` → `user_agent`), over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, row);
    }
    prev[b.len()]
}

/// Validates a cron expression, reporting a bad one at `span`.
pub(super) fn schedule(diag: &mut Diag<'_>, text: &str, span: &Range<usize>) -> Option<Schedule> {
    match Schedule::parse(text) {
        Ok(schedule) => Some(schedule),
        Err(e) => {
            // The crate's own reasons do not say what shape we accept; ours do.
            let hint = if e.reason.contains("field") || e.reason.contains("day") || e.reason.contains('@') {
                ""
            } else {
                " (write 5 fields \"min hour day month weekday\" such as \"*/30 * * * *\", or 6 with seconds first)"
            };
            diag.error(span, format!("bad cron schedule {text:?}: {}{hint}", e.reason));
            None
        }
    }
}

/// Removes `.` and folds `..` without touching the file system, so shown
/// paths and `file://` URLs read `/srv/data/x`, not `/srv/config/../data/x`.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `..` above the root is the root.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// A BCP 47 tag in the simple shape feeds use: `en`, `fa`, `fr-CA`, `zh-Hant-TW`.
fn is_language_tag(text: &str) -> bool {
    let mut parts = text.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Validates a language tag, reporting a bad one at `span`.
pub(super) fn language_tag(diag: &mut Diag<'_>, text: &str, span: &Range<usize>) -> Option<String> {
    if is_language_tag(text) {
        return Some(text.to_owned());
    }
    diag.error(span, format!("bad language tag {text:?}: use a BCP 47 tag such as \"en\", \"fa\" or \"fr-CA\""));
    None
}

/// Turns scraper's terse parse errors into something an operator can act on.
pub(super) fn selector_reason(kind: &scraper::error::SelectorErrorKind) -> String {
    match kind {
        scraper::error::SelectorErrorKind::EndOfLine => "it ends too early (an unclosed `[`, `(` or quote?)".to_owned(),
        scraper::error::SelectorErrorKind::UnexpectedToken => {
            "an unexpected character or token (a stray quote, bracket or punctuation?)".to_owned()
        }
        scraper::error::SelectorErrorKind::ExpectedColonOnPseudoElement
        | scraper::error::SelectorErrorKind::ExpectedIdentityOnPseudoElement => {
            "a malformed pseudo-element (write `::name`)".to_owned()
        }
        scraper::error::SelectorErrorKind::UnexpectedSelectorParseError(inner) => match format!("{inner:?}").as_str() {
            "EmptySelector" => "it is empty, or a `,` list has an empty entry".to_owned(),
            "DanglingCombinator" => "it ends with a combinator (`>`, `+`, `~`) that has nothing after it".to_owned(),
            "UnsupportedPseudoClassOrElement" => "an unsupported pseudo-class or pseudo-element".to_owned(),
            "ClassNeedsIdent" => "a `.` must be followed by a class name".to_owned(),
            "NoIdentForPseudo" => "a `:` must be followed by a pseudo-class name".to_owned(),
            "ExpectedBarInAttr"
            | "BadValueInAttr"
            | "InvalidQualNameInAttr"
            | "NoQualifiedNameInAttributeSelector"
            | "UnexpectedTokenInAttributeSelector" => {
                "a malformed attribute selector (write `[name]` or `[name=\"value\"]`)".to_owned()
            }
            other => format!("not a valid selector ({other})"),
        },
        _ => "not a valid CSS selector".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        for ok in ["en", "fa", "fr-CA", "zh-Hant-TW"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "e", "english", "en_GB", "en-", "fr-toolongsubtag"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "a = 1\nname = \"é\" x\n";
        let diag = Diag::new(Path::new("f.toml"), text);
        assert_eq!(diag.position(0), (1, 1));
        assert_eq!(diag.position(6), (2, 1));
        let x = text.find(" x").expect("present") + 1;
        assert_eq!(diag.position(x), (2, 12));
    }

    #[test]
    fn suggests_close_keys_only() {
        let known = ["user_agent", "timeout_secs", "id", "url", "schedule"];
        assert_eq!(nearest("user_agnet", &known), Some("user_agent"));
        assert_eq!(nearest("timeout", &known), None);
        assert_eq!(nearest("urls", &known), Some("url"));
        assert_eq!(nearest("sechdule", &known), Some("schedule"));
        assert_eq!(nearest("ID", &known), Some("id"));
        assert_eq!(nearest("colour", &known), None);
    }

    #[test]
    fn edit_distance_counts_swaps_once() {
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("abc", "acb"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
