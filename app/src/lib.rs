//! The policyholder's revisit pages (Leptos, client-side rendered): [`App`] loads the session named by
//! the link `/r/<token>` and shows the page for its stage, in Simplified Chinese or English.

pub mod api;
pub mod components;
pub mod display;
pub mod first;
pub mod i18n;
pub mod json;
pub mod pages;
pub mod prefs;
pub mod request;
pub mod session;

use components::header::RevisitHeader;
use huifang_core::script::IdentityStep;
use huifang_core::session::Stage;
use huifang_core::wire::SessionView;
use i18n::Lang;
use leptos::prelude::*;
use pages::{
    code::CodePage, done::DonePage, error::FailedPage, error::FinishedPage, expired::ExpiredPage,
    face::FacePage, id_number::IdNumberPage, item::ItemPage, landing::LandingPage,
    loading::LoadingPage, review::ReviewPage, signature::SignaturePage, switched::SwitchedPage,
};
use prefs::Prefs;
use session::{Halt, LiveSession};

/// Which page is on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Page {
    Loading,
    Landing,
    Code,
    /// The ID-number identity step (R8).
    IdNumber,
    /// The face identity step, through the insurer's provider (R8).
    Face,
    /// The handwritten signature after the last item (R8).
    Signature,
    /// The next unanswered item, by index.
    Item(usize),
    Review,
    Done,
    Switched,
    Expired,
    Finished,
    Failed,
}

impl Page {
    /// Whether the page offers 改为电话回访 (R7): every page where the electronic revisit can still
    /// be stopped. On the final pages it has already stopped, and the API would refuse a switch.
    pub fn offers_switch(self) -> bool {
        !matches!(
            self,
            Page::Done | Page::Switched | Page::Expired | Page::Finished
        )
    }
}

/// The page for the last view, unless something has halted the revisit.
pub fn page_for(view: Option<&SessionView>, halt: Option<&Halt>) -> Page {
    match halt {
        Some(Halt::Expired) => return Page::Expired,
        Some(Halt::Finished) => return Page::Finished,
        Some(Halt::Failed { .. }) => return Page::Failed,
        None => {}
    }
    let Some(view) = view else {
        return Page::Loading;
    };
    match view.stage {
        Stage::Issued | Stage::Opened => match view.next_step {
            Some(IdentityStep::IdNumber) => Page::IdNumber,
            Some(IdentityStep::Face) => Page::Face,
            _ => Page::Landing,
        },
        Stage::CodeSent => Page::Code,
        Stage::Verified => {
            let next = view.next_item();
            if next < view.items.len() {
                Page::Item(next)
            } else if view.signature_required && !view.signed {
                Page::Signature
            } else {
                Page::Review
            }
        }
        Stage::Completed => Page::Done,
        Stage::SwitchedToPhone => Page::Switched,
        Stage::Expired => Page::Expired,
        Stage::Cancelled => Page::Finished,
    }
}

/// The whole app: a header with the display choices and the switch to phone, and the page for the
/// current stage, in the session's language.
#[component]
pub fn App() -> impl IntoView {
    let path = window().location().pathname().unwrap_or_default();
    let session = LiveSession::start(&path, prefs::browser_lang());
    let prefs = Prefs::load();
    provide_context(session);
    provide_context(prefs);
    prefs::reflect_on_document(session.lang.into(), prefs.large.into());
    let page = Memo::new(move |_| {
        session.view.with(|view| {
            session
                .halt
                .with(|halt| page_for(view.as_ref(), halt.as_ref()))
        })
    });
    // A new page starts at its top: the previous one may have been scrolled down to its buttons.
    Effect::new(move |previous: Option<Page>| {
        let current = page.get();
        if previous.is_some_and(|p| p != current) {
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
        current
    });
    view! {
        <RevisitHeader page/>
        // Each page (each item, each language) is built afresh, never patched over the last one:
        // a reused text box would keep the last item's scroll position, a reused field its text.
        <main id="main">
            <For
                each=move || [(page.get(), session.lang.get())]
                key=|shown| *shown
                children=move |(page, lang)| render(page, lang, session)
            />
        </main>
    }
}

/// The page's view. One concrete type for all pages (not a type-erased `AnyView`): a page is never
/// patched into another (the `For` above keys them), and an erased view would keep every page's
/// patching code in the wasm all the same (issue 19).
fn render(page: Page, lang: Lang, session: LiveSession) -> impl IntoView {
    use leptos::either::EitherOf13 as Shown;
    match page {
        Page::Loading => Shown::A(view! { <LoadingPage lang/> }),
        Page::Landing => Shown::B(view! { <LandingPage lang/> }),
        Page::Code => Shown::C(view! { <CodePage lang/> }),
        Page::IdNumber => Shown::D(view! { <IdNumberPage lang/> }),
        Page::Face => Shown::M(view! { <FacePage lang/> }),
        Page::Signature => Shown::E(view! { <SignaturePage lang/> }),
        Page::Item(index) => {
            let (item, count, answered) = session.view.with_untracked(|v| {
                let v = v.as_ref();
                let item = v.and_then(|v| v.items.get(index).cloned());
                let answered = v.map(|v| v.items[..index.min(v.items.len())].to_vec());
                (
                    item,
                    v.map_or(0, |v| v.item_count),
                    answered.unwrap_or_default(),
                )
            });
            match item {
                Some(item) => Shown::F(view! { <ItemPage item count answered lang/> }),
                None => Shown::A(view! { <LoadingPage lang/> }),
            }
        }
        Page::Review => Shown::G(view! { <ReviewPage lang/> }),
        Page::Done => Shown::H(view! { <DonePage lang/> }),
        Page::Switched => Shown::I(view! { <SwitchedPage lang/> }),
        Page::Expired => Shown::J(view! { <ExpiredPage lang/> }),
        Page::Finished => Shown::K(view! { <FinishedPage lang/> }),
        Page::Failed => Shown::L(view! { <FailedPage lang/> }),
    }
}

/// Replaces the static "正在加载…" shell in `#app` with the app (or mounts on `<body>` without one).
pub fn mount() {
    use wasm_bindgen::JsCast;
    let root = document()
        .get_element_by_id("app")
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    match root {
        Some(root) => {
            root.set_text_content(None);
            leptos::mount::mount_to(root, App).forget();
        }
        None => leptos::mount::mount_to_body(App),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::session::AnswerKind;
    use huifang_core::wire::ItemView;

    fn view(stage: Stage, answered: usize, count: usize) -> SessionView {
        let items = (0..count)
            .map(|index| ItemView {
                index,
                id: format!("i{index}"),
                title: "t".into(),
                body: vec!["b".into()],
                min_read_secs: 1,
                answer: (index < answered).then_some(AnswerKind::Yes),
                comment: None,
                problem_on_no: true,
            })
            .collect();
        SessionView {
            stage,
            lang: Lang::ZhCn,
            policy_masked: "P2***0001".into(),
            holder_masked: "张*".into(),
            phone_masked: "138****5678".into(),
            product: "p".into(),
            expires_at: "2027-01-15T15:59:59.000Z".into(),
            resend_after_secs: 0,
            code_delivery: None,
            next_step: None,
            signature_required: false,
            signed: false,
            face: None,
            item_count: count,
            items,
        }
    }

    #[test]
    fn each_stage_has_its_page() {
        let page = |stage, answered| page_for(Some(&view(stage, answered, 3)), None);
        assert_eq!(page(Stage::Issued, 0), Page::Landing);
        assert_eq!(page(Stage::Opened, 0), Page::Landing);
        let mut id_step = view(Stage::Opened, 0, 3);
        id_step.next_step = Some(IdentityStep::IdNumber);
        assert_eq!(page_for(Some(&id_step), None), Page::IdNumber);
        id_step.next_step = Some(IdentityStep::Face);
        assert_eq!(page_for(Some(&id_step), None), Page::Face);
        assert_eq!(page(Stage::CodeSent, 0), Page::Code);
        assert_eq!(page(Stage::Verified, 0), Page::Item(0));
        assert_eq!(page(Stage::Verified, 2), Page::Item(2));
        assert_eq!(page(Stage::Verified, 3), Page::Review);
        let mut to_sign = view(Stage::Verified, 3, 3);
        to_sign.signature_required = true;
        assert_eq!(page_for(Some(&to_sign), None), Page::Signature);
        to_sign.signed = true;
        assert_eq!(page_for(Some(&to_sign), None), Page::Review);
        assert_eq!(page(Stage::Completed, 3), Page::Done);
        assert_eq!(page(Stage::SwitchedToPhone, 1), Page::Switched);
        assert_eq!(page(Stage::Expired, 0), Page::Expired);
        assert_eq!(page_for(None, None), Page::Loading);
    }

    #[test]
    fn a_halt_wins_over_the_last_view() {
        let v = view(Stage::Verified, 1, 3);
        assert_eq!(page_for(Some(&v), Some(&Halt::Expired)), Page::Expired);
        let failed = Halt::Failed {
            failure: api::Failure::Network,
            retry: None,
        };
        assert_eq!(page_for(None, Some(&failed)), Page::Failed);
        assert_eq!(page_for(Some(&v), Some(&Halt::Finished)), Page::Finished);
    }

    #[test]
    fn the_switch_is_offered_until_the_revisit_has_stopped() {
        for page in [
            Page::Loading,
            Page::Landing,
            Page::Code,
            Page::Item(0),
            Page::Review,
            Page::Failed,
        ] {
            assert!(page.offers_switch(), "{page:?}");
        }
        for page in [Page::Done, Page::Switched, Page::Expired, Page::Finished] {
            assert!(!page.offers_switch(), "{page:?}");
        }
    }
}
