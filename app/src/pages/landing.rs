//! The first page (stages issued/opened): which policy this is, masked (R6), and the way to prove
//! it is the policyholder: a code by SMS (R8).

use crate::components::notice::NoticeBar;
use crate::display::beijing_date_time;
use crate::session::{LiveSession, Request};
use leptos::prelude::*;

/// Stages issued and opened.
#[component]
pub fn LandingPage() -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let holder = move || session.field(|v| v.holder_masked.clone());
    let policy = move || session.field(|v| v.policy_masked.clone());
    let phone = move || session.field(|v| v.phone_masked.clone());
    let product = move || session.field(|v| v.product.clone());
    let ends = move || {
        session.field(|v| beijing_date_time(&v.expires_at).unwrap_or_else(|| v.expires_at.clone()))
    };
    view! {
        <section class="page landing">
            <h1>"保单回访"</h1>
            <p class="lead">
                "您好！为保障您的权益，请核对以下保单信息，验证身份后逐项确认回访内容。"
            </p>
            <dl class="facts">
                <div>
                    <dt>"投保人"</dt>
                    <dd>{holder}</dd>
                </div>
                <div>
                    <dt>"保单号"</dt>
                    <dd>{policy}</dd>
                </div>
                <div>
                    <dt>"手机号"</dt>
                    <dd>{phone}</dd>
                </div>
                <div>
                    <dt>"产品名称"</dt>
                    <dd>{product}</dd>
                </div>
                <div>
                    <dt>"犹豫期截止"</dt>
                    <dd>
                        {ends} <span class="nowrap">"（北京时间）"</span>
                    </dd>
                </div>
            </dl>
            <p>"我们将向上述手机号发送短信验证码，以确认是您本人操作。"</p>
            <NoticeBar/>
            <div class="actions">
                <button
                    type="button"
                    class="primary"
                    disabled=move || session.busy.get()
                    on:click=move |_| session.run(Request::SendCode)
                >
                    "获取验证码"
                </button>
            </div>
        </section>
    }
}
