//! Integration tests: the HTTP server serving `/feeds/*` from a published
//! folder on 127.0.0.1: validators and 304s, gzip, content types, caching
//! headers, and that nothing outside the published names is reachable.

use std::io::Read as _;
use std::path::Path;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};

/// A server on 127.0.0.1:0 over `dir`, on its own thread and runtime; stops on drop.
pub(crate) struct Server {
    base: String,
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    pub(crate) fn start(dir: &Path) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = gleaner::web::router(gleaner::web::WebState::new(dir));
        runtime.spawn(gleaner::web::serve(listener, router, async move {
            let _ = stopped.await;
        }));
        Self { base: format!("http://{addr}"), runtime, stop: Some(stop) }
    }

    /// GET `path` with `headers`; automatic decompression off, so what the server sent is what we see.
    pub(crate) fn get(&self, path: &str, headers: &[(header::HeaderName, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
        let client = reqwest::Client::builder().no_gzip().no_brotli().no_deflate().build().expect("client");
        let mut request = client.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(name.clone(), *value);
        }
        self.runtime.block_on(async {
            let response = request.send().await.expect("request");
            let status = response.status();
            let headers = response.headers().clone();
            (status, headers, response.bytes().await.expect("body").to_vec())
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn published_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("issues")).expect("mkdir");
    let big = "<item>Digest issue text</item>".repeat(200);
    for (name, body) in [
        ("digest.xml", format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>{big}</channel></rss>")),
        ("digest.atom", "<feed xmlns=\"http://www.w3.org/2005/Atom\"/>".to_owned()),
        ("digest.json", "{\"version\":\"https://jsonfeed.org/version/1.1\"}".to_owned()),
        ("index.html", "<!DOCTYPE html><title>Archive</title>".to_owned()),
        ("issues/7.html", "<!DOCTYPE html><title>Issue 7</title>".to_owned()),
    ] {
        std::fs::write(dir.path().join(name), body).expect("write");
    }
    std::fs::write(dir.path().parent().expect("parent").join("secret.txt"), "secret").ok();
    dir
}

fn header<'a>(headers: &'a HeaderMap, name: &header::HeaderName) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[test]
fn feed_is_served_with_validators_then_304_on_a_match() {
    let dir = published_dir();
    let server = Server::start(dir.path());
    let (status, headers, body) = server.get("/feeds/digest.xml", &[]);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, std::fs::read(dir.path().join("digest.xml")).expect("read"));
    let etag = header(&headers, &header::ETAG).to_owned();
    let last_modified = header(&headers, &header::LAST_MODIFIED).to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"), "strong ETag: {etag}");
    assert!(httpdate::parse_http_date(&last_modified).is_ok(), "{last_modified}");
    assert_eq!(header(&headers, &header::CONTENT_TYPE), "application/rss+xml; charset=utf-8");
    assert_eq!(header(&headers, &header::CACHE_CONTROL), "public, max-age=300");
    assert_eq!(header(&headers, &header::VARY), "accept-encoding");

    let (status, headers, body) = server.get("/feeds/digest.xml", &[(header::IF_NONE_MATCH, &etag)]);
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(header(&headers, &header::ETAG), etag);

    let (status, _, _) = server.get("/feeds/digest.xml", &[(header::IF_MODIFIED_SINCE, &last_modified)]);
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // If-None-Match decides when present, even when the date would match.
    let (status, _, _) = server
        .get("/feeds/digest.xml", &[(header::IF_NONE_MATCH, "\"other\""), (header::IF_MODIFIED_SINCE, &last_modified)]);
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn a_republished_file_gets_a_new_etag() {
    let dir = published_dir();
    let server = Server::start(dir.path());
    let (_, headers, _) = server.get("/feeds/digest.json", &[]);
    let etag = header(&headers, &header::ETAG).to_owned();
    gleaner::publish::write::write_atomic(&dir.path().join("digest.json"), b"{\"version\":\"changed, longer\"}")
        .expect("write");
    let (status, headers, body) = server.get("/feeds/digest.json", &[(header::IF_NONE_MATCH, &etag)]);
    assert_eq!(status, StatusCode::OK);
    assert_ne!(header(&headers, &header::ETAG), etag);
    assert_eq!(body, b"{\"version\":\"changed, longer\"}");
}

#[test]
fn gzip_when_the_client_accepts_it() {
    let dir = published_dir();
    let server = Server::start(dir.path());
    let (status, headers, body) = server.get("/feeds/digest.xml", &[(header::ACCEPT_ENCODING, "gzip, br")]);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, &header::CONTENT_ENCODING), "gzip");
    let original = std::fs::read(dir.path().join("digest.xml")).expect("read");
    assert!(body.len() < original.len() / 4, "compressed: {} of {}", body.len(), original.len());
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(body.as_slice()).read_to_end(&mut plain).expect("valid gzip");
    assert_eq!(plain, original);
    // The gzip representation has its own strong validator, and 304s on it.
    let etag = header(&headers, &header::ETAG).to_owned();
    let (_, plain_headers, _) = server.get("/feeds/digest.xml", &[]);
    assert_ne!(header(&plain_headers, &header::ETAG), etag);
    let (status, _, _) =
        server.get("/feeds/digest.xml", &[(header::ACCEPT_ENCODING, "gzip"), (header::IF_NONE_MATCH, &etag)]);
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // q=0 refuses it.
    let (_, headers, _) = server.get("/feeds/digest.xml", &[(header::ACCEPT_ENCODING, "gzip;q=0")]);
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
}

#[test]
fn every_format_has_its_content_type_with_charset() {
    let dir = published_dir();
    let server = Server::start(dir.path());
    for (path, content_type, cache) in [
        ("/feeds/digest.xml", "application/rss+xml; charset=utf-8", "public, max-age=300"),
        ("/feeds/digest.atom", "application/atom+xml; charset=utf-8", "public, max-age=300"),
        ("/feeds/digest.json", "application/feed+json; charset=utf-8", "public, max-age=300"),
        ("/feeds/index.html", "text/html; charset=utf-8", "public, max-age=300"),
        ("/feeds/", "text/html; charset=utf-8", "public, max-age=300"),
        ("/feeds/issues/7.html", "text/html; charset=utf-8", "public, max-age=86400"),
    ] {
        let (status, headers, _) = server.get(path, &[]);
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header(&headers, &header::CONTENT_TYPE), content_type, "{path}");
        assert_eq!(header(&headers, &header::CACHE_CONTROL), cache, "{path}");
    }
}

#[test]
fn only_published_names_are_reachable() {
    let dir = published_dir();
    let server = Server::start(dir.path());
    for path in [
        "/feeds/secret.txt",
        "/feeds/..%2Fsecret.txt",
        "/feeds/issues/..%2F..%2Fsecret.txt",
        "/feeds/issues/7.txt",
        "/feeds/issues/.html",
        "/feeds/issues/8.html",
        "/feeds/%2e%2e/secret.txt",
        "/nowhere",
    ] {
        let (status, headers, _) = server.get(path, &[]);
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&headers, &header::CONTENT_TYPE), "text/plain; charset=utf-8", "{path}");
    }
    let (status, _, body) = server.get("/healthz", &[]);
    // Without store and scheduler to check (`WebState::with_health`), healthz only says the server answers.
    assert_eq!((status, body.as_slice()), (StatusCode::OK, b"{\"status\":\"ok\"}\n".as_slice()));
}
