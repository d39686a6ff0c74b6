//! Code entry (stage code_sent): the six digits from the SMS (R8), and a resend that waits out the
//! gap the API reports, counted down here each second.

use crate::components::notice::NoticeBar;
use crate::display::{normalize_code, seconds_left};
use crate::session::{LiveSession, Request};
use huifang_core::OtpCode;
use leptos::prelude::*;
use std::time::Duration;
use web_sys::js_sys::Date;

/// Stage code_sent.
#[component]
pub fn CodePage() -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let code = RwSignal::new(String::new());
    let now = RwSignal::new(Date::now());
    let deadline = RwSignal::new(Date::now());
    // Every view from the API restarts the countdown from its `resend_after_secs`.
    Effect::new(move |_| {
        let wait = session.field(|v| v.resend_after_secs);
        let started = Date::now();
        now.set(started);
        deadline.set(started + wait as f64 * 1_000.0);
    });
    // Measured against the clock, not by counting ticks: a phone throttles timers in the background.
    let ticker =
        set_interval_with_handle(move || now.set(Date::now()), Duration::from_secs(1)).ok();
    on_cleanup(move || {
        if let Some(ticker) = ticker {
            ticker.clear();
        }
    });
    let left = move || seconds_left(deadline.get(), now.get());
    let resend_locked = move || left() > 0 || session.busy.get();
    let phone = move || session.field(|v| v.phone_masked.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match OtpCode::parse(&normalize_code(&code.get_untracked())) {
            Ok(code) => session.run(Request::Verify { code }),
            Err(_) => session.say("请输入短信中的 6 位数字验证码。"),
        }
    };
    view! {
        <section class="page code">
            <h1>"身份验证"</h1>
            <p class="lead">"验证码已发送至 " <strong class="nowrap">{phone}</strong> "，5 分钟内有效。"</p>
            <form on:submit=submit novalidate>
                <label for="otp">"短信验证码"</label>
                <input
                    id="otp"
                    name="otp"
                    class="otp"
                    type="text"
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    pattern="[0-9]*"
                    maxlength="6"
                    bind:value=code
                />
                <NoticeBar/>
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || session.busy.get()>
                        "验证"
                    </button>
                </div>
            </form>
            <div class="resend">
                <button
                    type="button"
                    class="secondary"
                    disabled=resend_locked
                    aria-describedby="resend-wait"
                    on:click=move |_| session.run(Request::SendCode)
                >
                    "重新发送"
                </button>
                <p id="resend-wait" class="hint">
                    {move || match left() {
                        0 => "没有收到短信？可以重新发送。".to_string(),
                        n => format!("{n} 秒后可重新发送"),
                    }}
                </p>
            </div>
        </section>
    }
}
