//! `WebSub` publisher ping: tells the configured hub that the digest feeds changed.
//!
//! The `WebSub` recommendation (W3C, 2018) leaves the publisher → hub
//! notification to each hub; the common form, which we send, is the
//! `PubSubHubbub` one: `POST` a form with `hub.mode=publish` and one
//! `hub.url` per changed topic. A hub answers 2xx (usually 204). The ping is
//! best-effort: a failure is reported, never undoes a publish. Main entry:
//! [`ping`]. Must not decide when to ping (the use-case does).

use std::time::Duration;

use url::Url;

/// A hub that did not accept the ping.
#[derive(Debug, thiserror::Error)]
pub enum PingError {
    /// The request did not complete (connect, timeout, ...).
    #[error("WebSub hub {hub}: {reason}")]
    Request { hub: String, reason: String },
    /// The hub answered with a non-2xx status.
    #[error("WebSub hub {hub} answered {status}")]
    Status { hub: String, status: u16 },
}

/// Hubs answer quickly or not at all; never hold up the caller for long.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends one publish ping naming every `topics` URL.
pub async fn ping(hub: &Url, topics: &[String], user_agent: &str) -> Result<(), PingError> {
    let request_error = |e: &dyn std::fmt::Display| PingError::Request { hub: hub.to_string(), reason: e.to_string() };
    let client =
        reqwest::Client::builder().user_agent(user_agent).timeout(TIMEOUT).build().map_err(|e| request_error(&e))?;
    // Built in its own scope: the serializer is not `Send` and must not live across an await.
    let body = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("hub.mode", "publish");
        for topic in topics {
            form.append_pair("hub.url", topic);
        }
        form.finish()
    };
    let response = client
        .post(hub.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| request_error(&e))?;
    let status = response.status();
    if status.is_success() { Ok(()) } else { Err(PingError::Status { hub: hub.to_string(), status: status.as_u16() }) }
}
