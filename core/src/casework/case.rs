//! What a case is and what can happen to it: the kinds, the typed resolutions, the events of its log,
//! and the case itself as the fold of those events. Who may do what is decided in `rules.rs`.

use crate::record::FlagKind;
use crate::time::Timestamp;
use crate::{PolicyNumber, RevisitId};
use serde::{Deserialize, Serialize};

/// At most this many logged call attempts on a phone task before it goes to the branch (R11).
pub const MAX_CALL_ATTEMPTS: u8 = 6;

/// What opened the case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseKind {
    /// R12: the revisit completed but found something to handle: a "no" or a doubt on an item, or
    /// signs that someone else answered (R10).
    Problem { findings: Vec<Finding> },
    /// R11: the electronic revisit did not complete (expired, switched to phone, cancelled): it must
    /// be done by a recorded call, then by letter or visit.
    Fallback { reason: FallbackReason },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// The policyholder answered "no / I have a question" to an item, with their words if any.
    ItemDeclined {
        item_id: String,
        comment: Option<String>,
    },
    /// A sign of interference by sales staff (R10).
    Interference { flag: FlagKind },
    /// R13: a quality-sampling review found something: the run, the checks that did not hold
    /// (`sample_run::Check` names), and the reviewer's note.
    SampleFinding {
        run_id: String,
        checks: Vec<String>,
        note: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FallbackReason {
    Expired,
    SwitchedToPhone,
    Cancelled,
}

/// Who works a fallback task now: the call centre while more than 3 days of the cooling-off period
/// remain, the local branch (letter or visit) after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    CallCentre,
    Branch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteReason {
    /// 3 days or fewer of the cooling-off period remain.
    CoolingOffEnding,
    /// Every allowed call attempt was made.
    AttemptsExhausted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallResult {
    /// Reached the policyholder: the recorded call can complete the revisit.
    Reached,
    NoAnswer,
    Busy,
    WrongNumber,
    /// Reached, but the policyholder would not take the revisit now.
    Declined,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptChannel {
    Letter,
    Visit,
}

/// How a case ended. Each kind of case allows some of these (`Resolution::fits`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "resolution", rename_all = "snake_case")]
pub enum Resolution {
    /// Problem: the doubt was explained and the policyholder confirmed the item.
    ExplainedAndConfirmed,
    /// Problem: the policyholder cancelled the policy inside the cooling-off period.
    CancelledInCoolingOff,
    /// Problem: mis-selling was found and the contract corrected.
    ContractCorrected,
    /// Problem: a new electronic revisit, completed without problems, settles it.
    ReRevisited { revisit_id: RevisitId },
    /// Fallback: the revisit was done on a recorded call (the recording's reference).
    CompletedByPhone { recording_ref: String },
    /// Fallback: done by letter or visit, with the policyholder's signed receipt on file.
    CompletedByReceipt {
        channel: ReceiptChannel,
        receipt_sha256: String,
    },
    /// Fallback: every way failed; the reasons are recorded (R11).
    Unreachable { reasons: String },
}

/// One entry of a case's log: the event, when, and by whom (a staff id, or `system`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub at: Timestamp,
    pub by: String,
    pub event: CaseEvent,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CaseEvent {
    Opened(Opening),
    Assigned {
        to: String,
    },
    CallLogged {
        result: CallResult,
        note: String,
    },
    RoutedToBranch {
        reason: RouteReason,
    },
    MisSellingFound {
        note: String,
    },
    ReceiptAttached {
        channel: ReceiptChannel,
        sha256: String,
    },
    /// A mis-selling case's resolution, waiting for a second person.
    ResolutionProposed {
        resolution: Resolution,
        note: String,
    },
    ProposalRejected {
        note: String,
    },
    /// R12: a new electronic revisit was asked of the edge for this problem (its id); when its
    /// record arrives completed without problems, it can settle the case.
    ReRevisitRequested {
        revisit_id: RevisitId,
        /// Whether its link went to the policyholder by SMS (else it must reach them otherwise).
        link_sent: bool,
    },
    Closed {
        resolution: Resolution,
        note: String,
    },
}

/// What a case starts with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub kind: CaseKind,
    pub revisit_id: RevisitId,
    pub policy_number: PolicyNumber,
    /// The seller's code, when the insurer gave it: the seller never handles their own case.
    pub seller_code: Option<String>,
    pub cooling_off_ends_at: Timestamp,
    pub discovered_at: Timestamp,
    /// R12: 15 working days from discovery for a problem; the cooling-off end for a fallback task.
    pub due_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Open,
    /// A mis-selling resolution waits for a second person's approval.
    AwaitingApproval,
    Closed,
}

/// A case as its log says it is now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub opening: Opening,
    pub opened_by: String,
    pub state: CaseState,
    pub assignee: Option<String>,
    pub channel: Option<Channel>,
    pub call_attempts: u8,
    pub mis_selling: bool,
    pub receipts: Vec<(ReceiptChannel, String)>,
    /// New electronic revisits asked for this problem, in order.
    pub re_revisits: Vec<RevisitId>,
    pub proposal: Option<(Resolution, String)>,
    /// Who proposed the pending resolution: the approver must be someone else.
    pub proposed_by: Option<String>,
    pub resolution: Option<Resolution>,
    pub due_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("a case's log starts with its opening")]
    NoOpening,
    #[error("entry {0} does not fit the case's state before it")]
    OutOfPlace(usize),
}

impl Case {
    /// The case from its log. Each event is checked against the state before it, so a log that the
    /// rules could not have written does not replay.
    pub fn replay(entries: &[Entry]) -> Result<Self, ReplayError> {
        let Some((first, rest)) = entries.split_first() else {
            return Err(ReplayError::NoOpening);
        };
        let CaseEvent::Opened(opening) = &first.event else {
            return Err(ReplayError::NoOpening);
        };
        let mut case = Case::opened(opening.clone(), &first.by);
        for (i, entry) in rest.iter().enumerate() {
            case = case.fold(entry).ok_or(ReplayError::OutOfPlace(i + 1))?;
        }
        Ok(case)
    }

    fn opened(opening: Opening, by: &str) -> Self {
        let channel = match opening.kind {
            CaseKind::Fallback { .. } => Some(Channel::CallCentre),
            CaseKind::Problem { .. } => None,
        };
        Case {
            due_at: opening.due_at,
            opening,
            opened_by: by.to_string(),
            state: CaseState::Open,
            assignee: None,
            channel,
            call_attempts: 0,
            mis_selling: false,
            receipts: Vec::new(),
            re_revisits: Vec::new(),
            proposal: None,
            proposed_by: None,
            resolution: None,
        }
    }

    /// The state after `entry`, or `None` if its event cannot happen in this state.
    pub fn fold(mut self, entry: &Entry) -> Option<Self> {
        let open = self.state == CaseState::Open;
        match &entry.event {
            CaseEvent::Opened(_) => return None,
            CaseEvent::Assigned { to } if self.state != CaseState::Closed => {
                self.assignee = Some(to.clone())
            }
            CaseEvent::CallLogged { .. } if open && self.call_attempts < MAX_CALL_ATTEMPTS => {
                self.call_attempts += 1
            }
            CaseEvent::RoutedToBranch { .. }
                if open && self.channel == Some(Channel::CallCentre) =>
            {
                self.channel = Some(Channel::Branch)
            }
            CaseEvent::MisSellingFound { .. } if open && self.is_problem() => {
                self.mis_selling = true
            }
            CaseEvent::ReceiptAttached { channel, sha256 } if open && self.is_fallback() => {
                self.receipts.push((*channel, sha256.clone()))
            }
            CaseEvent::ReRevisitRequested { revisit_id, .. }
                if open && self.is_problem() && !self.mis_selling =>
            {
                self.re_revisits.push(revisit_id.clone())
            }
            CaseEvent::ResolutionProposed { resolution, note } if open && self.mis_selling => {
                self.proposal = Some((resolution.clone(), note.clone()));
                self.proposed_by = Some(entry.by.clone());
                self.state = CaseState::AwaitingApproval;
            }
            CaseEvent::ProposalRejected { .. } if self.state == CaseState::AwaitingApproval => {
                self.proposal = None;
                self.proposed_by = None;
                self.state = CaseState::Open;
            }
            CaseEvent::Closed { resolution, .. } if self.state != CaseState::Closed => {
                self.resolution = Some(resolution.clone());
                self.proposal = None;
                self.state = CaseState::Closed;
            }
            _ => return None,
        }
        Some(self)
    }

    pub fn is_problem(&self) -> bool {
        matches!(self.opening.kind, CaseKind::Problem { .. })
    }

    pub fn is_fallback(&self) -> bool {
        matches!(self.opening.kind, CaseKind::Fallback { .. })
    }

    /// Whether the case is still open past its due time.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.state != CaseState::Closed && now >= self.due_at
    }

    /// Logged call attempts still allowed.
    pub fn call_attempts_left(&self) -> u8 {
        MAX_CALL_ATTEMPTS.saturating_sub(self.call_attempts)
    }
}

impl Resolution {
    /// Whether this resolution can end `case`: problems end in the problem resolutions (mis-selling
    /// only in a correction or a cancellation), fallback tasks in the fallback ones, by their channel.
    pub fn fits(&self, case: &Case) -> bool {
        match (self, &case.opening.kind) {
            (Self::ContractCorrected | Self::CancelledInCoolingOff, CaseKind::Problem { .. }) => {
                true
            }
            (Self::ExplainedAndConfirmed, CaseKind::Problem { .. }) => !case.mis_selling,
            // Only a revisit asked for this case (whether its record settles it is the origin's
            // to check against the archive, `re_revisit_settles`).
            (Self::ReRevisited { revisit_id }, CaseKind::Problem { .. }) => {
                !case.mis_selling && case.re_revisits.contains(revisit_id)
            }
            (Self::CompletedByPhone { .. }, CaseKind::Fallback { .. }) => {
                case.channel == Some(Channel::CallCentre)
            }
            (
                Self::CompletedByReceipt { .. } | Self::Unreachable { .. },
                CaseKind::Fallback { .. },
            ) => case.channel == Some(Channel::Branch),
            _ => false,
        }
    }
}
