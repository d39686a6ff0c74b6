//! The buttons at the foot of a page. Not generic over the page's closures (a label is the field of
//! the word table to show, in the session's language; a click is a `Callback`): every page's buttons
//! share one copy of the code that builds and updates them, instead of one per page (issue 19, the
//! app's size).

use crate::session::LiveSession;
use huifang_core::words::{self, Words};
use leptos::prelude::*;

/// Which words a button shows: a field of the word table (`|t| t.cancel`).
pub type Label = fn(&'static Words) -> &'static str;

/// One button: `class` "primary" or "secondary"; `guarded` disables it while a request is in
/// flight (a second tap must not send the same thing twice).
#[component]
pub fn ActionButton(
    class: &'static str,
    label: Label,
    #[prop(into)] on_click: Callback<()>,
    #[prop(optional)] guarded: bool,
) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    view! {
        <button
            type="button"
            class=class
            disabled=move || guarded && session.busy.get()
            on:click=move |_| on_click.run(())
        >
            {move || label(words::of(session.lang.get()))}
        </button>
    }
}

/// A confirmation row: the primary action (guarded while a request is in flight) and the
/// secondary one (cancel, start again), in that order unless `secondary_first`.
#[component]
pub fn ConfirmActions(
    primary: Label,
    #[prop(into)] on_primary: Callback<()>,
    secondary: Label,
    #[prop(into)] on_secondary: Callback<()>,
    #[prop(optional)] secondary_first: bool,
) -> impl IntoView {
    let primary =
        view! { <ActionButton class="primary" label=primary on_click=on_primary guarded=true/> };
    let secondary =
        view! { <ActionButton class="secondary" label=secondary on_click=on_secondary/> };
    let (first, second) = if secondary_first {
        (secondary, primary)
    } else {
        (primary, secondary)
    };
    view! { <div class="actions">{first}{second}</div> }
}
