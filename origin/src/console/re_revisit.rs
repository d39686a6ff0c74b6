//! A problem case resolved by a new electronic revisit (issue 13, item 3; R12). A reviewer asks for
//! one from the case page: the origin asks the edge for it through the signed insurer API (the
//! policyholder's name, phone and ID number typed from the insurer's policy system, passed through
//! and never kept or logged; the policy, the product, the cooling-off end, the sale and the product
//! kinds from the case's record), the link goes to the policyholder by SMS (`send_link_sms`: the
//! console never sees it), and the case records the new revisit's id. When that revisit's record
//! arrives completed with nothing found (`re_revisit_settles`), the case can be closed as
//! re-revisited.

use crate::casework::work::CaseFile;
use crate::console::error::ConsoleError;
use crate::console::session::StaffSession;
use crate::server::state::{blocking, AppState};
use huifang_core::casework::{re_revisit_settles, Case};
use huifang_core::record::Record;
use huifang_core::RevisitId;
use maud::{html as markup, Markup};
use std::sync::Arc;

/// Where a revisit asked for a case stands, as the archive says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReRevisitState {
    /// No record yet: the policyholder has not finished it.
    Waiting,
    /// Its record is in, completed with nothing found: it settles the case.
    Settles,
    /// Its record is in, but it does not settle the case (a "no", a flag, not completed).
    DoesNotSettle,
}

impl ReRevisitState {
    fn words(self) -> &'static str {
        match self {
            Self::Waiting => "等待投保人完成",
            Self::Settles => "已完成，未发现问题",
            Self::DoesNotSettle => "记录已到，但仍有问题或未完成",
        }
    }
}

/// The archived record of `revisit_id`, if it is in.
pub async fn archived(
    app: &AppState,
    revisit_id: &RevisitId,
) -> Result<Option<Record>, ConsoleError> {
    let archive = Arc::clone(&app.archive);
    let id = revisit_id.clone();
    let stored = blocking(move || archive.record(&id)).await??;
    Ok(stored.and_then(|s| s.sealed().ok()).map(|s| s.record))
}

/// Each revisit asked for `case`, with where it stands.
pub async fn states(
    app: &AppState,
    case: &Case,
) -> Result<Vec<(RevisitId, ReRevisitState)>, ConsoleError> {
    let mut out = Vec::new();
    for id in &case.re_revisits {
        let state = match archived(app, id).await? {
            None => ReRevisitState::Waiting,
            Some(r) if re_revisit_settles(&r) => ReRevisitState::Settles,
            Some(_) => ReRevisitState::DoesNotSettle,
        };
        out.push((id.clone(), state));
    }
    Ok(out)
}

/// Whether revisit `id`, asked for this case, has a record that settles it.
pub async fn settles(app: &AppState, id: &RevisitId) -> Result<bool, ConsoleError> {
    Ok(archived(app, id)
        .await?
        .is_some_and(|r| re_revisit_settles(&r)))
}

/// The section of the case page: the revisits asked so far, and the form to ask for one.
pub fn section(
    file: &CaseFile,
    session: &StaffSession,
    states: &[(RevisitId, ReRevisitState)],
    may_request: bool,
    configured: bool,
) -> Markup {
    markup! {
        @if !states.is_empty() || may_request {
            h2 #re-revisit { "重新电子回访" }
        }
        @if !states.is_empty() {
            table {
                caption.muted.small { "为此案件申请的新回访" }
                thead { tr { th scope="col" { "新回访编号" } th scope="col" { "状态" } } }
                tbody {
                    @for (id, state) in states {
                        tr { td { code { (id) } } td { (state.words()) } }
                    }
                }
            }
        }
        @if may_request {
            @if configured {
                form.action.wide method="post" action={ "/console/cases/" (file.id) "/re-revisit" } {
                    h3 { "申请重新电子回访" }
                    input type="hidden" name="csrf" value=(session.0.csrf_token);
                    p.small.muted {
                        "请从保单系统核对投保人信息后填写。新回访链接由短信直接发送给投保人，本页不会显示；"
                        "手机号和身份证号只用于创建回访，源站不保存、不记入日志。"
                    }
                    label for="rr-name" { "投保人姓名" }
                    input #rr-name type="text" name="name" maxlength="64" autocomplete="off" required;
                    label for="rr-phone" { "投保人手机号" }
                    input #rr-phone type="text" name="phone" inputmode="numeric" maxlength="20" autocomplete="off" required;
                    label for="rr-id" { "投保人身份证号" }
                    input #rr-id type="text" name="id_number" maxlength="18" autocomplete="off" required;
                    button type="submit" { "申请重新回访" }
                }
            } @else {
                p.muted { "源站未配置边缘节点（serve --edge-url），无法申请重新回访。" }
            }
        }
    }
}
