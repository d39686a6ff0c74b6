//! Where the policyholder is among the items: `第 2 / 7 项` (`Item 2 of 7`) and a bar.

use crate::i18n::Lang;
use huifang_core::words;
use leptos::prelude::*;

/// `第 n / count 项` (data-testid="progress") for the item at `index`.
#[component]
pub fn Progress(index: usize, count: usize, lang: Lang) -> impl IntoView {
    let percent = ((index + 1) * 100).checked_div(count).unwrap_or(0);
    view! {
        <div class="progress">
            <p data-testid="progress" class="progress-text">{(words::of(lang).progress)(index + 1, count)}</p>
            <div class="progress-bar" aria-hidden="true">
                // `style:width` sets the property through the CSSOM; a `style` attribute would be
                // refused by the page's Content-Security-Policy (no inline style, edge/src/headers.rs).
                <div class="progress-fill" style:width=format!("{percent}%")></div>
            </div>
        </div>
    }
}
