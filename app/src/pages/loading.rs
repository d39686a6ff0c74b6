//! While the first call is in flight: the same text as the static shell in `index.html`, so nothing jumps.

use leptos::prelude::*;

/// Shown until the first view arrives.
#[component]
pub fn LoadingPage() -> impl IntoView {
    view! {
        <section class="page loading" aria-busy="true">
            <h1>"保单回访"</h1>
            <p>"正在加载…"</p>
        </section>
    }
}
