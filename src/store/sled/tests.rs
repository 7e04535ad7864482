//! The sled store's own tests: schema versions and migrations, issue writes.
//! The behaviour every store must have is tested in `tests/it/store.rs`.

mod schema {
    use sled::Config;

    use super::super::open::open_when_unlocked;
    use super::super::*;

    #[test]
    fn a_new_store_records_the_current_schema_version() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("g.sled");
        drop(SledStore::open(&path).expect("opens"));
        let db = open_when_unlocked(&Config::new().path(&path)).expect("reopens raw");
        let meta = db.open_tree(META).expect("meta");
        let version = meta.get(SCHEMA_VERSION_KEY).expect("read").expect("written");
        assert_eq!(codec::decode_version(&version), Some(migrate::CURRENT_VERSION));
        assert!(db.tree_names().iter().any(|n| n.as_ref() == codec::TREE.as_bytes()));
    }

    #[test]
    fn a_v1_store_is_migrated_to_one_tree_and_reads_back_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("g.sled");
        // Written as version 1 did: a tree per kind, keys without prefixes.
        let new = NewItem {
            source_id: "src".to_owned(),
            guid: Some("g-1".to_owned()),
            url: Some("https://e.org/a".to_owned()),
            title: "A".to_owned(),
            authors: vec![],
            published: chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("valid"),
            published_is_fetch_time: false,
            updated: None,
            summary: "<p>a</p>".to_owned(),
            content: String::new(),
            language: None,
            fetched_at: chrono::DateTime::from_timestamp(1_700_000_100, 0).expect("valid"),
        };
        let id = new.id();
        let mut item = Item::first_sighting(id.clone(), new.content_hash(), &new);
        item.quote_count = 1;
        let quote = Quote {
            id: "q".to_owned(),
            text: "We will".to_owned(),
            speaker: None,
            speaker_mention: None,
            cue: None,
            outlet: None,
            via: None,
            kind: crate::model::QuoteKind::Inline,
            start: 0,
            end: 7,
            context: "We will.".to_owned(),
            confidence: 0.5,
        };
        let strip = |space: Space, key: Vec<u8>| key[space.prefix.len()..].to_vec();
        {
            let db = open_when_unlocked(&Config::new().path(&path)).expect("raw open");
            let put = |tree: &str, key: Vec<u8>, value: Vec<u8>| {
                db.open_tree(tree).expect("tree").insert(key, value).expect("write");
            };
            put("items.v1", id.as_str().as_bytes().to_vec(), codec::encode_item(&item));
            put("idx.url.v1", b"https://e.org/a".to_vec(), id.as_str().as_bytes().to_vec());
            let published = item.published;
            put(
                "idx.source.v1",
                strip(codec::RETIRED_IDX_SOURCE, codec::source_key("src", published, &id)),
                Vec::new(),
            );
            put("idx.state.v1", strip(IDX_STATE, codec::state_key(ReviewState::New, published, &id)), Vec::new());
            put(
                "quotes.v1",
                strip(codec::RETIRED_QUOTES, codec::seq_key(codec::RETIRED_QUOTES, &id, 0)),
                codec::encode_quote(&quote),
            );
            put("fetch_state.v1", b"src".to_vec(), codec::encode_fetch_state(&FetchState::default()));
            db.open_tree(META).expect("meta").insert(SCHEMA_VERSION_KEY, &codec::encode_version(1)).expect("write");
            db.flush().expect("flush");
        }
        let store = SledStore::open(&path).expect("migrates from version 1");
        assert_eq!(store.item(&id).expect("reads").as_ref(), Some(&item));
        assert_eq!(store.quotes(&id).expect("reads"), vec![quote]);
        assert_eq!(store.fetch_state("src").expect("reads"), Some(FetchState::default()));
        let by_source = store.items(&ItemQuery { source: Some("src".to_owned()), ..ItemQuery::default() });
        assert_eq!(by_source.expect("lists").len(), 1);
        assert_eq!(store.counts_by_state().expect("counts")[0], (ReviewState::New, 1));
        // The same entry again is found through the migrated indexes: nothing new.
        assert_eq!(store.upsert_items(&[new]).expect("upsert").unchanged, 1);
        drop(store);
        let db = open_when_unlocked(&Config::new().path(&path)).expect("raw reopen");
        assert!(db.tree_names().iter().all(|n| !n.ends_with(b".v1")), "the v1 trees are gone");
        let tree = db.open_tree(codec::TREE).expect("tree");
        assert_eq!(tree.scan_prefix(codec::RETIRED_IDX_SOURCE.prefix).count(), 0, "v3 left no source index");
        assert_eq!(
            db.open_tree(META).expect("meta").get(SCHEMA_VERSION_KEY).expect("read").as_deref(),
            Some(&codec::encode_version(migrate::CURRENT_VERSION)[..])
        );
    }

    #[test]
    fn a_store_from_a_newer_gleaner_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("g.sled");
        {
            let db = open_when_unlocked(&Config::new().path(&path)).expect("raw open");
            let meta = db.open_tree(META).expect("meta");
            meta.insert(SCHEMA_VERSION_KEY, &codec::encode_version(migrate::CURRENT_VERSION + 1)).expect("write");
            db.flush().expect("flush");
        }
        let err = SledStore::open(&path).expect_err("a newer store must be refused");
        let message = err.to_string();
        assert!(matches!(err, StoreError::TooNew { found, .. } if found == migrate::CURRENT_VERSION + 1));
        assert!(message.contains("g.sled") && message.contains("upgrade Gleaner"), "{message}");
        // Refused untouched: the version is still the newer one.
        let db = open_when_unlocked(&Config::new().path(&path)).expect("raw reopen");
        let version = db.open_tree(META).expect("meta").get(SCHEMA_VERSION_KEY).expect("read").expect("kept");
        assert_eq!(codec::decode_version(&version), Some(migrate::CURRENT_VERSION + 1));
    }

    #[test]
    fn an_unversioned_store_is_migrated_and_keeps_its_data() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("g.sled");
        {
            let db = open_when_unlocked(&Config::new().path(&path)).expect("raw open");
            db.open_tree("fetch_state.v1")
                .expect("tree")
                .insert(b"src", codec::encode_fetch_state(&FetchState::default()))
                .expect("write");
            db.flush().expect("flush");
        }
        let store = SledStore::open(&path).expect("migrates from version 0");
        assert_eq!(store.fetch_state("src").expect("reads"), Some(FetchState::default()));
    }

    #[test]
    fn a_garbled_schema_version_is_reported_as_corrupt() {
        let db = Config::new().temporary(true).open().expect("raw open");
        db.open_tree(META).expect("meta").insert(SCHEMA_VERSION_KEY, b"x").expect("write");
        let err = SledStore::from_db(db, "t".to_owned()).expect_err("must refuse");
        assert!(matches!(err, StoreError::Corrupt { tree: META, .. }), "{err:?}");
    }
}

mod issues {
    use super::super::*;
    use crate::model::{Issue, IssueSection, IssueState, Period};

    fn at(secs: i64) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(secs, 0).expect("valid test time")
    }

    fn new_entry(n: u32) -> NewItem {
        NewItem {
            source_id: "src".to_owned(),
            guid: Some(format!("g-{n}")),
            url: Some(format!("https://e.org/{n}")),
            title: format!("Item {n}"),
            authors: vec![],
            published: at(1_700_000_000 + i64::from(n)),
            published_is_fetch_time: false,
            updated: None,
            summary: String::new(),
            content: String::new(),
            language: None,
            fetched_at: at(1_700_001_000),
        }
    }

    fn issue(number: u32, items: Vec<ItemId>, state: IssueState) -> Issue {
        Issue {
            number,
            title: format!("Digest – {number}"),
            period: Period { start: at(1_700_000_000), end: at(1_700_001_000) },
            sections: vec![IssueSection { name: String::new(), items }],
            html: "<p>x</p>".to_owned(),
            summary: "x".to_owned(),
            created_at: at(1_700_001_000),
            published_at: (state == IssueState::Published).then(|| at(1_700_001_001)),
            published_by: None,
            corrections: Vec::new(),
            state,
        }
    }

    /// A store with two items moved to `approved`, at revision 2.
    fn store_with_approved() -> (SledStore, Vec<ItemId>) {
        let store = SledStore::temporary().expect("store");
        let report = store.upsert_items(&[new_entry(1), new_entry(2)]).expect("upsert");
        for id in &report.new {
            store.update_editorial(id, 1, ReviewState::Approved, &EditorFields::default()).expect("approve");
        }
        (store, report.new)
    }

    fn published_ids(store: &SledStore) -> Vec<ItemId> {
        let query = ItemQuery { state: Some(ReviewState::Published), ..ItemQuery::default() };
        store.items(&query).expect("lists").into_iter().map(|i| i.id).collect()
    }

    #[test]
    fn issues_are_listed_by_number_and_replaced_by_number() {
        let store = SledStore::temporary().expect("store");
        assert!(store.issues().expect("lists").is_empty());
        assert_eq!(store.issue(1).expect("reads"), None);
        for n in [256, 3, 10] {
            store.put_issue(&issue(n, vec![], IssueState::Draft)).expect("put");
        }
        let replaced = issue(10, vec![ItemId::derive("s", "g")], IssueState::Draft);
        store.put_issue(&replaced).expect("replace");
        let numbers: Vec<u32> = store.issues().expect("lists").iter().map(|i| i.number).collect();
        assert_eq!(numbers, [3, 10, 256]);
        assert_eq!(store.issue(10).expect("reads"), Some(replaced));
    }

    #[test]
    fn finish_issue_publishes_the_issue_and_its_items_together() {
        let (store, ids) = store_with_approved();
        store.put_issue(&issue(1, ids.clone(), IssueState::Draft)).expect("draft");
        let published = issue(1, ids.clone(), IssueState::Published);
        let listed: Vec<(ItemId, u64)> = ids.iter().map(|id| (id.clone(), 2)).collect();
        store.finish_issue(&published, &listed).expect("finish");
        assert_eq!(store.issue(1).expect("reads"), Some(published));
        for id in &ids {
            let item = store.item(id).expect("reads").expect("stored");
            assert_eq!((item.state, item.revision), (ReviewState::Published, 3));
        }
        let mut listed_ids = published_ids(&store);
        listed_ids.sort();
        let mut expected = ids;
        expected.sort();
        assert_eq!(listed_ids, expected, "the state index moved with the records");
        let counts = store.counts_by_state().expect("counts");
        assert!(counts.contains(&(ReviewState::Approved, 0)) && counts.contains(&(ReviewState::Published, 2)));
    }

    #[test]
    fn a_stale_or_unknown_item_fails_finish_issue_and_changes_nothing() {
        let (store, ids) = store_with_approved();
        let draft = issue(1, ids.clone(), IssueState::Draft);
        store.put_issue(&draft).expect("draft");
        let published = issue(1, ids.clone(), IssueState::Published);

        let stale = [(ids[0].clone(), 2), (ids[1].clone(), 1)];
        let err = store.finish_issue(&published, &stale).expect_err("stale");
        assert!(matches!(&err, StoreError::StaleRevision { id, expected: 1, found: 2 } if *id == ids[1]), "{err:?}");

        let unknown = ItemId::derive("src", "missing");
        let err = store.finish_issue(&published, &[(ids[0].clone(), 2), (unknown.clone(), 1)]).expect_err("unknown");
        assert!(matches!(&err, StoreError::UnknownItem { id } if *id == unknown), "{err:?}");

        let twice = [(ids[0].clone(), 2), (ids[0].clone(), 3)];
        let err = store.finish_issue(&published, &twice).expect_err("a repeat at another revision");
        assert!(matches!(err, StoreError::StaleRevision { expected: 3, found: 2, .. }), "{err:?}");

        assert_eq!(store.issue(1).expect("reads"), Some(draft), "the issue is still the draft");
        for id in &ids {
            let item = store.item(id).expect("reads").expect("stored");
            assert_eq!((item.state, item.revision), (ReviewState::Approved, 2));
        }
        assert!(published_ids(&store).is_empty());
    }

    #[test]
    fn an_item_listed_twice_is_moved_once() {
        let (store, ids) = store_with_approved();
        let published = issue(1, ids.clone(), IssueState::Published);
        store.finish_issue(&published, &[(ids[0].clone(), 2), (ids[0].clone(), 2)]).expect("finish");
        let item = store.item(&ids[0]).expect("reads").expect("stored");
        assert_eq!((item.state, item.revision), (ReviewState::Published, 3));
        assert_eq!(published_ids(&store), vec![ids[0].clone()]);
    }
}

mod stories {
    use super::super::*;
    use crate::story::Signature;

    fn entry(n: u32) -> NewItem {
        let at = chrono::DateTime::from_timestamp(1_700_000_000 + i64::from(n), 0).expect("valid test time");
        NewItem {
            source_id: "src".to_owned(),
            guid: Some(format!("g-{n}")),
            url: Some(format!("https://e.org/{n}")),
            title: format!("Item {n}"),
            authors: vec![],
            published: at,
            published_is_fetch_time: false,
            updated: None,
            summary: format!("<p>The council voted on bridge number {n} late on Monday.</p>"),
            content: String::new(),
            language: None,
            fetched_at: at,
        }
    }

    fn print(store: &SledStore, id: &ItemId, story_id: &ItemId) -> StoryPrint {
        let item = store.item(id).expect("read").expect("stored");
        StoryPrint {
            id: id.clone(),
            published: item.published,
            story: story_id.clone(),
            signature: Signature::of("", "x"),
        }
    }

    fn raw(store: &SledStore, key: &[u8]) -> Option<Vec<u8>> {
        store.tree.get(key).expect("read").map(|bytes| bytes.to_vec())
    }

    #[test]
    fn a_print_sets_the_story_without_rewriting_the_item_record() {
        let store = SledStore::temporary().expect("store");
        let ids = store.upsert_items(&[entry(1), entry(2)]).expect("upsert").new;
        let (a, b) = (&ids[0], &ids[1]);
        let record = raw(&store, &codec::item_key(b));
        store.put_story_prints(&[print(&store, a, a), print(&store, b, a)]).expect("prints");
        assert_eq!(raw(&store, &codec::item_key(b)), record, "the record is not written again");
        assert_eq!(store.item(b).expect("read").expect("stored").story.as_ref(), Some(a));
        let listed = store.items(&ItemQuery::default()).expect("lists");
        assert!(listed.iter().all(|item| item.story.as_ref() == Some(a)), "listings read the print too");

        // The print wins over an older story in the record; put_stories wins over the print.
        store.put_stories(&[(b.clone(), b.clone())]).expect("stories");
        assert_eq!(store.item(b).expect("read").expect("stored").story.as_ref(), Some(b));
        assert_eq!(raw(&store, &codec::story_key(b)), None, "put_stories drops the print naming the old story");
        store.put_story_prints(&[print(&store, b, a)]).expect("prints");
        assert_eq!(store.item(b).expect("read").expect("stored").story.as_ref(), Some(a));

        // An unknown id gets no print.
        let gone = ItemId::derive("src", "gone");
        store.put_story_prints(&[StoryPrint { id: gone.clone(), ..print(&store, a, a) }]).expect("prints");
        assert_eq!(raw(&store, &codec::story_key(&gone)), None);
    }

    #[test]
    fn an_export_carries_each_story_in_its_item_record() {
        let store = SledStore::temporary().expect("store");
        let ids = store.upsert_items(&[entry(1), entry(2)]).expect("upsert").new;
        store.put_story_prints(&[print(&store, &ids[0], &ids[0]), print(&store, &ids[1], &ids[0])]).expect("prints");
        let mut stories = Vec::new();
        store
            .export_records(&mut |record| {
                if record.space == codec::ITEMS.name {
                    let key = [codec::ITEMS.prefix, record.key.as_slice()].concat();
                    stories.push(codec::decode_item("test", &key, &record.value)?.story);
                }
                Ok(())
            })
            .expect("export");
        assert_eq!(stories.len(), 2);
        assert!(stories.iter().all(|story| story.as_ref() == Some(&ids[0])), "{stories:?}");
    }
}

mod batching {
    use super::super::{ITEMS_PER_BATCH, batches};

    #[test]
    fn a_run_of_big_items_is_split_by_bytes_and_small_ones_by_count() {
        let sizes: Vec<usize> = (0..10).map(|_| 300).collect();
        let runs: Vec<usize> = batches(&sizes, 1_000, |&w| w).iter().map(|r| r.len()).collect();
        assert_eq!(runs, [3, 3, 3, 1]);

        let small = vec![1usize; ITEMS_PER_BATCH * 2 + 5];
        let runs: Vec<usize> = batches(&small, 1_000_000, |&w| w).iter().map(|r| r.len()).collect();
        assert_eq!(runs, [ITEMS_PER_BATCH, ITEMS_PER_BATCH, 5]);
    }

    #[test]
    fn an_item_over_the_budget_is_a_batch_of_its_own() {
        let sizes = [10usize, 5_000, 10, 10];
        let runs: Vec<Vec<usize>> = batches(&sizes, 1_000, |&w| w).iter().map(|r| r.to_vec()).collect();
        assert_eq!(runs, [vec![10], vec![5_000], vec![10, 10]]);
        assert!(batches(&[] as &[usize], 1_000, |&w| w).is_empty());
    }
}
