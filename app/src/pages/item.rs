//! One mandated item (stage verified): shown in full, read to its end, then confirmed or doubted, one
//! by one in order (R9). Nothing is pre-selected; a "no" is recorded as a problem case (R12).

use crate::components::notice::NoticeBar;
use crate::components::progress::Progress;
use crate::components::reading_gate::ReadingGate;
use crate::session::{optional_text, LiveSession, Request};
use huifang_core::session::{AnswerKind, MAX_COMMENT_CHARS};
use huifang_core::wire::ItemView;
use leptos::prelude::*;

/// Built afresh for each item, so the reading gate and the comment start empty every time.
#[component]
pub fn ItemPage(item: ItemView, count: usize) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let read = RwSignal::new(false);
    let comment = RwSignal::new(String::new());
    let index = item.index;
    let answer = move |answer: AnswerKind| {
        session.run(Request::Answer {
            index,
            answer,
            comment: optional_text(&comment.get_untracked()),
        })
    };
    let locked = move || !read.get() || session.busy.get();
    let describedby = move || (!read.get()).then_some("read-hint");
    view! {
        <section class="page item">
            <Progress index count/>
            <h1 class="item-title">{item.title}</h1>
            <ReadingGate body=item.body read label=format!("第 {} 项内容", index + 1)/>
            <label for="answer-comment">"补充说明（可选）"</label>
            <textarea
                id="answer-comment"
                rows="3"
                maxlength=MAX_COMMENT_CHARS.to_string()
                placeholder="如有疑问，可在此写明"
                bind:value=comment
            ></textarea>
            <NoticeBar/>
            <div class="actions answers">
                <button
                    type="button"
                    class="primary"
                    disabled=locked
                    aria-describedby=describedby
                    on:click=move |_| answer(AnswerKind::Yes)
                >
                    "是，我确认"
                </button>
                <button
                    type="button"
                    class="secondary"
                    disabled=locked
                    aria-describedby=describedby
                    on:click=move |_| answer(AnswerKind::No)
                >
                    "否 / 我有疑问"
                </button>
            </div>
            <Show when=move || !read.get()>
                <p id="read-hint" class="hint">"请阅读至本项末尾后再确认"</p>
            </Show>
        </section>
    }
}
