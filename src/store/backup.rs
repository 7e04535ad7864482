//! `gleaner export` / `gleaner import`: the whole store as JSON lines.
//!
//! Format: a header line `{"gleaner_backup":1,"schema_version":N}`, then one
//! line per stored key, in key order:
//! `{"kind":"items.v2","key":"…","value":{…}}`. `kind` is the key space (see
//! the layout table in `store/codec.rs`), `key` the rest of the key when it is
//! printable UTF-8 (else `key_hex`), and the value is `value` when it is a JSON
//! record, `value_text` when it is other UTF-8 (an index's item id), else
//! `value_hex`. Records and index entries are dumped raw (see
//! [`RawRecord`] for why), so a restore is the same store, not a rebuild.
//! After the records tree come the mailing list (subscribers, tokens, jobs,
//! per-issue send state: kind `mail_list.v1`) and the webhook outbox
//! (deliveries, cursors: `webhook_outbox.v1`), each keyed within its own
//! tree (see `store/dump.rs`), so a restored store neither mails an issue
//! twice nor loses a delivery. Last comes the people tree (`people.v1`):
//! the editors' speaker map (merges and splits, which nothing can
//! recompute) and the quote provenance records with their indexes. The
//! records are derivable from the items, but they are carried rather than
//! rebuilt: a rebuild replays items in another order than they arrived, so
//! a record's first occurrence, longest form and id could differ, and the
//! round trip would no longer be the same store byte for byte.
//!
//! Import goes into an empty store only, and only from a backup of the same
//! schema version: an older backup is restored by the Gleaner that wrote it,
//! whose store the next start migrates. This module must not know the record
//! layouts; it moves [`RawRecord`]s between a [`Store`] and a stream.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::store::{RawRecord, SCHEMA_VERSION, Store, StoreError};

/// The backup format's version (the header's `gleaner_backup`).
pub const FORMAT_VERSION: u32 = 1;

/// Records written per store batch on import: bounded memory, and few commits.
const IMPORT_CHUNK: usize = 2_000;

/// Why an export or import failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the backup or writing the export failed.
    #[error("backup I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The first line is not a Gleaner backup header.
    #[error(
        "line 1: not a Gleaner backup (expected a header like {{\"gleaner_backup\":1,\"schema_version\":{SCHEMA_VERSION}}})"
    )]
    NotABackup,
    /// A backup format this build does not read.
    #[error("backup format {found} is not supported (this Gleaner reads format {FORMAT_VERSION})")]
    Format { found: u32 },
    /// A backup of another schema version.
    #[error(
        "the backup has schema version {found}, this Gleaner stores version {SCHEMA_VERSION}: restore it with the \
         Gleaner that wrote it (a newer start then migrates the store)"
    )]
    Schema { found: u32 },
    /// A record line that does not parse.
    #[error("line {line}: {reason}")]
    BadLine { line: usize, reason: String },
    /// Import refuses to merge into existing data.
    #[error("the store is not empty: import restores into an empty store only (point `store` at a new path)")]
    NotEmpty,
}

/// Records per kind: what an export wrote or an import read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    pub records: BTreeMap<String, usize>,
}

impl BackupReport {
    pub fn total(&self) -> usize {
        self.records.values().sum()
    }
}

impl std::fmt::Display for BackupReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = String::new();
        for (kind, n) in &self.records {
            let _ = write!(parts, "{}{kind} {n}", if parts.is_empty() { "" } else { ", " });
        }
        write!(f, "{} records ({})", self.total(), if parts.is_empty() { "none" } else { &parts })
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    gleaner_backup: u32,
    schema_version: u32,
}

/// One line; exactly one of each `key*` and `value*` pair is set.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value_hex: Option<String>,
}

impl Line {
    fn from_record(record: RawRecord) -> Self {
        let printable = std::str::from_utf8(&record.key).ok().filter(|k| !k.chars().any(char::is_control));
        let (key, key_hex) = match printable {
            Some(text) => (Some(text.to_owned()), None),
            None => (None, Some(hex(&record.key))),
        };
        let mut line = Self { kind: record.space, key, key_hex, value: None, value_text: None, value_hex: None };
        // Only objects count as JSON records: an index value such as an
        // all-digit item id would also parse as JSON (a number), and would
        // not come back byte for byte.
        let object = record
            .value
            .first()
            .filter(|b| **b == b'{')
            .and_then(|_| serde_json::from_slice::<serde_json::Value>(&record.value).ok());
        match (object, String::from_utf8(record.value)) {
            (Some(json), _) => line.value = Some(json),
            (None, Ok(text)) => line.value_text = Some(text),
            (None, Err(bytes)) => line.value_hex = Some(hex(bytes.as_bytes())),
        }
        line
    }

    fn into_record(self) -> Result<RawRecord, String> {
        let key = match (self.key, self.key_hex) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(hex)) => unhex(&hex).ok_or("`key_hex` is not hex")?,
            _ => return Err("needs exactly one of `key` and `key_hex`".to_owned()),
        };
        let value = match (self.value, self.value_text, self.value_hex) {
            (Some(json), None, None) => serde_json::to_vec(&json).map_err(|e| e.to_string())?,
            (None, Some(text), None) => text.into_bytes(),
            (None, None, Some(hex)) => unhex(&hex).ok_or("`value_hex` is not hex")?,
            _ => return Err("needs exactly one of `value`, `value_text` and `value_hex`".to_owned()),
        };
        Ok(RawRecord { space: self.kind, key, value })
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Writes every record of `store` to `out`.
pub fn export(store: &dyn Store, out: &mut dyn Write) -> Result<BackupReport, BackupError> {
    let header = Header { gleaner_backup: FORMAT_VERSION, schema_version: SCHEMA_VERSION };
    serde_json::to_writer(&mut *out, &header).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    let mut report = BackupReport::default();
    let mut failed: Option<std::io::Error> = None;
    store
        .export_records(&mut |record| {
            *report.records.entry(record.space.clone()).or_default() += 1;
            let line = Line::from_record(record);
            let written = serde_json::to_writer(&mut *out, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
            written.map_err(|e| {
                // Stop the dump; the real error is returned below, not as a store error.
                let stop = StoreError::Io(e.to_string());
                failed = Some(e);
                stop
            })
        })
        .map_err(|e| failed.take().map_or(BackupError::Store(e), BackupError::Io))?;
    out.flush()?;
    Ok(report)
}

/// Reads a whole backup without writing anything: the header, then every
/// line must parse. Run it before [`import`] so a bad line is found before
/// the store holds half a backup.
pub fn check(input: &mut dyn BufRead) -> Result<BackupReport, BackupError> {
    read(input, &mut |record| Ok(crate::store::check_record(&record)?))
}

/// Restores a backup into `store`, which must be empty.
pub fn import(store: &dyn Store, input: &mut dyn BufRead) -> Result<BackupReport, BackupError> {
    if !store.is_empty()? {
        return Err(BackupError::NotEmpty);
    }
    let mut chunk = Vec::with_capacity(IMPORT_CHUNK);
    let report = read(input, &mut |record| {
        chunk.push(record);
        if chunk.len() >= IMPORT_CHUNK {
            store.import_records(&chunk)?;
            chunk.clear();
        }
        Ok(())
    })?;
    store.import_records(&chunk)?;
    store.flush()?;
    Ok(report)
}

fn read(
    input: &mut dyn BufRead,
    take: &mut dyn FnMut(RawRecord) -> Result<(), BackupError>,
) -> Result<BackupReport, BackupError> {
    let mut lines = input.lines();
    let first = lines.next().transpose()?.ok_or(BackupError::NotABackup)?;
    let header: Header = serde_json::from_str(&first).map_err(|_| BackupError::NotABackup)?;
    if header.gleaner_backup != FORMAT_VERSION {
        return Err(BackupError::Format { found: header.gleaner_backup });
    }
    if header.schema_version != SCHEMA_VERSION {
        return Err(BackupError::Schema { found: header.schema_version });
    }
    let mut report = BackupReport::default();
    for (index, line) in lines.enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let number = index + 2;
        let parsed: Line =
            serde_json::from_str(&line).map_err(|e| BackupError::BadLine { line: number, reason: e.to_string() })?;
        let record = parsed.into_record().map_err(|reason| BackupError::BadLine { line: number, reason })?;
        *report.records.entry(record.space.clone()).or_default() += 1;
        take(record).map_err(|e| match e {
            BackupError::Store(StoreError::Corrupt { reason, .. }) => BackupError::BadLine { line: number, reason },
            other => other,
        })?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_every_value_shape() {
        let records = [
            RawRecord { space: "items.v2".into(), key: b"abc".to_vec(), value: br#"{"a":1}"#.to_vec() },
            RawRecord { space: "idx.url.v2".into(), key: b"https://e.org/".to_vec(), value: b"12345678".to_vec() },
            RawRecord { space: "idx.state.v2".into(), key: vec![0, 255, 1], value: vec![] },
            RawRecord { space: "x.v2".into(), key: b"k".to_vec(), value: vec![0xff, 0] },
        ];
        for record in records {
            let text = serde_json::to_string(&Line::from_record(record.clone())).expect("encodes");
            let back: Line = serde_json::from_str(&text).expect("decodes");
            assert_eq!(back.into_record().expect("valid"), record, "{text}");
        }
    }

    #[test]
    fn a_header_of_another_schema_or_no_header_is_refused() {
        let other = format!("{{\"gleaner_backup\":1,\"schema_version\":{}}}\n", SCHEMA_VERSION + 1);
        assert!(matches!(check(&mut other.as_bytes()), Err(BackupError::Schema { .. })));
        assert!(matches!(check(&mut "{\"kind\":\"x\"}\n".as_bytes()), Err(BackupError::NotABackup)));
        assert!(matches!(check(&mut "".as_bytes()), Err(BackupError::NotABackup)));
        let bad = format!("{{\"gleaner_backup\":1,\"schema_version\":{SCHEMA_VERSION}}}\n{{\"kind\":\"a.v2\"}}\n");
        assert!(matches!(check(&mut bad.as_bytes()), Err(BackupError::BadLine { line: 2, .. })));
    }
}
