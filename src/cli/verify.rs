//! `gleaner verify ITEM|--issue N`: chosen quotes checked against their
//! pages now (through the running service when there is one).

use anyhow::{Context, anyhow};
use chrono::Utc;
use reqwest::Method;

use super::backend::Backend;
use super::output::json_line;
use super::{CmdResult, Failure};
use crate::model::{CheckState, ItemId};
use crate::verify::EntryChecks;
use crate::web::api::wire::VerifyBody;

/// What to verify.
pub(super) enum Target {
    Item(String),
    Issue(u32),
}

impl Backend {
    /// Checks the target's chosen quotes and records the checks as `actor`.
    pub(super) fn verify(&self, target: &Target, actor: &str) -> anyhow::Result<Vec<EntryChecks>> {
        match self {
            Self::Local(app) => {
                let runtime = super::runtime()?;
                let verifier = &app.verifier;
                let checks = match target {
                    Target::Item(id) => {
                        let id = ItemId::parse(id).ok_or_else(|| anyhow!("{id:?} is not an item id"))?;
                        vec![runtime.block_on(verifier.verify_item(&id, actor, Utc::now()))?]
                    }
                    Target::Issue(number) => runtime.block_on(verifier.verify_issue(*number, actor, Utc::now()))?,
                };
                Ok(checks)
            }
            Self::Remote { remote, .. } => {
                let body = match target {
                    Target::Item(id) => {
                        VerifyBody { item: Some(id.clone()), issue: None, actor: Some(actor.to_owned()) }
                    }
                    Target::Issue(n) => VerifyBody { item: None, issue: Some(*n), actor: Some(actor.to_owned()) },
                };
                remote.call(Method::POST, "/api/v1/verify", Some(&body)).map_err(|e| anyhow!(e))
            }
        }
    }

    /// Before a publish: checks the next issue's chosen quotes; an error
    /// listing those not verified unless `accept_unverified`.
    pub(super) fn verify_before_publish(&self, accept_unverified: bool, actor: &str) -> anyhow::Result<()> {
        let Self::Local(app) = self else {
            // The service verifies inside its publish route (see `publish`).
            return Ok(());
        };
        let checks = super::runtime()?.block_on(app.verifier.verify_draft(actor, Utc::now()))?;
        match crate::verify::refusal(&checks) {
            Some(message) if !accept_unverified => Err(anyhow!(message)),
            Some(message) => {
                eprintln!("warning: publishing as confirmed: {message}");
                Ok(())
            }
            None => Ok(()),
        }
    }
}

/// `gleaner verify`: one line per chosen quote, or JSON lines. Exits 1 when
/// any quote is not verified, so a script can stop a publish on it.
pub(super) fn verify(backend: &Backend, target: &Target, json: bool) -> CmdResult {
    let actor = super::items::cli_actor(None)?;
    let checks = backend.verify(target, &actor).context("verifying")?;
    for entry in &checks {
        for quote in &entry.quotes {
            if json {
                json_line(&serde_json::json!({
                    "item": entry.id,
                    "title": entry.title,
                    "quote": quote.quote_id,
                    "speaker": quote.speaker,
                    "state": quote.check.state,
                    "at": quote.check.at,
                    "published": quote.check.published,
                    "current": quote.check.current,
                    "detail": quote.check.detail,
                }))?;
                continue;
            }
            outln!("{}  {:<11}  {}", entry.id, quote.check.state, quote.check.published);
            if let Some(current) = &quote.check.current {
                outln!("    now: {current}");
            } else if let Some(detail) = &quote.check.detail {
                outln!("    {detail}");
            }
        }
    }
    let bad = checks.iter().flat_map(|e| &e.quotes).filter(|q| q.check.state != CheckState::Verified).count();
    if bad > 0 {
        if !json {
            eprintln!("{bad} quote(s) not verified");
        }
        return Err(Failure::Partial);
    }
    Ok(())
}
