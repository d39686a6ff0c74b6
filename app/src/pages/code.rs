//! Code entry (stage code_sent): the six digits from the SMS (R8), and a resend that waits out the
//! gap the API reports, counted down here each second.

use crate::components::notice::NoticeBar;
use crate::display::{normalize_code, seconds_left};
use crate::i18n::Lang;
use crate::session::{LiveSession, Request};
use huifang_core::wire::CodeDelivery;
use huifang_core::words;
use huifang_core::ErrorCode;
use huifang_core::OtpCode;
use leptos::prelude::*;
use std::time::Duration;
use web_sys::js_sys::Date;

/// Stage code_sent.
#[component]
pub fn CodePage(lang: Lang) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let t = words::of(lang);
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
            Err(_) => session.say(ErrorCode::InvalidCodeFormat),
        }
    };
    view! {
        <section class="page code">
            <h1>{t.identity_title}</h1>
            // "Sent to …" only while the SMS has not failed: the notice says it could not be sent
            // (its hand-off runs after the answer, issue 19).
            <Show when=move || session.field(|v| v.code_delivery) != Some(CodeDelivery::Failed)>
                <p class="lead">
                    {t.code_sent_before} <strong class="nowrap">{phone}</strong> {t.code_sent_after}
                </p>
            </Show>
            <form on:submit=submit novalidate>
                <label for="otp">{t.code_label}</label>
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
                        {t.verify}
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
                    {t.resend}
                </button>
                <p id="resend-wait" class="hint">
                    {move || match left() {
                        0 => t.resend_ready.to_string(),
                        n => (t.resend_in)(n),
                    }}
                </p>
            </div>
        </section>
    }
}
