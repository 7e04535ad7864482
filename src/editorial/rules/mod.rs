//! The editors' workflow rules: which review-state changes are allowed, and
//! what an editor's input must look like before it is stored.
//!
//! Pure core (layer 1): no store, no I/O, no clock. The store writes whatever
//! state it is given (the store deliberately knows no rules);
//! the editorial use-case asks this module first, so the CLI and the web UI
//! share one set of rules. The `[[rule]]` tables that act on new items at
//! ingest are decided here too (`auto.rs`), so what a rule may do is what
//! the workflow allows an editor.
//!
//! States (DESIGN.md): `new` → `shortlisted` → `approved` | `rejected` →
//! `published`. `published` is never reached through an editor's [`Action`]:
//! only the publisher sets it, when an issue carrying the item goes out, so
//! an item can never be "published" without being in a published issue.

mod auto;
mod edit;
mod quotes;
mod tags;

use std::fmt;

use crate::model::ReviewState;

pub use auto::{
    ACTOR_PREFIX, Change, MAX_RULE_NAME_CHARS, Rule, Skip, Step, Subject, actor as rule_actor, decide, is_rule_actor,
    matching,
};
pub use edit::{
    EditChanges, EditError, MAX_COMMENTARY_CHARS, MAX_HEADLINE_CHARS, MAX_SECTION_CHARS, changed_fields, clean_text,
};
pub use quotes::{MAX_ADDED_QUOTE_CHARS, added_quote_text, check_trims};
pub use tags::{MAX_TAG_CHARS, MAX_TAGS, TagError, change_tags, clean_tag};

/// What an editor can do to an item's review state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Mark as a candidate for the next issue.
    Shortlist,
    /// Accept for the next issue.
    Approve,
    /// Decide against the item.
    Reject,
    /// Back to `new` (undo a decision); allowed from any state but `published`.
    Reset,
}

impl Action {
    pub const ALL: [Self; 4] = [Self::Shortlist, Self::Approve, Self::Reject, Self::Reset];

    /// The verb as the CLI and the audit trail spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shortlist => "shortlist",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Reset => "reset",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// The state the action aims at.
    pub fn target(self) -> ReviewState {
        match self {
            Self::Shortlist => ReviewState::Shortlisted,
            Self::Approve => ReviewState::Approved,
            Self::Reject => ReviewState::Rejected,
            Self::Reset => ReviewState::New,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action the workflow does not allow from the item's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an item that is {from}{}", hint(*from, *action))]
pub struct TransitionError {
    pub from: ReviewState,
    pub action: Action,
}

/// Why a refused action is refused, in the editor's terms.
fn hint(from: ReviewState, action: Action) -> &'static str {
    match (from, action) {
        (ReviewState::Published, _) => ": it already went out in an issue",
        (ReviewState::Rejected, Action::Approve | Action::Shortlist) => ": reset it to new first",
        _ => ": it is already in that state",
    }
}

/// The state after `action`, or why the action is refused.
///
/// The allowed moves:
/// - `new` → `shortlisted` | `approved` | `rejected` (a clear-cut item needs no shortlist step);
/// - `shortlisted` → `approved` | `rejected`;
/// - `approved` ↔ `rejected`, and `approved` → `shortlisted` (an editor changes their mind
///   without losing the item's place in the pipeline);
/// - any state but `published` → `new` ([`Action::Reset`]); from `new` itself it is a
///   harmless no-op, so "reset" on a mixed selection never fails for the new ones.
///
/// Everything else is refused: acting on a `published` item (it is history:
/// the issue is out), re-applying the current state (a no-op that would still
/// bump the revision and write an audit entry claiming a decision), and `rejected` → `shortlisted` /
/// `approved`, which must go through `new` so that reviving a rejected item is
/// a deliberate, audited step.
pub fn transition(from: ReviewState, action: Action) -> Result<ReviewState, TransitionError> {
    use ReviewState::{Approved, New, Published, Rejected, Shortlisted};
    let refused = Err(TransitionError { from, action });
    let to = action.target();
    match (from, action) {
        (Published, _) => refused,
        (_, Action::Reset) => Ok(New),
        _ if from == to => refused,
        (Rejected, Action::Shortlist | Action::Approve) => refused,
        (New | Shortlisted | Approved | Rejected, _) => Ok(to),
    }
}

/// Whether `transition(from, action)` would succeed (for enabling buttons).
pub fn allowed(from: ReviewState, action: Action) -> bool {
    transition(from, action).is_ok()
}

/// The actions allowed from `from`, in [`Action::ALL`] order.
pub fn allowed_actions(from: ReviewState) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| allowed(from, *a)).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn any_state() -> impl Strategy<Value = ReviewState> {
        proptest::sample::select(ReviewState::ALL.to_vec())
    }

    fn any_action() -> impl Strategy<Value = Action> {
        proptest::sample::select(Action::ALL.to_vec())
    }

    #[test]
    fn the_documented_path_is_allowed() {
        assert_eq!(transition(ReviewState::New, Action::Shortlist), Ok(ReviewState::Shortlisted));
        assert_eq!(transition(ReviewState::Shortlisted, Action::Approve), Ok(ReviewState::Approved));
        assert_eq!(transition(ReviewState::Shortlisted, Action::Reject), Ok(ReviewState::Rejected));
        assert_eq!(transition(ReviewState::New, Action::Approve), Ok(ReviewState::Approved));
        assert_eq!(transition(ReviewState::Approved, Action::Reject), Ok(ReviewState::Rejected));
    }

    #[test]
    fn rejected_items_come_back_only_through_new() {
        assert!(transition(ReviewState::Rejected, Action::Approve).is_err());
        assert!(transition(ReviewState::Rejected, Action::Shortlist).is_err());
        assert_eq!(transition(ReviewState::Rejected, Action::Reset), Ok(ReviewState::New));
    }

    #[test]
    fn refusals_explain_themselves() {
        let err = transition(ReviewState::Published, Action::Reset).expect_err("published is final");
        assert_eq!(err.to_string(), "cannot reset an item that is published: it already went out in an issue");
        let err = transition(ReviewState::Rejected, Action::Approve).expect_err("through new");
        assert!(err.to_string().contains("reset it to new first"), "{err}");
    }

    #[test]
    fn actions_parse_back() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("publish"), None);
    }

    proptest! {
        #[test]
        fn no_sequence_of_actions_reaches_published(actions in proptest::collection::vec(any_action(), 0..40)) {
            let mut state = ReviewState::New;
            for action in actions {
                if let Ok(next) = transition(state, action) {
                    state = next;
                }
                prop_assert_ne!(state, ReviewState::Published);
            }
        }

        #[test]
        fn published_is_final(action in any_action()) {
            prop_assert!(transition(ReviewState::Published, action).is_err());
        }

        #[test]
        fn reset_goes_back_to_new_from_any_decided_state(from in any_state()) {
            let result = transition(from, Action::Reset);
            if from == ReviewState::Published {
                prop_assert!(result.is_err());
            } else {
                prop_assert_eq!(result, Ok(ReviewState::New));
            }
        }

        #[test]
        fn a_success_lands_on_the_action_target_and_a_refusal_names_both(from in any_state(), action in any_action()) {
            match transition(from, action) {
                Ok(to) => {
                    prop_assert_eq!(to, action.target());
                    prop_assert!(to != from || action == Action::Reset);
                }
                Err(err) => {
                    prop_assert_eq!(err, TransitionError { from, action });
                    let message = err.to_string();
                    prop_assert!(message.contains(action.as_str()) && message.contains(from.as_str()));
                }
            }
        }

        #[test]
        fn allowed_actions_agree_with_transition(from in any_state()) {
            for action in Action::ALL {
                prop_assert_eq!(allowed_actions(from).contains(&action), transition(from, action).is_ok());
            }
        }
    }
}
