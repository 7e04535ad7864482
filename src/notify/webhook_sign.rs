//! Webhook signatures, as the Standard Webhooks spec defines them (the
//! scheme Svix, Clerk, Resend and others use, with verifiers in every common
//! language): `webhook-signature: v1,{base64(HMAC-SHA256(secret,
//! "{webhook-id}.{webhook-timestamp}.{body}"))}`. Signing the id and the
//! timestamp with the body stops a replayed or re-labelled delivery: a
//! receiver refuses timestamps older than a few minutes and dedups ids.
//! Pure: the timestamp is an argument.

use aws_lc_rs::hmac;
use base64::Engine as _;

/// The value of the `webhook-signature` header.
pub fn signature(secret: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut context = hmac::Context::with_key(&key);
    context.update(id.as_bytes());
    context.update(b".");
    context.update(timestamp.to_string().as_bytes());
    context.update(b".");
    context.update(body.as_bytes());
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(context.sign().as_ref()))
}

/// The headers of one attempt: `webhook-id`, `webhook-timestamp` (Unix
/// seconds, taken per attempt), `webhook-signature`.
pub fn headers(secret: &[u8], id: &str, timestamp: i64, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature(secret, id, timestamp, body)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks reference vector (its README and test suites):
    /// secret `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw` (base64 after the prefix),
    /// id `msg_p5jXN8AQM9LWM0D4loKWxJek`, timestamp 1614265330.
    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        let secret = base64::engine::general_purpose::STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
