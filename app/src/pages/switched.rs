//! The policyholder chose a phone revisit instead (R7); the insurer calls within the cooling-off
//! period (R11).

use crate::i18n::Lang;
use huifang_core::words;
use leptos::prelude::*;

/// Stage switched_to_phone.
#[component]
pub fn SwitchedPage(lang: Lang) -> impl IntoView {
    let t = words::of(lang);
    view! {
        <section class="page switched">
            <h1>{t.switched_title}</h1>
            <p class="lead">{t.switched_lead}</p>
            <p>{t.close_page}</p>
        </section>
    }
}
