//! The ID-number identity step (R8): the policyholder types their ID number; the check digit
//! (GB 11643) is checked here first so a typo is caught before anything is sent, then the edge
//! checks it again and compares keyed hashes. The number is never shown back or stored here.

use crate::components::notice::NoticeBar;
use crate::session::{LiveSession, Request};
use huifang_core::domain::DomainError;
use huifang_core::IdNumber;
use leptos::prelude::*;

/// What the policyholder typed, checked as far as the browser can: `Err` is the text to show.
pub fn check_id_number(typed: &str) -> Result<IdNumber, &'static str> {
    let cleaned: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    IdNumber::parse(&cleaned).map_err(|e| match e {
        DomainError::IdNumberChecksum => "身份证号码有误（校验位不符），请核对后重新输入。",
        _ => "请输入 18 位身份证号码（最后一位可以是 X）。",
    })
}

#[component]
pub fn IdNumberPage() -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let typed = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match check_id_number(&typed.get_untracked()) {
            Ok(id_number) => session.run(Request::VerifyIdNumber { id_number }),
            Err(text) => session.say(text),
        }
    };
    view! {
        <section class="page id-number">
            <h1>"身份验证"</h1>
            <p class="lead">"请输入投保人本人的身份证号码，以确认是您本人在操作。"</p>
            <form on:submit=submit novalidate>
                <label for="id-number">"身份证号码"</label>
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
                        "验证身份"
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
        assert!(check_id_number("110105194912310021")
            .unwrap_err()
            .contains("校验位"));
        assert!(check_id_number("12345").unwrap_err().contains("18 位"));
    }
}
