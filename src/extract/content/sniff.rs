//! Is this a page at all? A followed link or an `extract` target may be a
//! PDF, an image, an archive, a feed or a JSON document; parsed as HTML it
//! gives binary garbage as "text" and garbage quotes. [`sniff`] answers from
//! the declared Content-Type first and then from the bytes themselves, as
//! browsers do (WHATWG MIME Sniffing § 7, "rules for identifying an unknown
//! MIME type": magic numbers, then binary-data bytes).
//!
//! Pure: bytes in, a verdict out. Main type: [`NotPage`].

use std::fmt;

/// Why a document is not an HTML page; `Display` says what it looks like
/// ("a PNG image"), for "not an HTML page (looks like a PNG image)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotPage {
    /// A binary format recognized by its signature or declared type.
    Binary(&'static str),
    /// Bytes that are not text (control bytes), of no known format.
    UnknownBinary,
    /// An RSS, Atom or RDF feed.
    Feed,
    /// A JSON document.
    Json,
    /// A declared Content-Type that is neither HTML nor text (`application/pdf`).
    Declared(String),
}

impl fmt::Display for NotPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotPage::Binary(what) => f.write_str(what),
            NotPage::UnknownBinary => f.write_str("binary data"),
            NotPage::Feed => f.write_str("a feed"),
            NotPage::Json => f.write_str("a JSON document"),
            NotPage::Declared(mime) => write!(f, "{mime}"),
        }
    }
}

/// Signatures at offset 0 (WHATWG MIME Sniffing § 6.1–6.3, plus PDF and ELF).
/// Two-byte ones (BMP's `BM`, Windows' `MZ`) are left out: text can start so,
/// and those files are caught by their binary bytes anyway.
const MAGIC: &[(&[u8], &str)] = &[
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b\x08", "a gzip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "an executable"),
    (b"ID3", "an MP3 audio file"),
    (b"OggS", "an Ogg media file"),
    (b"fLaC", "a FLAC audio file"),
    (b"\x1a\x45\xdf\xa3", "a WebM or Matroska video"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
];

/// How many leading bytes the checks read: enough for every signature and
/// for a feed's root element after an XML prolog and comments.
const HEAD: usize = 1_024;

/// `None` when `bytes` (served as `content_type`, if known) may be read as
/// an HTML page; otherwise what it looks like instead.
pub fn sniff(bytes: &[u8], content_type: Option<&str>) -> Option<NotPage> {
    let head = &bytes[..bytes.len().min(HEAD)];
    if let Some(what) = magic(head) {
        return Some(NotPage::Binary(what));
    }
    if let Some(declared) = content_type.and_then(declared_not_page) {
        return Some(declared);
    }
    let text = skip_bom(head);
    // WHATWG § 7.2: a binary data byte (control bytes other than whitespace and ESC).
    if text.iter().any(|&b| matches!(b, 0x00..=0x08 | 0x0b | 0x0e..=0x1a | 0x1c..=0x1f)) {
        return Some(NotPage::UnknownBinary);
    }
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).map_or(&text[..0], |at| &text[at..]);
    if start.first().is_some_and(|&b| b == b'{' || b == b'[') && !contains_ci(start, b"<html") {
        return Some(NotPage::Json);
    }
    if looks_like_feed(start) {
        return Some(NotPage::Feed);
    }
    None
}

fn magic(head: &[u8]) -> Option<&'static str> {
    if let Some(&(_, what)) = MAGIC.iter().find(|(sig, _)| head.starts_with(sig)) {
        return Some(what);
    }
    // RIFF containers and ISO media name their kind at offset 8 and 4.
    if head.starts_with(b"RIFF") && head.len() >= 12 {
        return Some(match &head[8..12] {
            b"WEBP" => "a WebP image",
            b"WAVE" => "a WAV audio file",
            b"AVI " => "an AVI video",
            _ => "a RIFF media file",
        });
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(if matches!(&head[8..12], b"avif" | b"heic" | b"heix" | b"mif1") {
            "an AVIF or HEIC image"
        } else {
            "an MP4 video"
        });
    }
    None
}

/// A declared type that is certainly not a page. HTML, XHTML, plain text and
/// the generic types servers send for anything are left to the bytes.
fn declared_not_page(content_type: &str) -> Option<NotPage> {
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if mime.is_empty()
        || mime.starts_with("text/")
        || mime.contains("html")
        || matches!(mime.as_str(), "application/octet-stream" | "binary/octet-stream" | "application/unknown")
    {
        return None;
    }
    if mime.contains("rss") || mime.contains("atom") || mime.contains("rdf") {
        return Some(NotPage::Feed);
    }
    if mime == "application/json" || mime.ends_with("+json") {
        return Some(NotPage::Json);
    }
    if mime == "application/xml" || mime.ends_with("+xml") {
        return None;
    }
    if mime.starts_with("image/")
        || mime.starts_with("audio/")
        || mime.starts_with("video/")
        || mime.starts_with("font/")
        || mime.starts_with("application/")
    {
        return Some(NotPage::Declared(mime));
    }
    None
}

fn skip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// An XML document whose first element is `rss`, `feed` or `rdf:RDF`.
fn looks_like_feed(start: &[u8]) -> bool {
    if !start.starts_with(b"<") {
        return false;
    }
    let mut rest = start;
    // Skip the XML declaration, processing instructions, comments and a doctype.
    while let Some(after) = rest.strip_prefix(b"<") {
        let skip = if after.starts_with(b"?") {
            find(after, b"?>").map(|at| at + 2)
        } else if after.starts_with(b"!--") {
            find(after, b"-->").map(|at| at + 3)
        } else if after.starts_with(b"!") {
            find(after, b">").map(|at| at + 1)
        } else {
            let name: Vec<u8> = after
                .iter()
                .take_while(|b| !b.is_ascii_whitespace() && **b != b'>' && **b != b'/')
                .map(u8::to_ascii_lowercase)
                .collect();
            return matches!(name.as_slice(), b"rss" | b"feed" | b"rdf:rdf");
        };
        let Some(skip) = skip else { return false };
        rest = after[skip..].trim_ascii_start();
    }
    false
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_text_are_pages() {
        assert_eq!(sniff(b"<!doctype html><html><body><p>Hi</p></body></html>", None), None);
        assert_eq!(sniff(b"\xef\xbb\xbf  <html>", Some("text/html; charset=utf-8")), None);
        assert_eq!(sniff(b"Just some words.", None), None);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">", None), None);
        assert_eq!(sniff(b"", None), None);
    }

    #[test]
    fn binaries_are_named_by_their_signature() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", None), Some(NotPage::Binary("a PNG image")));
        assert_eq!(sniff(b"%PDF-1.7\n", Some("text/html")), Some(NotPage::Binary("a PDF document")));
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01", None), Some(NotPage::Binary("an executable")));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ", None), Some(NotPage::Binary("a WebP image")));
        assert_eq!(sniff(b"\x01\x02\x03 garbage", None), Some(NotPage::UnknownBinary));
    }

    #[test]
    fn declared_types_that_are_not_pages_win_over_text_bytes() {
        assert_eq!(sniff(b"hello", Some("application/pdf")), Some(NotPage::Declared("application/pdf".into())));
        assert_eq!(sniff(b"<html>", Some("application/octet-stream")), None);
    }

    #[test]
    fn feeds_and_json_are_not_pages() {
        assert_eq!(sniff(b"<?xml version=\"1.0\"?>\n<!-- hi --><rss version=\"2.0\">", None), Some(NotPage::Feed));
        assert_eq!(sniff(b"<feed xmlns=\"http://www.w3.org/2005/Atom\">", None), Some(NotPage::Feed));
        assert_eq!(sniff(b" {\"a\": 1}", None), Some(NotPage::Json));
        assert_eq!(sniff(b"<html>", Some("application/atom+xml")), Some(NotPage::Feed));
        assert_eq!(NotPage::Binary("a PNG image").to_string(), "a PNG image");
    }
}
