//! One document fetched on an operator's request (`gleaner parse URL`,
//! `extract URL`, `preview SOURCE`): fetched as a source would be, with the
//! configured fetch settings and guards, and never stored.

use url::Url;

use crate::config::FetchSettings;
use crate::fetch::{FetchError, FetchOutcome, FetchRequest, FetchedBody, Fetcher, Purpose, Validators};

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
}

/// Fetches `url` once, unconditionally.
pub async fn fetch_one(settings: &FetchSettings, url: &Url) -> Result<FetchedBody, FetchOneError> {
    let wrap = |source| FetchOneError::Fetch { url: url.clone(), source };
    let fetcher = Fetcher::new(settings).map_err(wrap)?;
    let validators = Validators::default();
    let outcome = fetcher.fetch(&FetchRequest { url, validators: &validators, purpose: Purpose::Source }).await;
    match outcome.map_err(wrap)? {
        FetchOutcome::Fetched(body) => Ok(body),
        FetchOutcome::NotModified => Err(FetchOneError::NotModified { url: url.clone() }),
    }
}
