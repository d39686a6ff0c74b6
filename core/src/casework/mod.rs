//! The insurer's casework after the revisits (R11, R12): problem cases and fallback tasks, typed,
//! each the fold of an append-only log of events. The origin stores the log and shows the queues;
//! every decision is here: which cases a record opens and when they are due (`open`), what a case is
//! after its events (`case`), who may do what and when (`rules`).

mod case;
mod open;
mod rules;

pub use case::{
    CallResult, Case, CaseEvent, CaseKind, CaseState, Channel, Entry, FallbackReason, Finding,
    Opening, ReceiptChannel, ReplayError, Resolution, RouteReason, MAX_CALL_ATTEMPTS,
};
pub use open::{findings_in, openings_for, re_revisit_settles, PROBLEM_WORKING_DAYS};
pub use rules::{
    within_call_hours, Actor, CaseRefusal, Command, Role, BRANCH_WHEN_LEFT_MS, CALL_HOURS,
};

#[cfg(test)]
mod tests;
