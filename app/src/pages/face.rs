//! The face identity step (R8): before the check the page says what it is, who performs it (the
//! insurer's provider, by the name the script gives), that the image stays with the provider, and
//! the alternative the script names, which may be taken at any time (a face check is never the
//! only way in). "Start" sends the browser to the provider's page; the provider sends it back here
//! with `#face_ref=…&face_ticket=…` (a fragment: no server logs it), which this page hands to the
//! edge once and then removes from the address. The edge decides everything: the page only shows what the view says.

use crate::components::actions::ConfirmActions;
use crate::components::notice::NoticeBar;
use crate::i18n::Lang;
use crate::session::{LiveSession, Request};
use huifang_core::script::FaceAlternative;
use huifang_core::session::FaceView;
use huifang_core::words;
use leptos::prelude::*;

/// What the provider sent the browser back with, from the page's fragment: the reference and the
/// ticket, both present and non-empty.
pub fn returned_from_provider(fragment: &str) -> Option<(String, String)> {
    let mut reference = None;
    let mut ticket = None;
    for pair in fragment.trim_start_matches('#').split('&') {
        match pair.split_once('=') {
            Some(("face_ref", v)) if !v.is_empty() => reference = Some(v.to_string()),
            Some(("face_ticket", v)) if !v.is_empty() => ticket = Some(v.to_string()),
            _ => {}
        }
    }
    reference.zip(ticket)
}

/// `history.replaceState(null, "", path)`, through `Reflect` (no web-sys feature for one call).
fn forget_fragment(path: &str) {
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::js_sys::{Array, Function, Reflect};
    let history = Reflect::get(&window(), &JsValue::from_str("history")).ok();
    let replace = history
        .as_ref()
        .and_then(|h| Reflect::get(h, &JsValue::from_str("replaceState")).ok())
        .and_then(|f| f.dyn_into::<Function>().ok());
    if let (Some(history), Some(replace)) = (history, replace) {
        let args = Array::of3(
            &JsValue::NULL,
            &JsValue::from_str(""),
            &JsValue::from_str(path),
        );
        let _ = replace.apply(&history, &args);
    }
}

/// Takes the provider's return out of the address (so a reload does not send it again) and
/// hands it to the edge.
fn take_return(session: LiveSession) {
    let location = window().location();
    let Some((reference, ticket)) = location
        .hash()
        .ok()
        .and_then(|s| returned_from_provider(&s))
    else {
        return;
    };
    if let Ok(path) = location.pathname() {
        forget_fragment(&path);
    }
    session.run(Request::FaceReturn { reference, ticket });
}

#[component]
pub fn FacePage(lang: Lang) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let t = words::of(lang);
    let face = move || session.field(|v| v.face.clone());
    // Set by "start": once the view names the provider's page, the browser goes there.
    let started = RwSignal::new(false);
    Effect::new(move |_| {
        if started.get() {
            if let Some(url) = face().and_then(|f| f.redirect_url) {
                started.set(false);
                let _ = window().location().assign(&url);
            }
        }
    });
    take_return(session);
    let provider = move || face().map(|f| f.provider).unwrap_or_default();
    let alternative = move || face().map_or(FaceAlternative::IdNumber, |f| f.alternative);
    let tries_left = move || face().map_or(0, |f: FaceView| f.tries_left);
    let pending = move || face().and_then(|f| f.redirect_url);
    let start = move |_| match pending() {
        // A check started a moment ago (the page was reloaded): go on with it.
        Some(url) => {
            let _ = window().location().assign(&url);
        }
        None => {
            started.set(true);
            session.run(Request::StartFace);
        }
    };
    // The edge takes the script's alternative: the ID number next, or the switch to phone. The
    // switch ends the electronic revisit, so it is confirmed first, as from the header's button
    // (components/switch_to_phone.rs): a stray tap must not end it.
    let confirming = RwSignal::new(false);
    let decline = move |()| {
        if alternative() == FaceAlternative::Phone && !confirming.get_untracked() {
            confirming.set(true);
        } else {
            session.run(Request::DeclineFace);
        }
    };
    let confirm_phone = move || {
        view! {
            <section class="switch-panel" aria-labelledby="face-switch-title">
                <h2 id="face-switch-title">{t.switch_title}</h2>
                <p>{t.switch_text}</p>
                <ConfirmActions
                    primary=|t| t.switch_confirm
                    on_primary=decline
                    secondary=|t| t.cancel
                    on_secondary=move |()| confirming.set(false)
                />
            </section>
        }
    };
    view! {
        <section class="page face">
            <h1>{t.face_title}</h1>
            <p class="lead">{move || (t.face_lead)(&provider())}</p>
            <p>{t.face_data}</p>
            <p>{t.face_choice}</p>
            <ul class="face-alternative">
                <li>
                    {move || match alternative() {
                        FaceAlternative::IdNumber => t.face_alternative_id,
                        FaceAlternative::Phone => t.face_alternative_phone,
                    }}
                </li>
            </ul>
            <Show when=move || { tries_left() == 0 && session.notice.with(Option::is_none) }>
                <p class="face-no-tries">{t.face_no_tries}</p>
            </Show>
            // The tries left, unless the notice of a failed check just said so.
            <Show when=move || {
                tries_left() > 0 && tries_left() < 3 && session.notice.with(Option::is_none)
            }>
                <p>{move || (t.face_tries_left)(tries_left())}</p>
            </Show>
            <NoticeBar/>
            {move || confirming.get().then(confirm_phone)}
            <div class="actions" hidden=move || confirming.get()>
                <Show when=move || { tries_left() > 0 }>
                    <button
                        type="button"
                        class="primary"
                        disabled=move || session.busy.get()
                        on:click=start
                    >
                        {move || { if pending().is_some() { t.face_continue } else { t.face_start } }}
                    </button>
                </Show>
                <button
                    type="button"
                    class=move || { if tries_left() > 0 { "secondary" } else { "primary" } }
                    disabled=move || session.busy.get()
                    on:click=move |_| decline(())
                >
                    {move || match alternative() {
                        FaceAlternative::IdNumber => t.face_use_id,
                        FaceAlternative::Phone => t.face_use_phone,
                    }}
                </button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_providers_return_is_read_from_the_fragment() {
        assert_eq!(
            returned_from_provider("#face_ref=sim-ref-1&face_ticket=t2"),
            Some(("sim-ref-1".into(), "t2".into()))
        );
        assert_eq!(
            returned_from_provider("#x=1&face_ticket=t2&face_ref=r"),
            Some(("r".into(), "t2".into()))
        );
        assert_eq!(returned_from_provider("#face_ref=r"), None);
        assert_eq!(returned_from_provider("#face_ref=&face_ticket=t"), None);
        assert_eq!(returned_from_provider(""), None);
    }
}
