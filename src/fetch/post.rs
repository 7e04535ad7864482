//! Outbound POSTs (webhook deliveries) through the same clients, timeouts and
//! private-network guard as fetches: a webhook URL is operator config, but a
//! guarded client means a typo or a rebinding DNS name cannot turn
//! deliveries against the LAN or this host (allowed with
//! `fetch.allow_private_networks`, as for fetches). Redirects are not
//! followed: a webhook receiver answers where it is configured.

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use url::Url;

use super::{FetchError, Fetcher, refuse_private_literal};

impl Fetcher {
    /// POSTs a JSON `body` with extra `headers`; returns the HTTP status (the
    /// caller decides what counts as delivered).
    pub async fn post_json(&self, url: &Url, headers: &[(&str, String)], body: String) -> Result<u16, FetchError> {
        let guarded = !self.inner.settings.allow_private_networks;
        if guarded {
            refuse_private_literal(url)?;
        }
        let client = if guarded { &self.inner.guarded } else { &self.inner.open };
        let mut request = client.post(url.clone()).header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value) in headers {
            let (Ok(name), Ok(value)) = (HeaderName::try_from(*name), HeaderValue::try_from(value.as_str())) else {
                continue; // our own header names and values; never invalid in practice
            };
            request = request.header(name, value);
        }
        let response = request.body(body).send().await.map_err(|e| FetchError::from_reqwest(url, e))?;
        Ok(response.status().as_u16())
    }
}
