//! Editors' watchlists (issue 16.5) in a tree of their own (`watch`): one
//! key per editor, `list/{editor}` → the list (JSON). Beside the records
//! tree like the people tree: a watchlist shares no batch with items.

use sled::Tree;

use super::super::{StoreError, WatchStore};
use super::SledStore;
use super::open::io;
use crate::model::WatchList;

pub(super) const WATCH_TREE: &str = "watch";
const PREFIX: &[u8] = b"list/";

fn key(editor: &str) -> Vec<u8> {
    [PREFIX, editor.as_bytes()].concat()
}

fn decode(key: &[u8], bytes: &[u8]) -> Result<WatchList, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree: WATCH_TREE,
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

fn read(tree: &Tree, editor: &str) -> Result<Option<WatchList>, StoreError> {
    let k = key(editor);
    tree.get(&k).map_err(io)?.map(|v| decode(&k, &v)).transpose()
}

impl WatchStore for SledStore {
    fn watchlist(&self, editor: &str) -> Result<Option<WatchList>, StoreError> {
        read(&self.watch, editor)
    }

    fn watchlists(&self) -> Result<Vec<WatchList>, StoreError> {
        self.watch
            .scan_prefix(PREFIX)
            .map(|entry| {
                let (k, v) = entry.map_err(io)?;
                decode(&k, &v)
            })
            .collect()
    }

    fn swap_watchlist(&self, expected: Option<&WatchList>, list: &WatchList) -> Result<bool, StoreError> {
        let _writing = self.lock();
        if read(&self.watch, &list.editor)?.as_ref() != expected {
            return Ok(false);
        }
        let bytes = serde_json::to_vec(list).expect("records of plain fields always serialize");
        self.watch.insert(key(&list.editor), bytes).map_err(io)?;
        self.db.flush().map_err(io)?;
        Ok(true)
    }
}
