//! A message about the last action (a wrong code, a lost connection), shown next to the button that
//! caused it, with 重试 when sending the same thing again may work. Never a blank page.

use crate::components::actions::ActionButton;
use crate::session::{LiveSession, Place};
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
                        <ActionButton
                            class="secondary"
                            label=|t| t.retry
                            on_click=move |()| session.run(request.clone())
                            guarded=true
                        />
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
