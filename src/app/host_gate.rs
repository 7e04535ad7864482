//! The fetcher's shared per-host politeness ([`HostGate`]) kept in a store
//! that several processes share (PostgreSQL's host slots and holds): the
//! fetcher knows no store and the store no fetcher, so the two meet here.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::fetch::{GateAnswer, GateError, HostGate, Ticket};
use crate::store::{HostSlot, Store};

/// A store whose [`shared`](crate::store::OpsStore::shared) work is there;
/// built only for such a store.
pub(super) struct StoreHosts(pub(super) Arc<dyn Store>);

impl StoreHosts {
    fn shared(&self) -> Result<&dyn crate::store::SharedWork, GateError> {
        self.0.shared().ok_or_else(|| "this store is held by one process and keeps no shared host slots".into())
    }
}

impl HostGate for StoreHosts {
    fn take(&self, host: &str, limit: usize, expires_in: Duration) -> Result<GateAnswer, GateError> {
        Ok(match self.shared()?.take_host_slot(host, limit, expires_in)? {
            HostSlot::Taken { slot, token } => GateAnswer::Taken(Ticket { slot, token }),
            HostSlot::Busy => GateAnswer::Busy,
            HostSlot::Held { until } => GateAnswer::Held(until),
        })
    }

    fn release(&self, host: &str, ticket: Ticket) -> Result<(), GateError> {
        Ok(self.shared()?.release_host_slot(host, ticket.slot, ticket.token)?)
    }

    fn hold(&self, host: &str, until: DateTime<Utc>) -> Result<(), GateError> {
        Ok(self.shared()?.hold_host(host, until)?)
    }
}
