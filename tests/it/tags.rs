//! Tags (issue 16.5): editors add and remove them (CLI, audit trail), and
//! search and the queue's search box filter by `tag:NAME`.

use gleaner::editorial::QueueFilter;

use crate::support::gleaner;

#[test]
fn tags_added_on_the_cli_are_audited_and_searchable_with_a_tag_clause() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["en.xml", "wire.xml"] {
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/search").join(name);
        std::fs::copy(from, dir.path().join(name)).expect("copy fixture");
    }
    let sources = "[[source]]\nid = \"ledger\"\nname = \"Daily Ledger\"\nurl = \"en.xml\"\n\n\
                   [[source]]\nid = \"wire\"\nname = \"City Wire\"\nurl = \"wire.xml\"\n\n";
    let config = crate::ingest::write_config(dir.path(), sources);
    assert!(gleaner(&config, &["fetch"]).status.success());
    let listed = gleaner(&config, &["items", "--json"]);
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&listed.stdout).lines().next().expect("an item")).expect("json");
    let id = first["id"].as_str().expect("id").to_owned();

    let tagged = gleaner(&config, &["review", "tag", &id, "--add", "Bridge Works", "--add", "council", "--as", "ann"]);
    let out = String::from_utf8_lossy(&tagged.stdout);
    assert!(tagged.status.success(), "{}", String::from_utf8_lossy(&tagged.stderr));
    assert!(out.contains("bridge-works, council"), "{out}");
    let refused = gleaner(&config, &["review", "tag", &id, "--add", "a,b"]);
    assert_eq!(refused.status.code(), Some(2), "a bad tag is refused: {}", String::from_utf8_lossy(&refused.stderr));
    let untagged = gleaner(&config, &["review", "tag", &id, "--remove", "council", "--as", "ann"]);
    assert!(untagged.status.success());

    let found = gleaner(&config, &["search", "tag:\"Bridge Works\"", "--json"]);
    let lines: Vec<String> = String::from_utf8_lossy(&found.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(&id));
    let none = gleaner(&config, &["search", "tag:council", "--json"]);
    assert!(String::from_utf8_lossy(&none.stdout).trim().is_empty(), "a removed tag no longer matches");

    let app = crate::support::polled_app(&config);
    let trail = app.editorial.item_page(&gleaner::model::ItemId::parse(&id).expect("id")).expect("item").audit;
    assert!(
        trail.iter().any(|e| e.action == "tag" && e.actor == "ann" && e.detail == "+bridge-works, +council"),
        "{trail:#?}"
    );
    assert!(trail.iter().any(|e| e.action == "tag" && e.detail == "-council"));
    let filter = QueueFilter { text: Some("tag:bridge-works".to_owned()), ..QueueFilter::default() };
    let page = app.editorial.queue(&filter, 1, 50).expect("queue");
    assert_eq!(page.rows.iter().map(|r| r.id.to_string()).collect::<Vec<_>>(), [id], "the queue filters by tag");
}
