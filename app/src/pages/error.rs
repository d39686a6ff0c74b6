//! When there is nothing else to show: the page could not load, the link is not valid, or the
//! revisit already ended elsewhere. Always a plain message, and 重试 where retrying can help.

use crate::session::{Halt, LiveSession};
use leptos::prelude::*;

/// Nothing could be loaded, or the link is not valid; 重试 when it may help.
#[component]
pub fn FailedPage() -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let failure = move || match session.halt.get() {
        Some(Halt::Failed { text, retry }) => (text, retry),
        _ => (String::new(), None),
    };
    view! {
        <section class="page failed">
            <h1>"暂时无法继续回访"</h1>
            <p class="lead" role="alert">{move || failure().0}</p>
            {move || {
                failure()
                    .1
                    .map(|request| {
                        view! {
                            <div class="actions">
                                <button
                                    type="button"
                                    class="primary"
                                    disabled=move || session.busy.get()
                                    on:click=move |_| session.run(request.clone())
                                >
                                    "重试"
                                </button>
                            </div>
                        }
                    })
            }}
            <p>"如需帮助，请联系您的保险公司。"</p>
        </section>
    }
}

/// The API said the revisit has already ended (revisit_finished).
#[component]
pub fn FinishedPage() -> impl IntoView {
    view! {
        <section class="page finished">
            <h1>"本次回访已结束"</h1>
            <p class="lead">"这次回访已经完成或已转为电话回访，无需再次操作。"</p>
            <p>"您现在可以关闭此页面。"</p>
        </section>
    }
}
