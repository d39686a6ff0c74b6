//! Before submitting (stage verified, every item answered): the answers at a glance, then 提交回访.

use crate::components::notice::NoticeBar;
use crate::display::{answer_mark, doubts};
use crate::session::{LiveSession, Request};
use huifang_core::session::AnswerKind;
use leptos::prelude::*;

/// Stage verified with every item answered.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let items = move || session.field(|v| v.items.clone());
    let doubted = move || session.field(|v| doubts(&v.items));
    view! {
        <section class="page review">
            <h1>"请确认提交"</h1>
            <p class="lead">"您已逐项确认以下内容，提交后不能修改。"</p>
            <ol class="review-list">
                {move || {
                    items()
                        .into_iter()
                        .map(|item| {
                            let doubt = item.answer == Some(AnswerKind::No);
                            view! {
                                <li>
                                    <span class="review-title">{item.title}</span>
                                    <span class="mark" class:doubt=doubt>
                                        {answer_mark(item.answer)}
                                    </span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            <Show when=move || { doubted() > 0 }>
                <p class="note">"您对部分事项有疑问，提交后保险公司将与您联系处理。"</p>
            </Show>
            <NoticeBar/>
            <div class="actions">
                <button
                    type="button"
                    class="primary"
                    disabled=move || session.busy.get()
                    on:click=move |_| session.run(Request::Complete)
                >
                    "提交回访"
                </button>
            </div>
        </section>
    }
}
