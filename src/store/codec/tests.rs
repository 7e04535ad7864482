//! Round trips and layouts of every record kind, pinned byte for byte where
//! a stored layout must never change.

mod layouts {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::super::*;

    fn id(n: u32) -> ItemId {
        ItemId::derive("src", &n.to_string())
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().expect("valid test time")
    }

    #[test]
    fn time_round_trips_and_orders_across_the_epoch() {
        let times = [at(-86_400 * 365 * 100), at(-1), at(0), at(1), at(1_700_000_000)];
        for pair in times.windows(2) {
            assert!(encode_time(pair[0]) < encode_time(pair[1]), "{pair:?}");
        }
        for t in times {
            assert_eq!(decode_time(&encode_time(t)), Some(t));
        }
        assert_eq!(decode_time(&[1, 2, 3]), None);
    }

    #[test]
    fn state_bytes_are_stable_and_round_trip() {
        let bytes: Vec<u8> = ReviewState::ALL.into_iter().map(state_byte).collect();
        assert_eq!(bytes, [0, 1, 2, 3, 4]);
        for state in ReviewState::ALL {
            assert_eq!(state_from_byte(state_byte(state)), Some(state));
        }
        assert_eq!(state_from_byte(9), None);
    }

    #[test]
    fn composite_keys_round_trip() {
        let t = at(1_700_000_000);
        let i = id(7);
        assert_eq!(
            decode_state_key(&state_key(ReviewState::Approved, t, &i)),
            Some((ReviewState::Approved, t, i.clone()))
        );
        assert_eq!(decode_source_key(&source_key("bbc-news", t, &i)), Some(("bbc-news".to_owned(), t, i.clone())));
        assert_eq!(decode_guid_key(&guid_key("bbc", "urn:x\0y")), Some(("bbc".to_owned(), "urn:x\0y".to_owned())));
        assert_eq!(decode_version(&encode_version(1)), Some(1));
        assert_eq!(decode_item_key(&item_key(&i)), Some(i));
        assert_eq!(decode_url_key(&url_key("https://e.org/a?b")).as_deref(), Some("https://e.org/a?b"));
        assert_eq!(decode_fetch_state_key(&fetch_state_key("bbc")).as_deref(), Some("bbc"));
        assert_eq!(decode_page_key(&page_key("https://e.org/p")).as_deref(), Some("https://e.org/p"));
    }

    #[test]
    fn every_key_lands_in_its_own_space_and_no_prefix_contains_another() {
        for a in SPACES {
            assert!(a.prefix.ends_with(b"/") && a.prefix.starts_with(a.name.as_bytes()), "{a:?}");
            for b in SPACES {
                assert!(a == b || !b.prefix.starts_with(a.prefix), "{a:?} is a prefix of {b:?}");
            }
        }
        let (t, i) = (at(5), id(1));
        let keys = [
            (item_key(&i), ITEMS),
            (url_key("u"), IDX_URL),
            (guid_key("s", "g"), IDX_GUID),
            (state_key(ReviewState::New, t, &i), IDX_STATE),
            (fetch_state_key("s"), FETCH_STATE),
            (extract_key(&i), EXTRACTS),
            (page_key("u"), PAGES),
            (story_key(&i), STORIES),
        ];
        for (key, space) in keys {
            assert_eq!(space_of(&key), Some(space), "{key:?}");
        }
        // The retired v2 source index shares no prefix with a live space, so
        // a leftover entry could never be read as one.
        assert_eq!(space_of(&source_key("s", t, &i)), None);
        assert!(
            SPACES.iter().all(|s| !s.prefix.starts_with(RETIRED_IDX_SOURCE.prefix)
                && !RETIRED_IDX_SOURCE.prefix.starts_with(s.prefix))
        );
        // A key of one space never decodes as another's.
        assert_eq!(decode_item_key(&url_key(i.as_str())), None);
        assert_eq!(decode_seq_key(RETIRED_LINKS, &seq_key(RETIRED_QUOTES, &i, 1)), None);
        assert_eq!(decode_extract_key(&item_key(&i)), None);
        assert_eq!(decode_extract_key(&extract_key(&i)), Some(i.clone()));
    }

    #[test]
    fn v1_keys_move_under_their_v2_prefix_unchanged() {
        let (t, i) = (at(7), id(2));
        // The v1 layouts were exactly what follows the v2 prefixes.
        let v1_source_key = &source_key("s", t, &i)[RETIRED_IDX_SOURCE.prefix.len()..];
        assert_eq!(from_v1(RETIRED_IDX_SOURCE, v1_source_key), source_key("s", t, &i));
        assert_eq!(from_v1(ITEMS, i.as_str().as_bytes()), item_key(&i));
        let names: Vec<&str> = V1_TREES.iter().map(|(tree, _)| *tree).collect();
        assert!(names.iter().all(|n| n.strip_suffix(".v1").is_some()) && names.len() == V1_TREES.len());
        for (tree, space) in V1_TREES {
            assert_eq!(tree.trim_end_matches(".v1"), space.name.trim_end_matches(".v2"));
        }
    }

    #[test]
    fn malformed_keys_decode_to_none() {
        assert_eq!(decode_state_key(b"short"), None);
        assert_eq!(decode_state_key(&[]), None);
        assert_eq!(decode_state_key(IDX_STATE.prefix), None);
        assert_eq!(decode_source_key(b"no-separator-and-too-short"), None);
        assert_eq!(decode_source_key(&from_v1(RETIRED_IDX_SOURCE, b"no-separator-and-too-short")), None);
        assert_eq!(decode_item_id(b"NOT-HEX-NOT-HEX-NOT-HEX-NOT-HEX-"), None);
        assert_eq!(decode_version(b"12345"), None);
    }

    #[test]
    fn state_keys_group_by_state_then_time() {
        let early_approved = state_key(ReviewState::Approved, at(10), &id(1));
        let late_new = state_key(ReviewState::New, at(99), &id(2));
        assert!(late_new < early_approved);
        assert!(early_approved.starts_with(&state_prefix(ReviewState::Approved)));
        assert!(time_lower_bound(&state_prefix(ReviewState::Approved), at(10)) <= early_approved);
    }

    #[test]
    fn a_source_prefix_does_not_match_a_longer_source_id() {
        let key = source_key("ab", at(0), &id(1));
        assert!(key.starts_with(&source_prefix("ab")));
        assert!(!key.starts_with(&source_prefix("a")));
    }

    #[test]
    fn prefix_end_bounds_exactly_the_prefixed_keys() {
        assert_eq!(prefix_end(b""), None);
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(&[1]), Some(vec![2]));
        assert_eq!(prefix_end(&[7, 0xff]), Some(vec![8]));
        let prefix = source_prefix("ab");
        let end = prefix_end(&prefix).expect("ends with NUL, so it has a successor");
        assert!(source_key("ab", at(i64::from(i32::MAX)), &id(1)) < end);
        assert!(source_key("ab0", at(0), &id(1)) >= end);
    }

    #[test]
    fn seq_keys_round_trip_and_scan_in_sequence_order_under_the_item_prefix() {
        let i = id(3);
        assert_eq!(decode_seq_key(RETIRED_QUOTES, &seq_key(RETIRED_QUOTES, &i, 258)), Some((i.clone(), 258)));
        assert!(
            seq_key(RETIRED_QUOTES, &i, 9) < seq_key(RETIRED_QUOTES, &i, 10),
            "big-endian: 9 before 10, unlike text order"
        );
        assert!(seq_key(RETIRED_LINKS, &i, u32::MAX).starts_with(&seq_prefix(RETIRED_LINKS, &i)));
        assert!(!seq_key(RETIRED_LINKS, &id(4), 0).starts_with(&seq_prefix(RETIRED_LINKS, &i)));
        assert_eq!(decode_seq_key(RETIRED_QUOTES, b"short"), None);
        let key = seq_key(RETIRED_QUOTES, &i, 1);
        assert_eq!(decode_seq_key(RETIRED_QUOTES, &key[..key.len() - 2]), None);
    }

    #[test]
    fn quote_link_and_page_records_round_trip() {
        let quote = Quote {
            id: "q-1".to_owned(),
            text: "We will build it,".to_owned(),
            speaker: Some("Jane Doe".to_owned()),
            speaker_mention: None,
            cue: Some("said".to_owned()),
            outlet: Some("Ledger".to_owned()),
            via: None,
            kind: crate::model::QuoteKind::Inline,
            start: 1,
            end: 18,
            context: "“We will build it,” said Jane Doe.".to_owned(),
            confidence: 0.75,
        };
        let bytes = encode_quote(&quote);
        assert_eq!(decode_quote("quotes.v2", b"k", &bytes).expect("decodes"), quote);
        let link = Link {
            url: "https://example.org/a".to_owned(),
            text: "a".to_owned(),
            context: "See a.".to_owned(),
            domain: "example.org".to_owned(),
            external: true,
        };
        assert_eq!(decode_link("links.v2", b"k", &encode_link(&link)).expect("decodes"), link);
        let cache =
            PageCache { etag: Some("\"v1\"".to_owned()), body_hash: Some("ab".to_owned()), ..PageCache::default() };
        assert_eq!(decode_page_cache("pages.v2", b"k", &encode_page_cache(&cache)).expect("decodes"), cache);
        assert!(matches!(decode_quote("quotes.v2", b"k", b"[]"), Err(StoreError::Corrupt { tree: "quotes.v2", .. })));
        let both = encode_extract(std::slice::from_ref(&quote), std::slice::from_ref(&link));
        let record = decode_extract("extracts.v3", b"k", &both).expect("decodes");
        assert_eq!(record, ExtractRecord { quotes: vec![quote], links: vec![link] });
        assert_eq!(decode_extract("extracts.v3", b"k", b"{}").expect("empty lists default"), ExtractRecord::default());
    }

    #[test]
    fn corrupt_records_name_tree_and_key() {
        let err = decode_item("items.v2", b"abc", b"{not json").expect_err("bad JSON must fail");
        assert!(matches!(err, StoreError::Corrupt { tree: "items.v2", ref key, .. } if key == "abc"), "{err:?}");
    }

    /// Microsecond times across (almost) chrono's whole range.
    fn any_time() -> impl Strategy<Value = DateTime<Utc>> {
        (-8_000_000_000_000_000_i64..8_000_000_000_000_000_i64)
            .prop_map(|m| DateTime::from_timestamp_micros(m).expect("in chrono's range"))
    }

    fn any_id() -> impl Strategy<Value = ItemId> {
        any::<u64>().prop_map(|n| ItemId::derive("p", &n.to_string()))
    }

    fn any_source() -> impl Strategy<Value = String> {
        "[a-z0-9-]{1,24}"
    }

    proptest! {
        #[test]
        fn time_codec_round_trips_and_preserves_order(a in any_time(), b in any_time()) {
            prop_assert_eq!(decode_time(&encode_time(a)), Some(a));
            prop_assert_eq!(a.cmp(&b), encode_time(a).cmp(&encode_time(b)));
        }

        #[test]
        fn source_key_round_trips_and_sorts_by_time_within_a_source(
            s in any_source(), a in any_time(), b in any_time(), i in any_id(),
        ) {
            prop_assert_eq!(decode_source_key(&source_key(&s, a, &i)), Some((s.clone(), a, i.clone())));
            if a != b {
                prop_assert_eq!(a.cmp(&b), source_key(&s, a, &i).cmp(&source_key(&s, b, &i)));
            }
        }

        #[test]
        fn state_key_round_trips_and_sorts_by_time_within_a_state(
            state in 0_u8..5, a in any_time(), b in any_time(), i in any_id(), j in any_id(),
        ) {
            let state = state_from_byte(state).expect("0..5 are states");
            prop_assert_eq!(decode_state_key(&state_key(state, a, &i)), Some((state, a, i.clone())));
            if a != b {
                prop_assert_eq!(a.cmp(&b), state_key(state, a, &i).cmp(&state_key(state, b, &j)));
            }
        }

        #[test]
        fn seq_key_round_trips_and_orders_by_sequence(i in any_id(), a in any::<u32>(), b in any::<u32>()) {
            prop_assert_eq!(decode_seq_key(RETIRED_QUOTES, &seq_key(RETIRED_QUOTES, &i, a)), Some((i.clone(), a)));
            prop_assert_eq!(a.cmp(&b), seq_key(RETIRED_LINKS, &i, a).cmp(&seq_key(RETIRED_LINKS, &i, b)));
        }

        #[test]
        fn guid_key_round_trips(s in any_source(), guid in ".*") {
            prop_assert_eq!(decode_guid_key(&guid_key(&s, &guid)), Some((s, guid)));
        }

        #[test]
        fn string_keys_round_trip(text in ".*") {
            prop_assert_eq!(decode_url_key(&url_key(&text)), Some(text.clone()));
            prop_assert_eq!(decode_page_key(&page_key(&text)), Some(text.clone()));
            prop_assert_eq!(decode_fetch_state_key(&fetch_state_key(&text)), Some(text));
        }

        #[test]
        fn item_key_round_trips(i in any_id()) {
            prop_assert_eq!(decode_item_key(&item_key(&i)), Some(i));
        }

        #[test]
        fn lower_bound_admits_exactly_the_later_keys(s in any_source(), since in any_time(), t in any_time(), i in any_id()) {
            let key = source_key(&s, t, &i);
            prop_assert_eq!(key >= time_lower_bound(&source_prefix(&s), since), t >= since);
        }
    }
}

mod review {
    use chrono::TimeZone;

    use super::super::*;

    #[test]
    fn audit_and_user_keys_round_trip_and_stay_in_their_space() {
        let id = ItemId::derive("s", "g");
        let at = Utc.timestamp_opt(1_800_000_000, 0).single().expect("valid");
        assert_eq!(decode_audit_time_key(&audit_time_key(at, &id, 7)), Some((at, id.clone(), 7)));
        assert!(audit_key(&id, 7).starts_with(&audit_prefix(&id)));
        assert!(audit_key(&id, 2) < audit_key(&id, 10), "revisions sort numerically");
        for space in REVIEW_SPACES {
            for other in SPACES.into_iter().chain(REVIEW_SPACES) {
                assert!(space == other || !other.prefix.starts_with(space.prefix), "{} vs {}", space.name, other.name);
            }
        }
        assert!(user_key("sara").starts_with(USERS.prefix));
    }
}

mod issues {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::super::*;
    use crate::model::{Issue, IssueSection, IssueState, Period};

    proptest! {
        #[test]
        fn issue_key_round_trips_and_orders_by_number(a in any::<u32>(), b in any::<u32>()) {
            prop_assert_eq!(decode_issue_key(&issue_key(a)), Some(a));
            prop_assert_eq!(a.cmp(&b), issue_key(a).cmp(&issue_key(b)));
        }
    }

    #[test]
    fn issue_keys_stay_in_their_space_and_malformed_ones_decode_to_none() {
        assert!(issue_key(266).starts_with(ISSUES.prefix));
        assert!(issue_key(9) < issue_key(10), "big-endian: 9 before 10, unlike text order");
        for other in SPACES.into_iter().chain(REVIEW_SPACES) {
            assert!(!other.prefix.starts_with(ISSUES.prefix) && !ISSUES.prefix.starts_with(other.prefix), "{other:?}");
        }
        assert_eq!(decode_issue_key(b"short"), None);
        assert_eq!(decode_issue_key(ISSUES.prefix), None);
        let key = issue_key(1);
        assert_eq!(decode_issue_key(&key[..key.len() - 1]), None);
        assert_eq!(decode_issue_key(&[key.as_slice(), &[0]].concat()), None);
        assert_eq!(decode_issue_key(&from_v1(PAGES, &1_u32.to_be_bytes())), None);
    }

    #[test]
    fn issue_records_round_trip_and_garbage_is_corrupt() {
        let at = |secs| Utc.timestamp_opt(secs, 0).single().expect("valid test time");
        let issue = Issue {
            number: 266,
            title: "Weekly Digest – 266".to_owned(),
            period: Period { start: at(1_700_000_000), end: at(1_700_600_000) },
            sections: vec![IssueSection { name: String::new(), items: vec![ItemId::derive("s", "g")] }],
            html: "<p>body</p>".to_owned(),
            summary: "body".to_owned(),
            created_at: at(1_700_600_001),
            published_at: Some(at(1_700_600_002)),
            published_by: None,
            corrections: Vec::new(),
            state: IssueState::Published,
        };
        let key = issue_key(issue.number);
        assert_eq!(decode_issue(ISSUES.name, &key, &encode_issue(&issue)).expect("decodes"), issue);
        let err = decode_issue(ISSUES.name, &key, b"{}").expect_err("not an issue");
        assert!(matches!(err, StoreError::Corrupt { tree: "issues.v2", .. }), "{err:?}");
    }
}
