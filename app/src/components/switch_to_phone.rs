//! 改为电话回访 (R7): stop the electronic revisit and have the insurer phone instead (R11). A second
//! step asks for confirmation and an optional reason, so a stray tap does not end the revisit.

use crate::components::actions::ConfirmActions;
use crate::components::notice::NoticeBar;
use crate::session::{optional_text, LiveSession, Place, Request};
use huifang_core::session::MAX_COMMENT_CHARS;
use huifang_core::words;
use leptos::html::H2;
use leptos::prelude::*;

/// The 改为电话回访 button, which opens the confirmation panel in its place.
#[component]
pub fn SwitchToPhonePanel() -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let t = move || words::of(session.lang.get());
    // Tapped on the first screen, before the app ran (index.html): open at once.
    let open = RwSignal::new(crate::first::take_switch_asked());
    let reason = RwSignal::new(String::new());
    let confirm = move |()| {
        session.run(Request::SwitchToPhone {
            reason: optional_text(&reason.get_untracked()),
        })
    };
    let cancel = move |()| {
        open.set(false);
        session.notice.update(|n| {
            if n.as_ref().is_some_and(|n| n.place == Place::SwitchPanel) {
                *n = None;
            }
        });
    };
    let panel = move || {
        let heading = NodeRef::<H2>::new();
        // Move focus to the panel so screen readers announce it where it opened.
        Effect::new(move |_| {
            if let Some(h) = heading.get() {
                let _ = h.focus();
            }
        });
        view! {
            <section class="switch-panel" aria-labelledby="switch-title">
                <h2 id="switch-title" tabindex="-1" node_ref=heading>
                    {move || t().switch_title}
                </h2>
                <p>{move || t().switch_text}</p>
                <label for="switch-reason">{move || t().switch_reason}</label>
                <textarea
                    id="switch-reason"
                    rows="3"
                    maxlength=MAX_COMMENT_CHARS.to_string()
                    bind:value=reason
                ></textarea>
                <NoticeBar place=Place::SwitchPanel/>
                <ConfirmActions
                    primary=|t| t.switch_confirm
                    on_primary=confirm
                    secondary=|t| t.cancel
                    on_secondary=cancel
                />
            </section>
        }
    };
    view! {
        <Show when=move || open.get() fallback=move || view! {
            <button type="button" class="switch" on:click=move |_| open.set(true)>
                {move || t().switch}
            </button>
        }>
            {panel}
        </Show>
    }
}
