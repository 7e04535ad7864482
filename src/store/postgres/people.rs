//! Quote provenance records and the speaker map on PostgreSQL (the sled
//! layout is in `sled/people.rs`). A record's update is one transaction
//! under an advisory lock, so two workers recording copies of one quote
//! at once take turns instead of both creating a record.

use std::collections::BTreeMap;

use super::super::{PeopleStore, StoreError};
use super::{Failure, PgStore, Tx, execute, query};
use crate::model::ItemId;
use crate::speakers::provenance::{self, words};
use crate::speakers::{QuoteRecord, QuoteSighting, SpeakerMap};

const PEOPLE: &str = "quote_records";

/// `pg_advisory_xact_lock` key held while records change ("quotes" in ASCII).
const PROVENANCE_LOCK: i64 = 0x0000_7175_6f74_6573;

fn decode<T: serde::de::DeserializeOwned>(key: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        tree: PEOPLE,
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

fn encode<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("records of plain fields always serialize")
}

async fn records_where(tx: &Tx<'_>, sql: &str, keys: &[String]) -> Result<Vec<QuoteRecord>, Failure> {
    let mut out = BTreeMap::new();
    for row in query(tx, sql, &[&keys]).await? {
        let (id, record): (String, &str) = (row.get(0), row.get(1));
        let record: QuoteRecord = decode(&id, record)?;
        out.insert(id, record);
    }
    Ok(out.into_values().collect())
}

async fn map_row(tx: &Tx<'_>) -> Result<SpeakerMap, Failure> {
    let rows = query(tx, "SELECT record::text FROM speaker_map WHERE id = 1", &[]).await?;
    Ok(rows.first().map(|row| decode("map", row.get(0))).transpose()?.unwrap_or_default())
}

async fn unindex(tx: &Tx<'_>, id: &str) -> Result<(), Failure> {
    execute(tx, "DELETE FROM quote_keys WHERE record_id = $1", &[&id]).await?;
    execute(tx, "DELETE FROM quote_items WHERE record_id = $1", &[&id]).await?;
    execute(tx, "DELETE FROM quote_records WHERE id = $1", &[&id]).await?;
    Ok(())
}

pub(super) async fn insert(tx: &Tx<'_>, record: &QuoteRecord) -> Result<(), Failure> {
    execute(
        tx,
        "INSERT INTO quote_records (id, speaker, record) VALUES ($1, $2, $3::text::json)",
        &[&record.id, &record.speaker, &encode(record)],
    )
    .await?;
    let keys = record.keys();
    execute(
        tx,
        "INSERT INTO quote_keys (key, record_id) SELECT k, $2 FROM unnest($1::text[]) AS k ON CONFLICT DO NOTHING",
        &[&keys, &record.id],
    )
    .await?;
    let items: Vec<&str> = record.occurrences.iter().map(|o| o.item.as_str()).collect();
    execute(
        tx,
        "INSERT INTO quote_items (item_id, record_id) SELECT i, $2 FROM unnest($1::text[]) AS i ON CONFLICT DO NOTHING",
        &[&items, &record.id],
    )
    .await?;
    Ok(())
}

impl PeopleStore for PgStore {
    fn record_quotes(&self, item: &ItemId, sightings: &[QuoteSighting]) -> Result<(), StoreError> {
        let mut keys: Vec<String> = Vec::new();
        for sighting in sightings {
            keys.extend(provenance::keys_of(&sighting.speaker, &words(&sighting.occurrence.text)));
        }
        self.transaction(async |tx| {
            query(tx, "SELECT pg_advisory_xact_lock($1)", &[&PROVENANCE_LOCK]).await?;
            let mut found = BTreeMap::new();
            for row in query(
                tx,
                "SELECT r.id, r.record::text FROM quote_records r WHERE r.id IN (
                     SELECT record_id FROM quote_keys WHERE key = ANY($1)
                     UNION SELECT record_id FROM quote_items WHERE item_id = $2)",
                &[&keys, &item.as_str()],
            )
            .await?
            {
                let (id, record): (String, &str) = (row.get(0), row.get(1));
                let record: QuoteRecord = decode(&id, record)?;
                found.insert(id, record);
            }
            let known: Vec<QuoteRecord> = found.into_values().collect();
            let change = provenance::apply(item, sightings, &known);
            for id in change.removed.iter().chain(change.put.iter().map(|r| &r.id)) {
                unindex(tx, id).await?;
            }
            for record in &change.put {
                insert(tx, record).await?;
            }
            Ok(())
        })
    }

    fn quote_records_of(&self, item: &ItemId) -> Result<Vec<QuoteRecord>, StoreError> {
        let items = vec![item.as_str().to_owned()];
        self.transaction(async |tx| {
            records_where(
                tx,
                "SELECT r.id, r.record::text FROM quote_records r
                 WHERE r.id IN (SELECT record_id FROM quote_items WHERE item_id = ANY($1))",
                &items,
            )
            .await
        })
    }

    fn quote_records(&self, speakers: Option<&[String]>) -> Result<Vec<QuoteRecord>, StoreError> {
        self.transaction(async |tx| match speakers {
            Some(speakers) => {
                records_where(tx, "SELECT id, record::text FROM quote_records WHERE speaker = ANY($1)", speakers).await
            }
            None => {
                records_where(tx, "SELECT id, record::text FROM quote_records WHERE $1::text[] IS NOT NULL", &[]).await
            }
        })
    }

    fn speaker_map(&self) -> Result<SpeakerMap, StoreError> {
        self.transaction(async |tx| map_row(tx).await)
    }

    fn swap_speaker_map(&self, expected: &SpeakerMap, map: &SpeakerMap) -> Result<bool, StoreError> {
        self.transaction(async |tx| {
            query(tx, "SELECT pg_advisory_xact_lock($1)", &[&PROVENANCE_LOCK]).await?;
            if map_row(tx).await? != *expected {
                return Ok(false);
            }
            execute(
                tx,
                "INSERT INTO speaker_map (id, record) VALUES (1, $1::text::json)
                 ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record",
                &[&encode(map)],
            )
            .await?;
            Ok(true)
        })
    }
}
