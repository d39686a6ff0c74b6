//! What a session is about and what it holds: the revisit as the insurer created it, the stages,
//! and the answers given.

use crate::domain::{PersonName, Phone, PolicyNumber, RevisitId, SalesChannel, SellerCode};
use crate::script::{AnswerKind, Lang, Script};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What the insurer told us at creation. Immutable for the life of the session.
/// The ID number is held only as a keyed hash (R6, R8).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Revisit {
    pub id: RevisitId,
    pub policy_number: PolicyNumber,
    pub product: String,
    pub holder_name: PersonName,
    pub phone: Phone,
    pub id_number_digest: String,
    pub link_digest: String,
    pub created_at: Timestamp,
    pub cooling_off_ends_at: Timestamp,
    pub script: Script,
    /// The selling agent's device, if the insurer gave it: sessions seen from it are flagged (R10).
    #[serde(default)]
    pub agent: Option<AgentDevice>,
    /// How and by whom the policy was sold, as far as the insurer said (R12, R13).
    #[serde(default)]
    pub sale: Sale,
}

/// How and by whom the policy was sold: both optional, carried into the record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    pub channel: Option<SalesChannel>,
    pub seller_code: Option<SellerCode>,
}

/// The agent's network and user agent, as far as the insurer knows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentDevice {
    pub ip_prefix: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Issued,
    Opened,
    CodeSent,
    Verified,
    Completed,
    SwitchedToPhone,
    Expired,
    /// The insurer cancelled the revisit (e.g. the policy was cancelled in the cooling-off period).
    Cancelled,
}

impl Stage {
    /// A finished session accepts no more events; its record is sealed and forwarded.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Stage::Completed | Stage::SwitchedToPhone | Stage::Expired | Stage::Cancelled
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub index: usize,
    pub item_id: String,
    pub answer: AnswerKind,
    pub comment: Option<String>,
    pub at: Timestamp,
    /// The language the item was shown in when it was answered: the record keeps that text (R3).
    #[serde(default)]
    pub lang: Lang,
}
