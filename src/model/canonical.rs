//! Canonical URLs: one spelling per article, so the same story reached through
//! a newsletter link and through the feed is one item.
//!
//! Rules: lower-case host, no fragment, no default port, tracking parameters
//! removed, every other parameter kept in its original order and spelling, no
//! empty `?`. Idempotent: canonicalizing a canonical URL changes nothing.
//! Pure; must not follow redirects or guess at `www.` or trailing slashes
//! (those change the resource on some servers).

use url::Url;

/// Query parameters that only say where a click came from.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "__hssc",
    "__hstc",
    "__hsfp",
    "hsctatracking",
    "igshid",
    "yclid",
    "ref_src",
    "ref_url",
    "twclid",
    "ttclid",
    "li_fat_id",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "_openstat",
    "vero_id",
    "wickedid",
    "rb_clickid",
    "s_kwcid",
    "ncid",
    "cmpid",
    "_ga",
    "_gl",
];

/// The canonical form of an already-parsed URL.
pub fn canonical_url(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    if let Some(host) = url.host_str() {
        // Special schemes already lower-case their host; others (and
        // opaque hosts) do not, and host names are case-insensitive anyway.
        if host.bytes().any(|b| b.is_ascii_uppercase()) {
            let lower = host.to_ascii_lowercase();
            // Cannot fail for a host the URL already accepted in another case.
            let _ = url.set_host(Some(&lower));
        }
    }
    if url.port().is_some() && url.port() == default_port(url.scheme()) {
        let _ = url.set_port(None);
    }
    if let Some(query) = url.query() {
        let kept: Vec<&str> = query.split('&').filter(|pair| !pair.is_empty() && !is_tracking(pair)).collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            let joined = kept.join("&");
            if joined != query {
                url.set_query(Some(&joined));
            }
        }
    }
    url
}

/// Resolves `raw` (absolute, or relative to `base`) and canonicalizes it.
/// `None` for empty text, unparseable URLs and schemes that cannot name an
/// article (`javascript:`, `mailto:`, `data:` ...).
pub fn canonicalize(raw: &str, base: Option<&Url>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let url = Url::options().base_url(base).parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https" | "file") || url.cannot_be_a_base() {
        return None;
    }
    Some(canonical_url(&url).into())
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "ftp" => Some(21),
        _ => None,
    }
}

fn is_tracking(pair: &str) -> bool {
    let key = pair.split('=').next().unwrap_or(pair);
    let key = percent_decode_lower(key);
    key.starts_with("utm_") || TRACKING_PARAMS.contains(&key.as_str())
}

/// Decodes `%xx` and `+` so that `utm%5Fsource` is recognized too.
fn percent_decode_lower(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(raw: &str) -> String {
        canonicalize(raw, None).expect("valid test URL")
    }

    #[test]
    fn strips_tracking_fragment_and_default_port() {
        assert_eq!(
            canon("HTTPS://Example.COM:443/a/b?id=3&utm_source=x&UTM_Medium=y&fbclid=z&b=2#frag"),
            "https://example.com/a/b?id=3&b=2"
        );
        assert_eq!(canon("http://example.com:80/?utm_campaign=a"), "http://example.com/");
        assert_eq!(canon("http://example.com/?"), "http://example.com/");
        assert_eq!(canon("http://example.com:8080/x?gclid=1&mc_cid=2&mc_eid=3"), "http://example.com:8080/x");
    }

    #[test]
    fn keeps_other_params_in_order_and_spelling() {
        assert_eq!(canon("https://e.com/s?q=a%20b&z=1&a=2&ref=home"), "https://e.com/s?q=a%20b&z=1&a=2&ref=home");
    }

    #[test]
    fn resolves_relative_against_base() {
        let base = Url::parse("https://news.example.org/feed/rss.xml").expect("valid");
        assert_eq!(
            canonicalize("../2024/story.html?utm_source=rss", Some(&base)).as_deref(),
            Some("https://news.example.org/2024/story.html")
        );
        assert_eq!(canonicalize("/x", None), None);
    }

    #[test]
    fn rejects_non_article_schemes() {
        assert_eq!(canonicalize("javascript:alert(1)", None), None);
        assert_eq!(canonicalize("mailto:a@b.c", None), None);
        assert_eq!(canonicalize("   ", None), None);
    }

    #[test]
    fn encoded_tracking_keys_are_recognized() {
        assert_eq!(canon("https://e.com/?utm%5Fsource=x&k=%"), "https://e.com/?k=%");
    }

    proptest! {
        #[test]
        fn canonicalize_is_idempotent_and_never_panics(raw in ".{0,80}", path in "[a-zA-Z0-9/%?&=#._~+-]{0,60}") {
            let base = Url::parse("https://Example.org/dir/page").expect("valid");
            for input in [raw.clone(), format!("https://EXAMPLE.org:443/{path}"), path.clone()] {
                if let Some(once) = canonicalize(&input, Some(&base)) {
                    let twice = canonicalize(&once, None);
                    prop_assert_eq!(Some(once.clone()), twice);
                }
            }
        }
    }
}
