//! The header on every page: what this is, the product once known, and the switch to a phone
//! revisit wherever the electronic one can still be stopped (R7).

use crate::components::switch_to_phone::SwitchToPhonePanel;
use crate::session::LiveSession;
use crate::Page;
use leptos::prelude::*;

/// The header: product name once known, and 改为电话回访 where `page` still offers it.
#[component]
pub fn RevisitHeader(page: Memo<Page>) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let product = move || session.field(|v| v.product.clone());
    view! {
        <header class="masthead">
            <p class="brand">
                <span class="brand-name">"保单电子化回访"</span>
                <Show when=move || !product().is_empty()>
                    <span class="product">{product}</span>
                </Show>
            </p>
            <Show when=move || page.get().offers_switch()>
                <SwitchToPhonePanel/>
            </Show>
        </header>
    }
}
