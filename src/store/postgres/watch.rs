//! Editors' watchlists on PostgreSQL (the sled layout is `sled/watch.rs`):
//! one row per editor, the list as JSON. The compare and swap locks the
//! editor's row (or, for a first list, inserts with `ON CONFLICT DO
//! NOTHING`), so two tabs of one editor cannot both win.

use super::super::{RawRecord, StoreError, WatchStore, dump};
use super::{Failure, PgStore, Tx, execute, query};
use crate::model::WatchList;

const TABLE: &str = "watchlists";

fn decode(editor: &str, text: &str) -> Result<WatchList, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        tree: TABLE,
        key: editor.to_owned(),
        reason: e.to_string(),
    })
}

async fn read(tx: &Tx<'_>, editor: &str, lock: bool) -> Result<Option<WatchList>, Failure> {
    let sql = if lock {
        "SELECT record::text FROM watchlists WHERE editor = $1 FOR UPDATE"
    } else {
        "SELECT record::text FROM watchlists WHERE editor = $1"
    };
    let rows = query(tx, sql, &[&editor]).await?;
    Ok(rows.first().map(|row| decode(editor, row.get(0))).transpose()?)
}

impl WatchStore for PgStore {
    fn watchlist(&self, editor: &str) -> Result<Option<WatchList>, StoreError> {
        self.transaction(async |tx| read(tx, editor, false).await)
    }

    fn watchlists(&self) -> Result<Vec<WatchList>, StoreError> {
        self.transaction(async |tx| {
            let rows = query(tx, "SELECT editor, record::text FROM watchlists ORDER BY editor", &[]).await?;
            Ok(rows.iter().map(|row| decode(row.get(0), row.get(1))).collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn swap_watchlist(&self, expected: Option<&WatchList>, list: &WatchList) -> Result<bool, StoreError> {
        let text = serde_json::to_string(list).expect("records of plain fields always serialize");
        self.transaction(async |tx| {
            if expected.is_none() {
                let sql = "INSERT INTO watchlists (editor, record) VALUES ($1, $2::text::json) ON CONFLICT DO NOTHING";
                return Ok(execute(tx, sql, &[&list.editor, &text]).await? == 1);
            }
            if read(tx, &list.editor, true).await?.as_ref() != expected {
                return Ok(false);
            }
            execute(tx, "UPDATE watchlists SET record = $2::text::json WHERE editor = $1", &[&list.editor, &text])
                .await?;
            Ok(true)
        })
    }
}

/// The lists as sled's watch tree holds them: `list/{editor}`, by editor in bytes.
pub(super) async fn export(
    tx: &Tx<'_>,
    visit: &mut dyn FnMut(RawRecord) -> Result<(), StoreError>,
) -> Result<(), Failure> {
    for row in query(tx, "SELECT editor, record::text FROM watchlists ORDER BY editor", &[]).await? {
        let (editor, record): (&str, &str) = (row.get(0), row.get(1));
        let key = [b"list/".as_slice(), editor.as_bytes()].concat();
        visit(RawRecord { space: dump::WATCH_SPACE.to_owned(), key, value: record.as_bytes().to_vec() })?;
    }
    Ok(())
}

/// Writes one checked list from a backup.
pub(super) async fn import(tx: &Tx<'_>, record: &RawRecord) -> Result<(), Failure> {
    dump::restore_target(record)?;
    let list: WatchList = serde_json::from_slice(&record.value)
        .map_err(|e| super::super::codec::corrupt("backup", &record.key, e.to_string()))?;
    let text = std::str::from_utf8(&record.value)
        .map_err(|_| super::super::codec::corrupt("backup", &record.key, "not UTF-8".to_owned()))?;
    execute(tx, "INSERT INTO watchlists (editor, record) VALUES ($1, $2::text::json)", &[&list.editor, &text]).await?;
    Ok(())
}
