//! Browser tests of publishing from the review UI (issue 14 parts 4 and 5)
//! in a real headless Chromium: publish from the composer through its
//! confirmation step, then edit an item of the published issue, publish a
//! correction, and find the note in `digest.xml`, `digest.atom`,
//! `digest.json` and `issues/N.html`. Set-up as in `browser.rs`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use fantoccini::Locator;
use gleaner::config::PublishSettings;
use gleaner::editorial::Editorial;
use gleaner::editorial::rules::{Action, EditChanges};
use gleaner::model::ReviewState;
use gleaner::publish::Publisher;
use gleaner::publish::render::Renderer;
use gleaner::store::Store;
use gleaner::web::review::{self, Pages, Preview, UiOptions, UiState};

use crate::browser::{Driver, ServedUi, browser, browser_available, log_in_at, texts, wait_for_path, wait_for_text};
use crate::ui::fixture;

fn ui_publishing_to(store: &Arc<dyn Store>, output: &Path) -> UiState {
    let editorial = Editorial::new(Arc::clone(store)).expect("editorial");
    let mut settings = PublishSettings::defaults(output);
    settings.output_dir = output.to_path_buf();
    settings.base_url = url::Url::parse("https://example.org/digest/").ok();
    let preview = Preview::new(Arc::new(Publisher::new(settings, Renderer::builtin(), &[])), Arc::clone(store));
    UiState::new(editorial, Pages::builtin(), preview, UiOptions::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_publishes_from_the_composer_and_corrects_the_issue() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let out = tempfile::tempdir().expect("output dir");
    let at = Utc.timestamp_opt(1_800_000_000, 0).single().expect("time");
    let editorial = Editorial::new(Arc::clone(&fx.store)).expect("editorial");
    editorial.add_user("ann", "correct horse battery", at).expect("user");
    let item = fx.store.item(&fx.budget).expect("read").expect("stored");
    let choose = EditChanges { quote_ids: Some(vec!["q1".to_owned()]), ..EditChanges::default() };
    let item = editorial.edit(&fx.budget, item.revision, &choose, "setup", at).expect("edit");
    editorial.act(&fx.budget, item.revision, Action::Approve, "setup", at).expect("approve");

    let router = review::routes(ui_publishing_to(&fx.store, out.path()));
    let served = ServedUi::start(router).await;
    let base = served.base.clone();
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;

    let run = async {
        log_in_at(&client, &base, "/composer").await;
        // Publish: the button opens a confirmation; nothing is out before it is confirmed.
        let button = client.find(Locator::Css("a.publish-now")).await.expect("publish button");
        assert_eq!(button.text().await.expect("text").trim(), "Publish issue 1");
        button.click().await.expect("click");
        wait_for_text(&client, "form.confirm-publish", "Publish issue 1 now?").await;
        assert!(fx.store.issues().expect("issues").is_empty(), "not published before confirming");
        client.find(Locator::Css("button.publish-confirm")).await.expect("confirm").click().await.expect("click");
        wait_for_text(&client, ".flash li", "Published issue 1").await;
        let issue = fx.store.issue(1).expect("read").expect("published");
        assert_eq!(issue.published_by.as_deref(), Some("ann"));
        assert_eq!(fx.store.item(&fx.budget).expect("read").expect("stored").state, ReviewState::Published);
        assert!(out.path().join("issues/1.html").exists());
        let trail = fx.store.audit_for(&fx.budget).expect("audit");
        assert!(trail.iter().any(|a| a.action == "publish" && a.actor == "ann"), "{trail:?}");
        assert_eq!(texts(&client, "a.publish-now").await, ["Publish issue 2"]);

        // Edit the published item: Save works (it used to answer 422 for good).
        client.goto(&format!("{base}/items/{}", fx.budget)).await.expect("goto");
        wait_for_path(&client, "/items/").await;
        wait_for_text(&client, ".published-note", "went out in issue 1").await;
        let headline = client.find(Locator::Css("input[name=headline]")).await.expect("headline");
        headline.clear().await.expect("clear");
        headline.send_keys("Budget vote delayed to March").await.expect("type");
        client.find(Locator::Css("button[value=save]")).await.expect("save").click().await.expect("click");
        wait_for_text(&client, ".flash li", "Saved").await;

        // Publish the correction from the item page.
        let note = client.find(Locator::Css(".published-note input[name=note]")).await.expect("note");
        note.send_keys("The vote moved to March, not May.").await.expect("type");
        client.find(Locator::Css(".published-note button")).await.expect("correct").click().await.expect("click");
        wait_for_text(&client, ".flash li", "Published a correction of issue 1").await;
        for file in ["digest.xml", "digest.atom", "digest.json", "issues/1.html"] {
            let text = std::fs::read_to_string(out.path().join(file)).expect("written");
            assert!(text.contains("Corrected on"), "{file}: {text}");
            assert!(text.contains("The vote moved to March, not May."), "{file}: {text}");
            assert!(text.contains("Budget vote delayed to March"), "{file}: {text}");
        }
        let trail = fx.store.audit_for(&fx.budget).expect("audit");
        assert!(trail.iter().any(|a| a.action == "correct" && a.actor == "ann"), "{trail:?}");
    };
    let outcome = tokio::time::timeout(Duration::from_secs(120), run).await;
    let _ = client.close().await;
    drop(driver);
    served.stop().await;
    outcome.expect("the browser test finished within two minutes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_adds_a_quote_from_a_selection_and_sees_it_marked_in_the_text() {
    if !browser_available() {
        return;
    }
    let fx = fixture();
    let out = tempfile::tempdir().expect("output dir");
    let at = Utc.timestamp_opt(1_800_000_000, 0).single().expect("time");
    Editorial::new(Arc::clone(&fx.store))
        .expect("editorial")
        .add_user("ann", "correct horse battery", at)
        .expect("user");
    let router = review::routes(ui_publishing_to(&fx.store, out.path()));
    let served = ServedUi::start(router).await;
    let base = served.base.clone();
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;

    let run = async {
        log_in_at(&client, &base, "/composer").await;
        client.goto(&format!("{base}/items/{}", fx.budget)).await.expect("goto");
        wait_for_path(&client, "/items/").await;
        // Select "postponed the vote" in the article's text as a mouse would, then let go.
        let select = "var p = [...document.querySelectorAll('#text p')].find(p => p.textContent.includes('postponed'));\
             var node = p.firstChild; var at = node.textContent.indexOf('postponed the vote');\
             var range = document.createRange(); range.setStart(node, at); range.setEnd(node, at + 18);\
             var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);\
             p.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));\
             return document.querySelector('#add-quote textarea[name=text]').value;";
        let filled = client.execute(select, vec![]).await.expect("js");
        assert_eq!(filled.as_str(), Some("postponed the vote"));
        let speaker = client.find(Locator::Css("#add-quote input[name=speaker]")).await.expect("speaker");
        speaker.send_keys("The clerk").await.expect("type");
        client.find(Locator::Css("#add-quote button")).await.expect("add").click().await.expect("click");
        wait_for_text(&client, ".flash li", "Quote added").await;
        let item = fx.store.item(&fx.budget).expect("read").expect("stored");
        assert_eq!(item.editor.added_quotes[0].speaker.as_deref(), Some("The clerk"));
        assert_eq!(item.editor.quote_ids, std::slice::from_ref(&item.editor.added_quotes[0].id));

        // Click the quote: the article's text shows it marked.
        client.find(Locator::Css(".quote.chosen .quote-link")).await.expect("quote").click().await.expect("click");
        wait_for_text(&client, "#text mark.quote-mark", "postponed the vote").await;

        // Tick two more quotes, drag the last one to the top: the numbers follow, and Save keeps that order.
        for id in ["q1", "q2"] {
            let css = format!("input[name=quote][value={id}]");
            client.find(Locator::Css(&css)).await.expect("tick box").click().await.expect("tick");
        }
        let drag = "var list = document.querySelector('ol.quote-list');\
             var moved = list.querySelector('li[data-id=q2]'); var first = list.querySelector('li.quote');\
             var dt = new DataTransfer(); var box = first.getBoundingClientRect();\
             moved.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: dt }));\
             first.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt, clientY: box.top + 1 }));\
             moved.dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer: dt }));\
             return [...list.querySelectorAll('li.quote')].map(li => li.querySelector('input.order-input').value).join(',');";
        let numbers = client.execute(drag, vec![]).await.expect("js");
        assert_eq!(numbers.as_str(), Some("1,2,3"));
        client.find(Locator::Css("button[value=save]")).await.expect("save").click().await.expect("click");
        wait_for_text(&client, ".flash li", "Saved").await;
        let item = fx.store.item(&fx.budget).expect("read").expect("stored");
        let added = item.editor.added_quotes[0].id.clone();
        assert_eq!(item.editor.quote_ids, ["q2".to_owned(), added, "q1".to_owned()]);
        assert_eq!(
            texts(&client, ".quote.chosen .publishes-as").await,
            ["publishes as no. 1", "publishes as no. 2", "publishes as no. 3"]
        );
    };
    let outcome = tokio::time::timeout(Duration::from_secs(120), run).await;
    let _ = client.close().await;
    drop(driver);
    served.stop().await;
    outcome.expect("the browser test finished within two minutes");
}
