//! The staff admin page (issue 13; admin role only): the accounts, a form to add one, and for each
//! a form to change its role or to disable it. Every action, done or refused, is a line of the
//! append-only staff log, and the page shows the log's latest lines. An account is never deleted
//! (its id stays in the case and staff logs); a disabled one cannot log in and its sessions end.
//! An admin changes neither their own role nor their own account (no one locks the console out).

use crate::console::accounts::{
    hash_password, is_staff_id, parse_role, role_name, PasswordError, StaffAccount,
    MIN_PASSWORD_CHARS,
};
use crate::console::error::ConsoleError;
use crate::console::session::{log_action, StaffSession};
use crate::console::view::{html, layout};
use crate::console::words;
use crate::server::state::{blocking, AppState};
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use huifang_core::casework::Role;
use maud::html as markup;
use serde::Deserialize;
use std::sync::Arc;

/// Every role, in the order the forms offer them.
const ROLES: [Role; 6] = [
    Role::CallAgent,
    Role::BranchHandler,
    Role::Reviewer,
    Role::Supervisor,
    Role::Auditor,
    Role::Admin,
];

/// How many lines of the staff log the page shows.
const LOG_LINES: u32 = 30;

/// An admin form: `action` is `add`, `role` or `disable`.
#[derive(Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    staff_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    seller_code: String,
    #[serde(default)]
    password: String,
}

/// What an admin asks for, checked.
#[derive(Debug, PartialEq, Eq)]
enum AdminCommand {
    Add {
        staff_id: String,
        name: String,
        role: Role,
        seller_code: Option<String>,
        password: String,
    },
    SetRole {
        staff_id: String,
        role: Role,
    },
    Disable {
        staff_id: String,
    },
}

impl AdminCommand {
    fn log_name(&self) -> &'static str {
        match self {
            Self::Add { .. } => "staff_add",
            Self::SetRole { .. } => "staff_role",
            Self::Disable { .. } => "staff_disable",
        }
    }
}

/// The command a form asks for from admin `me`, or what is wrong with it (in words).
fn command_of(form: &StaffForm, me: &str) -> Result<AdminCommand, &'static str> {
    let staff_id = form.staff_id.trim().to_string();
    if !is_staff_id(&staff_id) {
        return Err("工号须为 1–64 个字母、数字或 . _ - @。未做任何更改。");
    }
    let role = || parse_role(&form.role).ok_or("请选择角色。未做任何更改。");
    match form.action.as_str() {
        "add" => {
            let name = form.name.trim().to_string();
            if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
                return Err("请填写姓名（最多 64 字）。未做任何更改。");
            }
            let seller = form.seller_code.trim();
            let seller_code = if seller.is_empty() {
                None
            } else if is_staff_id(seller) {
                Some(seller.to_string())
            } else {
                return Err("销售人员代码须为 1–64 个字母、数字或 . _ - @。未做任何更改。");
            };
            if form.password.chars().count() < MIN_PASSWORD_CHARS {
                return Err("初始密码至少 10 个字符。未做任何更改。");
            }
            Ok(AdminCommand::Add {
                staff_id,
                name,
                role: role()?,
                seller_code,
                password: form.password.clone(),
            })
        }
        "role" | "disable" if staff_id == me => {
            Err("不能更改或停用自己的账号，请由另一位管理员操作。未做任何更改。")
        }
        "role" => Ok(AdminCommand::SetRole {
            staff_id,
            role: role()?,
        }),
        "disable" => Ok(AdminCommand::Disable { staff_id }),
        _ => Err("未知的操作。未做任何更改。"),
    }
}

/// A staff log action in words (the code stays beside it, as stored).
fn action_words(action: &str) -> &'static str {
    match action.split(':').next().unwrap_or_default() {
        "login" => "登录",
        "login_failed" => "登录失败",
        "login_throttled" => "登录受限",
        "logout" => "退出登录",
        "read_queue" => "查看队列",
        "read_case" => "查看案件",
        "case_action" => "办理案件",
        "reveal_phone" => "查看完整号码",
        "export_queue" => "导出队列",
        "csrf_refused" => "表单令牌无效",
        "read_staff" => "查看账号",
        "staff_add" => "新增账号",
        "staff_role" => "更改角色",
        "staff_disable" => "停用账号",
        "re_revisit" => "申请重新回访",
        _ => "其他操作",
    }
}

/// The session, if it is an admin's; otherwise the refusal, logged.
async fn admin(app: &AppState, session: &StaffSession) -> Result<(), ConsoleError> {
    if session.0.account.role == Role::Admin {
        return Ok(());
    }
    let id = &session.0.account.staff_id;
    log_action(app, id, "read_staff", None, "not_admin").await?;
    Err(ConsoleError::Forbidden)
}

/// `GET /console/staff`.
pub async fn page(
    State(app): State<AppState>,
    session: StaffSession,
) -> Result<Response, ConsoleError> {
    admin(&app, &session).await?;
    let me = session.0.account.staff_id.clone();
    log_action(&app, &me, "read_staff", None, "ok").await?;
    render(&app, &session, None, StatusCode::OK).await
}

async fn render(
    app: &AppState,
    session: &StaffSession,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let store = Arc::clone(&app.staff);
    let (accounts, log) = blocking(move || {
        Ok::<_, crate::archive::ArchiveError>((store.list_staff()?, store.staff_log(LOG_LINES)?))
    })
    .await??;
    let me = &session.0.account.staff_id;
    let csrf = &session.0.csrf_token;
    let body = markup! {
        h1 { "工作人员账号" }
        @if let Some(text) = error {
            p.notice.error role="alert" { (text) }
        }
        table.accounts {
            caption.muted.small { "所有账号（账号不删除；停用后不能登录，已登录的会话立即失效）" }
            thead { tr {
                th scope="col" { "工号" } th scope="col" { "姓名" } th scope="col" { "角色" }
                th scope="col" { "销售人员代码" } th scope="col" { "状态" } th scope="col" { "操作" }
            } }
            tbody {
                @for a in &accounts {
                    tr {
                        td { (a.staff_id) }
                        td { (a.display_name) }
                        td { (words::role(a.role)) }
                        td { (a.seller_code.as_deref().unwrap_or("—")) }
                        td { @if a.disabled { "已停用" } @else { "启用" } }
                        td {
                            @if a.disabled || a.staff_id == *me {
                                span.muted.small { @if a.disabled { "—" } @else { "本人" } }
                            } @else {
                                form.inline method="post" action="/console/staff" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="action" value="role";
                                    input type="hidden" name="staff_id" value=(a.staff_id);
                                    label.sr-only for={ "role-" (a.staff_id) } { (a.staff_id) " 的新角色" }
                                    select id={ "role-" (a.staff_id) } name="role" {
                                        @for r in ROLES {
                                            option value=(role_name(r)) selected[r == a.role] { (words::role(r)) }
                                        }
                                    }
                                    button type="submit" aria-label={ "更改 " (a.staff_id) " 的角色" } { "更改角色" }
                                }
                                form.inline method="post" action="/console/staff" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="action" value="disable";
                                    input type="hidden" name="staff_id" value=(a.staff_id);
                                    button.danger type="submit" aria-label={ "停用 " (a.staff_id) } { "停用" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "新增账号" }
        form.action.wide method="post" action="/console/staff" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="action" value="add";
            label for="new-id" { "工号" }
            input #new-id type="text" name="staff_id" maxlength="64" autocomplete="off" required;
            label for="new-name" { "姓名" }
            input #new-name type="text" name="name" maxlength="64" autocomplete="off" required;
            label for="new-role" { "角色" }
            select #new-role name="role" {
                @for r in ROLES { option value=(role_name(r)) { (words::role(r)) } }
            }
            label for="new-seller" { "销售人员代码（兼任销售时填写，其销售的保单案件对其不可见）" }
            input #new-seller type="text" name="seller_code" maxlength="64" autocomplete="off";
            label for="new-password" { "初始密码（至少 10 个字符）" }
            input #new-password type="password" name="password" autocomplete="new-password" required;
            button type="submit" { "新增账号" }
        }
        h2 { "工作日志（最近 " (LOG_LINES) " 条）" }
        table.log {
            caption.muted.small { "只增不改：谁在何时做了什么（北京时间）" }
            thead { tr {
                th scope="col" { "时间" } th scope="col" { "工号" } th scope="col" { "操作" }
                th scope="col" { "对象" } th scope="col" { "结果" }
            } }
            tbody {
                @for e in &log {
                    tr {
                        td { (words::beijing(e.at)) }
                        td { (e.staff_id) }
                        td { (action_words(&e.action)) " " code.muted { (e.action) } }
                        td { (e.target.as_deref().unwrap_or("—")) }
                        td { (e.outcome) }
                    }
                }
            }
        }
    };
    Ok(html(status, layout("工作人员账号", Some(&session.0), body)))
}

/// `POST /console/staff`: one admin action, logged whether done or refused.
pub async fn act(
    State(app): State<AppState>,
    session: StaffSession,
    form: Result<Form<StaffForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Form(form) = form.map_err(|_| ConsoleError::BadRequest("the form cannot be read"))?;
    session.check_csrf(&app, &form.csrf).await?;
    admin(&app, &session).await?;
    let me = session.0.account.staff_id.clone();
    let target = form.staff_id.trim().to_string();
    let logged_target = is_staff_id(&target).then_some(target.as_str());
    let command = match command_of(&form, &me) {
        Ok(command) => command,
        Err(text) => {
            let action = match form.action.as_str() {
                "add" => "staff_add",
                "role" => "staff_role",
                "disable" => "staff_disable",
                _ => "staff_unknown",
            };
            log_action(&app, &me, action, logged_target, "bad_input").await?;
            return render(&app, &session, Some(text), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let action = command.log_name();
    let store = Arc::clone(&app.staff);
    let now = app.now();
    let done = blocking(move || -> Result<Result<(), &'static str>, ConsoleError> {
        Ok(match command {
            AdminCommand::Add {
                staff_id,
                name,
                role,
                seller_code,
                password,
            } => {
                let password_hash = hash_password(&password).map_err(|e| match e {
                    PasswordError::TooShort => ConsoleError::BadRequest("password too short"),
                    other => ConsoleError::Internal(other.to_string()),
                })?;
                let account = StaffAccount {
                    staff_id,
                    display_name: name,
                    role,
                    seller_code,
                    password_hash,
                    disabled: false,
                };
                if store.add_staff(&account, now)? {
                    Ok(())
                } else {
                    Err("该工号已存在。未做任何更改。")
                }
            }
            AdminCommand::SetRole { staff_id, role } => {
                if store.set_role(&staff_id, role)? {
                    Ok(())
                } else {
                    Err("没有这个启用中的工号。未做任何更改。")
                }
            }
            AdminCommand::Disable { staff_id } => {
                if store.disable_staff(&staff_id, now)? {
                    Ok(())
                } else {
                    Err("没有这个启用中的工号。未做任何更改。")
                }
            }
        })
    })
    .await??;
    match done {
        Ok(()) => {
            log_action(&app, &me, action, logged_target, "ok").await?;
            Ok(Redirect::to("/console/staff").into_response())
        }
        Err(text) => {
            log_action(&app, &me, action, logged_target, "refused").await?;
            render(&app, &session, Some(text), StatusCode::CONFLICT).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(action: &str, id: &str, role: &str, password: &str) -> StaffForm {
        StaffForm {
            csrf: String::new(),
            action: action.into(),
            staff_id: id.into(),
            name: "新人".into(),
            role: role.into(),
            seller_code: String::new(),
            password: password.into(),
        }
    }

    #[test]
    fn an_admin_form_is_checked_and_no_admin_changes_their_own_account() {
        let ok = command_of(&form("add", "a-1", "call_agent", "long enough pw"), "root");
        assert!(matches!(
            ok,
            Ok(AdminCommand::Add {
                role: Role::CallAgent,
                ..
            })
        ));
        for bad in [
            form("add", "a 1", "call_agent", "long enough pw"),
            form("add", "system", "call_agent", "long enough pw"),
            form("add", "a-1", "boss", "long enough pw"),
            form("add", "a-1", "reviewer", "short"),
            form("role", "root", "reviewer", ""),
            form("disable", "root", "", ""),
            form("delete", "a-1", "", ""),
        ] {
            assert!(command_of(&bad, "root").is_err(), "{}", bad.action);
        }
        let mut seller = form("add", "a-2", "reviewer", "long enough pw");
        seller.seller_code = "销售".into();
        assert!(command_of(&seller, "root").is_err());
        seller.seller_code = "AG-1".into();
        assert!(matches!(
            command_of(&seller, "root"),
            Ok(AdminCommand::Add {
                seller_code: Some(_),
                ..
            })
        ));
        assert_eq!(
            command_of(&form("disable", "a-1", "", ""), "root"),
            Ok(AdminCommand::Disable {
                staff_id: "a-1".into()
            })
        );
    }
}
