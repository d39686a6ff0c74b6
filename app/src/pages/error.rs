//! When there is nothing else to show: the page could not load, the link is not valid, or the
//! revisit already ended elsewhere. Always a plain message, and 重试 where retrying can help.

use crate::i18n::Lang;
use crate::session::{Halt, LiveSession};
use huifang_core::words;
use leptos::prelude::*;

/// Nothing could be loaded, or the link is not valid; 重试 when it may help.
#[component]
pub fn FailedPage(lang: Lang) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let t = words::of(lang);
    let failure = move || match session.halt.get() {
        Some(Halt::Failed { failure, retry }) => (Some(failure), retry),
        _ => (None, None),
    };
    view! {
        <section class="page failed">
            <h1>{t.failed_title}</h1>
            <p class="lead" role="alert" data-testid="failure">
                {move || failure().0.map(|f| f.text(lang))}
            </p>
            {move || {
                failure()
                    .1
                    .map(|request| {
                        view! {
                            <div class="actions">
                                <button
                                    type="button"
                                    class="primary"
                                    disabled=move || session.busy.get()
                                    on:click=move |_| session.run(request.clone())
                                >
                                    {t.retry}
                                </button>
                            </div>
                        }
                    })
            }}
            <p>{t.need_help}</p>
        </section>
    }
}

/// The API said the revisit has already ended (revisit_finished).
#[component]
pub fn FinishedPage(lang: Lang) -> impl IntoView {
    let t = words::of(lang);
    view! {
        <section class="page finished">
            <h1>{t.finished_title}</h1>
            <p class="lead">{t.finished_lead}</p>
            <p>{t.close_page}</p>
        </section>
    }
}
