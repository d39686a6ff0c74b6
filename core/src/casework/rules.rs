//! Who may do what to a case, and when: a command from a member of staff becomes the events to
//! append, or a refusal with a stable code. The origin only loads the log, calls `decide`, appends.

use super::case::{
    CallResult, Case, CaseEvent, CaseState, Channel, ReceiptChannel, Resolution, RouteReason,
    MAX_CALL_ATTEMPTS,
};
use crate::time::{Timestamp, BEIJING_OFFSET_MS, DAY_MS, HOUR_MS};
use serde::{Deserialize, Serialize};

/// A fallback task goes to the branch when this little of the cooling-off period remains.
pub const BRANCH_WHEN_LEFT_MS: u64 = 3 * DAY_MS;
/// Calls to policyholders only between these Beijing hours (09:00–21:00).
pub const CALL_HOURS: (u64, u64) = (9, 21);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works phone tasks at the call centre.
    CallAgent,
    /// Works tasks routed to the branch: letters and visits.
    BranchHandler,
    /// Handles problem cases.
    Reviewer,
    /// Assigns work and may do what agents, handlers and reviewers do.
    Supervisor,
    /// Reads everything, changes nothing.
    Auditor,
    /// Manages staff accounts; works no cases.
    Admin,
}

/// A member of staff, as the rules need them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub staff_id: String,
    pub role: Role,
    /// Set when the staff member also sells: they never see or handle cases on their own sales.
    pub seller_code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    Assign {
        to: String,
    },
    LogCall {
        result: CallResult,
        note: String,
    },
    MarkMisSelling {
        note: String,
    },
    AttachReceipt {
        channel: ReceiptChannel,
        sha256: String,
    },
    /// Closes the case; a mis-selling case's resolution is only proposed and needs a second person.
    Resolve {
        resolution: Resolution,
        note: String,
    },
    Approve {
        note: String,
    },
    /// Records the new electronic revisit the edge created for this problem (R12).
    RequestReRevisit {
        revisit_id: crate::RevisitId,
        link_sent: bool,
    },
    Reject {
        note: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseRefusal {
    #[error("your role can read cases but not change them")]
    ReadOnly,
    #[error("this case concerns a policy you sold: someone else must handle it")]
    OwnSale,
    #[error("your role cannot do this on this case")]
    NotYourWork,
    #[error("the case is closed")]
    Closed,
    #[error("the case is waiting for a second person to approve its resolution")]
    AwaitingApproval,
    #[error("policyholders may be called only between 09:00 and 21:00 Beijing time")]
    OutsideCallHours,
    #[error("all {MAX_CALL_ATTEMPTS} call attempts have been made; the task is with the branch")]
    NoCallAttemptsLeft,
    #[error("this resolution does not fit this case")]
    ResolutionDoesNotFit,
    #[error("attach the policyholder's signed receipt first")]
    ReceiptMissing,
    #[error("a mis-selling resolution must be approved by a second person")]
    SecondPersonRequired,
    #[error("there is no proposed resolution to approve or reject")]
    NothingProposed,
    #[error("{0}")]
    BadInput(&'static str),
}

impl CaseRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::ReadOnly => "read_only",
            Self::OwnSale => "own_sale",
            Self::NotYourWork => "not_your_work",
            Self::Closed => "case_closed",
            Self::AwaitingApproval => "awaiting_approval",
            Self::OutsideCallHours => "outside_call_hours",
            Self::NoCallAttemptsLeft => "no_call_attempts_left",
            Self::ResolutionDoesNotFit => "resolution_does_not_fit",
            Self::ReceiptMissing => "receipt_missing",
            Self::SecondPersonRequired => "second_person_required",
            Self::NothingProposed => "nothing_proposed",
            Self::BadInput(_) => "bad_input",
        }
    }
}

/// Whether a call may be placed at `now` (Beijing 09:00 to 21:00).
pub fn within_call_hours(now: Timestamp) -> bool {
    let hour = ((now.millis() + BEIJING_OFFSET_MS) % DAY_MS) / HOUR_MS;
    (CALL_HOURS.0..CALL_HOURS.1).contains(&hour)
}

impl Case {
    /// Whether `actor` sees this case at all: never the seller of the policy.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        match (&actor.seller_code, &self.opening.seller_code) {
            (Some(mine), Some(theirs)) => mine != theirs,
            _ => true,
        }
    }

    /// Whether `role` does the day's work on this case as it stands.
    fn works_on(&self, role: Role) -> bool {
        match role {
            Role::Supervisor => true,
            Role::Reviewer => self.is_problem(),
            Role::CallAgent => self.channel == Some(Channel::CallCentre),
            Role::BranchHandler => self.channel == Some(Channel::Branch),
            Role::Auditor | Role::Admin => false,
        }
    }

    /// What the system does by itself at `now`: a phone task whose cooling-off period has 3 days or
    /// fewer left goes to the branch.
    pub fn sweep(&self, now: Timestamp) -> Vec<CaseEvent> {
        let ends = self.opening.cooling_off_ends_at;
        let ending = ends.since(now) <= BRANCH_WHEN_LEFT_MS;
        if self.state == CaseState::Open && self.channel == Some(Channel::CallCentre) && ending {
            vec![CaseEvent::RoutedToBranch {
                reason: RouteReason::CoolingOffEnding,
            }]
        } else {
            Vec::new()
        }
    }

    /// The events `command` by `actor` at `now` appends, or why it is refused. Nothing is appended
    /// on a refusal. The case should be swept first (`sweep`), so that routing is current.
    pub fn decide(
        &self,
        actor: &Actor,
        command: Command,
        now: Timestamp,
    ) -> Result<Vec<CaseEvent>, CaseRefusal> {
        if matches!(actor.role, Role::Auditor | Role::Admin) {
            return Err(CaseRefusal::ReadOnly);
        }
        if !self.visible_to(actor) {
            return Err(CaseRefusal::OwnSale);
        }
        if self.state == CaseState::Closed {
            return Err(CaseRefusal::Closed);
        }
        let awaiting = self.state == CaseState::AwaitingApproval;
        match command {
            Command::Assign { to } => {
                let to = non_empty(to, "name the member of staff to assign")?;
                let may = actor.role == Role::Supervisor
                    || (to == actor.staff_id && self.works_on(actor.role));
                if !may {
                    return Err(CaseRefusal::NotYourWork);
                }
                Ok(vec![CaseEvent::Assigned { to }])
            }
            Command::Approve { .. } | Command::Reject { .. } if !awaiting => {
                Err(CaseRefusal::NothingProposed)
            }
            Command::Approve { note } => {
                let proposer = self.proposed_by.as_deref();
                if !matches!(actor.role, Role::Reviewer | Role::Supervisor) {
                    return Err(CaseRefusal::NotYourWork);
                }
                if proposer == Some(actor.staff_id.as_str()) {
                    return Err(CaseRefusal::SecondPersonRequired);
                }
                let Some((resolution, _)) = self.proposal.clone() else {
                    return Err(CaseRefusal::NothingProposed);
                };
                Ok(vec![CaseEvent::Closed { resolution, note }])
            }
            Command::Reject { note } => {
                if !matches!(actor.role, Role::Reviewer | Role::Supervisor) {
                    return Err(CaseRefusal::NotYourWork);
                }
                Ok(vec![CaseEvent::ProposalRejected {
                    note: non_empty(note, "say why the proposal is rejected")?,
                }])
            }
            _ if awaiting => Err(CaseRefusal::AwaitingApproval),
            _ if !self.works_on(actor.role) => Err(CaseRefusal::NotYourWork),
            Command::LogCall { result, note } => {
                if self.channel == Some(Channel::Branch) {
                    return Err(CaseRefusal::NotYourWork);
                }
                if !within_call_hours(now) {
                    return Err(CaseRefusal::OutsideCallHours);
                }
                if self.call_attempts >= MAX_CALL_ATTEMPTS {
                    return Err(CaseRefusal::NoCallAttemptsLeft);
                }
                let mut events = vec![CaseEvent::CallLogged { result, note }];
                let last = self.call_attempts + 1 == MAX_CALL_ATTEMPTS;
                if last
                    && result != CallResult::Reached
                    && self.channel == Some(Channel::CallCentre)
                {
                    events.push(CaseEvent::RoutedToBranch {
                        reason: RouteReason::AttemptsExhausted,
                    });
                }
                Ok(events)
            }
            Command::RequestReRevisit {
                revisit_id,
                link_sent,
            } => {
                // A mis-selling is corrected, not revisited; a fallback task is the chain's.
                if !self.is_problem() || self.mis_selling {
                    return Err(CaseRefusal::ResolutionDoesNotFit);
                }
                Ok(vec![CaseEvent::ReRevisitRequested {
                    revisit_id,
                    link_sent,
                }])
            }
            Command::MarkMisSelling { note } => {
                if !self.is_problem() {
                    return Err(CaseRefusal::ResolutionDoesNotFit);
                }
                Ok(vec![CaseEvent::MisSellingFound {
                    note: non_empty(note, "describe the mis-selling found")?,
                }])
            }
            Command::AttachReceipt { channel, sha256 } => {
                if !self.is_fallback() || self.channel != Some(Channel::Branch) {
                    return Err(CaseRefusal::NotYourWork);
                }
                if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(CaseRefusal::BadInput(
                        "a receipt is named by the SHA-256 of its file",
                    ));
                }
                Ok(vec![CaseEvent::ReceiptAttached {
                    channel,
                    sha256: sha256.to_ascii_lowercase(),
                }])
            }
            Command::Resolve { resolution, note } => {
                if !resolution.fits(self) {
                    return Err(CaseRefusal::ResolutionDoesNotFit);
                }
                match &resolution {
                    Resolution::CompletedByReceipt { receipt_sha256, .. }
                        if !self.receipts.iter().any(|(_, h)| h == receipt_sha256) =>
                    {
                        return Err(CaseRefusal::ReceiptMissing)
                    }
                    Resolution::Unreachable { reasons } if reasons.trim().is_empty() => {
                        return Err(CaseRefusal::BadInput("record why every way failed"))
                    }
                    Resolution::CompletedByPhone { recording_ref }
                        if recording_ref.trim().is_empty() =>
                    {
                        return Err(CaseRefusal::BadInput("give the call recording's reference"))
                    }
                    _ => {}
                }
                if self.mis_selling {
                    Ok(vec![CaseEvent::ResolutionProposed { resolution, note }])
                } else {
                    Ok(vec![CaseEvent::Closed { resolution, note }])
                }
            }
        }
    }
}

fn non_empty(text: String, what: &'static str) -> Result<String, CaseRefusal> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 2_000 {
        return Err(CaseRefusal::BadInput(what));
    }
    Ok(trimmed.to_string())
}
