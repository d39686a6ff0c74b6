//! A message about the last action (a wrong code, a lost connection), shown next to the button that
//! caused it, with 重试 when sending the same thing again may work. Never a blank page.

use crate::session::{LiveSession, Place};
use huifang_core::words;
use leptos::prelude::*;

/// The current notice, if it belongs at `place`, in the page's language.
#[component]
pub fn NoticeBar(#[prop(optional)] place: Place) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    move || {
        let lang = session.lang.get();
        session
            .notice
            .get()
            .filter(|n| n.place == place)
            .map(|notice| {
                let retry = notice.retry.map(|request| {
                    view! {
                        <button
                            type="button"
                            class="secondary"
                            disabled=move || session.busy.get()
                            on:click=move |_| session.run(request.clone())
                        >
                            {words::of(lang).retry}
                        </button>
                    }
                });
                view! {
                    <div class="notice" role="alert" data-testid="notice">
                        <p>{notice.failure.text(lang)}</p>
                        {retry}
                    </div>
                }
            })
    }
}
