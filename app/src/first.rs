//! The first screen's calls (issue 19). The page's first script (inline in app/index.html, allowed
//! by its hash in the CSP) asks for the session while the page is parsed, instead of the app
//! asking after its WebAssembly has arrived (at `GET /v1/session/open/<token>`, which a browser
//! that runs the app was already told to preload by the page's `Link` header, edge/src/shell.rs,
//! so the answer is usually on its way before the script runs); it draws the landing the app would
//! draw (masked data from the API only: the page's HTML holds none, R6) and, if the policyholder is
//! quicker than the download, sends the code or sets the language (one call at a time, as
//! [`LiveSession`] does).
//! It loads the app only once the session has answered and the landing is painted, so that on a
//! slow line the wasm does not share it with that answer. On a slow phone the main thread, not the
//! line, is what the landing waits for (issue 19, measured in `make bench` row 2): so the answer comes
//! by XMLHttpRequest (one task, where fetch takes two with the page's first frame between them),
//! V8 compiles the script's functions as it loads (the `allFunctionsCalledOnLoad` hint), and until
//! the answer (at most `FIRST_WAIT_MS`) the page shows only the shell's title, not the loading screen
//! the landing would replace. Here the app takes those calls over, in order, as if it had made
//! them: no second session request and no second code, and the same markup, so nothing flashes.
//! The script holds the same words as the core; [`tests`] checks them.
//!
//! [`LiveSession`]: crate::session::LiveSession

use crate::api::{interpret, Failure};
use crate::i18n::Lang;
use crate::request::Request;
use huifang_core::wire::SessionView;
use wasm_bindgen::prelude::*;
use web_sys::js_sys::{Function, Reflect};

/// The name the first script gives to `window.__huifangFirst`'s hand-over object.
const HANDOFF: &str = "__huifangFirst";

/// The request the first script made, by the name it gives it.
pub fn request_named(name: &str) -> Option<Request> {
    match name {
        "load" => Some(Request::Load),
        "send_code" => Some(Request::SendCode),
        _ => name
            .strip_prefix("language:")
            .and_then(Lang::from_tag)
            .map(|lang| Request::SetLanguage { lang }),
    }
}

/// What a call's answer means: status 0 is the first script's word for no answer (offline, timed out).
pub fn result_of(status: u16, body: &str) -> Result<SessionView, Failure> {
    match status {
        0 => Err(Failure::Network),
        _ => interpret(status, body),
    }
}

fn handoff() -> Option<JsValue> {
    let window = web_sys::window()?;
    Reflect::get(&window, &HANDOFF.into())
        .ok()
        .filter(|v| v.is_object())
}

/// Takes over the first script's calls: `on_answer(request, result, more)` for each, in order (at once for
/// those already answered, `more` while another is still to come); from then on the first script leaves the
/// page to the app. False when it made no call (no link in the path, or no first screen).
pub fn take(
    mut on_answer: impl FnMut(Request, Result<SessionView, Failure>, bool) + 'static,
) -> bool {
    let Some(first) = handoff() else {
        return false;
    };
    let Some(take) = Reflect::get(&first, &"take".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
    else {
        return false;
    };
    let callback = Closure::<dyn FnMut(String, u16, String, bool)>::new(
        move |name: String, status: u16, body: String, more: bool| {
            if let Some(request) = request_named(&name) {
                on_answer(request, result_of(status, &body), more);
            }
        },
    );
    let taken = take
        .call1(&first, callback.as_ref())
        .is_ok_and(|v| v.as_bool() == Some(true));
    // The first script may still call it for an answer on its way.
    callback.forget();
    taken
}

/// Whether the policyholder tapped 改为电话回访 on the first screen (once: the panel opens).
pub fn take_switch_asked() -> bool {
    let Some(first) = handoff() else {
        return false;
    };
    let key = JsValue::from_str("switchAsked");
    let asked = Reflect::get(&first, &key).is_ok_and(|v| v.as_bool() == Some(true));
    let _ = Reflect::set(&first, &key, &JsValue::FALSE);
    asked
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::words;
    use huifang_core::ErrorCode;

    #[test]
    fn the_first_script_names_the_requests_the_app_knows() {
        assert_eq!(request_named("load"), Some(Request::Load));
        assert_eq!(request_named("send_code"), Some(Request::SendCode));
        assert_eq!(
            request_named("language:en"),
            Some(Request::SetLanguage { lang: Lang::En })
        );
        assert_eq!(
            request_named("language:zh-CN"),
            Some(Request::SetLanguage { lang: Lang::ZhCn })
        );
        assert_eq!(request_named("language:fr"), None);
        assert_eq!(request_named("verify"), None);
        assert_eq!(result_of(0, ""), Err(Failure::Network));
        let expired = result_of(410, r#"{"code":"link_expired","message":"over"}"#);
        assert_eq!(expired.unwrap_err().code(), Some(ErrorCode::LinkExpired));
    }

    /// The first screen's words in index.html, language by language, must be the core's: the app
    /// draws the same landing from those, and a difference would show as a flash when it takes over.
    #[test]
    fn the_first_screen_speaks_the_cores_words() {
        let boot = include_str!("../index.html");
        for (lang, key) in [(Lang::ZhCn, "'zh-CN': {"), (Lang::En, "en: {")] {
            let start = boot.find(key).expect("a word table per language");
            let table = &boot[start..];
            let table = &table[..table.find("\n    }").expect("the table ends")];
            let w = words::of(lang);
            let expected = [
                ("doc_title", w.doc_title),
                ("brand", w.brand),
                ("language", w.language),
                ("large_text", w.large_text),
                ("'switch'", w.switch),
                ("revisit", w.revisit),
                ("loading", w.loading),
                ("landing_lead", w.landing_lead),
                ("holder", w.holder),
                ("policy", w.policy),
                ("phone", w.phone),
                ("product", w.product),
                ("cooling_off_ends", w.cooling_off_ends),
                ("beijing_time", w.beijing_time),
                ("sms_note", w.sms_note),
                ("send_code", w.send_code),
            ];
            for (name, text) in expected {
                let entry = format!("{name}: '{text}'");
                assert!(table.contains(&entry), "{lang:?}: index.html lacks {entry}");
            }
        }
    }
}
