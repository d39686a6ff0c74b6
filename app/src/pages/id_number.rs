//! The ID-number identity step (R8): the policyholder types their ID number; the check digit
//! (GB 11643) is checked here first so a typo is caught before anything is sent, then the edge
//! checks it again and compares keyed hashes. The number is never shown back or stored here.

use crate::components::notice::NoticeBar;
use crate::i18n::Lang;
use crate::session::{LiveSession, Request};
use huifang_core::domain::DomainError;
use huifang_core::words;
use huifang_core::{ErrorCode, IdNumber};
use leptos::prelude::*;

/// What the policyholder typed, checked as far as the browser can: `Err` is the refusal code the
/// edge would answer with (its words are in `huifang_core::words`).
pub fn check_id_number(typed: &str) -> Result<IdNumber, ErrorCode> {
    let cleaned: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    IdNumber::parse(&cleaned).map_err(|e| match e {
        DomainError::IdNumberChecksum => ErrorCode::IdNumberChecksum,
        _ => ErrorCode::InvalidIdNumber,
    })
}

#[component]
pub fn IdNumberPage(lang: Lang) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let t = words::of(lang);
    let typed = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match check_id_number(&typed.get_untracked()) {
            Ok(id_number) => session.run(Request::VerifyIdNumber { id_number }),
            Err(code) => session.say(code),
        }
    };
    view! {
        <section class="page id-number">
            <h1>{t.identity_title}</h1>
            <p class="lead">{t.id_lead}</p>
            <form on:submit=submit novalidate>
                <label for="id-number">{t.id_label}</label>
                <input
                    id="id-number"
                    name="id-number"
                    type="text"
                    autocomplete="off"
                    autocapitalize="characters"
                    spellcheck="false"
                    maxlength="22"
                    bind:value=typed
                />
                <NoticeBar/>
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || session.busy.get()>
                        {t.id_verify}
                    </button>
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_caught_before_anything_is_sent() {
        assert!(check_id_number("11010519491231002x").is_ok());
        assert!(check_id_number(" 110105 19491231 002X ").is_ok());
        assert_eq!(
            check_id_number("110105194912310021").unwrap_err(),
            ErrorCode::IdNumberChecksum
        );
        assert_eq!(
            check_id_number("12345").unwrap_err(),
            ErrorCode::InvalidIdNumber
        );
    }
}
