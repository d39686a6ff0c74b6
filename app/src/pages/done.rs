//! The revisit is complete (stage completed). Any "no" answer is a problem case the insurer follows
//! up (R12), and the page says so.

use crate::display::doubts;
use crate::i18n::Lang;
use crate::session::LiveSession;
use huifang_core::words;
use leptos::prelude::*;

/// Stage completed.
#[component]
pub fn DonePage(lang: Lang) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let t = words::of(lang);
    let doubted = move || session.field(|v| doubts(&v.items));
    view! {
        <section class="page done">
            <h1>{t.done_title}</h1>
            <p class="lead">{t.done_lead}</p>
            <Show when=move || { doubted() > 0 }>
                <p class="note">{move || (t.doubts_followed_up)(doubted())}</p>
            </Show>
            <p>{t.close_page}</p>
        </section>
    }
}
