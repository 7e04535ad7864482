//! A linear pre-pass that bounds what the HTML parser sees: element nesting
//! and attributes per element.
//!
//! html5ever is quadratic on hostile markup: every block start tag checks
//! "p element in button scope" by walking the stack of open elements, and
//! every attribute of a tag is compared with the ones before it for
//! duplicates. 100,000 nested `<div>`s took 60 s and 300,000 attributes on
//! one element 58 s. Real pages nest a few dozen levels and carry a handful
//! of attributes, so start tags past [`MAX_DEPTH`] open elements are dropped
//! (their text kept, with their matching end tags) and attributes past
//! [`MAX_ATTRIBUTES`] are cut, before html5ever runs. The scan does not build
//! a tree and does not recurse: one pass over the bytes, each tag costing at
//! most `MAX_DEPTH` steps.
//!
//! It only approximates the parser's stack (implied end tags of `p`, `li`,
//! table cells and the like are modelled; the adoption agency is not): it is a
//! bound, not a second HTML parser. Markup that stays under the bounds comes
//! back borrowed and unchanged. Pure: no I/O.

use std::borrow::Cow;
use std::collections::HashMap;

/// Open elements the parser is allowed to see at once. Browsers render far
/// less: Blink caps its DOM depth at 512 as well.
pub const MAX_DEPTH: usize = 512;

/// Attributes kept per element; real markup rarely carries more than 20.
pub const MAX_ATTRIBUTES: usize = 64;

/// Markup after [`bound_markup`], and what it had to drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounded<'a> {
    /// The markup to parse: the input itself when nothing was dropped.
    pub html: Cow<'a, str>,
    /// Start tags dropped (with their end tags) for nesting deeper than [`MAX_DEPTH`].
    pub dropped_tags: usize,
    /// Attributes cut for elements carrying more than [`MAX_ATTRIBUTES`].
    pub dropped_attributes: usize,
}

impl Bounded<'_> {
    /// Whether the markup had to be changed.
    pub fn changed(&self) -> bool {
        self.dropped_tags > 0 || self.dropped_attributes > 0
    }

    /// A one-line note for the item or page, when something was dropped.
    pub fn note(&self) -> Option<String> {
        self.changed().then(|| {
            format!(
                "markup bounded: {} tags deeper than {MAX_DEPTH} levels and {} attributes past {MAX_ATTRIBUTES} per element dropped",
                self.dropped_tags, self.dropped_attributes
            )
        })
    }
}

/// Elements without end tags: they never deepen the tree.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "keygen", "frame", "basefont", "bgsound", "image",
];

/// Elements whose content is text up to their own end tag: no tags inside.
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"];

/// Elements a start tag of the same group closes implicitly (HTML §13.2.6.4.7).
fn closes_open(new: &str, open: &str) -> bool {
    let group: &[&str] = match new.len() {
        1 if new.eq_ignore_ascii_case("p") => &["p"],
        2 if new.eq_ignore_ascii_case("li") => &["li"],
        2 if is_one_of(new, &["dt", "dd"]) => &["dt", "dd"],
        2 if is_one_of(new, &["td", "th"]) => &["td", "th"],
        2 if new.eq_ignore_ascii_case("tr") => &["tr", "td", "th"],
        6 if new.eq_ignore_ascii_case("option") => &["option"],
        _ => return false,
    };
    is_one_of(open, group)
}

/// Whether the open elements include `svg` or `math`, where `<x/>` closes itself.
fn in_foreign_content(open: &[&str]) -> bool {
    open.iter().any(|n| is_one_of(n, &["svg", "math"]))
}

/// Whether `name` is one of `names` (lower-case), ignoring ASCII case.
fn is_one_of(name: &str, names: &[&str]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Bounds nesting depth and attribute counts of `html` (see the module docs).
pub fn bound_markup(html: &str) -> Bounded<'_> {
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    // Bytes of `html` before `copied` are already in `out` (when it exists).
    let mut copied = 0;
    // Names as written (compared ignoring ASCII case): no allocation per tag.
    let mut open: Vec<&str> = Vec::new();
    let mut dropped_open: HashMap<String, usize> = HashMap::new();
    let (mut dropped_tags, mut dropped_attributes) = (0, 0);
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'<', &bytes[at..]) {
        let lt = at + offset;
        let rest = &bytes[lt + 1..];
        if rest.starts_with(b"!--") {
            at = find(bytes, lt + 4, b"-->").map_or(bytes.len(), |end| end + 3);
            continue;
        }
        if rest.starts_with(b"![CDATA[") {
            at = find(bytes, lt + 9, b"]]>").map_or(bytes.len(), |end| end + 3);
            continue;
        }
        if rest.first().is_some_and(|&b| b == b'!' || b == b'?') {
            at = memchr::memchr(b'>', &bytes[lt..]).map_or(bytes.len(), |end| lt + end + 1);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = lt + 1 + usize::from(closing);
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            at = lt + 1;
            continue;
        }
        let name_end = bytes[name_start..]
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
            .map_or(bytes.len(), |p| name_start + p);
        let name = &html[name_start..name_end];
        let tag = scan_tag(bytes, name_end);
        at = tag.end;
        let mut keep = true;
        let mut rewritten: Option<String> = None;
        if closing {
            // End tags of dropped start tags go first: those were opened innermost.
            if let Some(count) = (!dropped_open.is_empty())
                .then(|| dropped_open.get_mut(&name.to_ascii_lowercase()))
                .flatten()
                .filter(|c| **c > 0)
            {
                *count -= 1;
                keep = false;
            } else if let Some(pos) = open.iter().rposition(|n| n.eq_ignore_ascii_case(name)) {
                open.truncate(pos);
            }
        } else {
            if tag.attributes > MAX_ATTRIBUTES {
                dropped_attributes += tag.attributes - MAX_ATTRIBUTES;
                let close = if tag.self_closing { "/>" } else { ">" };
                rewritten = Some(format!("{}{close}", &html[lt..tag.cut]));
            }
            if is_one_of(name, RAW_TEXT) {
                // Its text is not markup: skip to its end tag, which the next round reads.
                at = find_end_tag(bytes, at, name).unwrap_or(bytes.len());
            } else if !is_one_of(name, VOID) && (!tag.self_closing || !in_foreign_content(&open)) {
                // In HTML `<div/>` opens a `div` all the same (only SVG and
                // MathML honour the slash), so a million of them nest a million deep.
                if open.last().is_some_and(|top| closes_open(name, top)) {
                    open.pop();
                }
                if open.len() >= MAX_DEPTH {
                    *dropped_open.entry(name.to_ascii_lowercase()).or_default() += 1;
                    dropped_tags += 1;
                    keep = false;
                } else {
                    open.push(name);
                }
            }
        }
        if !keep || rewritten.is_some() {
            let buf = out.get_or_insert_with(|| String::with_capacity(html.len()));
            buf.push_str(&html[copied..lt]);
            if let Some(tag) = rewritten.filter(|_| keep) {
                buf.push_str(&tag);
            }
            copied = tag.end;
        }
    }
    let html = match out {
        Some(mut buf) => {
            buf.push_str(&html[copied..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(html),
    };
    Bounded { html, dropped_tags, dropped_attributes }
}

/// Where a tag ends and what it holds.
struct Tag {
    /// Just past its `>` (or the end of the input).
    end: usize,
    attributes: usize,
    /// Where to cut the tag to keep [`MAX_ATTRIBUTES`] attributes.
    cut: usize,
    self_closing: bool,
}

/// Reads the attributes of a tag from just after its name: `name`,
/// `name=value`, `name="value"` or `name='value'`, a quoted `>` not ending it.
fn scan_tag(bytes: &[u8], mut at: usize) -> Tag {
    let mut attributes = 0;
    let mut cut = at;
    let mut self_closing = false;
    loop {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        match bytes.get(at) {
            None => return Tag { end: bytes.len(), attributes, cut, self_closing },
            Some(b'>') => return Tag { end: at + 1, attributes, cut, self_closing },
            Some(b'/') => {
                at += 1;
                self_closing = bytes.get(at) == Some(&b'>');
                continue;
            }
            Some(_) => {}
        }
        self_closing = false;
        // An attribute name runs to whitespace, `=`, `/` or `>` (its first character may be `=`).
        at += 1;
        while bytes.get(at).is_some_and(|&b| !(b.is_ascii_whitespace() || b == b'=' || b == b'/' || b == b'>')) {
            at += 1;
        }
        let mut look = at;
        while bytes.get(look).is_some_and(u8::is_ascii_whitespace) {
            look += 1;
        }
        if bytes.get(look) == Some(&b'=') {
            at = look + 1;
            while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
                at += 1;
            }
            match bytes.get(at) {
                Some(&quote @ (b'"' | b'\'')) => {
                    at = memchr::memchr(quote, &bytes[at + 1..]).map_or(bytes.len(), |p| at + 1 + p + 1);
                }
                _ => {
                    while bytes.get(at).is_some_and(|&b| !(b.is_ascii_whitespace() || b == b'>')) {
                        at += 1;
                    }
                }
            }
        }
        attributes += 1;
        if attributes <= MAX_ATTRIBUTES {
            cut = at;
        }
    }
}

/// The start of `</name` (ASCII case-insensitive) at or after `from`.
fn find_end_tag(bytes: &[u8], mut from: usize, name: &str) -> Option<usize> {
    while let Some(offset) = find(bytes, from, b"</") {
        let after = &bytes[offset + 2..];
        if after.len() >= name.len() && after[..name.len()].eq_ignore_ascii_case(name.as_bytes()) {
            return Some(offset);
        }
        from = offset + 2;
    }
    None
}

/// The start of `needle` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}x{}", "<div>".repeat(depth), "</div>".repeat(depth))
    }

    #[test]
    fn shallow_markup_is_borrowed_unchanged() {
        let html =
            r#"<p class="a" id='b' data-x=1>Hi <a href="/x?a>b">l</a><br/><script>"<div>"</script><!-- <div> --></p>"#;
        let bounded = bound_markup(html);
        assert!(matches!(bounded.html, Cow::Borrowed(_)));
        assert!(!bounded.changed());
        let unclosed_paragraphs = "<p>a".repeat(2 * MAX_DEPTH);
        assert!(!bound_markup(&unclosed_paragraphs).changed());
    }

    #[test]
    fn nesting_past_the_cap_drops_start_and_end_tags_and_keeps_text() {
        let deep = nested(MAX_DEPTH + 10);
        let bounded = bound_markup(&deep);
        assert_eq!(bounded.dropped_tags, 10);
        assert_eq!(bounded.html, nested(MAX_DEPTH));
        assert!(bounded.note().is_some());
    }

    /// ` a{i}="v>"`: a quoted `>` must not end the tag.
    fn attribute(i: usize) -> String {
        [" a", &i.to_string(), "=\"v>\""].concat()
    }

    #[test]
    fn attributes_past_the_cap_are_cut() {
        let attrs: String = (0..MAX_ATTRIBUTES + 5).map(attribute).collect();
        let flooded = format!("<p{attrs}>x</p>");
        let bounded = bound_markup(&flooded);
        assert_eq!(bounded.dropped_attributes, 5);
        let kept: String = (0..MAX_ATTRIBUTES).map(attribute).collect();
        assert_eq!(bounded.html, format!("<p{kept}>x</p>"));
    }

    #[test]
    fn self_closing_html_elements_still_nest_but_svg_ones_do_not() {
        let slashed = "<div/>".repeat(MAX_DEPTH + 3);
        assert_eq!(bound_markup(&slashed).dropped_tags, 3);
        let icons = format!("<svg>{}</svg>", "<path/>".repeat(MAX_DEPTH + 3));
        assert!(!bound_markup(&icons).changed());
    }

    #[test]
    fn truncated_tags_do_not_panic() {
        for html in ["<", "<a", "<a b=\"", "</", "<!--", "<![CDATA[", "<script>", "<p a='x", "<a/", "é<é>"] {
            let _ = bound_markup(html);
        }
    }
}
