//! One mandated item (stage verified): shown in full, read to its end and for its minimum time, then
//! confirmed or doubted, one by one in order (R9). Nothing is pre-selected; a "no" is recorded as a
//! problem case (R12) and the revisit goes on. Earlier items can be looked at again, read-only.

use crate::components::answered_items::AnsweredItems;
use crate::components::notice::NoticeBar;
use crate::components::progress::Progress;
use crate::components::read_aloud::ReadAloud;
use crate::components::reading_gate::{Reading, ReadingGate, ScreenTime};
use crate::i18n::Lang;
use crate::session::{optional_text, LiveSession, Request};
use huifang_core::session::{AnswerKind, MAX_COMMENT_CHARS};
use huifang_core::wire::ItemView;
use huifang_core::words;
use leptos::ev;
use leptos::prelude::*;
use std::time::Duration;
use web_sys::js_sys::Date;

/// Built afresh for each item (and each language), so the reading gate, its clock and the comment
/// start empty every time.
#[component]
pub fn ItemPage(
    item: ItemView,
    count: usize,
    answered: Vec<ItemView>,
    lang: Lang,
) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let t = words::of(lang);
    let at_end = RwSignal::new(false);
    let comment = RwSignal::new(String::new());
    let index = item.index;

    // The minimum time counts while the item is on screen (not while the page is hidden behind
    // another app), measured against the clock: a phone throttles timers in the background.
    let min_secs = item.min_read_secs;
    let now = RwSignal::new(Date::now());
    let screen = StoredValue::new(ScreenTime::start(now.get_untracked(), !document().hidden()));
    let visibility = window_event_listener(ev::visibilitychange, move |_| {
        let at = Date::now();
        screen.update_value(|s| {
            if document().hidden() {
                s.hide(at);
            } else {
                s.show(at);
            }
        });
        let _ = now.try_set(at);
    });
    let ticker = set_interval_with_handle(
        move || {
            let _ = now.try_set(Date::now());
        },
        Duration::from_millis(500),
    )
    .ok();
    let reading = Memo::new(move |_| Reading {
        at_end: at_end.get(),
        secs_left: screen.with_value(|s| s.secs_left(min_secs, now.get())),
    });
    Effect::new(move |_| {
        if reading.get().secs_left == 0 {
            if let Some(ticker) = ticker {
                ticker.clear();
            }
        }
    });
    on_cleanup(move || {
        visibility.remove();
        if let Some(ticker) = ticker {
            ticker.clear();
        }
    });

    let answer = move |answer: AnswerKind| {
        session.run(Request::Answer {
            index,
            answer,
            comment: optional_text(&comment.get_untracked()),
        })
    };
    let locked = move || !reading.get().ready() || session.busy.get();
    let describedby = move || (!reading.get().ready()).then_some("read-hint");
    let spoken = std::iter::once(item.title.clone())
        .chain(item.body.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n");
    view! {
        <section class="page item">
            <Progress index count lang/>
            <h1 class="item-title">{item.title}</h1>
            <div class="item-tools">
                <ReadAloud text=spoken lang/>
            </div>
            <ReadingGate body=item.body at_end label=(t.item_region)(index + 1)/>
            <label for="answer-comment">{t.comment_label}</label>
            <textarea
                id="answer-comment"
                rows="3"
                maxlength=MAX_COMMENT_CHARS.to_string()
                placeholder=t.comment_placeholder
                bind:value=comment
            ></textarea>
            <NoticeBar/>
            // Changes every second while the time runs: deliberately not a live region, so a screen
            // reader is not interrupted; the buttons point at it while they are locked.
            <p id="read-hint" class="hint read-hint" data-testid="read-hint" hidden=move || reading.get().ready()>
                {move || reading.get().hint(lang).unwrap_or_default()}
            </p>
            // Said once, when the buttons unlock.
            <p class="read-done" role="status">
                {move || reading.get().ready().then_some(t.read_done)}
            </p>
            <div class="actions answers">
                <button
                    type="button"
                    class="primary"
                    disabled=locked
                    aria-describedby=describedby
                    on:click=move |_| answer(AnswerKind::Yes)
                >
                    {t.yes}
                </button>
                <button
                    type="button"
                    class="secondary"
                    disabled=locked
                    aria-describedby=describedby
                    on:click=move |_| answer(AnswerKind::No)
                >
                    {t.no}
                </button>
            </div>
            <AnsweredItems items=answered lang/>
        </section>
    }
}
