//! 朗读本项: reads the current item aloud with the browser's own speech synthesis, in the session's
//! language (a zh-CN voice, or an English one) where the browser has it. Where it has no speech
//! synthesis at all, the button is not shown. Speech stops when the item leaves the screen.

use crate::i18n::Lang;
use huifang_core::words;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{SpeechSynthesis, SpeechSynthesisUtterance, SpeechSynthesisVoice};

/// The browser's speech synthesis, if it has one (older in-app browsers do not).
fn synthesis() -> Option<SpeechSynthesis> {
    let window = web_sys::window()?;
    let has = |name: &str| js_sys_has(&window, name);
    if !has("speechSynthesis") || !has("SpeechSynthesisUtterance") {
        return None;
    }
    window.speech_synthesis().ok()
}

/// Whether `target[name]` is there and not `undefined` or `null`.
fn js_sys_has(target: &JsValue, name: &str) -> bool {
    web_sys::js_sys::Reflect::get(target, &JsValue::from_str(name))
        .is_ok_and(|v| !v.is_undefined() && !v.is_null())
}

/// The BCP 47 tag the voice is asked for.
pub fn voice_tag(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "zh-CN",
        Lang::En => "en-US",
    }
}

/// Whether a voice tagged `voice_lang` ("zh-CN", "cmn-Hans-CN", "en_GB") speaks `lang`.
pub fn voice_speaks(voice_lang: &str, lang: Lang) -> bool {
    let tag = voice_lang.to_ascii_lowercase().replace('_', "-");
    match lang {
        Lang::ZhCn => tag.starts_with("zh") || tag.starts_with("cmn"),
        Lang::En => tag.starts_with("en"),
    }
}

fn voice_for(speech: &SpeechSynthesis, lang: Lang) -> Option<SpeechSynthesisVoice> {
    speech
        .get_voices()
        .iter()
        .filter_map(|v| v.dyn_into::<SpeechSynthesisVoice>().ok())
        .find(|v| voice_speaks(&v.lang(), lang))
}

/// The 朗读本项 / 停止朗读 button for `text`.
#[component]
pub fn ReadAloud(text: String, lang: Lang) -> impl IntoView {
    let speech = synthesis()?;
    let t = words::of(lang);
    let speaking = RwSignal::new(false);
    let stop_speech = speech.clone();
    // A new item, a new page or a new language: never keep reading the old text.
    on_cleanup(move || stop_speech.cancel());
    let toggle = move |_| {
        speech.cancel();
        if speaking.get_untracked() {
            speaking.set(false);
            return;
        }
        let Ok(utterance) = SpeechSynthesisUtterance::new_with_text(&text) else {
            return;
        };
        utterance.set_lang(voice_tag(lang));
        if let Some(voice) = voice_for(&speech, lang) {
            utterance.set_voice(Some(&voice));
        }
        // Slower than the default: the listeners are often elderly.
        utterance.set_rate(0.9);
        let ended = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            let _ = speaking.try_set(false);
        });
        utterance.set_onend(Some(ended.as_ref().unchecked_ref()));
        utterance.set_onerror(Some(ended.as_ref().unchecked_ref()));
        // One small closure per tap, freed with the page; the utterance may call it after we go.
        ended.forget();
        speech.speak(&utterance);
        speaking.set(true);
    };
    Some(view! {
        <button
            type="button"
            class="tool read-aloud"
            on:click=toggle
        >
            {move || if speaking.get() { t.stop_reading } else { t.read_aloud }}
        </button>
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_are_matched_by_language() {
        assert!(voice_speaks("zh-CN", Lang::ZhCn));
        assert!(voice_speaks("cmn-Hans-CN", Lang::ZhCn));
        assert!(!voice_speaks("en-GB", Lang::ZhCn));
        assert!(voice_speaks("en_GB", Lang::En));
        assert!(!voice_speaks("zh-TW", Lang::En));
    }
}
