//! How a console page looks and is sent: the layout around every page, the pages that say one
//! thing (a message, the login form), and the headers every page carries. Reads only the settings,
//! the words and the account types, so that every handler can use it.

use crate::console::accounts::LiveSession;
use crate::console::settings::CONSOLE_CSP;
use crate::console::words;
use crate::server::page::html_page;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html as markup, Markup, DOCTYPE};

/// An HTML page of the console with its headers.
pub fn html(status: StatusCode, markup: Markup) -> Response {
    html_page(status, markup.into_string(), CONSOLE_CSP)
}

/// The page around `body`, with the staff bar when logged in.
pub fn layout(title: &str, session: Option<&LiveSession>, body: Markup) -> Markup {
    markup! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 回访工作台" }
                link rel="stylesheet" href="/console/console.css";
            }
            body {
                header.bar {
                    span.brand { "回访工作台" }
                    @if let Some(live) = session {
                        nav aria-label="主菜单" {
                            a href="/console/queue" { "我的队列" }
                            @if huifang_core::sample_run::may_read(live.account.role) {
                                a href="/console/sampling" { "质检抽样" }
                                a href="/console/statistics" { "统计" }
                            }
                            @if matches!(live.account.role, huifang_core::casework::Role::Supervisor | huifang_core::casework::Role::Auditor) {
                                a href="/console/first-use-report" { "首次使用报告" }
                            }
                            @if live.account.role == huifang_core::casework::Role::Admin {
                                a href="/console/staff" { "工作人员" }
                            }
                        }
                        span.who {
                            (live.account.display_name) " · " (words::role(live.account.role))
                        }
                        form method="post" action="/console/logout" {
                            input type="hidden" name="csrf" value=(live.csrf_token);
                            button.quiet type="submit" { "退出登录" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page that only says `message`.
pub fn message_page(message: &str) -> Markup {
    layout(
        "提示",
        None,
        markup! {
            h1 { "提示" }
            p.notice.error role="alert" { (message) }
            p { a href="/console/queue" { "返回我的队列" } }
        },
    )
}

/// The login form; `token` binds it to the browser's login cookie.
pub fn login_page(token: &str, message: Option<&str>) -> Markup {
    layout(
        "登录",
        None,
        markup! {
            div.login {
                h1 { "工作人员登录" }
                @if let Some(message) = message {
                    p.notice.error role="alert" { (message) }
                }
                form method="post" action="/console/login" {
                    input type="hidden" name="csrf" value=(token);
                    label for="staff_id" { "工号" }
                    input #staff_id type="text" name="staff_id" autocomplete="username" required;
                    label for="password" { "密码" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button type="submit" { "登录" }
                }
            }
        },
    )
}
