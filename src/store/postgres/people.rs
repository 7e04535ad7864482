//! Quote provenance records and the speaker map on PostgreSQL (the sled
//! layout is in `codec/people.rs`): summaries in `quote_records` with their
//! shingle index `quote_keys`, occurrences one row each in
//! `quote_occurrences` (schema step 5). A record's update is one transaction
//! under an advisory lock, so two workers recording copies of one quote at
//! once take turns instead of both creating a record.

use std::collections::BTreeMap;

use super::super::codec::people as keys;
use super::super::{PeopleStore, StoreError};
use super::{Failure, PgStore, Tx, execute, query};
use crate::model::ItemId;
use crate::speakers::provenance::{self, Known, Reread, words};
use crate::speakers::{Occurrence, QuoteRecord, QuoteSighting, QuoteSummary, SpeakerMap};

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

/// `(id, record)` rows as summaries.
async fn summaries_where(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<QuoteSummary>, Failure> {
    let mut out = Vec::new();
    for row in query(tx, sql, params).await? {
        let (id, record): (String, &str) = (row.get(0), row.get(1));
        out.push(decode(&id, record)?);
    }
    Ok(out)
}

async fn occurrences_of(tx: &Tx<'_>, record: &str) -> Result<Vec<Occurrence>, Failure> {
    let sql = "SELECT occurrence::text FROM quote_occurrences WHERE record_id = $1 ORDER BY spot";
    let mut out = Vec::new();
    for row in query(tx, sql, &[&record]).await? {
        out.push(decode(record, row.get(0))?);
    }
    Ok(out)
}

async fn map_row(tx: &Tx<'_>) -> Result<SpeakerMap, Failure> {
    let rows = query(tx, "SELECT record::text FROM speaker_map WHERE id = 1", &[]).await?;
    Ok(rows.first().map(|row| decode("map", row.get(0))).transpose()?.unwrap_or_default())
}

/// Writes a summary, and its shingle index when it is new or its form changed.
pub(super) async fn put_summary(
    tx: &Tx<'_>,
    summary: &QuoteSummary,
    before: Option<&QuoteSummary>,
) -> Result<(), Failure> {
    execute(
        tx,
        "INSERT INTO quote_records (id, speaker, record) VALUES ($1, $2, $3::text::json)
         ON CONFLICT (id) DO UPDATE SET speaker = EXCLUDED.speaker, record = EXCLUDED.record",
        &[&summary.id, &summary.speaker, &encode(summary)],
    )
    .await?;
    if before.is_some_and(|b| b.text == summary.text) {
        return Ok(());
    }
    execute(tx, "DELETE FROM quote_keys WHERE record_id = $1", &[&summary.id]).await?;
    execute(
        tx,
        "INSERT INTO quote_keys (key, record_id) SELECT k, $2 FROM unnest($1::text[]) AS k ON CONFLICT DO NOTHING",
        &[&summary.keys(), &summary.id],
    )
    .await?;
    Ok(())
}

/// Writes one occurrence row; `json` is its stored text (a backup's, or `encode`'s).
pub(super) async fn put_occurrence(
    tx: &Tx<'_>,
    record: &str,
    spot: &str,
    occurrence: &Occurrence,
    json: &str,
) -> Result<(), Failure> {
    execute(
        tx,
        "INSERT INTO quote_occurrences (record_id, spot, item_id, occurrence) VALUES ($1, $2, $3, $4::text::json)
         ON CONFLICT (record_id, spot) DO UPDATE SET item_id = EXCLUDED.item_id, occurrence = EXCLUDED.occurrence",
        &[&record, &spot, &occurrence.item.as_str(), &json],
    )
    .await?;
    Ok(())
}

/// Schema step 5: each version 4 record (its occurrences inline) becomes its
/// summary with one row per occurrence; the item index is those rows now.
pub(super) async fn split_occurrences(tx: &Tx<'_>) -> Result<(), Failure> {
    for row in query(tx, "SELECT id, record::text FROM quote_records ORDER BY id", &[]).await? {
        let (id, text): (String, &str) = (row.get(0), row.get(1));
        let old: QuoteRecord = decode(&id, text)?;
        let Some(summary) = provenance::summarize(&old.id, &old.speaker, &old.occurrences) else {
            execute(tx, "DELETE FROM quote_keys WHERE record_id = $1", &[&id]).await?;
            execute(tx, "DELETE FROM quote_records WHERE id = $1", &[&id]).await?;
            continue;
        };
        execute(tx, "UPDATE quote_records SET record = $2::text::json WHERE id = $1", &[&id, &encode(&summary)])
            .await?;
        for occurrence in &old.occurrences {
            put_occurrence(tx, &id, &keys::spot(occurrence), occurrence, &encode(occurrence)).await?;
        }
    }
    tx.batch_execute("DROP TABLE quote_items").await?;
    Ok(())
}

impl PeopleStore for PgStore {
    fn record_quotes(&self, item: &ItemId, sightings: &[QuoteSighting]) -> Result<(), StoreError> {
        let mut shingles: Vec<String> = Vec::new();
        for sighting in sightings {
            shingles.extend(provenance::keys_of(&sighting.speaker, &words(&sighting.occurrence.text)));
        }
        self.transaction(async |tx| {
            query(tx, "SELECT pg_advisory_xact_lock($1)", &[&PROVENANCE_LOCK]).await?;
            let found = summaries_where(
                tx,
                "SELECT r.id, r.record::text FROM quote_records r WHERE r.id IN (
                     SELECT record_id FROM quote_keys WHERE key = ANY($1)
                     UNION SELECT record_id FROM quote_occurrences WHERE item_id = $2)
                 ORDER BY r.id",
                &[&shingles, &item.as_str()],
            )
            .await?;
            let mut held: BTreeMap<String, Vec<Occurrence>> = BTreeMap::new();
            let sql = "SELECT record_id, occurrence::text FROM quote_occurrences WHERE item_id = $1 ORDER BY spot";
            for row in query(tx, sql, &[&item.as_str()]).await? {
                let record: String = row.get(0);
                let occurrence = decode(&record, row.get(1))?;
                held.entry(record).or_default().push(occurrence);
            }
            let mut known: Vec<Known> = found
                .into_iter()
                .map(|summary| {
                    let mine = held.remove(&summary.id).unwrap_or_default();
                    Known::new(summary, mine)
                })
                .collect();
            let change = match provenance::apply(item, sightings, &known) {
                Ok(change) => change,
                Err(Reread(ids)) => {
                    for k in known.iter_mut().filter(|k| ids.contains(&k.summary.id)) {
                        k.all = Some(occurrences_of(tx, &k.summary.id).await?);
                    }
                    provenance::apply(item, sightings, &known).map_err(|Reread(ids)| StoreError::Corrupt {
                        tree: PEOPLE,
                        key: ids.join(","),
                        reason: "asked again for occurrences it was given".to_owned(),
                    })?
                }
            };
            for (record, occurrence) in &change.dropped {
                let sql = "DELETE FROM quote_occurrences WHERE record_id = $1 AND spot = $2";
                execute(tx, sql, &[record, &keys::spot(occurrence)]).await?;
            }
            for (from, into) in &change.merged {
                execute(tx, "UPDATE quote_occurrences SET record_id = $2 WHERE record_id = $1", &[from, into]).await?;
            }
            for (record, occurrence) in &change.added {
                put_occurrence(tx, record, &keys::spot(occurrence), occurrence, &encode(occurrence)).await?;
            }
            for id in &change.removed {
                execute(tx, "DELETE FROM quote_keys WHERE record_id = $1", &[id]).await?;
                execute(tx, "DELETE FROM quote_records WHERE id = $1", &[id]).await?;
            }
            let old: BTreeMap<&str, &QuoteSummary> =
                known.iter().map(|k| (k.summary.id.as_str(), &k.summary)).collect();
            for summary in &change.put {
                put_summary(tx, summary, old.get(summary.id.as_str()).copied()).await?;
            }
            Ok(())
        })
    }

    fn quote_summaries_of(&self, item: &ItemId) -> Result<Vec<QuoteSummary>, StoreError> {
        self.transaction(async |tx| {
            summaries_where(
                tx,
                "SELECT r.id, r.record::text FROM quote_records r
                 WHERE r.id IN (SELECT record_id FROM quote_occurrences WHERE item_id = $1) ORDER BY r.id",
                &[&item.as_str()],
            )
            .await
        })
    }

    fn quote_summaries(&self, speakers: Option<&[String]>) -> Result<Vec<QuoteSummary>, StoreError> {
        self.transaction(async |tx| match speakers {
            Some(speakers) => {
                let sql = "SELECT id, record::text FROM quote_records WHERE speaker = ANY($1) ORDER BY id";
                summaries_where(tx, sql, &[&speakers]).await
            }
            None => summaries_where(tx, "SELECT id, record::text FROM quote_records ORDER BY id", &[]).await,
        })
    }

    fn occurrences(&self, record: &str) -> Result<Vec<Occurrence>, StoreError> {
        self.transaction(async |tx| occurrences_of(tx, record).await)
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
