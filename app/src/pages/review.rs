//! Before submitting (stage verified, every item answered): the answers at a glance, then 提交回访.

use crate::components::actions::ActionButton;
use crate::components::answered_items::answer_mark;
use crate::components::notice::NoticeBar;
use crate::display::doubts;
use crate::i18n::Lang;
use crate::session::{LiveSession, Request};
use huifang_core::session::AnswerKind;
use huifang_core::words;
use leptos::prelude::*;

/// Stage verified with every item answered.
#[component]
pub fn ReviewPage(lang: Lang) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let t = words::of(lang);
    let items = move || session.field(|v| v.items.clone());
    let doubted = move || session.field(|v| doubts(&v.items));
    view! {
        <section class="page review">
            <h1>{t.review_title}</h1>
            <p class="lead">{t.review_lead}</p>
            <ol class="review-list">
                {move || {
                    items()
                        .into_iter()
                        .map(|item| {
                            let doubt = item.answer == Some(AnswerKind::No);
                            let comment = item
                                .comment
                                .filter(|c| !c.trim().is_empty())
                                .map(|c| view! { <span class="review-comment">{t.your_comment}{c}</span> });
                            view! {
                                <li>
                                    <span class="review-title">{item.title}</span>
                                    <span class="mark" class:doubt=doubt>
                                        {answer_mark(lang, item.answer)}
                                    </span>
                                    {comment}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            <Show when=move || { doubted() > 0 }>
                <p class="note">{t.review_doubts}</p>
            </Show>
            <NoticeBar/>
            <div class="actions">
                <ActionButton
                    class="primary"
                    label=|t| t.submit
                    on_click=move |()| session.run(Request::Complete)
                    guarded=true
                />
            </div>
        </section>
    }
}
