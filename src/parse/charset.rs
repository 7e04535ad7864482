//! Character-set detection and decoding for fetched bodies.
//!
//! Order of authority (RFC 7303 §3 for XML, WHATWG Encoding for HTML): a byte
//! order mark, then the HTTP `Content-Type` charset, then the XML declaration,
//! then an HTML `<meta charset>` / `http-equiv`, then UTF-8. Pure: bytes in,
//! text out; never fails (undecodable bytes become U+FFFD).
//!
//! One deliberate deviation: a declared legacy charset (header, prolog or meta)
//! loses to UTF-8 when the body is valid UTF-8 *and* has non-ASCII bytes.
//! Misconfigured servers and copy-pasted prologs say ISO-8859-1 for UTF-8 text
//! far more often than real legacy text happens to be valid UTF-8.

use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use regex::bytes::Regex;

/// How far into the body we look for an HTML `<meta>` charset. WHATWG says
/// 1024 bytes; real pages put it later (after long `<script>`s), so look further.
const META_SCAN_BYTES: usize = 16 * 1024;

/// Where the chosen encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    Bom,
    Http,
    XmlDeclaration,
    HtmlMeta,
    /// No usable declaration; UTF-8 (or windows-1252 when the bytes are not UTF-8).
    Default,
    /// A declaration said a legacy charset but the bytes are valid, non-ASCII UTF-8.
    Utf8Override,
}

/// The encoding a body should be decoded with, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub encoding: &'static Encoding,
    pub source: CharsetSource,
}

/// Decodes `bytes` to text using the encoding [`sniff`] picks; the returned
/// encoding is the one really used (a BOM always wins).
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> (String, &'static Encoding) {
    let sniffed = sniff(bytes, content_type);
    let (text, used, _had_errors) = sniffed.encoding.decode(bytes);
    (text.into_owned(), used)
}

/// Picks the encoding for `bytes` without decoding them.
pub fn sniff(bytes: &[u8], content_type: Option<&str>) -> Sniffed {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return Sniffed { encoding, source: CharsetSource::Bom };
    }
    // XML 1.0 Appendix F: UTF-16 without a BOM shows as ASCII with a zero
    // byte after (LE) or before (BE) each character: `<?xml`, but also a
    // document without a declaration (`<rss`, `{"version"`), so any two
    // ASCII characters in that shape. UTF-32 (`<` then three zeros) is not it.
    if let [a, b, c, d, ..] = *bytes {
        if a.is_ascii() && a != 0 && b == 0 && c.is_ascii() && c != 0 && d == 0 {
            return Sniffed { encoding: UTF_16LE, source: CharsetSource::XmlDeclaration };
        }
        if a == 0 && b.is_ascii() && b != 0 && c == 0 && d.is_ascii() && d != 0 {
            return Sniffed { encoding: UTF_16BE, source: CharsetSource::XmlDeclaration };
        }
    }
    let declared = content_type
        .and_then(http_charset)
        .map(|e| (e, CharsetSource::Http))
        .or_else(|| xml_declaration_charset(bytes).map(|e| (e, CharsetSource::XmlDeclaration)))
        .or_else(|| meta_charset(bytes).map(|e| (e, CharsetSource::HtmlMeta)));
    let utf8_ok = std::str::from_utf8(bytes).is_ok();
    match declared {
        // A UTF-16 label read from an ASCII-compatible body is a lie (WHATWG
        // maps it to UTF-8 for meta; the same reasoning holds for the rest).
        Some((encoding, source)) if encoding == UTF_16LE || encoding == UTF_16BE => {
            if bytes.len() >= 2 && bytes.iter().take(64).any(|&b| b == 0) {
                Sniffed { encoding, source }
            } else {
                Sniffed { encoding: UTF_8, source: CharsetSource::Utf8Override }
            }
        }
        Some((encoding, _)) if encoding != UTF_8 && utf8_ok && !bytes.is_ascii() => {
            Sniffed { encoding: UTF_8, source: CharsetSource::Utf8Override }
        }
        Some((encoding, source)) => Sniffed { encoding, source },
        // The common Western fallback: Latin-1 text with no declaration is
        // windows-1252 (a superset), never invalid UTF-8 replaced by U+FFFD.
        None if !utf8_ok => Sniffed { encoding: WINDOWS_1252, source: CharsetSource::Default },
        None => Sniffed { encoding: UTF_8, source: CharsetSource::Default },
    }
}

/// A UTF-32 body (by its byte-order mark, or XML 1.0 Appendix F's `<` in
/// four bytes) as UTF-8 text; `None` for anything else. `encoding_rs` does not
/// implement UTF-32 (the WHATWG Encoding standard dropped it), but feeds in it
/// exist and are well-formed XML. Invalid code points become U+FFFD.
pub fn utf32_to_utf8(bytes: &[u8]) -> Option<String> {
    let (little_endian, body) = match bytes {
        [0xFF, 0xFE, 0, 0, rest @ ..] => (true, rest),
        [0, 0, 0xFE, 0xFF, rest @ ..] => (false, rest),
        [a, 0, 0, 0, ..] if *a != 0 && a.is_ascii() => (true, bytes),
        [0, 0, 0, a, ..] if *a != 0 && a.is_ascii() => (false, bytes),
        _ => return None,
    };
    let text = body
        .chunks(4)
        .map(|unit| {
            let mut word = [0u8; 4];
            word[..unit.len()].copy_from_slice(unit);
            let value = if little_endian { u32::from_le_bytes(word) } else { u32::from_be_bytes(word) };
            char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER)
        })
        .collect();
    Some(text)
}

/// The `charset` parameter of a `Content-Type` header value, if it names a known encoding.
pub fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        Encoding::for_label(value.as_bytes())
    })
}

/// The `encoding` pseudo-attribute of a leading `<?xml ...?>` declaration.
fn xml_declaration_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    static DECL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']"#).expect("static regex is valid")
    });
    let head = &bytes[..bytes.len().min(512)];
    let label = DECL.captures(head)?.get(1)?.as_bytes();
    Encoding::for_label(label)
}

/// `<meta charset=...>` or `<meta http-equiv=Content-Type content="...; charset=...">`.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    static META: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i-u)<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)"#).expect("static regex is valid")
    });
    let head = &bytes[..bytes.len().min(META_SCAN_BYTES)];
    let label = META.captures(head)?.get(1)?.as_bytes();
    // WHATWG: a meta naming UTF-16 means UTF-8 (the bytes were read as ASCII).
    Encoding::for_label(label).map(Encoding::output_encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_wins_over_everything() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<rss/>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (text, enc) = decode(&bytes, Some("text/xml; charset=iso-8859-1"));
        assert_eq!(enc, UTF_16LE);
        assert_eq!(text, "<rss/>");
    }

    #[test]
    fn utf16_without_bom_is_sniffed_from_the_declaration_shape() {
        let mut bytes = Vec::new();
        for unit in "<?xml version=\"1.0\"?><a>é</a>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        let (text, enc) = decode(&bytes, None);
        assert_eq!(enc, UTF_16BE);
        assert!(text.ends_with("<a>é</a>"));
    }

    #[test]
    fn http_charset_beats_the_prolog() {
        let (bytes, _, _) =
            encoding_rs::KOI8_R.encode("<?xml version=\"1.0\" encoding=\"windows-1251\"?><a>Привет</a>");
        let (text, enc) = decode(&bytes, Some("application/xml; charset=\"KOI8-R\""));
        assert_eq!(enc, encoding_rs::KOI8_R);
        assert!(text.contains("Привет"));
    }

    #[test]
    fn prolog_charset_decodes_windows_1256() {
        let (bytes, _, _) =
            encoding_rs::WINDOWS_1256.encode("<?xml version=\"1.0\" encoding=\"windows-1256\"?><t>سلام دنيا، گزارش</t>");
        let (text, enc) = decode(&bytes, Some("text/xml"));
        assert_eq!(enc, encoding_rs::WINDOWS_1256);
        // Windows-1256 has the Arabic yeh (U+064A) that Persian text in it uses, and پ چ ژ گ.
        assert!(text.contains("سلام دنيا، گزارش"));
    }

    #[test]
    fn iso_8859_labels_decode() {
        let (bytes, _, _) =
            encoding_rs::ISO_8859_7.encode("<?xml version='1.0' encoding='ISO-8859-7'?><t>Καλημέρα</t>");
        let (text, _) = decode(&bytes, None);
        assert!(text.contains("Καλημέρα"));
    }

    #[test]
    fn html_meta_charset_is_found_late_in_the_head() {
        let mut html = b"<html><head>".to_vec();
        html.extend(std::iter::repeat_n(b' ', 3000));
        html.extend_from_slice(b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"></head>");
        let (body, _, _) = encoding_rs::KOI8_R.encode("<p>Мир</p>");
        html.extend_from_slice(&body);
        let (text, enc) = decode(&html, None);
        assert_eq!(enc, encoding_rs::KOI8_R);
        assert!(text.contains("Мир"));
    }

    #[test]
    fn utf8_body_with_a_wrong_legacy_prolog_stays_utf8() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>café</t>";
        let (text, enc) = decode(doc.as_bytes(), None);
        assert_eq!(enc, UTF_8);
        assert!(text.contains("café"));
    }

    #[test]
    fn undeclared_latin1_falls_back_to_windows_1252() {
        let (text, enc) = decode(b"<t>caf\xe9</t>", None);
        assert_eq!(enc, WINDOWS_1252);
        assert_eq!(text, "<t>café</t>");
    }

    #[test]
    fn unknown_labels_are_ignored() {
        assert_eq!(sniff(b"<a/>", Some("text/xml; charset=bogus")).encoding, UTF_8);
        assert_eq!(http_charset("text/html"), None);
    }
}
