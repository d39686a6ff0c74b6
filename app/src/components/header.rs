//! The header on every page: what this is, the product once known, the language and text-size
//! choices, and the switch to a phone revisit wherever the electronic one can still be stopped (R7).

use crate::components::switch_to_phone::SwitchToPhonePanel;
use crate::components::view_options::ViewOptions;
use crate::session::LiveSession;
use crate::Page;
use huifang_core::words;
use leptos::prelude::*;

/// The header: product name once known, display choices, and 改为电话回访 where `page` offers it.
#[component]
pub fn RevisitHeader(page: Memo<Page>) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let product = move || session.field(|v| v.product.clone());
    view! {
        <header class="masthead">
            <p class="brand">
                <span class="brand-name">{move || words::of(session.lang.get()).brand}</span>
                <Show when=move || !product().is_empty()>
                    <span class="product">{product}</span>
                </Show>
            </p>
            <ViewOptions/>
            <Show when=move || page.get().offers_switch()>
                <SwitchToPhonePanel/>
            </Show>
        </header>
    }
}
