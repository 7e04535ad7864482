//! Integration tests: quotes on the item page (issue 14 part 6), through
//! the real router: the order chosen quotes publish in, trimming a quote to
//! part of its words, adding a quote from the article's text, marking a
//! quote in the text, and "Save & approve" moving on to the next item.

use axum::http::StatusCode;

use crate::ui::Ui;

#[tokio::test]
async fn chosen_quotes_publish_in_the_numbered_order_and_the_page_shows_it() {
    let ui = Ui::new();
    let id = ui.fx.budget.clone();
    let revision = ui.item(&id).revision.to_string();
    let page = ui
        .post(
            &format!("/items/{id}"),
            &[
                ("revision", &revision),
                ("do", "save"),
                ("quote", "q1"),
                ("quote", "q2"),
                ("order.q1", "2"),
                ("order.q2", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(ui.item(&id).editor.quote_ids, ["q2", "q1"]);
    let page = ui.get(&format!("/items/{id}")).await;
    assert_eq!(page.texts(".quote.chosen .publishes-as"), ["publishes as no. 1", "publishes as no. 2"]);
    assert_eq!(page.attr(".quote.chosen", "data-id").as_deref(), Some("q2"), "the first to publish is listed first");
}

#[tokio::test]
async fn a_quote_trims_to_its_own_words_only() {
    let ui = Ui::new();
    let id = ui.fx.budget.clone();
    let revision = ui.item(&id).revision.to_string();
    let save = |words: &'static str, revision: String| {
        let path = format!("/items/{id}");
        let ui = &ui;
        async move { ui.post(&path, &[("revision", &revision), ("do", "save"), ("quote", "q1"), ("words.q1", words)]).await }
    };
    let refused = save("We need time", revision.clone()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("words of the quote as written"), "{}", refused.body);
    assert!(ui.item(&id).editor.quote_ids.is_empty(), "nothing stored");

    let page = save("need more time", revision).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let item = ui.item(&id);
    assert_eq!(item.editor.quote_overrides["q1"].text.as_deref(), Some("need more time"));
    let page = ui.get(&format!("/items/{id}")).await;
    assert_eq!(page.texts(".quote.chosen .quote-link"), ["need more time"]);
    assert!(page.body.contains("Trimmed; the full quote"));
}

#[tokio::test]
async fn a_quote_added_from_the_text_is_chosen_and_marked_in_the_text() {
    let ui = Ui::new();
    let id = ui.fx.budget.clone();
    let revision = ui.item(&id).revision.to_string();
    let refused = ui
        .post(
            &format!("/items/{id}/quotes"),
            &[("revision", &revision), ("text", "cancelled the vote"), ("speaker", "Clerk")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("words of the article"), "{}", refused.body);

    // A selection across the paragraph break comes back with other whitespace.
    let page = ui
        .post(
            &format!("/items/{id}/quotes"),
            &[("revision", &revision), ("text", "met. It postponed"), ("speaker", "Clerk"), ("outlet", "Ledger")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let item = ui.item(&id);
    let added = &item.editor.added_quotes[0];
    assert_eq!((added.text.as_str(), added.speaker.as_deref()), ("met. It postponed", Some("Clerk")));
    assert_eq!(item.editor.quote_ids, std::slice::from_ref(&added.id));

    let added_id = added.id.clone();
    let id2 = id.clone();
    let page = ui.get(&format!("/items/{id2}?quote={added_id}")).await;
    assert!(page.texts(".quote.highlighted .quote-link").concat().contains("met. It postponed"), "{}", page.body);
    // The extracted quotes are not in this text: marking one marks nothing in it rather than the wrong words.
    let page = ui.get(&format!("/items/{id}?quote=q1")).await;
    assert!(page.select("#text mark").is_empty());
}

#[tokio::test]
async fn a_quote_is_marked_where_it_stands_in_the_text() {
    let ui = Ui::new();
    let id = ui.fx.budget.clone();
    let revision = ui.item(&id).revision.to_string();
    let page =
        ui.post(&format!("/items/{id}/quotes"), &[("revision", &revision), ("text", "postponed the vote")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let added = ui.item(&id).editor.added_quotes[0].id.clone();
    let page = ui.get(&format!("/items/{id}?quote={added}")).await;
    assert_eq!(page.texts("#text mark.quote-mark"), ["postponed the vote"]);
    assert_eq!(page.attr("a.show-in-text", "href").map(|h| h.contains("?quote=")), Some(true));
}

#[tokio::test]
async fn save_and_approve_moves_to_the_next_item_in_the_list() {
    let ui = Ui::new();
    // The new list, newest first: rates, persian, hostile, budget.
    let id = ui.fx.persian.clone();
    let revision = ui.item(&id).revision.to_string();
    let page = ui.post(&format!("/items/{id}"), &[("revision", &revision), ("do", "approve")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), format!("/items/{}", ui.fx.hostile));
    // The last one in the list goes back to the one before it.
    let id = ui.fx.budget.clone();
    let revision = ui.item(&id).revision.to_string();
    let page = ui.post(&format!("/items/{id}"), &[("revision", &revision), ("do", "approve")]).await;
    assert_eq!(page.location(), format!("/items/{}", ui.fx.hostile));
    // A plain save stays on the item.
    let id = ui.fx.rates.clone();
    let revision = ui.item(&id).revision.to_string();
    let page = ui.post(&format!("/items/{id}"), &[("revision", &revision), ("do", "save")]).await;
    assert_eq!(page.location(), format!("/items/{id}"));
}

#[tokio::test]
async fn the_issue_prints_trimmed_and_added_quotes_in_the_chosen_order() {
    let ui = Ui::new();
    let id = ui.fx.budget.clone();
    let revision = ui.item(&id).revision.to_string();
    let page = ui
        .post(
            &format!("/items/{id}/quotes"),
            &[("revision", &revision), ("text", "postponed the vote"), ("speaker", "The clerk")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let item = ui.item(&id);
    let added = item.editor.added_quotes[0].id.clone();
    let revision = item.revision.to_string();
    let order_added = format!("order.{added}");
    let page = ui
        .post(
            &format!("/items/{id}"),
            &[
                ("revision", &revision),
                ("do", "approve"),
                ("quote", "q1"),
                ("quote", &added),
                ("order.q1", "2"),
                (&order_added, "1"),
                ("words.q1", "more time"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let preview = ui.get("/composer/preview").await;
    let body = &preview.body;
    let (first, second) = (body.find("“postponed the vote”"), body.find("“more time”"));
    assert!(first.is_some() && first < second, "{body}");
    assert!(body.contains("<bdi>The clerk</bdi>"), "{body}");
    assert!(!body.contains("We need more time"), "the trimmed words only: {body}");
}
