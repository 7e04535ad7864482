//! The composer's preview: the next issue's page exactly as `publish` would
//! write it (the publisher's own compose and renderer, operator template
//! overrides included), so editors see what subscribers will.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::PublishSettings;
use crate::publish::Publisher;
use crate::store::Store;

/// The publisher plus the store it previews from.
pub struct Preview {
    publisher: Arc<Publisher>,
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for Preview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preview").field("title", &self.publisher.settings().title).finish_non_exhaustive()
    }
}

impl Preview {
    pub fn new(publisher: Arc<Publisher>, store: Arc<dyn Store>) -> Self {
        Self { publisher, store }
    }

    pub fn settings(&self) -> &PublishSettings {
        self.publisher.settings()
    }

    /// The page `issues/{n}.html` of the issue that would be published at
    /// `now`; `None` when nothing is approved.
    pub fn render(&self, now: DateTime<Utc>) -> Result<Option<String>, String> {
        self.publisher.preview(self.store.as_ref(), now).map_err(|e| e.to_string())
    }
}
