//! The CLI's client of a running `serve`: when the service holds the store
//! (sled lets one process open it), store commands send their requests to
//! the JSON API with the operator token from the service file, and print
//! what comes back exactly as they print what they read themselves.
//!
//! Every answer decodes into the same types the offline path produces
//! (`web::api::wire`), and every refusal back into the same
//! [`EditorialError`], so messages and exit codes match too.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::editorial::EditorialError;
use crate::web::api::wire::{ErrorBody, SERVICE_FILE, ServiceFile, remote_failure};

/// Long enough for a publish of a large issue; a hung service still ends the command.
const TIMEOUT: Duration = Duration::from_secs(300);

/// A connection to the running service.
pub(super) struct Remote {
    url: String,
    token: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("url", &self.url).finish_non_exhaustive()
    }
}

impl Remote {
    /// The service named by the service file in `store_dir`; `Ok(None)`
    /// when there is none (no `serve` holds this store).
    pub(super) fn from_store_dir(store_dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = store_dir.join(SERVICE_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "the store is held by a running service, but its service file {} is not readable by you \
                     (run the command as the service's user)",
                    path.display()
                )));
            }
        };
        let file: ServiceFile =
            serde_json::from_slice(&bytes).with_context(|| format!("{}: not a service file", path.display()))?;
        let client = reqwest::Client::builder().no_proxy().timeout(TIMEOUT).build().context("HTTP client")?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(Some(Self { url: file.url, token: file.token, client, runtime }))
    }

    /// Where the service listens.
    pub(super) fn url(&self) -> &str {
        &self.url
    }

    /// One request; a refusal comes back as the editorial error it describes.
    pub(super) fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, EditorialError> {
        self.send(method, path, body)?.map_err(ErrorBody::into_editorial)
    }

    /// One request; the service's refusal as it sent it (for commands whose
    /// failures are not editorial: a bad URL or address, a failed send), in
    /// the inner `Err`. The outer one: the service could not be asked.
    pub(super) fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<Result<T, ErrorBody>, EditorialError> {
        let url = format!("{}{path}", self.url);
        let mut request = self.client.request(method, &url).bearer_auth(&self.token);
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body).map_err(|e| unreachable(&url, &e))?;
            request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes);
        }
        let (status, bytes) = self
            .runtime
            .block_on(async {
                let response = request.send().await?;
                let status = response.status();
                Ok::<_, reqwest::Error>((status, response.bytes().await?))
            })
            .map_err(|e| unreachable(&url, &e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map(Ok).map_err(|e| unreachable(&url, &e));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(error) if error.code == "unauthorized" => Err(remote_failure(format!(
                "the service at {} refused the token in its service file ({}); is it still the one running?",
                self.url, error.message
            ))),
            Ok(error) => Ok(Err(error)),
            Err(_) => Err(remote_failure(format!("{url}: HTTP {status}"))),
        }
    }

    pub(super) fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, EditorialError> {
        self.call(Method::GET, path, None::<&()>)
    }
}

fn unreachable(url: &str, error: &dyn std::fmt::Display) -> EditorialError {
    remote_failure(format!("the running service at {url}: {error}"))
}

/// `s` as one percent-encoded path segment or query value.
pub(super) fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}
