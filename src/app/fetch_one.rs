//! One document fetched on an operator's request (`gleaner parse URL`,
//! `extract URL`, `preview SOURCE`): fetched as a source would be, with the
//! configured fetch settings and guards, and never stored.

use url::Url;

use crate::config::FetchSettings;
use crate::fetch::{FetchError, FetchOutcome, FetchRequest, FetchedBody, Fetcher, Purpose, Validators};
use crate::model::{Article, Source};

/// Why the document could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchOneError {
    #[error("fetching {url}: {source}")]
    Fetch {
        url: Url,
        #[source]
        source: FetchError,
    },
    /// A 304 to a request that sent no validators: a broken server.
    #[error("{url}: the server answered 304 to an unconditional request")]
    NotModified { url: Url },
    /// A PDF, an image or another binary where a page was expected.
    #[error("{url}: not an HTML page (looks like {what})")]
    NotPage { url: Url, what: crate::extract::NotPage },
}

/// Fetches `url` once, unconditionally.
pub async fn fetch_one(settings: &FetchSettings, url: &Url) -> Result<FetchedBody, FetchOneError> {
    let wrap = |source| FetchOneError::Fetch { url: url.clone(), source };
    let fetcher = Fetcher::new(settings).map_err(wrap)?;
    let validators = Validators::default();
    let outcome =
        fetcher.fetch(&FetchRequest { url, validators: &validators, purpose: Purpose::Source, overrides: None }).await;
    match outcome.map_err(wrap)? {
        FetchOutcome::Fetched(body) => Ok(body),
        FetchOutcome::NotModified => Err(FetchOneError::NotModified { url: url.clone() }),
    }
}

/// Fetches one article page as `source` would (`gleaner extract URL --source
/// ID`): with its fetch settings when the page is on its site, through its
/// `follow_next` pages, and extracted under its rules. A `file://` URL reads
/// a local page (and local next pages). Notes say where the rules or the
/// pages fell short; a page that is not HTML is an error naming what it is.
pub async fn extract_as_source(settings: &FetchSettings, url: &Url, source: &Source) -> Result<Article, FetchOneError> {
    let wrap = |source| FetchOneError::Fetch { url: url.clone(), source };
    let fetcher = Fetcher::new(settings).map_err(wrap)?;
    let validators = Validators::default();
    let overrides = crate::ingest::overrides_for(source, url);
    let request = FetchRequest { url, validators: &validators, purpose: Purpose::Source, overrides };
    let first = match fetcher.fetch(&request).await.map_err(wrap)? {
        FetchOutcome::Fetched(body) => body,
        FetchOutcome::NotModified => return Err(FetchOneError::NotModified { url: url.clone() }),
    };
    if let Some(what) = crate::extract::sniff(&first.bytes, first.content_type.as_deref()) {
        return Err(FetchOneError::NotPage { url: url.clone(), what });
    }
    let (more, note) = match &source.rules.follow_next {
        Some(next) => crate::ingest::follow_pages(&fetcher, &first, next, Purpose::Source, overrides).await,
        None => (Vec::new(), None),
    };
    let mut article = crate::ingest::extract_bodies(&first, &more, &source.name, &source.rules);
    article.notes.extend(note);
    Ok(article)
}
