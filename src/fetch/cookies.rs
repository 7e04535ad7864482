//! A source's cookie file: which of its cookies go to a URL.
//!
//! Two forms, both what operators have at hand: the Netscape `cookies.txt`
//! that curl, wget and browser add-ons write (tab-separated domain, subdomain
//! flag, path, secure, expiry, name, value; `#HttpOnly_` marks a line that is
//! still a cookie), or a bare `name=value; name2=value2` line copied from a
//! browser's request, sent only to the host the request started at. Written
//! by hand (a cookie store crate would pull in a jar we never write to).

use url::Url;

/// The `Cookie` header value for `url` from a cookie file's `text`, if any
/// cookie applies. `now` is Unix seconds (expired cookies are left out).
pub(super) fn cookie_header(text: &str, url: &Url, now: i64) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    let mut pairs = Vec::new();
    let mut bare = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let line = line.strip_prefix("#HttpOnly_").unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if let [domain, subdomains, path, secure, expiry, name, value] = fields[..] {
            let domain = domain.trim().to_ascii_lowercase();
            let (dotted, domain) = domain.strip_prefix('.').map_or((false, domain.as_str()), |d| (true, d));
            let matches_host = host == domain
                || ((dotted || subdomains.eq_ignore_ascii_case("TRUE")) && host.ends_with(&format!(".{domain}")));
            let matches_path = url.path().starts_with(path.trim());
            let secure_ok = !secure.eq_ignore_ascii_case("TRUE") || url.scheme() == "https";
            let unexpired = expiry.trim().parse::<i64>().map_or(true, |at| at == 0 || at > now);
            if matches_host && matches_path && secure_ok && unexpired {
                pairs.push(format!("{}={}", name.trim(), value.trim()));
            }
        } else if bare.is_none() && line.contains('=') {
            bare = Some(line.trim().to_owned());
        }
    }
    if pairs.is_empty() { bare } else { Some(pairs.join("; ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("valid url")
    }

    const JAR: &str = "# Netscape HTTP Cookie File\n\
        .example.org\tTRUE\t/\tFALSE\t0\tsession\tabc\n\
        #HttpOnly_news.example.org\tFALSE\t/\tTRUE\t0\tsecure\tyes\n\
        news.example.org\tFALSE\t/paid\tFALSE\t0\tpaid\t1\n\
        other.org\tFALSE\t/\tFALSE\t0\tforeign\tno\n\
        .example.org\tTRUE\t/\tFALSE\t100\told\tgone\n";

    #[test]
    fn netscape_cookies_go_to_their_domain_path_and_scheme_only() {
        let at = |u: &str| cookie_header(JAR, &url(u), 1_000);
        assert_eq!(at("https://news.example.org/paid/1").as_deref(), Some("session=abc; secure=yes; paid=1"));
        assert_eq!(at("http://news.example.org/free").as_deref(), Some("session=abc"));
        assert_eq!(at("https://other.org/").as_deref(), Some("foreign=no"));
        assert_eq!(at("https://unrelated.net/"), None);
    }

    #[test]
    fn a_bare_cookie_line_is_sent_as_is() {
        let header = cookie_header("# from the browser\nsid=1; consent=yes\n", &url("https://e.org/"), 0);
        assert_eq!(header.as_deref(), Some("sid=1; consent=yes"));
        assert_eq!(cookie_header("", &url("https://e.org/"), 0), None);
    }
}
