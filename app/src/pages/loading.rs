//! While the first call is in flight: the same text as the static shell in `index.html`, so nothing jumps.

use crate::i18n::Lang;
use huifang_core::words;
use leptos::prelude::*;

/// Shown until the first view arrives.
#[component]
pub fn LoadingPage(lang: Lang) -> impl IntoView {
    let t = words::of(lang);
    view! {
        <section class="page loading" aria-busy="true">
            <h1>{t.revisit}</h1>
            <p>{t.loading}</p>
        </section>
    }
}
