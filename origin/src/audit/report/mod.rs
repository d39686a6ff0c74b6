//! The evidence report (回访凭证) of one archived revisit, served at `GET /records/{id}/report`
//! ([`crate::server::report`]): a self-contained printable HTML page (R3), written from the typed
//! [`huifang_core::record::Record`] section by section. It shows what the policyholder was shown and answered,
//! when and from which network, the identity steps passed, interference flags (R10), the seal, the
//! record's place in the archive chain (R4), its retention (R5), and whether all of it verifies
//! now. Every piece of text from the record is escaped. Open without the admin token only in dev
//! mode (`--sms-outbox`); otherwise the insurer's systems fetch it with the token.

pub mod labels;
mod sections;

use crate::archive::chain::{ChainBreak, ChainWalk, Gaps};
use crate::archive::StoredRecord;
use crate::audit::verify_archive::{check_row, RowProblem};
use huifang_core::record::{RecordError, SealedRecord};
use huifang_core::signing::{SignatureError, TrustedKeys};
use huifang_core::Timestamp;

/// The page's only policy: no script, no fetch, nothing from elsewhere; inline style and inline
/// images (a signature) only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub use huifang_core::html::escape;

/// Why the record does not verify now, in the report's words and the verifier's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The stable code (`record_hash_mismatch`, `chain_broken_link`, …).
    pub code: &'static str,
    /// What it means, in Chinese.
    pub summary: String,
    /// The verifier's precise reason, in English.
    pub detail: String,
}

fn problem_of_row(p: &RowProblem) -> Problem {
    let summary = match p {
        RowProblem::Unreadable(_) => "档案中的记录无法读取".to_string(),
        RowProblem::ColumnMismatch { column, .. } => {
            format!("档案索引字段 {column} 与封存的记录不一致")
        }
        RowProblem::Seal(RecordError::HashMismatch) => {
            "记录内容与封存的记录哈希不符：记录在封存后被改动".to_string()
        }
        RowProblem::Seal(RecordError::Seal(SignatureError::UnknownKey)) => {
            "封存密钥不在本机构当前信任的边缘密钥之中".to_string()
        }
        RowProblem::Seal(RecordError::Seal(_)) => "封存签名与记录不符".to_string(),
        RowProblem::Seal(RecordError::Trace(_)) => "操作轨迹的哈希链断裂".to_string(),
        RowProblem::Seal(_) => "记录格式无法验证".to_string(),
        RowProblem::Chain(b) => chain_summary(b),
    };
    Problem {
        code: p.code(),
        summary,
        detail: p.to_string(),
    }
}

fn chain_summary(b: &ChainBreak) -> String {
    match b {
        ChainBreak::NotFromGenesis { .. } => "档案链的起点缺失：之前的记录被删除".to_string(),
        ChainBreak::Missing { .. } => "档案链中缺少记录：有记录被删除".to_string(),
        ChainBreak::OutOfOrder { .. } => "档案链顺序错乱".to_string(),
        ChainBreak::BrokenLink { seq, .. } => format!("档案链在第 {seq} 号断开"),
        ChainBreak::Altered { seq } => format!("第 {seq} 号的链值与其字段不符：档案被改动"),
    }
}

/// Everything that must hold for the record to count as verified now: its row (seal, trace and
/// indexed columns, under the keys trusted today) and its links to the rows before and after it.
pub fn verify_stored(stored: &StoredRecord, keys: &TrustedKeys) -> Vec<Problem> {
    let mut problems: Vec<Problem> = check_row(&stored.row, keys)
        .err()
        .iter()
        .map(problem_of_row)
        .collect();
    let mut walk = match &stored.before {
        None => ChainWalk::from_genesis(),
        Some(_) => ChainWalk::from_anywhere(Gaps::Refused),
    };
    if let Some(before) = &stored.before {
        // Breaks of the row before are its own report's business; it is only the anchor here.
        let _ = before.chain_step(&mut walk);
    }
    let mut breaks = stored.row.chain_step(&mut walk);
    if let Some(after) = &stored.after {
        breaks.extend(
            after
                .chain_step(&mut walk)
                .into_iter()
                .filter(|b| !matches!(b, ChainBreak::Altered { .. })),
        );
    }
    problems.extend(breaks.into_iter().map(|b| problem_of_row(&b.into())));
    problems
}

/// What the page shows.
pub struct ReportInput<'a> {
    /// The sealed record as archived.
    pub sealed: &'a SealedRecord,
    /// Its row and neighbours.
    pub stored: &'a StoredRecord,
    /// What does not verify now (empty: verified).
    pub problems: &'a [Problem],
    /// When the page was made.
    pub generated_at: Timestamp,
}

/// The page's style sheet, inlined (the CSP allows nothing from elsewhere).
const STYLE: &str = include_str!("report.css");

/// The page.
pub fn render(input: &ReportInput<'_>) -> String {
    let record = &input.sealed.record;
    let mut h = String::with_capacity(32 * 1024);
    sections::head(&mut h, record, STYLE);
    sections::verdict(&mut h, record, input.problems);
    sections::summary(&mut h, record);
    sections::identity(&mut h, record);
    sections::items(&mut h, record);
    sections::interference(&mut h, record);
    sections::timeline(&mut h, record);
    sections::seal_and_chain(&mut h, input.sealed, input.stored);
    sections::retention(&mut h, input.stored.terminated_at);
    sections::footer(&mut h, input.generated_at);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_markup_character_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("张三丰"), "张三丰");
    }
}
