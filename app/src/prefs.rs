//! How the policyholder wants the pages shown, and what the browser tells us before the session
//! does: large text (大字模式, kept for this browser session in `sessionStorage`), the browser's
//! language, and the `<html>` attributes that carry both.

use crate::i18n::{self, Lang};
use huifang_core::words;
use leptos::prelude::*;

const LARGE_KEY: &str = "huifang.large-text";

/// The display preferences, shared through context.
#[derive(Clone, Copy)]
pub struct Prefs {
    /// 大字模式: larger text and controls (MIIT ageing-friendly guidelines).
    pub large: RwSignal<bool>,
}

impl Prefs {
    /// Reads the saved choice; a browser without storage (a private mode) just starts without it.
    pub fn load() -> Self {
        let saved = storage()
            .and_then(|s| s.get_item(LARGE_KEY).ok().flatten())
            .is_some_and(|v| v == "1");
        Self {
            large: RwSignal::new(saved),
        }
    }

    /// Turns large text on or off and remembers it for this browser session.
    pub fn set_large(self, on: bool) {
        self.large.set(on);
        if let Some(s) = storage() {
            let _ = if on {
                s.set_item(LARGE_KEY, "1")
            } else {
                s.remove_item(LARGE_KEY)
            };
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The language the browser asks for (`navigator.languages`), Chinese if it asks for neither.
pub fn browser_lang() -> Lang {
    let tags: Vec<String> = web_sys::window()
        .map(|w| w.navigator().languages())
        .map(|list| list.iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    i18n::from_browser(&tags)
}

/// Keeps `<html lang>`, the document title and the text size in step with the signals: screen
/// readers pick their voice from `lang`, and the CSS scales everything from the root's font size.
pub fn reflect_on_document(lang: Signal<Lang>, large: Signal<bool>) {
    Effect::new(move |_| {
        let lang = lang.get();
        let doc = document();
        if let Some(root) = doc.document_element() {
            let _ = root.set_attribute("lang", lang.as_str());
        }
        doc.set_title(words::of(lang).doc_title);
    });
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = if large.get() {
                root.set_attribute("data-text", "large")
            } else {
                root.remove_attribute("data-text")
            };
        }
    });
}
