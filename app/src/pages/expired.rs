//! The link died at the end of the cooling-off period (R1); the insurer completes the revisit by a
//! recorded phone call instead (R11).

use crate::i18n::Lang;
use huifang_core::words;
use leptos::prelude::*;

/// Stage expired, or any call refused with link_expired.
#[component]
pub fn ExpiredPage(lang: Lang) -> impl IntoView {
    let t = words::of(lang);
    view! {
        <section class="page expired">
            <h1>{t.expired_title}</h1>
            <p class="lead">{t.expired_lead}</p>
            <p>{t.close_page}</p>
        </section>
    }
}
