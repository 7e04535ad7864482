//! The composer's preview: the next issue's page rendered by the publisher's
//! own `compose` and `Renderer` (operator template overrides included), so
//! editors see exactly what subscribers will.
//!
//! It repeats the few lines of `Publisher::compose` that gather candidates,
//! because that method is private; once the publisher offers a preview
//! (`Publisher::preview(store, now)`), this should call it instead.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{Config, PublishSettings};
use crate::model::{Item, Quote, ReviewState};
use crate::publish::compose::{self, Candidate};
use crate::publish::load_templates;
use crate::publish::render::Renderer;
use crate::store::{ItemQuery, Store};

/// What the preview needs from config and the store.
pub struct Preview {
    settings: PublishSettings,
    renderer: Renderer,
    /// Source id → (name, section), from config.
    sources: HashMap<String, (String, Option<String>)>,
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for Preview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preview").field("title", &self.settings.title).finish_non_exhaustive()
    }
}

impl Preview {
    pub fn new(
        settings: PublishSettings,
        renderer: Renderer,
        sources: &[crate::model::Source],
        store: Arc<dyn Store>,
    ) -> Self {
        let sources = sources.iter().map(|s| (s.id.clone(), (s.name.clone(), s.section.clone()))).collect();
        Self { settings, renderer, sources, store }
    }

    /// With the digest templates as `publish` would load them.
    pub fn from_config(config: &Config, store: Arc<dyn Store>) -> Result<Self, String> {
        let settings = config.settings.publish.clone();
        let renderer = load_templates(&settings)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
        Ok(Self::new(settings, renderer, &config.sources, store))
    }

    pub fn settings(&self) -> &PublishSettings {
        &self.settings
    }

    /// The page `issues/{n}.html` of the issue that would be published at
    /// `now`; `None` when nothing is approved.
    pub fn render(&self, now: DateTime<Utc>) -> Result<Option<String>, String> {
        let query = ItemQuery { state: Some(ReviewState::Approved), ..ItemQuery::default() };
        let approved: Vec<Item> = self.store.items(&query).map_err(|e| e.to_string())?;
        if approved.is_empty() {
            return Ok(None);
        }
        let mut quotes: Vec<Vec<Quote>> = Vec::with_capacity(approved.len());
        for item in &approved {
            quotes.push(if item.editor.quote_ids.is_empty() {
                Vec::new()
            } else {
                self.store.quotes(&item.id).map_err(|e| e.to_string())?
            });
        }
        let candidates: Vec<Candidate<'_>> = approved
            .iter()
            .zip(&quotes)
            .map(|(item, quotes)| {
                let source = self.sources.get(item.source());
                Candidate {
                    item,
                    quotes,
                    source_section: source.and_then(|(_, section)| section.as_deref()),
                    source_name: source.map(|(name, _)| name.as_str()),
                }
            })
            .collect();
        // The number and period of the real next issue need the issue records,
        // which only the publisher reads; the body, which is what editors check,
        // is the same either way.
        let composition = compose::compose(&self.settings, self.settings.first_number, &candidates, None, now);
        let body = self.renderer.body(&composition, &self.settings).map_err(|e| e.to_string())?;
        let issue = composition.into_draft(body);
        self.renderer.issue_page(&issue, &self.settings).map(Some).map_err(|e| e.to_string())
    }
}
