//! The two display choices on every page: the language (中文 / English, each labelled in its own
//! language) and 大字模式 (large text), both plain toggle buttons with `aria-pressed`.

use crate::i18n::Lang;
use crate::prefs::Prefs;
use crate::session::LiveSession;
use huifang_core::words;
use leptos::prelude::*;

/// The language switch and the large-text toggle.
#[component]
pub fn ViewOptions() -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let prefs = expect_context::<Prefs>();
    let lang = session.lang;
    let language = move |choice: Lang, name: &'static str| {
        view! {
            <button
                type="button"
                class="tool"
                lang=choice.as_str()
                aria-pressed=move || (lang.get() == choice).to_string()
                on:click=move |_| {
                    if lang.get_untracked() != choice {
                        session.choose_language(choice);
                    }
                }
            >
                {name}
            </button>
        }
    };
    view! {
        <div class="view-options">
            <div class="lang-switch" role="group" aria-label=move || words::of(lang.get()).language>
                {language(Lang::ZhCn, "中文")}
                {language(Lang::En, "English")}
            </div>
            <button
                type="button"
                class="tool"
                aria-pressed=move || prefs.large.get().to_string()
                on:click=move |_| prefs.set_large(!prefs.large.get_untracked())
            >
                {move || words::of(lang.get()).large_text}
            </button>
        </div>
    }
}
