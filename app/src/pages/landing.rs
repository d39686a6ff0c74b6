//! The first page (stages issued/opened): which policy this is, masked (R6), and the way to prove
//! it is the policyholder: a code by SMS (R8).

use crate::components::actions::ActionButton;
use crate::components::notice::NoticeBar;
use crate::display::beijing_date_time;
use crate::i18n::Lang;
use crate::session::{LiveSession, Request};
use huifang_core::words;
use leptos::prelude::*;

/// Stages issued and opened.
#[component]
pub fn LandingPage(lang: Lang) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let t = words::of(lang);
    let holder = move || session.field(|v| v.holder_masked.clone());
    let policy = move || session.field(|v| v.policy_masked.clone());
    let phone = move || session.field(|v| v.phone_masked.clone());
    let product = move || session.field(|v| v.product.clone());
    let ends = move || {
        session.field(|v| {
            beijing_date_time(&v.expires_at, lang).unwrap_or_else(|| v.expires_at.clone())
        })
    };
    view! {
        <section class="page landing">
            <h1>{t.revisit}</h1>
            <p class="lead">{t.landing_lead}</p>
            <dl class="facts">
                <div>
                    <dt>{t.holder}</dt>
                    <dd>{holder}</dd>
                </div>
                <div>
                    <dt>{t.policy}</dt>
                    <dd>{policy}</dd>
                </div>
                <div>
                    <dt>{t.phone}</dt>
                    <dd class="nowrap">{phone}</dd>
                </div>
                <div>
                    <dt>{t.product}</dt>
                    <dd>{product}</dd>
                </div>
                <div>
                    <dt>{t.cooling_off_ends}</dt>
                    <dd>
                        {ends} <span class="nowrap">{t.beijing_time}</span>
                    </dd>
                </div>
            </dl>
            <p>{t.sms_note}</p>
            <NoticeBar/>
            <div class="actions">
                <ActionButton
                    class="primary"
                    label=|t| t.send_code
                    on_click=move |()| session.run(Request::SendCode)
                    guarded=true
                />
            </div>
        </section>
    }
}
