//! Records of the outbound side: digest subscribers with their per-issue send
//! state (issue 15.4) and webhook deliveries (issue 15.3).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a subscriber stands. Only `Confirmed` addresses receive issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberStatus {
    /// Signed up on the web form, confirmation link not yet followed.
    Pending,
    Confirmed,
    /// Followed an unsubscribe link (or was removed by the operator).
    Unsubscribed,
    /// The mail server refused the address outright (a 5xx at send time).
    Bounced,
}

impl SubscriberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Unsubscribed => "unsubscribed",
            Self::Bounced => "bounced",
        }
    }
}

/// One mailing-list address.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriber {
    /// Lower-cased, trimmed: the key.
    pub email: String,
    pub status: SubscriberStatus,
    /// Secret in every unsubscribe link: it alone proves the click came from
    /// the mailbox (no login), so it is random and never shown elsewhere.
    pub unsubscribe_token: String,
    /// The double opt-in token while `Pending`, with its expiry.
    pub confirm_token: Option<String>,
    pub confirm_expires: Option<DateTime<Utc>>,
    /// When the confirmation message went out; `None` while `serve` still
    /// has to send it (the web form and the CLI only queue it).
    pub confirm_sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Why the address bounced (the server's reply), when it did.
    pub note: Option<String>,
}

// Hand-written so tokens never land in a log line through `{:?}`.
impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber").field("email", &self.email).field("status", &self.status).finish_non_exhaustive()
    }
}

/// Where one subscriber's copy of one issue stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SendState {
    /// Not yet accepted by the mail server; `attempts` transient failures so far.
    Pending {
        attempts: u32,
        last_error: Option<String>,
    },
    /// Handed to the server: recorded just before the final `.` of DATA,
    /// after which the server delivers even if we die. Counts as sent when
    /// a restarted send finds it (the server's reply was never read).
    Committing {
        at: DateTime<Utc>,
    },
    Sent {
        at: DateTime<Utc>,
    },
    /// Not sent, for good: the server refused the address, or the subscriber
    /// left before their turn.
    Skipped {
        reason: String,
    },
}

impl SendState {
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Pending { .. })
    }
}

/// The webhook events Gleaner emits. `rule.matched` and `quote.followed` go
/// only to the target a rule or a watch names (`notify = "NAME"`, `gleaner
/// follow … --notify NAME`), never by subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WebhookEvent {
    #[serde(rename = "item.new")]
    ItemNew,
    #[serde(rename = "item.approved")]
    ItemApproved,
    #[serde(rename = "issue.published")]
    IssuePublished,
    #[serde(rename = "issue.corrected")]
    IssueCorrected,
    #[serde(rename = "rule.matched")]
    RuleMatched,
    /// A watch with `notify` matched a new item (`gleaner follow … --notify NAME`).
    #[serde(rename = "quote.followed")]
    QuoteFollowed,
}

impl WebhookEvent {
    pub const ALL: [Self; 6] = [
        Self::ItemNew,
        Self::ItemApproved,
        Self::IssuePublished,
        Self::IssueCorrected,
        Self::RuleMatched,
        Self::QuoteFollowed,
    ];

    /// Sent only to the target a rule or a watch names, never by `events`.
    pub fn is_addressed(self) -> bool {
        matches!(self, Self::RuleMatched | Self::QuoteFollowed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ItemNew => "item.new",
            Self::ItemApproved => "item.approved",
            Self::IssuePublished => "issue.published",
            Self::IssueCorrected => "issue.corrected",
            Self::RuleMatched => "rule.matched",
            Self::QuoteFollowed => "quote.followed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// Where one delivery stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Gave up after the last retry.
    Failed,
}

/// One event on its way to one webhook target: the persistent queue entry
/// and, once done, its line in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Stable across retries and restarts: the receiver dedups on it
    /// (`webhook-id`). Derived from the event and the target, so enqueueing
    /// the same event twice stores one delivery.
    pub id: String,
    /// The target's URL (the config may be edited between retries; the URL
    /// the event was meant for is the one it goes to).
    pub url: String,
    pub event: WebhookEvent,
    /// The JSON body, exactly as signed and sent on every attempt.
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// Held until this issue is marked published (an `issue.*` event is
    /// queued just before the publish's final write; see `PublishHook`).
    pub after_issue: Option<u32>,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// The last attempt's HTTP status, or why it failed without one.
    pub last_result: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}
